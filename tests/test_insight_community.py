"""Issue 14 in the community: refining a published idea (revisions), resonance, the creators'
evidence dashboard, polls: each behaviour and each refusal, API and pages."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, IdeaResonance, IdeaRevision, Notification, Review
from app.services import resonance
from tests import factories
from tests.helpers import bearer, csrf_token, login

NEW_CORE = ("For parents commuting with a toddler and a bag, when the train is packed, who want "
            "both hands free, this carrier makes the ride calm.")


def _refine(client, user, idea, body):
    return client.post(f"/api/v1/ideas/{idea.id}/revisions", headers=bearer(user), json=body)


# --- refining after publishing ----------------------------------------------------------------

def test_a_creator_refines_and_supporters_and_followers_are_told(client):
    owner, partner = factories.user(), factories.user()
    idea = factories.idea(owner, co_creators=(partner,))
    supporter = factories.user()
    factories.support(idea, supporter)
    follower = factories.user()
    client.post(f"/api/v1/ideas/{idea.id}/follow", headers=bearer(follower))
    response = _refine(client, owner, idea, {"insight": {"core": NEW_CORE},
                                              "description": "It **folds** now.",
                                              "note": "Supporters asked for both hands free."})
    assert response.status_code == 201, response.get_json()
    revision = response.get_json()
    assert revision["number"] == 1 and revision["note"] == "Supporters asked for both hands free."
    assert {c["field"] for c in revision["changes"]} == {"description", "core"}
    core = next(c for c in revision["changes"] if c["field"] == "core")
    assert core["before"] == factories.GUIDED_INSIGHT["insight_core"] and core["after"] == NEW_CORE
    shown = client.get(f"/api/v1/ideas/{idea.id}").get_json()
    assert shown["insight"]["core"] == NEW_CORE and shown["description"] == "It **folds** now."
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "idea_refined", Notification.idea_id == idea.id)))
    assert told == {supporter.id, follower.id, partner.id}
    listed = client.get(f"/api/v1/ideas/{idea.id}/revisions").get_json()
    assert [item["number"] for item in listed["items"]] == [1]


def test_followers_of_a_hidden_idea_are_not_told_of_a_refinement(client):
    owner = factories.user()
    idea = factories.idea(owner, hidden=True)
    follower = factories.user()
    factories.support(idea, follower)
    assert _refine(client, owner, idea, {"insight": {"core": NEW_CORE}}).status_code == 201
    assert db.session.scalar(select(Notification.id).where(
        Notification.kind == "idea_refined", Notification.user_id == follower.id)) is None


def test_refining_after_the_idea_qualified_is_refused_with_the_reason(client):
    owner = factories.user()
    idea = factories.idea(owner, status="qualified")
    response = _refine(client, owner, idea, {"insight": {"core": NEW_CORE}})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "idea_not_refinable" and "qualified" in error["message"]
    assert db.session.scalar(select(IdeaRevision.id)) is None


def test_only_creators_refine(client):
    idea = factories.idea()
    response = _refine(client, factories.user(), idea, {"insight": {"core": NEW_CORE}})
    assert response.status_code == 403


def test_a_refinement_may_not_leave_the_insight_incomplete_or_placeholder(client):
    owner = factories.user()
    idea = factories.idea(owner)
    emptied = _refine(client, owner, idea, {"insight": {"core": ""}})
    assert emptied.status_code == 422 and "insight.core" in emptied.get_json()["error"]["fields"]
    placeholder = _refine(client, owner, idea, {"insight": {"whys": ["asdf"]}})
    assert placeholder.status_code == 422
    assert "insight.whys.0" in placeholder.get_json()["error"]["fields"]
    same = _refine(client, owner, idea, {"insight": {"core": factories.GUIDED_INSIGHT["insight_core"]}})
    assert same.status_code == 422 and same.get_json()["error"]["code"] == "nothing_changed"


def test_revisions_of_an_idea_nobody_may_see_are_404(client):
    draft = factories.idea(status="draft")
    assert client.get(f"/api/v1/ideas/{draft.id}/revisions").status_code == 404
    hidden = factories.idea(hidden=True)
    assert client.get(f"/api/v1/ideas/{hidden.id}/revisions").status_code == 404
    assert client.get(f"/api/v1/ideas/{hidden.id}/resonance").status_code == 404
    assert client.get(f"/api/v1/ideas/{hidden.id}/polls").status_code == 404


def test_a_moderator_reverts_a_change_that_makes_it_another_idea(client):
    owner, moderator = factories.user(), factories.user("moderator")
    idea = factories.idea(owner)
    first = _refine(client, owner, idea, {"insight": {"core": NEW_CORE}}).get_json()
    second = _refine(client, owner, idea, {"description": "Now it is a drone."}).get_json()
    too_early = client.post(f"/api/v1/ideas/{idea.id}/revisions/{first['id']}/revert",
                            headers=bearer(moderator), json={"reason": "Another idea"})
    assert too_early.status_code == 409
    assert too_early.get_json()["error"]["code"] == "not_latest_revision"
    assert client.post(f"/api/v1/ideas/{idea.id}/revisions/{second['id']}/revert",
                       headers=bearer(owner), json={"reason": "x"}).status_code == 403
    reverted = client.post(f"/api/v1/ideas/{idea.id}/revisions/{second['id']}/revert",
                           headers=bearer(moderator), json={"reason": "A drone is another idea"})
    assert reverted.status_code == 200 and reverted.get_json()["state"] == "reverted"
    shown = client.get(f"/api/v1/ideas/{idea.id}").get_json()
    assert shown["description"] == f"Description of idea {idea.title.split()[-1]}."
    assert shown["insight"]["core"] == NEW_CORE  # the earlier revision stands
    assert db.session.scalar(select(Notification.id).where(
        Notification.user_id == owner.id, Notification.kind == "idea_revision_reverted"))
    assert db.session.scalar(select(AuditLog.reason).where(
        AuditLog.action == "idea.revision_reverted")) == "A drone is another idea"
    again = client.post(f"/api/v1/ideas/{idea.id}/revisions/{second['id']}/revert",
                        headers=bearer(moderator), json={"reason": "again"})
    assert again.status_code == 409


def test_the_history_page_shows_the_diff_and_what_changed_after_listening(client):
    owner = factories.user()
    idea = factories.idea(owner)
    _refine(client, owner, idea, {"insight": {"core": NEW_CORE}, "note": "Heard from parents"})
    page = client.get(f"/ideas/{idea.id}/revisions").get_data(as_text=True)
    assert "<ins>" in page and "<del>" in page and "Heard from parents" in page
    assert 'data-testid="core-history"' in page
    detail = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "What changed after listening" in detail and NEW_CORE in detail


def test_the_refine_page_publishes_a_revision(client):
    owner = factories.user()
    idea = factories.idea(owner)
    login(client, owner)
    form = {"csrf_token": csrf_token(client), "description": idea.description,
            **factories.GUIDED_FORM, "core": NEW_CORE, "note": "Listening"}
    response = client.post(f"/ideas/{idea.id}/refine", data=form)
    assert response.status_code == 302
    assert db.session.scalar(select(IdeaRevision.number)) == 1
    placeholder = client.post(f"/ideas/{idea.id}/refine", data={**form, "why_2": "test"})
    assert placeholder.status_code == 422
    assert "placeholder" in placeholder.get_data(as_text=True)


def test_the_score_records_the_revision_the_reviewer_saw(client):
    owner, reviewer = factories.user(), factories.user("reviewer")
    idea = factories.idea(owner)
    revision = _refine(client, owner, idea, {"insight": {"core": NEW_CORE}}).get_json()
    idea.status = "qualified"
    db.session.commit()
    factories.review_batch()
    response = client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(reviewer),
                          json={**factories.scores(), "rationale": factories.rationales()})
    assert response.status_code == 200, response.get_json()
    assert db.session.scalar(select(Review.revision_id)) == revision["id"]
    login(client, reviewer)
    page = client.get(f"/review/ideas/{idea.id}").get_data(as_text=True)
    assert "Your scores were given on revision 1." in page
    assert 'data-testid="review-resonance"' in page


# --- resonance -------------------------------------------------------------------------------

def _support(client, idea, **answers):
    supporter = factories.user()
    response = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(supporter),
                           json=answers)
    assert response.status_code == 201, response.get_json()
    return supporter


def test_resonance_is_counted_when_supporting_and_uncounted_on_withdrawal(client):
    idea = factories.idea()
    first = _support(client, idea, resonance="me_too", my_situation="I carry a toddler on a train")
    _support(client, idea, resonance="me_too")
    _support(client, idea, resonance="not_me")
    counts = client.get(f"/api/v1/ideas/{idea.id}/resonance").get_json()["counts"]
    assert counts == {"me_too": 2, "someone_i_know": 0, "not_me": 1}
    assert client.delete(f"/api/v1/ideas/{idea.id}/supports",
                         headers=bearer(first)).status_code == 204
    body = client.get(f"/api/v1/ideas/{idea.id}/resonance").get_json()
    assert body["counts"]["me_too"] == 1 and body["situations"] == 0


def test_a_wrong_resonance_answer_is_422(client):
    idea = factories.idea()
    response = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(factories.user()),
                           json={"resonance": "maybe"})
    assert response.status_code == 422
    assert "resonance" in response.get_json()["error"]["fields"]


def test_situations_are_grouped_in_japanese_and_english():
    groups = resonance.group([
        "満員電車で子どもを抱っこして通勤している", "満員電車で子どもを抱っこして保育園へ行く",
        "I carry my toddler on a crowded train", "carrying my toddler on a crowded train daily",
        "I walk my dog in the rain",
    ])
    sizes = sorted(g["size"] for g in groups)
    assert sizes == [1, 2, 2]
    japanese = next(g for g in groups if "満員電車" in g["label"])
    assert all("満員電車" in example for example in japanese["examples"])


def test_the_grouping_job_runs_when_situations_arrive(client):
    idea = factories.idea()
    for text in ("I carry my toddler on a crowded train", "carrying my toddler on a crowded train",
                 "I walk my dog in the rain"):
        _support(client, idea, resonance="me_too", my_situation=text)
    row = db.session.get(IdeaResonance, idea.id)
    db.session.refresh(row)
    assert row.grouped_situations == 3
    body = client.get(f"/api/v1/ideas/{idea.id}/resonance").get_json()
    assert [g["size"] for g in body["groups"]] == [2, 1]
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'data-testid="situation-groups"' in page and "I walk my dog in the rain" in page


def test_the_support_form_asks_about_resonance(client):
    idea = factories.idea()
    supporter = factories.user()
    login(client, supporter)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'data-testid="resonance-question"' in page
    response = client.post(f"/ideas/{idea.id}/support", data={
        "csrf_token": csrf_token(client), "resonance": "someone_i_know",
        "my_situation": "My sister commutes with twins"})
    assert response.status_code == 302
    assert db.session.get(IdeaResonance, idea.id).someone_i_know == 1


# --- evidence --------------------------------------------------------------------------------

def test_creators_see_their_evidence_others_do_not(client):
    owner = factories.user()
    idea = factories.idea(owner)
    _support(client, idea, would_buy="yes", price={"amount": 3000, "currency": "JPY"},
             reason="Both hands free", resonance="me_too")
    body = client.get(f"/api/v1/ideas/{idea.id}/evidence", headers=bearer(owner)).get_json()
    assert body["would_buy"]["yes"] == 1 and body["reasons"] == ["Both hands free"]
    assert body["supporters_by_day"][-1]["total"] == 1
    assert body["prices"][0]["currency"] == "JPY" and body["resonance"]["counts"]["me_too"] == 1
    assert body["sources"]["direct"] == 1 and body["milestone"]["needed"] > 0 and body["suggestion"]
    other = client.get(f"/api/v1/ideas/{idea.id}/evidence", headers=bearer(factories.user()))
    assert other.status_code == 403 and other.get_json()["error"]["code"] == "evidence_private"
    assert client.get(f"/api/v1/ideas/{idea.id}/evidence",
                      headers=bearer(factories.user("reviewer"))).status_code == 200
    assert client.get(f"/api/v1/ideas/{idea.id}/evidence").status_code == 401
    draft = factories.idea(status="draft")
    assert client.get(f"/api/v1/ideas/{draft.id}/evidence",
                      headers=bearer(factories.user())).status_code == 404
    login(client, owner)
    page = client.get(f"/ideas/{idea.id}/evidence").get_data(as_text=True)
    assert 'data-testid="supporters-chart"' in page and "<polyline" in page


# --- polls -----------------------------------------------------------------------------------

def _poll(client, user, idea, question="Which colour would you choose?", options=("Red", "Blue")):
    return client.post(f"/api/v1/ideas/{idea.id}/polls", headers=bearer(user),
                       json={"question": question, "options": list(options)})


def test_creators_pin_up_to_three_polls(client):
    owner = factories.user()
    idea = factories.idea(owner)
    for n in range(3):
        assert _poll(client, owner, idea, f"Question number {n}?").status_code == 201
    fourth = _poll(client, owner, idea, "One more question?")
    assert fourth.status_code == 409 and fourth.get_json()["error"]["code"] == "too_many_polls"


@pytest.mark.parametrize("options", [["Only one"], [str(n) for n in range(7)], ["Same", "same"]])
def test_a_poll_needs_two_to_six_different_options(client, options):
    owner = factories.user()
    response = _poll(client, owner, factories.idea(owner), options=options)
    assert response.status_code == 422 and "options" in response.get_json()["error"]["fields"]


def test_only_creators_pin_polls_and_only_while_gathering(client):
    idea = factories.idea()
    assert _poll(client, factories.user(), idea).status_code == 403
    owner = factories.user()
    qualified = factories.idea(owner, status="qualified")
    assert _poll(client, owner, qualified).status_code == 409


def test_members_answer_once_and_counts_are_kept(client):
    owner = factories.user()
    idea = factories.idea(owner)
    poll = _poll(client, owner, idea).get_json()
    member = factories.user()
    blue = poll["options"][1]["id"]
    first = client.post(f"/api/v1/polls/{poll['id']}/answers", headers=bearer(member),
                        json={"option_id": blue})
    assert first.status_code == 201 and first.get_json()["options"][1]["count"] == 1
    again = client.post(f"/api/v1/polls/{poll['id']}/answers", headers=bearer(member),
                        json={"option_id": poll["options"][0]["id"]})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_answered"
    wrong = client.post(f"/api/v1/polls/{poll['id']}/answers", headers=bearer(factories.user()),
                        json={"option_id": 999999})
    assert wrong.status_code == 422
    own = client.post(f"/api/v1/polls/{poll['id']}/answers", headers=bearer(owner),
                      json={"option_id": blue})  # the creator asks; the community answers
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "own_idea"
    listed = client.get(f"/api/v1/ideas/{idea.id}/polls", headers=bearer(member)).get_json()
    assert listed["items"][0]["answer_count"] == 1 and listed["items"][0]["my_option_id"] == blue
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Which colour would you choose?" in page


def test_a_poll_on_an_idea_nobody_may_see_is_404(client):
    owner = factories.user()
    idea = factories.idea(owner)
    poll = _poll(client, owner, idea).get_json()
    idea.hidden = True
    db.session.commit()
    response = client.post(f"/api/v1/polls/{poll['id']}/answers", headers=bearer(factories.user()),
                           json={"option_id": poll["options"][0]["id"]})
    assert response.status_code == 404


def test_the_poll_form_on_the_idea_page(client):
    owner = factories.user()
    idea = factories.idea(owner)
    login(client, owner)
    response = client.post(f"/ideas/{idea.id}/polls", data={
        "csrf_token": csrf_token(client), "question": "Would you use it at work?",
        "options": "Yes\nNo\nSometimes"})
    assert response.status_code == 302
    member = factories.user()
    login(client, member)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Would you use it at work?" in page and 'name="option_id"' in page


# --- the gaps closed on the insight-gaps branch ------------------------------------------------

def test_a_revision_cannot_be_reverted_once_the_idea_qualified(client):
    """Reviewers score what the supporters saw: a qualified idea's revisions are final."""
    owner, moderator = factories.user(), factories.user("moderator")
    idea = factories.idea(owner)
    revision = _refine(client, owner, idea, {"insight": {"core": NEW_CORE}}).get_json()
    idea.status = "qualified"
    db.session.commit()
    response = client.post(f"/api/v1/ideas/{idea.id}/revisions/{revision['id']}/revert",
                           headers=bearer(moderator), json={"reason": "Another idea"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "revision_final"
    assert client.get(f"/api/v1/ideas/{idea.id}").get_json()["insight"]["core"] == NEW_CORE
    login(client, moderator)
    page = client.get(f"/ideas/{idea.id}/revisions").get_data(as_text=True)
    assert "Revert this change" not in page


def test_a_placeholder_situation_is_refused_when_supporting(client):
    idea = factories.idea()
    response = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(factories.user()),
                           json={"resonance": "me_too", "my_situation": "asdf"})
    assert response.status_code == 422
    assert "placeholder" in response.get_json()["error"]["fields"]["my_situation"]
    assert db.session.get(IdeaResonance, idea.id) is None


def test_a_merge_carries_the_moved_supporters_resonance(client):
    source, target = factories.idea(), factories.idea()
    _support(client, source, resonance="me_too", my_situation="I carry a toddler on a train")
    _support(client, source, resonance="not_me")
    _support(client, target, resonance="someone_i_know")
    response = client.post(f"/api/v1/ideas/{source.id}/merge",
                           headers=bearer(factories.user("moderator")),
                           json={"target_id": target.id})
    assert response.status_code == 200, response.get_json()
    moved = client.get(f"/api/v1/ideas/{target.id}/resonance").get_json()
    assert moved["counts"] == {"me_too": 1, "someone_i_know": 1, "not_me": 1}
    assert moved["situations"] == 1
    assert [g["label"] for g in moved["groups"]] == ["I carry a toddler on a train"]
    row = db.session.get(IdeaResonance, source.id)
    db.session.refresh(row)
    assert row.counts == {"me_too": 0, "someone_i_know": 0, "not_me": 0} and row.situations == 0


def test_the_dashboard_counts_share_links_and_days_from_kept_rows(client, count_queries):
    from app.models import IdeaSupportDay

    owner, sharer = factories.user(), factories.user()
    idea = factories.idea(owner)
    brought = factories.user()
    response = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(brought),
                           json={"ref": sharer.ref_code})
    assert response.status_code == 201, response.get_json()
    _support(client, idea)
    body = client.get(f"/api/v1/ideas/{idea.id}/evidence", headers=bearer(owner)).get_json()
    assert body["sources"] == {"direct": 1, "share_links": 1, "tracked": True}
    assert [(d["count"], d["referred"], d["total"]) for d in body["supporters_by_day"]] == [
        (2, 1, 2)]
    # the days and sources are read from the kept rows, never from the supports
    idea.status = "qualified"  # frozen: the answers' aggregate is kept once
    db.session.commit()
    client.get(f"/api/v1/ideas/{idea.id}/evidence", headers=bearer(owner))
    with count_queries() as queries:
        again = client.get(f"/api/v1/ideas/{idea.id}/evidence", headers=bearer(owner))
    assert again.get_json()["sources"]["share_links"] == 1
    assert not [s for s in queries.statements if "FROM supports" in s], queries
    idea.status = "published"
    db.session.commit()
    assert client.delete(f"/api/v1/ideas/{idea.id}/supports",
                         headers=bearer(brought)).status_code == 204
    body = client.get(f"/api/v1/ideas/{idea.id}/evidence", headers=bearer(owner)).get_json()
    assert body["sources"] == {"direct": 1, "share_links": 0, "tracked": True}
    assert db.session.scalar(select(IdeaSupportDay.supports)) == 1


