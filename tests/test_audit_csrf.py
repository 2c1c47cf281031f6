"""CSRF on every state-changing route, found by walking app.url_map (so a new route is covered
without anyone adding it here): a signed-in browser session that posts without the CSRF token
gets 400 and changes nothing, on the HTML pages and on the JSON API alike (bearer tokens need no
CSRF token; cookie sessions do)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Idea, IdeaEvent, Notification
from tests import factories as f
from tests.helpers import login

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _part(match: re.Match, value: str) -> str:
    converter, name = match.group(1) or "", match.group(2)
    if converter.startswith("any("):  # <any(restore, remove):decision>: the first choice
        return converter[4:].split(",")[0].strip(" )'\"")
    if name == "move":
        return "cover"
    return "abc" if name in ("token", "version", "key", "size") else value


def _url(rule, value: str) -> str:
    return re.sub(r"<(?:([^:>]+):)?(\w+)>", lambda m: _part(m, value), rule.rule)


def _state() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Idea, IdeaEvent, AuditLog, Notification))


#: Forms that need no CSRF token, each with what protects it instead.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients post without cookies or token; the signed
    # token in the path is the proof (a bad one is 404 and changes nothing:
    # tests/unit/test_notify_i18n.py).
    "/unsubscribe/<token>",
}


def _world():
    staff = f.user("admin", "moderator", "reviewer", "finance")
    other = f.user()
    ideas = [f.idea(staff, status="draft"), f.idea(other, status="published"),
             f.idea(other, status="pending_moderation")]
    return staff, other, ideas


def test_every_html_form_route_refuses_a_post_without_csrf_token(app, client):
    staff, other, ideas = _world()
    login(client, staff)
    before = _state()
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or not rule.methods & MUTATING:
            continue
        if rule.rule in CSRF_EXEMPT:
            continue
        for idea in ideas:
            for method in sorted(rule.methods & MUTATING):
                url = _url(rule, str(idea.id))
                response = client.open(url, method=method, data={
                    "reason": "Because", "title": "Changed", "body": "Hello", "decision": "publish",
                    "email": other.email, "share_bps": "1000", "accept": "y"})
                assert response.status_code == 400, f"{method} {url} -> {response.status_code}"
                checked += 1
    assert checked > 50
    assert _state() == before
    db.session.expire_all()
    assert db.session.get(Idea, ideas[0].id) is not None  # the draft was not deleted


def test_every_api_route_refuses_a_cookie_session_without_csrf_token(app, client):
    staff, other, ideas = _world()
    login(client, staff)
    before = _state()
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or not rule.methods & MUTATING:
            continue
        for method in sorted(rule.methods & MUTATING):
            url = _url(rule, str(ideas[1].id))
            response = client.open(url, method=method, json={"reason": "x", "body": "Hello"})
            assert response.status_code == 400, f"{method} {url} -> {response.status_code}"
            assert response.json["error"]["code"] == "csrf_failed", f"{method} {url}"
            checked += 1
    assert checked > 30
    assert _state() == before


def test_sign_out_needs_the_csrf_token(client):
    """A cross-site form must not sign a member out (logout is a POST with CSRF)."""
    member = f.user()
    login(client, member)
    assert client.post("/logout").status_code == 400
    assert client.get("/me").status_code == 200
