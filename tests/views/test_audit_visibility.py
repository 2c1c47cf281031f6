"""Ideas that must not be seen (draft, pending_moderation, needs_changes, rejected, hidden) never
leak: not through a listing, search, the home page, recommendations, profiles and their recent
activity, the similar-ideas fragment, the API, comments, images, products, review pages or error
messages; opening them answers 404 (never 403), as if they did not exist. Merged duplicates leave
every listing (their own page still says where they went)."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.extensions import db
from app.models import Comment, IdeaImage, Product
from app.services import moderation as moderation_service
from tests import factories as f
from tests.helpers import bearer, login

SECRET_STATES = ("draft", "pending_moderation", "needs_changes", "rejected", "hidden")


@pytest.fixture
def world(app):
    creator = f.user(name="Creator")
    fan = f.user(name="Fan")  # supported and commented while the idea was public
    staff = f.user("moderator", "admin")
    ideas = {}
    for state in SECRET_STATES:
        status = "published" if state == "hidden" else state
        ideas[state] = f.idea(creator, status=status, title=f"Zebracorn {state} secret",
                              pitch=f"Zebracorn pitch {state}")
    secret = ideas["hidden"]
    f.support(secret, fan)
    comment = Comment(idea_id=secret.id, author_id=fan.id, body="Zebracorn comment")
    db.session.add(comment)
    image = IdeaImage(idea_id=secret.id, key="izebra1", width=10, height=10)
    db.session.add(image)
    db.session.add(Product(idea_id=secret.id, name="Zebracorn product", royalty_rate_bps=100))
    db.session.commit()
    moderation_service.hide_idea(staff, secret.id, "Spam")
    # A duplicate merged into a public idea leaves the listings.
    target = f.idea(creator, status="published", title="Public target idea")
    duplicate = f.idea(creator, status="published", title="Zebracorn merged duplicate")
    moderation_service.merge_ideas(staff, duplicate.id, target.id, "Duplicate")
    db.session.commit()
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    for size in ("thumb", "card", "large"):
        (folder / f"izebra1_{size}.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    product = db.session.query(Product).filter_by(idea_id=secret.id).one()
    return {"creator": creator, "fan": fan, "staff": staff, "ideas": ideas, "comment": comment,
            "product": product, "duplicate": duplicate, "target": target}


def _no_secret(client, url: str, headers=None) -> None:
    response = client.get(url, headers=headers or {})
    assert response.status_code < 500, url
    assert "Zebracorn" not in response.get_data(as_text=True), f"{url} leaks a secret idea"


LISTINGS = ["/", "/ideas", "/ideas?q=secret", "/ideas?q=duplicate", "/ideas?sort=newest", "/ideas?sort=supported",
            "/ideas?sort=expiring", "/ideas?status=withdrawn", "/ideas?status=published",
            "/ideas/similar?title=secret+merged+duplicate+pitch", "/api/v1/ideas?q=secret", "/api/v1/ideas?q=duplicate",
            "/api/v1/ideas?sort=newest", "/api/v1/ideas?status=withdrawn",
            "/api/v1/ideas?per_page=100", "/api/v1/openapi.json"]


@pytest.mark.parametrize("viewer", ["anonymous", "member", "fan"])
def test_secret_and_merged_ideas_appear_in_no_listing(client, world, viewer):
    headers = {}
    if viewer != "anonymous":
        person = world["fan"] if viewer == "fan" else f.user()
        login(client, person)
        headers = bearer(person)
    for url in [*LISTINGS, f"/users/{world['creator'].id}", f"/users/{world['fan'].id}"]:
        _no_secret(client, url, headers)
    if viewer != "anonymous":
        _no_secret(client, "/me", headers)


@pytest.mark.parametrize("viewer", ["anonymous", "member", "fan", "reviewer"])
def test_secret_ideas_answer_404_everywhere(client, world, viewer):
    headers = {}
    if viewer != "anonymous":
        person = {"fan": world["fan"], "reviewer": f.user("reviewer")}.get(viewer) or f.user()
        login(client, person)
        headers = bearer(person)
    for state, idea in world["ideas"].items():
        urls = [f"/ideas/{idea.id}", f"/api/v1/ideas/{idea.id}",
                f"/api/v1/ideas/{idea.id}/comments", f"/ideas/{idea.id}/edit",
                f"/ideas/{idea.id}/submit", f"/api/v1/ideas/{idea.id}/review",
                f"/api/v1/ideas/{idea.id}/scores", f"/review/ideas/{idea.id}"]
        if state == "hidden":
            urls += [f"/comments/{world['comment'].id}/history",
                     f"/api/v1/comments/{world['comment'].id}/history", "/media/izebra1/card",
                     f"/api/v1/products/{world['product'].id}"]
        for url in urls:
            response = client.get(url, headers=headers)
            if ("/review/" in url or url.endswith("/scores")) and viewer != "reviewer":
                # reviewers' area: refused by role before any idea is looked up, whatever the id
                assert response.status_code in (302, 401, 403), url
                continue
            assert response.status_code == 404, f"{viewer}: {url} -> {response.status_code}"
            assert "Zebracorn" not in response.get_data(as_text=True), url
        for method, url in (("POST", f"/api/v1/ideas/{idea.id}/supports"),
                            ("POST", f"/api/v1/ideas/{idea.id}/follow"),
                            ("POST", f"/api/v1/ideas/{idea.id}/comments"),
                            ("POST", f"/api/v1/comments/{world['comment'].id}/reports")):
            if viewer == "anonymous":
                continue
            response = client.open(url, method=method, headers=headers, json={"body": "Hi"})
            if "comments/" in url and state != "hidden":
                continue  # the comment belongs to the hidden idea only
            assert response.status_code == 404, f"{viewer}: {method} {url} -> {response.status_code}"


def test_a_missing_product_and_a_hidden_one_answer_alike(client, world):
    """The error must not tell a product that exists behind a hidden idea from one that does
    not exist at all."""
    hidden = client.get(f"/api/v1/products/{world['product'].id}")
    missing = client.get("/api/v1/products/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json


def test_the_creator_and_staff_still_see_them(client, world):
    for person in (world["creator"], world["staff"]):
        for idea in world["ideas"].values():
            assert client.get(f"/api/v1/ideas/{idea.id}", headers=bearer(person)).status_code == 200
    login(client, world["creator"])
    assert client.get("/media/izebra1/card").status_code == 200


def test_a_hidden_idea_is_not_named_in_recommendations(client, world):
    """"Because you supported X" must not name an idea the member can no longer see."""
    fan, creator = world["fan"], world["creator"]
    peer = f.user()
    secret = world["ideas"]["hidden"]
    f.support(secret, peer)
    other = f.idea(creator, status="published", title="Other public idea")
    f.support(other, peer)
    login(client, fan)
    _no_secret(client, "/")


@pytest.mark.parametrize("action", ["edit", "delete", "report"])
def test_a_comment_on_a_hidden_idea_does_not_exist_for_comment_forms(client, world, action):
    """Not even the sign-in redirect may name the hidden idea a comment belongs to."""
    from tests.helpers import csrf_token

    token = csrf_token(client, "/")
    comment = world["comment"]
    response = client.post(f"/comments/{comment.id}/{action}",
                           data={"csrf_token": token, "body": "x", "reason": "x"})
    assert response.status_code == 404
    assert f"/ideas/{comment.idea_id}" not in (response.location or "")
    login(client, f.user())
    response = client.post(f"/comments/{comment.id}/{action}",
                           data={"csrf_token": csrf_token(client, "/"), "body": "", "reason": ""})
    assert response.status_code == 404


def test_merging_an_unpublished_duplicate_does_not_tell_its_title(app):
    """The target's creators hear that a duplicate joined, not the title of an idea that was
    never public."""
    from sqlalchemy import select

    from app.models import Notification

    staff = f.user("moderator")
    target_owner = f.user()
    target = f.idea(target_owner, status="published", title="Public target")
    pending = f.idea(status="pending_moderation", title="Zebracorn unpublished plan")
    moderation_service.merge_ideas(staff, pending.id, target.id, "Duplicate")
    db.session.commit()
    told = [row.message for row in db.session.scalars(
        select(Notification).where(Notification.user_id == target_owner.id))]
    assert told and not any("Zebracorn" in message for message in told)
    assert any("Public target" in message for message in told)