def test_a_merge_moves_the_kept_days_with_the_supporters(client):
    source, target = factories.idea(), factories.idea()
    _support(client, source)
    _support(client, source)
    _support(client, target)
    assert client.post(f"/api/v1/ideas/{source.id}/merge",
                       headers=bearer(factories.user("moderator")),
                       json={"target_id": target.id}).status_code == 200
    owner = db.session.get(type(target.owner), target.owner_id)
    body = client.get(f"/api/v1/ideas/{target.id}/evidence", headers=bearer(owner)).get_json()
    assert body["supporters_by_day"][-1]["total"] == 3 and body["sources"]["direct"] == 3


def test_the_migration_fills_the_kept_days_from_the_supports(app):
    from alembic.script import ScriptDirectory
    from flask_migrate import Config, downgrade, upgrade

    from app.models import IdeaSupportDay

    idea = factories.idea()
    factories.support(idea, factories.user())
    factories.support(idea, factories.user())
    idea_id = idea.id
    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    before = ScriptDirectory.from_config(config).get_revision("0050_insight_gaps").down_revision
    db.session.remove()
    downgrade(revision=before)
    upgrade()
    rows = db.session.execute(select(IdeaSupportDay.supports, IdeaSupportDay.referred)
                              .where(IdeaSupportDay.idea_id == idea_id)).all()
    assert [tuple(row) for row in rows] == [(2, 0)]


