"""API: the discussion (list, post, reply, edit, delete, report, updates)."""
from __future__ import annotations

import pytest

from app.services import comments
from tests import factories as f
from tests.helpers import bearer


def _post(client, idea_id, headers, **body):
    return client.post(f"/api/v1/ideas/{idea_id}/comments", json=body, headers=headers)


def test_member_posts_a_comment(client, db):
    idea = f.idea()
    response = _post(client, idea.id, bearer(f.user(name="Aiko")), body="Great for trains")
    assert response.status_code == 201
    data = response.get_json()
    assert data["body"] == "Great for trains" and data["author"]["display_name"] == "Aiko"
    assert data["parent_id"] is None and data["replies"] == [] and not data["is_official"]


def test_reply_is_listed_under_its_thread(client, db):
    idea = f.idea()
    top = _post(client, idea.id, bearer(f.user()), body="Question?").get_json()
    reply = _post(client, idea.id, bearer(f.user()), body="Answer", parent_id=top["id"])
    assert reply.status_code == 201
    listing = client.get(f"/api/v1/ideas/{idea.id}/comments").get_json()
    assert set(listing) >= {"items", "page", "per_page", "total"}
    assert listing["total"] == 1
    [thread] = listing["items"]
    assert [r["body"] for r in thread["replies"]] == ["Answer"]


@pytest.mark.parametrize("body", [{"body": ""}, {"body": "   "}, {"body": "x" * 5001},
                                  {"body": 12}, {}])
def test_empty_too_long_or_missing_body_is_422(client, db, body):
    response = client.post(f"/api/v1/ideas/{f.idea().id}/comments", json=body,
                           headers=bearer(f.user()))
    assert response.status_code == 422
    assert "body" in response.get_json()["error"]["fields"]


def test_parent_from_another_idea_is_422(client, db):
    other = comments.post_comment(f.user(), f.idea().id, "elsewhere")
    db.session.commit()
    response = _post(client, f.idea().id, bearer(f.user()), body="hi", parent_id=other.id)
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["error"]["fields"]


def test_parent_id_of_wrong_type_is_422(client, db):
    response = _post(client, f.idea().id, bearer(f.user()), body="hi", parent_id="1")
    assert response.status_code == 422
    assert "parent_id" in response.get_json()["error"]["fields"]


def test_non_json_comment_is_400(client, db):
    response = client.post(f"/api/v1/ideas/{f.idea().id}/comments", data="body=hi",
                           headers={**bearer(f.user()), "Content-Type": "text/plain"})
    assert response.status_code == 400


def test_unconfirmed_member_cannot_comment(client, db):
    response = _post(client, f.idea().id, bearer(f.user(confirmed=False)), body="hi")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "email_not_confirmed"


def test_comments_of_an_invisible_idea_are_404(client, db):
    idea = f.idea(status="draft")
    assert client.get(f"/api/v1/ideas/{idea.id}/comments").status_code == 404
    assert _post(client, idea.id, bearer(f.user()), body="hi").status_code == 404


def test_hidden_and_deleted_comments_never_show_their_text(client, db):
    idea = f.idea()
    hidden = comments.post_comment(f.user(), idea.id, "SECRET-HIDDEN")
    deleted_author = f.user()
    deleted = comments.post_comment(deleted_author, idea.id, "SECRET-DELETED")
    comments.post_comment(f.user(), idea.id, "a reply that stays", parent_id=deleted.id)
    for _ in range(3):
        comments.report_comment(f.established(), hidden.id, "spam")
    comments.delete_comment(deleted_author, deleted.id)
    db.session.commit()
    response = client.get(f"/api/v1/ideas/{idea.id}/comments", headers=bearer(f.user("moderator")))
    text = response.get_data(as_text=True)
    assert "SECRET" not in text
    items = {item["id"]: item for item in response.get_json()["items"]}
    assert items[hidden.id]["hidden"] and "body" not in items[hidden.id]
    assert items[deleted.id]["deleted"] and "body" not in items[deleted.id]
    assert items[deleted.id]["replies"][0]["body"] == "a reply that stays"


def test_author_edits_with_patch_and_history_keeps_old_text(client, db):
    headers = bearer(f.user())
    comment = _post(client, f.idea().id, headers, body="v1").get_json()
    response = client.patch(f"/api/v1/comments/{comment['id']}", json={"body": "v2"},
                            headers=headers)
    assert response.status_code == 200
    assert response.get_json()["body"] == "v2" and response.get_json()["edited"] is True
    history = client.get(f"/api/v1/comments/{comment['id']}/history").get_json()
    assert [item["body"] for item in history["items"]] == ["v1"]


def test_other_member_cannot_edit_or_delete(client, db):
    comment = _post(client, f.idea().id, bearer(f.user()), body="mine").get_json()
    other = bearer(f.user())
    assert client.patch(f"/api/v1/comments/{comment['id']}", json={"body": "x"},
                        headers=other).status_code == 403
    assert client.delete(f"/api/v1/comments/{comment['id']}", headers=other).status_code == 403


def test_author_deletes_with_204(client, db):
    headers = bearer(f.user())
    idea = f.idea()
    comment = _post(client, idea.id, headers, body="oops").get_json()
    assert client.delete(f"/api/v1/comments/{comment['id']}", headers=headers).status_code == 204
    [item] = client.get(f"/api/v1/ideas/{idea.id}/comments").get_json()["items"]
    assert item["deleted"] and "body" not in item


def test_report_once_then_409(client, db):
    comment = _post(client, f.idea().id, bearer(f.user()), body="spam").get_json()
    headers = bearer(f.user())
    url = f"/api/v1/comments/{comment['id']}/reports"
    assert client.post(url, json={"reason": "spam"}, headers=headers).status_code == 201
    response = client.post(url, json={"reason": "spam"}, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_reported"


def test_reporting_own_comment_is_403(client, db):
    headers = bearer(f.user())
    comment = _post(client, f.idea().id, headers, body="mine").get_json()
    response = client.post(f"/api/v1/comments/{comment['id']}/reports", json={},
                           headers=headers)
    assert response.status_code == 403


def test_three_reports_hide_the_comment_in_the_listing(client, db):
    idea = f.idea()
    comment = _post(client, idea.id, bearer(f.user()), body="rude words").get_json()
    for _ in range(3):
        client.post(f"/api/v1/comments/{comment['id']}/reports", json={"reason": "rude"},
                    headers=bearer(f.established()))
    [item] = client.get(f"/api/v1/ideas/{idea.id}/comments").get_json()["items"]
    assert item["hidden"] and "body" not in item


def test_comment_on_invisible_idea_cannot_be_reported(client, db):
    idea = f.idea()
    comment = comments.post_comment(f.user(), idea.id, "hi")
    f.hidden(idea)
    response = client.post(f"/api/v1/comments/{comment.id}/reports", json={},
                           headers=bearer(f.user()))
    assert response.status_code == 404


def test_staff_comment_is_official(client, db):
    data = _post(client, f.idea().id, bearer(f.user("admin")), body="From the team").get_json()
    assert data["is_official"] is True


def test_creator_posts_an_update(client, db):
    owner = f.user()
    idea = f.idea(owner)
    response = client.post(f"/api/v1/ideas/{idea.id}/updates", json={"body": "Prototype 2"},
                           headers=bearer(owner))
    assert response.status_code == 201 and response.get_json()["is_update"] is True
    response = client.post(f"/api/v1/ideas/{idea.id}/updates", json={"body": "Not mine"},
                           headers=bearer(f.user()))
    assert response.status_code == 403
