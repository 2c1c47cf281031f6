"""Text no one types (a lone surrogate, NUL, bytes that are not UTF-8) is a 400 `invalid_text`
everywhere, before anything runs: it used to be a 500 on the API's JSON endpoints."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Comment, Idea, Support, User
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

SURROGATE = "\ud800"


def _refused(response) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["error"]["code"] == "invalid_text"
    assert "valid text" in response.json["error"]["message"]


def _counts() -> tuple[int, ...]:
    return tuple(db.session.query(model).count() for model in (Idea, Comment, Support, User))


@pytest.fixture
def world(app):
    member = f.user(name="Member")
    idea = f.idea(status="published")
    comment = Comment(idea_id=idea.id, author_id=member.id, body="Hello")
    db.session.add(comment)
    db.session.commit()
    return member, idea, comment


@pytest.mark.parametrize("bad", [SURROGATE, "a\udfffb", "x\x00"])
def test_json_with_invalid_text_is_refused_on_every_endpoint_named(client, world, bad):
    member, idea, comment = world
    headers = bearer(member)
    before = _counts()
    calls = [
        ("post", "/api/v1/tokens", {"email": f"a{bad}@example.com", "password": "x"}, {}),
        ("post", "/api/v1/users", {"email": "n@example.com", "password": "long enough pw 1",
                                   "display_name": bad}, {}),
        ("post", "/api/v1/ideas", {"title": f"Title {bad}"}, headers),
        ("post", "/api/v1/ideas", {"title": "Fine", "tags": [bad]}, headers),
        ("patch", f"/api/v1/ideas/{idea.id}", {"description": bad}, headers),
        ("post", f"/api/v1/ideas/{idea.id}/comments", {"body": f"hi {bad}"}, headers),
        ("patch", f"/api/v1/comments/{comment.id}", {"body": bad}, headers),
        ("post", f"/api/v1/ideas/{idea.id}/supports", {"reason": bad}, headers),
        ("post", f"/api/v1/ideas/{idea.id}/supports", {bad: "yes"}, headers),  # in a key
        ("patch", "/api/v1/me", {"display_name": bad}, headers),
        ("patch", "/api/v1/me", {"bio": [{"deep": [bad]}]}, headers),
    ]
    for method, path, body, extra in calls:
        response = getattr(client, method)(path, json=body, headers=extra)
        _refused(response)
    db.session.expire_all()
    assert _counts() == before  # nothing ran
    assert db.session.get(User, member.id).display_name == "Member"


def test_invalid_text_in_query_strings_and_paths_is_refused(client, world):
    for path in ("/api/v1/ideas?q=%ED%A0%80", "/api/v1/ideas?q=%FF", "/api/v1/ideas?q=a%00"):
        _refused(client.get(path))
    for path in ("/ideas?q=%ED%A0%80", "/search?q=%C3", "/ideas?q=%00"):
        page = client.get(path)
        assert page.status_code == 400, path
        assert "not valid text" in page.get_data(as_text=True)
    # A server hands the path over as the bytes sent, one character each (PEP 3333); the test
    # client would have replaced them already.
    raw_path = "/api/v1/ideas/\xed\xa0\x80"
    _refused(client.get("/api/v1/ideas/x", environ_overrides={"PATH_INFO": raw_path}))
    page = client.get("/ideas/x", environ_overrides={"PATH_INFO": "/ideas/\xff"})
    assert page.status_code == 400


def test_invalid_text_in_forms_is_refused_and_changes_nothing(client, world):
    member, idea, comment = world
    login(client, member)
    token = csrf_token(client, f"/ideas/{idea.id}")
    before = _counts()
    forms = [
        ("/ideas/new", {"title": f"Lamp {SURROGATE}"}),
        (f"/ideas/{idea.id}/comments", {"body": f"Nice {SURROGATE}"}),
        (f"/comments/{comment.id}/edit", {"body": "x\x00"}),
        ("/account/profile", {"display_name": SURROGATE, "bio": ""}),
    ]
    for path, fields in forms:
        # Encoded as a browser would percent-encode the UTF-8 (surrogatepass: what a broken
        # client sends for a lone surrogate).
        from urllib.parse import quote
        body = "&".join(f"{name}={quote(value.encode('utf-8', 'surrogatepass'))}"
                        for name, value in {"csrf_token": token, **fields}.items())
        page = client.post(path, data=body, content_type="application/x-www-form-urlencoded")
        assert page.status_code == 400, path
        assert "not valid text" in page.get_data(as_text=True)
    raw = client.post("/login", data=b"email=a%FF%FE@example.com&password=x&csrf_token=" +
                      token.encode(), content_type="application/x-www-form-urlencoded")
    assert raw.status_code == 400
    db.session.expire_all()
    assert _counts() == before
    assert db.session.get(Comment, comment.id).body == "Hello"


def test_ordinary_text_in_any_language_passes(client, world):
    member, idea, _comment = world
    response = client.post(f"/api/v1/ideas/{idea.id}/comments", headers=bearer(member),
                           json={"body": "素敵なアイデア 👍 — «ça marche» \u00e9"})
    assert response.status_code == 201
    assert client.get("/ideas?q=%E7%B4%A0%E6%95%B5").status_code == 200
