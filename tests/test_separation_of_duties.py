"""Staff never act on ideas they (co-)created, and a withdrawn support is still a conflict of
interest (issue 10, items 8 and 9); consent is judged against the agreement of the submission
(issue 11)."""
from __future__ import annotations

import pytest
from flask import g

from app.extensions import db
from app.models import Agreement, FormerSupporter, Idea
from app.models.agreements import sha256_text
from app.models.base import utcnow
from app.models.review import AXES, ReviewAssignment
from app.services import ideas as idea_service
from app.services import supports as support_service
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _post_form(client, user, url, data):
    g.pop("csrf_token", None)
    login(client, user)
    return client.post(url, data={"csrf_token": csrf_token(client, "/review/criteria"), **data})


def _score_form() -> dict:
    return {**{axis: "2" for axis in AXES}, **{f"{axis}_rationale": "Because." for axis in AXES}}


# --- 10.8: having supported an idea at any time is a conflict of interest --------------------

def test_a_reviewer_who_supported_and_withdrew_cannot_score(app, client):
    reviewer = f.user("reviewer")
    idea = f.idea()
    support_service.support_idea(reviewer, idea.id)
    db.session.commit()
    support_service.withdraw_support(reviewer, idea.id)
    db.session.commit()
    assert db.session.get(FormerSupporter, (idea.id, reviewer.id)) is not None
    idea.status = "qualified"
    db.session.commit()
    f.review_batch(f.user("admin"))  # the idea joins the open batch
    response = client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(reviewer),
                          json={**f.scores(2), "rationale": f.rationales("Because.")})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "conflict_of_interest"
    page = _post_form(client, reviewer, f"/review/ideas/{idea.id}/scores", _score_form())
    assert page.status_code == 403
    taken = _post_form(client, reviewer, f"/review/ideas/{idea.id}/take", {})
    assert taken.status_code in (302, 403)
    assert db.session.query(ReviewAssignment).filter_by(reviewer_id=reviewer.id).count() == 0


def test_withdrawing_twice_keeps_one_former_supporter_row(app):
    member = f.user()
    idea = f.idea()
    for _ in range(2):
        support_service.support_idea(member, idea.id)
        db.session.commit()
        support_service.withdraw_support(member, idea.id)
        db.session.commit()
    assert db.session.query(FormerSupporter).filter_by(idea_id=idea.id).count() == 1
    db.session.refresh(idea)
    assert idea.support_count == 0


# --- 10.9: separation of duties ---------------------------------------------------------------

@pytest.fixture
def own():
    """A moderator+admin+reviewer who co-created an idea, and a colleague who did not."""
    staff = f.user("moderator", "admin", "reviewer")
    colleague = f.user("moderator", "admin")
    return staff, colleague


