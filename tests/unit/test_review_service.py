"""Staff review rules: batches, conflicts of interest, blind scoring, decisions, publishing."""
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.models import AuditLog, IdeaEvent, IdeaFollow, Notification, Product
from app.models.review import AXES, Review, ReviewBatch, ReviewItem
from app.services import review as rs
from tests import factories as f


def notifications(user, kind):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).all()


# --- batches ------------------------------------------------------------------------------------

def test_qualified_ideas_waiting_join_the_batch_when_it_opens(app):
    waiting = f.idea(status="qualified")
    gathering = f.idea(status="published")
    batch = f.review_batch()
    assert waiting.status == "in_review"
    assert gathering.status == "published"
    assert [item.idea_id for item in batch.items] == [waiting.id]
    event = db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == waiting.id)).one()
    assert (event.from_status, event.to_status) == ("qualified", "in_review")


def test_an_idea_that_qualifies_while_a_batch_is_open_joins_it(app):
    batch = f.review_batch()
    idea = f.idea(status="qualified")
    rs.on_idea_qualified(idea)
    db.session.commit()
    assert idea.status == "in_review"
    assert rs.active_item(idea.id).batch_id == batch.id


def test_an_idea_that_qualifies_without_an_open_batch_waits(app):
    idea = f.idea(status="qualified")
    rs.on_idea_qualified(idea)
    db.session.commit()
    assert idea.status == "qualified"
    assert db.session.scalar(select(func.count()).select_from(ReviewItem)) == 0


def test_reaching_the_last_milestone_puts_the_idea_into_the_open_batch(app):
    from app.services import milestones

    f.review_batch()
    last = app.config["SUPPORT_MILESTONES"][-1]
    idea = f.idea(status="published", next_milestone=last)
    idea.support_count = last
    milestones.advance(idea)
    db.session.commit()
    assert idea.status == "in_review"


def test_only_one_batch_is_open_at_a_time(app):
    admin = f.user("admin")
    f.review_batch(admin)
    with pytest.raises(Conflict) as error:
        rs.open_batch(admin, "Another", date(2030, 6, 30))
    assert error.value.code == "batch_already_open"


