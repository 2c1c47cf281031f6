"""Other people's ids in every URL and body: a confirmed member (and a moderator who is not an
admin, and finance staff outside finance) is refused everything that belongs to someone else or
to another role, and nothing changes. Drafts of others answer 404 (they do not exist to the
caller); public things the caller may not change answer 403."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (AuditLog, Comment, CommentRevision, Consent, Idea, IdeaCreator, IdeaEvent,
                        IdeaImage, Notification, Support)
from app.models.ledger import LedgerTransaction
from tests import factories as f
from tests import ledger_factories as lf
from tests.helpers import bearer, csrf_token, login


def _state() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (
        Idea, IdeaCreator, IdeaEvent, IdeaImage, Comment, CommentRevision, Consent, Support,
        Notification, AuditLog, LedgerTransaction))


@pytest.fixture
def world(app):
    owner = f.user(name="Owner")
    co = f.user(name="Co-creator")
    finance = f.user("finance")
    draft = f.idea(owner, status="draft", co_creators=(co,))
    published = f.idea(owner, status="published")
    f.support(published, owner_friend := f.user())
    comment = Comment(idea_id=published.id, author_id=owner.id, body="Mine")
    image = IdeaImage(idea_id=draft.id, key="idraft1", width=10, height=10)
    db.session.add_all([comment, image,
                        Notification(user_id=owner.id, kind="x", params={"_message": "Private"},
                                     url="/")])
    db.session.commit()
    product = lf.product(owner)
    lf.sale(finance, product, 10_000, "JPY")
    notification = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    return {"owner": owner, "co": co, "friend": owner_friend, "draft": draft,
            "published": published, "comment": comment, "image": image,
            "notification": notification, "finance": finance}


def _api_cases(w) -> list[tuple[str, str, dict | None, set[int]]]:
    d, p, c = w["draft"].id, w["published"].id, w["comment"].id
    owner, co = w["owner"].id, w["co"].id
    return [
        ("PATCH", f"/api/v1/ideas/{d}", {"title": "Mine now"}, {404}),
        ("PATCH", f"/api/v1/ideas/{p}", {"title": "Mine now"}, {403, 409}),
        ("DELETE", f"/api/v1/ideas/{d}", None, {404}),
        ("POST", f"/api/v1/ideas/{p}/withdraw", {}, {403}),
        ("POST", f"/api/v1/ideas/{d}/submit", {"agreement_version": "1"}, {404}),
        ("POST", f"/api/v1/ideas/{d}/consent", {"agreement_version": "1"}, {404}),
        ("POST", f"/api/v1/ideas/{p}/consent", {"agreement_version": "1"}, {403, 409}),
        ("POST", f"/api/v1/ideas/{d}/creators", {"email": "x@example.com", "share_bps": 1}, {404}),
        ("POST", f"/api/v1/ideas/{p}/creators", {"email": "x@example.com", "share_bps": 1}, {403}),
        ("PATCH", f"/api/v1/ideas/{d}/creators/{co}", {"share_bps": 5000}, {404}),
        ("DELETE", f"/api/v1/ideas/{d}/creators/{co}", None, {404}),
        ("DELETE", f"/api/v1/ideas/{p}/creators/{owner}", None, {403}),
        ("DELETE", f"/api/v1/ideas/{d}/images/{w['image'].id}", None, {404}),
        ("PATCH", f"/api/v1/ideas/{d}/images/{w['image'].id}", {"position": 0}, {404}),
        ("POST", f"/api/v1/ideas/{p}/updates", {"body": "Official news"}, {403}),
        ("PATCH", f"/api/v1/comments/{c}", {"body": "Edited by someone else"}, {403}),
        ("DELETE", f"/api/v1/comments/{c}", None, {403}),
        ("DELETE", f"/api/v1/ideas/{p}/supports", None, {409}),  # only one's own support
        ("POST", f"/api/v1/ideas/{p}/resubmit", None, {403, 409}),
        ("POST", f"/api/v1/ideas/{p}/hide", {"reason": "x"}, {403}),
        ("POST", f"/api/v1/ideas/{p}/moderation", {"decision": "reject", "reason": "x"}, {403}),
        ("POST", f"/api/v1/moderation/users/{owner}/block", {"reason": "x"}, {403}),
        ("GET", f"/api/v1/users/{owner}/royalties", None, {403}),
        ("GET", "/api/v1/sales", None, {403}),
        ("POST", "/api/v1/sales", {"product_id": 1, "period": "2026-01", "units": 1,
                                   "net_sales": {"amount": 1, "currency": "JPY"},
                                   "external_ref": "r"}, {403}),
        ("POST", "/api/v1/payouts", {"user_id": owner, "amount": {"amount": 1, "currency": "JPY"},
                                     "reference": "p"}, {403}),
        ("GET", "/api/v1/ledger/transactions", None, {403}),
        ("GET", "/api/v1/ledger/verify", None, {403}),
        ("POST", "/api/v1/ledger/transactions/1/reversal", {"reason": "x"}, {403}),
        ("GET", "/api/v1/review-batches", None, {403}),
        ("POST", "/api/v1/review-batches", {"name": "x", "closes_on": "2030-01-01"}, {403}),
        ("GET", "/api/v1/review/queue", None, {403}),
        ("POST", f"/api/v1/ideas/{p}/decision", {"decision": "approved", "message": "x"}, {403}),
    ]


@pytest.mark.parametrize("who", ["member", "co_creator_of_the_draft_as_non_owner", "moderator",
                                 "finance_outside_finance"])
def test_other_peoples_ids_are_refused_in_the_api(client, world, who):
    caller = {"member": f.user(), "co_creator_of_the_draft_as_non_owner": world["co"],
              "moderator": f.user("moderator"), "finance_outside_finance": world["finance"]}[who]
    headers = bearer(caller)
    before = _state()
    for method, url, body, expected in _api_cases(world):
        on_draft = f"/ideas/{world['draft'].id}" in url
        if who == "co_creator_of_the_draft_as_non_owner" and on_draft:
            if url.endswith(("/consent", f"/creators/{world['co'].id}")) or "images" in url or (
                    method == "PATCH" and url.endswith(f"/ideas/{world['draft'].id}")):
                continue  # a co-creator may consent, leave, edit and manage pictures of the draft
            expected = {403}  # the draft is theirs to see, not to submit, delete or re-split
        if who == "moderator" and on_draft:
            expected = {403}  # staff see drafts (so 403, not 404) but cannot change them
        if who == "moderator" and ("/hide" in url or "/moderation" in url or (
                method == "DELETE" and "/comments/" in url)):
            continue  # moderators may
        if who == "finance_outside_finance" and any(part in url for part in (
                "/sales", "/payouts", "/ledger/", "/royalties")):
            continue  # finance may
        response = client.open(url, method=method, headers=headers, json=body)
        assert response.status_code in expected, \
            f"{who}: {method} {url} -> {response.status_code} {response.get_data(as_text=True)[:200]}"
    assert _state() == before


def test_other_peoples_pages_and_forms_are_refused(client, world):
    member = f.user()
    login(client, member)
    d, p = world["draft"].id, world["published"].id
    for url, expected in ((f"/ideas/{d}", 404), (f"/ideas/{d}/edit", 404),
                          (f"/ideas/{d}/submit", 404), (f"/admin/users/{world['owner'].id}", 403),
                          (f"/finance/creators/{world['owner'].id}", 403),
                          (f"/finance/creators/{world['owner'].id}/statement.csv", 403),
                          ("/moderation", 403), ("/admin/audit", 403), ("/finance/ledger", 403)):
        response = client.get(url)
        assert response.status_code == expected, f"{url} -> {response.status_code}"
    token = csrf_token(client, "/")
    before = _state()
    for url, expected in ((f"/ideas/{d}/delete", 404), (f"/ideas/{p}/withdraw", 403),
                          (f"/notifications/{world['notification'].id}/open", 404),
                          (f"/comments/{world['comment'].id}/edit", 403),
                          (f"/comments/{world['comment'].id}/delete", 403),
                          (f"/admin/users/{member.id}/roles", 403),
                          (f"/moderation/users/{world['owner'].id}/block", 403)):
        response = client.post(url, data={"csrf_token": token, "reason": "x", "body": "x",
                                          "role": "admin", "roles": "admin"})
        assert response.status_code in (expected, 302), f"{url} -> {response.status_code}"
        if response.status_code == 302:  # a refused form goes back with a message
            assert client.get(response.location).status_code in (200, 403, 404)
    assert _state() == before
    db.session.expire_all()
    assert not member.has_role("admin")
    assert world["notification"].read_at is None
    assert db.session.get(Comment, world["comment"].id).body == "Mine"


def test_a_moderator_cannot_block_an_admin_or_grant_roles(client, world):
    moderator = f.user("moderator")
    admin = f.user("admin")
    response = client.post(f"/api/v1/moderation/users/{admin.id}/block", headers=bearer(moderator),
                           json={"reason": "coup"})
    assert response.status_code == 403
    db.session.refresh(admin)
    assert not admin.is_blocked