def test_a_moderator_cannot_publish_their_own_idea_api_and_html(app, client, own):
    staff, colleague = own
    idea = f.idea(f.user(), status="pending_moderation", co_creators=(staff,))
    response = client.post(f"/api/v1/ideas/{idea.id}/moderation", headers=bearer(staff),
                           json={"decision": "publish"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "separation_of_duties"
    page = _post_form(client, staff, f"/moderation/ideas/{idea.id}/decide",
                      {"decision": "publish"})
    assert page.status_code == 403
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "pending_moderation"
    assert client.post(f"/api/v1/ideas/{idea.id}/moderation", headers=bearer(colleague),
                       json={"decision": "publish"}).status_code == 200


def test_the_moderation_page_offers_no_decision_on_ones_own_idea(app, client, own):
    staff, colleague = own
    idea = f.idea(staff, status="pending_moderation")
    login(client, staff)
    page = client.get(f"/moderation/ideas/{idea.id}")
    assert page.status_code == 200
    assert f"/moderation/ideas/{idea.id}/decide" not in page.get_data(as_text=True)
    g.pop("csrf_token", None)
    login(client, colleague)
    assert f"/moderation/ideas/{idea.id}/decide" in \
        client.get(f"/moderation/ideas/{idea.id}").get_data(as_text=True)


def test_a_moderator_cannot_hide_or_merge_their_own_idea(app, client, own):
    staff, colleague = own
    mine = f.idea(staff)
    other = f.idea()
    assert client.post(f"/api/v1/ideas/{mine.id}/hide", headers=bearer(staff),
                       json={"reason": "Spam"}).status_code == 403
    assert _post_form(client, staff, f"/moderation/ideas/{mine.id}/hide",
                      {"reason": "Spam"}).status_code == 403
    # merging someone else's duplicate into their own idea would hand them its supporters
    response = client.post(f"/api/v1/ideas/{other.id}/merge", headers=bearer(staff),
                           json={"target_id": mine.id})
    assert response.status_code == 403
    assert _post_form(client, staff, f"/moderation/ideas/{other.id}/merge",
                      {"target_id": str(mine.id)}).status_code == 403
    db.session.expire_all()
    assert not db.session.get(Idea, mine.id).hidden
    assert db.session.get(Idea, other.id).merged_into_id is None
    assert client.post(f"/api/v1/ideas/{mine.id}/hide", headers=bearer(colleague),
                       json={"reason": "Spam"}).status_code == 200


def _in_review_with_scores(owner, co_creators=()):
    admin = f.user("admin")
    idea = f.idea(owner, status="qualified", co_creators=co_creators)
    f.review_batch(admin)
    f.scored(idea, 3, 2, rationale="Reasoned.")
    return idea


def test_an_admin_cannot_decide_their_own_idea_api_and_html(app, client, own):
    staff, colleague = own
    idea = _in_review_with_scores(f.user(), co_creators=(staff,))
    response = client.post(f"/api/v1/ideas/{idea.id}/decision", headers=bearer(staff),
                           json={"decision": "approved", "message": "Mine is great."})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "separation_of_duties"
    page = _post_form(client, staff, f"/review/ideas/{idea.id}/decision",
                      {"decision": "approved", "message": "Mine is great."})
    assert page.status_code == 403
    from app.services import review as review_service
    assert review_service.latest_item(idea.id).decision is None
    assert client.post(f"/api/v1/ideas/{idea.id}/decision", headers=bearer(colleague),
                       json={"decision": "approved", "message": "Yes."}).status_code == 200


def test_staff_cannot_assign_reviewers_or_score_their_own_idea(app, client, own):
    staff, colleague = own
    reviewer = f.user("reviewer")
    idea = _in_review_with_scores(staff)
    response = client.post(f"/api/v1/ideas/{idea.id}/reviewers", headers=bearer(staff),
                           json={"reviewer_id": reviewer.id})
    assert response.status_code == 403
    assert _post_form(client, staff, f"/admin/review/ideas/{idea.id}/reviewers",
                      {"reviewer_id": str(reviewer.id)}).status_code == 403
    score = client.put(f"/api/v1/ideas/{idea.id}/scores", headers=bearer(staff),
                       json={**f.scores(3), "rationale": f.rationales("Mine.")})
    assert score.status_code == 403
    assert _post_form(client, staff, f"/review/ideas/{idea.id}/scores",
                      _score_form()).status_code == 403
    assert client.post(f"/api/v1/ideas/{idea.id}/reviewers", headers=bearer(colleague),
                       json={"reviewer_id": reviewer.id}).status_code == 201


# --- issue 11: a new agreement version does not relabel submitted ideas ------------------------

def test_a_new_agreement_version_does_not_relabel_co_creators_of_submitted_ideas(app, client):
    owner, partner = f.user(), f.user()
    draft = idea_service.create_draft(owner, {
        "title": "Quiet stroller wheels", "pitch": "Wheels that do not rattle.",
        "category": "home", **f.GUIDED_FORM})
    db.session.commit()
    idea_service.invite_co_creator(owner, draft.id, partner.email, 2000)
    db.session.commit()
    version = f.current_agreement().version
    idea_service.consent(partner, draft.id, version)
    db.session.commit()
    idea_service.submit_idea(owner, draft.id, version)
    db.session.commit()
    text = "# Creator agreement v2\n\nNew terms."
    db.session.add(Agreement(version="2", title="Creator agreement", text=text,
                             sha256=sha256_text(text), published_at=utcnow()))
    db.session.commit()
    idea = db.session.get(Idea, draft.id)
    assert idea_service.consent_status(idea) == {owner.id: True, partner.id: True}
    login(client, owner)
    html = client.get(f"/ideas/{draft.id}").get_data(as_text=True)
    assert "status-pending_moderation\">invited" not in html
    assert html.count("status-published\">accepted") == 2


def test_a_moderator_cannot_restore_or_remove_reported_comments_on_their_own_idea(app, client,
                                                                                   own):
    from app.models import Comment

    staff, colleague = own
    idea = f.idea(staff)
    comment = Comment(idea_id=idea.id, author_id=f.user().id, body="Critique.", hidden=True,
                      report_count=3)
    db.session.add(comment)
    db.session.commit()
    refused = _post_form(client, staff, f"/moderation/comments/{comment.id}/remove", {})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).deleted_at is None
    assert _post_form(client, colleague, f"/moderation/comments/{comment.id}/restore",
                      {}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Comment, comment.id).hidden


def test_a_moderator_cannot_void_bursts_on_their_own_idea(app, client, own):
    staff, colleague = own
    idea = f.idea(staff)
    for _ in range(3):
        response = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(f.user()),
                               json={}, environ_base={"REMOTE_ADDR": "198.51.100.9"})
        assert response.status_code == 201
    [burst] = client.get("/api/v1/moderation/bursts", headers=bearer(staff)).get_json()["items"]
    body = {k: burst[k] for k in ("kind", "target_id", "network", "hour")}
    refused = client.post("/api/v1/moderation/bursts/void", headers=bearer(staff), json=body)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "separation_of_duties"
    assert client.post("/api/v1/moderation/bursts/void", headers=bearer(colleague),
                       json=body).status_code == 200