def test_the_database_refuses_a_second_open_batch(app):
    f.review_batch()
    db.session.add(ReviewBatch(name="Sneaky", closes_on=date(2030, 1, 1), status="open"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_closed_batch_takes_no_new_ideas_and_a_new_one_can_open(app):
    admin = f.user("admin")
    batch = f.review_batch(admin)
    rs.close_batch(admin, batch.id)
    db.session.commit()
    idea = f.idea(status="qualified")
    rs.on_idea_qualified(idea)
    assert idea.status == "qualified"
    second = f.review_batch(admin, "Summer review")
    assert [item.idea_id for item in second.items] == [idea.id]


def test_batch_needs_a_name_and_a_date(app):
    with pytest.raises(Invalid) as error:
        rs.open_batch(f.user("admin"), "  ", "2030-01-01")
    assert set(error.value.fields) == {"name", "closes_on"}


def test_only_admins_open_batches(app):
    with pytest.raises(Forbidden):
        rs.open_batch(f.user("reviewer"), "Mine", date(2030, 1, 1))


# --- conflicts of interest ----------------------------------------------------------------------

def test_reviewer_cannot_score_an_idea_they_created(app):
    creator = f.user("reviewer")
    idea = f.in_review(creator)
    with pytest.raises(Forbidden) as error:
        rs.score_idea(creator, idea.id, f.scores(), f.rationales())
    assert error.value.code == "conflict_of_interest"
    assert "created this idea" in error.value.message


def test_reviewer_cannot_score_an_idea_they_co_create(app):
    co_creator = f.user("reviewer")
    idea = f.in_review(co_creators=(co_creator,))
    with pytest.raises(Forbidden) as error:
        rs.score_idea(co_creator, idea.id, f.scores(), f.rationales())
    assert error.value.code == "conflict_of_interest"
    assert "co-creator" in error.value.message


def test_reviewer_cannot_score_or_take_an_idea_they_supported(app):
    supporter = f.user("reviewer")
    idea = f.idea(status="qualified")
    f.support(idea, supporter)
    f.review_batch()
    for attempt in (lambda: rs.score_idea(supporter, idea.id, f.scores(), f.rationales()),
                    lambda: rs.take_idea(supporter, idea.id)):
        with pytest.raises(Forbidden) as error:
            attempt()
        assert error.value.code == "conflict_of_interest"
        assert "supported this idea" in error.value.message


def test_admin_cannot_assign_a_reviewer_with_a_conflict(app):
    admin = f.user("admin")
    supporter = f.user("reviewer", name="Sam Supporter")
    idea = f.idea(status="qualified")
    f.support(idea, supporter)
    f.review_batch(admin)
    with pytest.raises(Forbidden) as error:
        rs.assign_reviewer(admin, idea.id, supporter.id)
    assert error.value.code == "conflict_of_interest"
    assert "Sam Supporter supported this idea" in error.value.message


def test_conflicted_ideas_are_not_in_the_reviewers_queue_but_listed_with_the_reason(app):
    reviewer = f.user("reviewer")
    own = f.in_review(reviewer)
    other = f.in_review()
    queue = rs.reviewer_queue(reviewer)
    assert [entry.idea.id for entry in queue.awaiting] == [other.id]
    assert [(entry.idea.id, entry.conflict) for entry in queue.conflicts] == [(own.id, "created")]


# --- assignments and the queue ------------------------------------------------------------------

def test_assigned_ideas_come_first_in_the_queue_with_progress_per_batch(app):
    admin = f.user("admin")
    reviewer = f.user("reviewer")
    first = f.in_review()
    second = f.in_review()
    rs.assign_reviewer(admin, second.id, reviewer.id)
    db.session.commit()
    queue = rs.reviewer_queue(reviewer)
    assert [(e.idea.id, e.assigned) for e in queue.awaiting] == [(second.id, True),
                                                                  (first.id, False)]
    rs.score_idea(reviewer, second.id, f.scores(), f.rationales())
    db.session.commit()
    queue = rs.reviewer_queue(reviewer)
    assert [e.idea.id for e in queue.awaiting] == [first.id]
    assert [e.idea.id for e in queue.scored] == [second.id]
    (progress,) = queue.batches
    assert (progress.ideas, progress.mine_scored, progress.mine_total) == (2, 1, 1)


def test_assigning_someone_without_the_reviewer_role_is_refused(app):
    admin = f.user("admin")
    idea = f.in_review()
    with pytest.raises(Invalid):
        rs.assign_reviewer(admin, idea.id, f.user().id)


def test_a_reviewer_who_scored_cannot_be_unassigned(app):
    admin = f.user("admin")
    reviewer = f.user("reviewer")
    idea = f.in_review()
    rs.assign_reviewer(admin, idea.id, reviewer.id)
    rs.score_idea(reviewer, idea.id, f.scores(), f.rationales())
    with pytest.raises(Conflict) as error:
        rs.unassign_reviewer(admin, idea.id, reviewer.id)
    assert error.value.code == "already_scored"


# --- scoring ------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [0, 4, -1, "3", 2.0, True, None])
def test_scores_outside_1_to_3_or_not_integers_are_refused(app, bad):
    idea = f.in_review()
    with pytest.raises(Invalid) as error:
        rs.score_idea(f.user("reviewer"), idea.id, f.scores(feasibility=bad), f.rationales())
    assert set(error.value.fields) == {"feasibility"}


def test_every_axis_needs_a_written_rationale(app):
    idea = f.in_review()
    rationale = f.rationales()
    rationale["uniqueness"] = "   "
    del rationale["marketability"]
    with pytest.raises(Invalid) as error:
        rs.score_idea(f.user("reviewer"), idea.id, f.scores(), rationale)
    assert set(error.value.fields) == {"rationale.uniqueness", "rationale.marketability"}


def test_the_database_refuses_a_score_out_of_range(app):
    idea = f.in_review()
    item = rs.active_item(idea.id)
    reviewer = f.user("reviewer")
    db.session.add(Review(item_id=item.id, reviewer_id=reviewer.id, **f.scores(2, uniqueness=4),
                          **{f"{axis}_rationale": "x" for axis in AXES}))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_reviewer_may_revise_their_scores_until_the_decision(app):
    admin = f.user("admin")
    reviewer = f.user("reviewer")
    idea = f.in_review()
    rs.score_idea(reviewer, idea.id, f.scores(1), f.rationales("First look."))
    rs.score_idea(reviewer, idea.id, f.scores(3), f.rationales("Second look."))
    db.session.commit()
    (review,) = db.session.scalars(select(Review)).all()
    assert review.scores == f.scores(3) and review.rationale("feasibility") == "Second look."
    f.scored(idea, 2)
    f.approved(idea, "Well done.", admin)
    with pytest.raises(Conflict) as error:
        rs.score_idea(reviewer, idea.id, f.scores(1), f.rationales())
    assert error.value.code == "decision_made"


def test_scoring_is_audited_with_before_and_after(app):
    reviewer = f.user("reviewer")
    idea = f.in_review()
    rs.score_idea(reviewer, idea.id, f.scores(1), f.rationales())
    rs.score_idea(reviewer, idea.id, f.scores(2), f.rationales())
    db.session.commit()
    entries = db.session.scalars(select(AuditLog).where(AuditLog.actor_id == reviewer.id)
                                 .order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["review.scored", "review.score_revised"]
    assert entries[1].before["feasibility"] == 1 and entries[1].after["feasibility"] == 2


def test_ideas_not_in_review_cannot_be_scored(app):
    idea = f.idea(status="qualified")
    with pytest.raises(Conflict) as error:
        rs.score_idea(f.user("reviewer"), idea.id, f.scores(), f.rationales())
    assert error.value.code == "not_in_review"


# --- blind scoring ------------------------------------------------------------------------------

def test_scores_are_blind_until_the_reviewer_has_submitted(app):
    first, second = f.user("reviewer"), f.user("reviewer")
    idea = f.in_review()
    rs.score_idea(first, idea.id, f.scores(3), f.rationales())
    db.session.commit()
    with pytest.raises(Forbidden) as error:
        rs.scores_for(second, idea.id)
    assert error.value.code == "scores_hidden"
    rs.score_idea(second, idea.id, f.scores(2), f.rationales())
    db.session.commit()
    sheet = rs.scores_for(second, idea.id)
    assert sorted(r.reviewer_id for r in sheet.reviews) == sorted([first.id, second.id])
    assert sheet.aggregate.total == 10


def test_admins_see_every_score_at_any_time(app):
    idea = f.in_review()
    f.scored(idea, 3)
    sheet = rs.scores_for(f.user("admin"), idea.id)
    assert len(sheet.reviews) == 1


# --- decisions ----------------------------------------------------------------------------------

def test_a_decision_needs_the_minimum_number_of_reviewers(app):
    admin = f.user("admin")
    idea = f.in_review()
    f.scored(idea, 3)
    with pytest.raises(Conflict) as error:
        rs.decide(admin, idea.id, "approved", "Yes.")
    assert error.value.code == "not_enough_reviewers"
    f.scored(idea, 2)
    item = rs.decide(admin, idea.id, "approved", "Yes.")
    assert item.decision == "approved"


def test_a_decision_needs_a_valid_choice_and_a_message(app):
    admin = f.user("admin")
    idea = f.in_review()
    f.scored(idea, 3, 3)
    with pytest.raises(Invalid) as error:
        rs.decide(admin, idea.id, "maybe", " ")
    assert set(error.value.fields) == {"decision", "message"}


def test_only_admins_decide(app):
    idea = f.in_review()
    f.scored(idea, 3, 3)
    with pytest.raises(Forbidden):
        rs.decide(f.user("reviewer"), idea.id, "approved", "Yes.")


def test_decisions_stay_private_until_the_batch_is_published(app):
    admin = f.user("admin")
    creator = f.user()
    idea = f.in_review(creator)
    f.scored(idea, 3, 3)
    f.approved(idea, "Yes.", admin)
    assert idea.status == "in_review"
    assert notifications(creator, "review_result") == []
    with pytest.raises(Exception) as error:
        rs.review_result(creator, idea.id)
    assert getattr(error.value, "status", None) == 404


# --- publishing ---------------------------------------------------------------------------------

def test_publishing_moves_each_idea_to_its_decision_and_notifies_everyone_concerned(app):
    admin = f.user("admin")
    creator, co_creator = f.user(), f.user()
    supporter, follower = f.user(), f.user()
    approved = f.idea(creator, status="qualified", co_creators=(co_creator,))
    f.support(approved, supporter)
    db.session.add(IdeaFollow(idea_id=approved.id, user_id=follower.id))
    declined = f.idea(status="qualified")
    batch = f.review_batch(admin)
    for idea, decision in ((approved, "approved"), (declined, "not_approved")):
        f.scored(idea, 3, 2)
        f.decided(idea, decision, f"Message about {idea.title}", admin)
    rs.publish_batch(admin, batch.id)
    db.session.commit()

    assert (approved.status, declined.status) == ("approved", "not_approved")
    assert batch.status == "published" and batch.published_at is not None
    product = db.session.scalars(select(Product)).one()
    assert product.idea_id == approved.id
    assert {(s.user_id, s.share_bps) for s in product.splits} == {(creator.id, 9000),
                                                                   (co_creator.id, 1000)}
    assert len(notifications(creator, "review_result")) == 1
    assert len(notifications(co_creator, "review_result")) == 1
    assert len(notifications(supporter, "idea_reviewed")) == 1
    assert len(notifications(follower, "idea_reviewed")) == 1
    # Creators hear it once, as a review result, not again as a status change.
    assert not notifications(creator, "idea_reviewed")
    result = rs.review_result(creator, approved.id)
    assert result.item.decision == "approved" and result.aggregate.total == 10
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "review.batch_published")) == 1


def test_a_batch_with_undecided_ideas_cannot_be_published(app):
    admin = f.user("admin")
    f.in_review()
    batch = rs.current_open_batch()
    with pytest.raises(Conflict) as error:
        rs.publish_batch(admin, batch.id)
    assert error.value.code == "decisions_missing"


def test_a_batch_is_published_once(app):
    admin = f.user("admin")
    idea = f.in_review()
    f.scored(idea, 2, 2)
    f.decided(idea, "not_approved", "Not now.", admin)
    batch = rs.current_open_batch()
    rs.publish_batch(admin, batch.id)
    db.session.commit()
    with pytest.raises(Conflict):
        rs.publish_batch(admin, batch.id)


def test_on_hold_ideas_join_the_next_batch_when_it_opens(app):
    admin = f.user("admin")
    creator = f.user()
    idea = f.in_review(creator)
    f.scored(idea, 2, 2)
    f.decided(idea, "on_hold", "Let us look again next season.", admin)
    batch = rs.current_open_batch()
    rs.close_batch(admin, batch.id)
    rs.publish_batch(admin, batch.id)
    db.session.commit()
    assert idea.status == "on_hold"
    following = f.review_batch(admin, "Autumn review")
    assert idea.status == "in_review"
    assert rs.active_item(idea.id).batch_id == following.id
    # The creator still sees the published on-hold result while the new review runs.
    assert rs.review_result(creator, idea.id).item.decision == "on_hold"


def test_on_hold_ideas_join_an_already_open_batch_at_publication(app):
    admin = f.user("admin")
    idea = f.in_review()
    f.scored(idea, 2, 2)
    f.decided(idea, "on_hold", "Later.", admin)
    first = rs.current_open_batch()
    rs.close_batch(admin, first.id)
    db.session.commit()
    second = f.review_batch(admin, "Next")
    rs.publish_batch(admin, first.id)
    db.session.commit()
    assert idea.status == "in_review"
    assert rs.active_item(idea.id).batch_id == second.id


# --- evidence and calibration -------------------------------------------------------------------

def test_evidence_aggregates_the_supporters_survey(app):
    idea = f.idea(status="qualified")
    for answer, price, currency, reason in (
            ("yes", 1000, "JPY", "My kids need this"), ("yes", 3000, "JPY", None),
            ("maybe", 2000, "JPY", ""), ("no", 500, "USD", "Too niche"),
            ("yes", 1500, "JPY", None), (None, None, None, None)):
        f.support(idea, would_buy=answer, price_minor=price, price_currency=currency, reason=reason)
    evidence = rs.evidence(idea)
    assert evidence.support_count == 6
    assert evidence.would_buy == {"yes": 3, "maybe": 1, "no": 1}
    assert evidence.would_buy_percent == {"yes": 60, "maybe": 20, "no": 20}
    jpy, usd = evidence.prices
    assert (jpy.currency, jpy.count, jpy.min, jpy.median, jpy.max) == ("JPY", 4, 1000, 1750, 3000)
    assert (usd.currency, usd.count, usd.min, usd.median, usd.max) == ("USD", 1, 500, 500, 500)
    assert sorted(reason for reason, _answer in evidence.reasons) == ["My kids need this",
                                                                      "Too niche"]
    assert evidence.reason_count == 2


def test_calibration_flags_a_spread_of_two_or_more(app):
    admin = f.user("admin")
    idea = f.in_review()
    rs.score_idea(f.user("reviewer"), idea.id, f.scores(3, feasibility=1), f.rationales())
    rs.score_idea(f.user("reviewer"), idea.id, f.scores(2, feasibility=3), f.rationales())
    db.session.commit()
    batch, (row,) = rs.calibration(admin, rs.active_item(idea.id).batch_id)
    assert (row.axes["feasibility"].low, row.axes["feasibility"].high) == (1, 3)
    assert row.axes["feasibility"].flagged is True
    assert row.axes["customer_value"].spread == 1 and not row.axes["customer_value"].flagged
    assert row.flagged is True


def test_calibration_is_blind_too(app):
    reviewer = f.user("reviewer")
    scored = f.in_review()
    other = f.in_review()
    rs.score_idea(reviewer, scored.id, f.scores(2), f.rationales())
    f.scored(other, 3)
    _batch, rows = rs.calibration(reviewer, rs.active_item(scored.id).batch_id)
    assert [row.idea.id for row in rows] == [scored.id]


def test_the_decision_message_stays_out_of_the_public_history(app):
    admin = f.user("admin")
    idea = f.in_review()
    f.scored(idea, 2, 3)
    f.decided(idea, "not_approved", "Private words for the creators.", admin)
    f.published(admin=admin)
    event = db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == idea.id,
                                                       IdeaEvent.kind == "review_decision")).one()
    assert (event.from_status, event.to_status) == ("in_review", "not_approved")
    assert "Private words" not in (event.reason or "")