def test_moderators_see_the_refinements_to_check(client, count_queries):
    owner, moderator = factories.user(), factories.user("moderator")
    gathering, qualified = factories.idea(owner), factories.idea(owner)
    _refine(client, owner, gathering, {"insight": {"core": NEW_CORE}, "note": "Heard twins"})
    _refine(client, owner, qualified, {"description": "Now it is a drone."})
    qualified.status = "qualified"
    db.session.commit()
    login(client, factories.user())
    assert client.get("/moderation/refinements").status_code == 403
    login(client, moderator)
    client.get("/moderation/refinements")
    with count_queries() as few:
        page = client.get("/moderation/refinements").get_data(as_text=True)
    assert 'data-testid="refinements"' in page and "Heard twins" in page and "<ins>" in page
    assert gathering.title in page and qualified.title not in page  # final: nothing to check
    assert f"/ideas/{gathering.id}/revisions" in page
    for n in range(5):
        more = factories.idea(factories.user())
        _refine(client, db.session.get(type(more.owner), more.owner_id), more,
                {"insight": {"core": f"{NEW_CORE} ({n})"}})
    with count_queries() as many:
        page = client.get("/moderation/refinements").get_data(as_text=True)
    assert page.count('data-testid="refinement-history"') == 6
    assert many.count == few.count, many
