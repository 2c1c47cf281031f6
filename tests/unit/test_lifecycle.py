"""The idea lifecycle: the statuses, their groups, the transitions table (walked whole) and the
database's own refusal of unknown statuses."""
from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app import lifecycle
from app.errors import Conflict
from app.lifecycle import IdeaStatus, IllegalTransition
from app.models import Idea, IdeaEvent
from tests import factories as f

ALL_PAIRS = list(itertools.product(IdeaStatus, IdeaStatus))
ALLOWED = {(source, target) for source, targets in lifecycle.TRANSITIONS.items()
           for target in targets}


def test_statuses_keep_their_stored_values():
    assert [status.value for status in IdeaStatus] == [
        "draft", "pending_moderation", "needs_changes", "rejected", "published", "expired",
        "qualified", "withdrawn", "in_review", "approved", "not_approved", "on_hold",
        "in_production", "on_sale"]
    assert IdeaStatus.DRAFT == "draft" and "on_sale" in lifecycle.PUBLIC
    assert f"{IdeaStatus.IN_REVIEW}" == "in_review"


def test_every_status_has_a_label():
    assert set(lifecycle.STATUS_LABELS) == set(IdeaStatus)


def test_the_groups_are_made_of_statuses_and_partition_what_they_should():
    assert set(lifecycle.PUBLIC) | set(lifecycle.UNPUBLISHED) == set(IdeaStatus)
    assert not set(lifecycle.PUBLIC) & set(lifecycle.UNPUBLISHED)
    assert set(lifecycle.FILTER_ORDER) == set(lifecycle.PUBLIC)
    for group in (lifecycle.EDITABLE, lifecycle.SENT_BACK):
        assert set(group) <= set(lifecycle.UNPUBLISHED)
    for group in (lifecycle.VISIBLE_TO_REVIEWERS, lifecycle.AWAITING_BATCH,
                  lifecycle.APPROVED_OR_LATER, lifecycle.REVIEW_DECISIONS):
        assert set(group) <= set(lifecycle.QUALIFIED_OR_LATER) <= set(lifecycle.PUBLIC)


def test_the_table_covers_the_road_from_draft_to_on_sale():
    road = [IdeaStatus.DRAFT, IdeaStatus.PENDING_MODERATION, IdeaStatus.PUBLISHED,
            IdeaStatus.QUALIFIED, IdeaStatus.IN_REVIEW, IdeaStatus.APPROVED,
            IdeaStatus.IN_PRODUCTION, IdeaStatus.ON_SALE]
    for source, target in itertools.pairwise(road):
        assert (source, target) in ALLOWED
    # Every status can be reached from a draft.
    reached, frontier = {IdeaStatus.DRAFT}, [IdeaStatus.DRAFT]
    while frontier:
        for target in lifecycle.TRANSITIONS.get(frontier.pop(), ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(IdeaStatus)


@pytest.mark.parametrize(("source", "target"), ALL_PAIRS,
                         ids=[f"{s.value}->{t.value}" for s, t in ALL_PAIRS])
def test_may_transition_answers_the_table(source, target):
    assert lifecycle.may_transition(source, target) == ((source, target) in ALLOWED)
    assert lifecycle.may_transition(source.value, target.value) == ((source, target) in ALLOWED)


def test_unknown_statuses_never_transition():
    assert not lifecycle.may_transition("draft", "bogus")
    assert not lifecycle.may_transition("bogus", "draft")
    with pytest.raises(IllegalTransition):
        lifecycle.check_transition("published", "bogus")


def test_transition_walks_the_whole_table(app, db):
    """Every allowed pair succeeds through events.transition(); every other pair raises."""
    from app.services import events

    refused = 0
    for source, target in ALL_PAIRS:
        idea = Idea(id=None, status=source.value)
        if (source, target) in ALLOWED:
            event = events.transition(None, idea, target, "test")
            assert idea.status == target.value
            assert (event.from_status, event.to_status) == (source.value, target.value)
            assert (idea.closed_at is not None) == (target in lifecycle.CLOSING)
        else:
            with pytest.raises(IllegalTransition) as caught:
                events.transition(None, idea, target, "test")
            assert idea.status == source.value
            assert caught.value.code == "wrong_status" and caught.value.status == 409
            assert isinstance(caught.value, Conflict)
            refused += 1
    assert refused == len(ALL_PAIRS) - len(ALLOWED)
    db.session.rollback()


def test_a_refused_transition_records_nothing(app, db):
    from app.services import events

    idea = f.idea(status="draft")
    with pytest.raises(IllegalTransition):
        events.transition(None, idea, IdeaStatus.ON_SALE, "test")
    db.session.commit()
    assert db.session.get(Idea, idea.id).status == "draft"
    assert not db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == idea.id)).all()


def test_the_database_refuses_an_unknown_status(app, db):
    idea = f.idea(status="published")
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE ideas SET status = 'bogus' WHERE id = :id"),
                           {"id": idea.id})
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE ideas SET status = 'bogus'"))
    db.session.rollback()
    assert db.session.get(Idea, idea.id).status == "published"


def test_the_database_refuses_an_idea_inserted_with_an_unknown_status(app, db):
    owner = f.user()
    with pytest.raises(IntegrityError):
        db.session.execute(text(
            "INSERT INTO ideas (owner_id, title, pitch, description, insight_situation, "
            "insight_emotion, insight_purpose, status, hidden, support_count, trending_score, "
            "created_at, updated_at) VALUES (:owner, 't', 'p', '', '', '', '', 'bogus', false, "
            "0, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"owner": owner.id})
    db.session.rollback()


def test_the_database_accepts_every_status(app, db):
    """The migration's list and the enum agree."""
    idea = f.idea(status="draft")
    for status in IdeaStatus:
        db.session.execute(text("UPDATE ideas SET status = :status WHERE id = :id"),
                           {"status": status.value, "id": idea.id})
    db.session.commit()
    assert db.session.scalar(text("SELECT status FROM ideas WHERE id = :id"),
                             {"id": idea.id}) == "on_sale"


def test_templates_ask_the_view_or_can_not_the_raw_status():
    """Showing status_label(idea.status) is fine; deciding what to show from it is not."""
    import re
    from pathlib import Path

    decides = re.compile(r"\b(?:idea\.(?:effective_)?status|state)\s*(?:==|!=|\bin\b|\bnot in\b)")
    templates = Path(__file__).resolve().parents[2] / "templates"
    found = [f"{path.relative_to(templates)}:{number}"
             for path in sorted(templates.rglob("*.html"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if decides.search(line)]
    assert found == []
