"""Who may do what in review: every review page and endpoint against every role.

Roles: anonymous, member, creator (of the idea under review), supporter-reviewer (a reviewer who
supported it: a conflict of interest), reviewer (has not scored it yet: scoring is blind), admin.
Each case builds one world and asks as every role in this order, so a change by an allowed role
comes last and a refused request must have changed nothing for the next.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import g

from app.extensions import db
from app.models.review import AXES
from app.services import review as rs
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

ROLES = ("anonymous", "member", "creator", "supporter_reviewer", "reviewer", "admin")


@dataclass
class World:
    users: dict
    idea: object
    batch: object
    admin: object
    reviewer: object


def build_world() -> World:
    admin = f.user("admin")
    creator = f.user()
    supporter_reviewer = f.user("reviewer")
    reviewer = f.user("reviewer")
    idea = f.idea(creator, status="qualified")
    f.support(idea, supporter_reviewer)
    batch = f.review_batch(admin)
    f.scored(idea, 3, 2, rationale="Reasoned.")  # two other reviewers: a decision is possible
    users = {"anonymous": None, "member": f.user(), "creator": creator,
             "supporter_reviewer": supporter_reviewer, "reviewer": reviewer, "admin": admin}
    return World(users, idea, batch, admin, reviewer)


def decide(w: World) -> None:
    f.approved(w.idea, "We will make it.", w.admin)


def publish(w: World) -> None:
    decide(w)
    f.published(w.batch, w.admin)


def close(w: World) -> None:
    rs.close_batch(w.admin, w.batch.id)
    db.session.commit()


def assign(w: World) -> None:
    rs.assign_reviewer(w.admin, w.idea.id, w.reviewer.id)
    db.session.commit()


def score_body() -> dict:
    return {**f.scores(2), "rationale": f.rationales("Because.")}


# (method, path template, expected per role in ROLES order, prepare, json body or form data)
API = [
    ("POST", "/api/v1/review-batches", (401, 403, 403, 403, 403, 201), close,
     {"name": "Next review", "closes_on": "2030-09-30"}),
    ("GET", "/api/v1/review-batches", (401, 403, 403, 403, 403, 200), None, None),
    ("GET", "/api/v1/review-batches/{batch}", (401, 403, 403, 403, 403, 200), None, None),
    ("POST", "/api/v1/review-batches/{batch}/close", (401, 403, 403, 403, 403, 200), None, None),
    ("GET", "/api/v1/review-batches/{batch}/calibration", (401, 403, 403, 200, 200, 200), None,
     None),
    ("POST", "/api/v1/review-batches/{batch}/publish", (401, 403, 403, 403, 403, 200), decide,
     None),
    ("GET", "/api/v1/review/queue", (401, 403, 403, 200, 200, 200), None, None),
    ("PUT", "/api/v1/ideas/{idea}/scores", (401, 403, 403, 403, 200, 403), None, score_body()),
    ("GET", "/api/v1/ideas/{idea}/scores", (401, 403, 403, 403, 403, 200), None, None),
    ("POST", "/api/v1/ideas/{idea}/decision", (401, 403, 403, 403, 403, 200), None,
     {"decision": "on_hold", "message": "Next season."}),
    ("GET", "/api/v1/ideas/{idea}/review", (404, 404, 404, 404, 404, 200), None, None),
    ("GET", "/api/v1/ideas/{idea}/review", (404, 404, 200, 404, 404, 200), publish, None),
    ("POST", "/api/v1/ideas/{idea}/reviewers", (401, 403, 403, 403, 201, 200), None,
     {"reviewer_id": "{reviewer}"}),
    ("DELETE", "/api/v1/ideas/{idea}/reviewers/{reviewer}", (401, 403, 403, 403, 403, 204),
     assign, None),
]

PAGES = [
    ("GET", "/review/criteria", (200, 200, 200, 200, 200, 200), None, None),
    ("GET", "/review", (302, 403, 403, 200, 200, 200), None, None),
    ("GET", "/review/ideas/{idea}", (302, 403, 403, 200, 200, 200), None, None),
    ("POST", "/review/ideas/{idea}/scores", (302, 403, 403, 403, 302, 403), None,
     {**{axis: "2" for axis in AXES}, **{f"{axis}_rationale": "Because." for axis in AXES}}),
    ("POST", "/review/ideas/{idea}/take", (302, 403, 403, 403, 302, 403), None, {}),
    ("POST", "/review/ideas/{idea}/decision", (302, 403, 403, 403, 403, 302), None,
     {"decision": "approved", "message": "Yes."}),
    ("GET", "/review/batches/{batch}/calibration", (302, 403, 403, 200, 200, 200), None, None),
    ("GET", "/admin", (302, 403, 403, 403, 403, 200), None, None),
    ("GET", "/admin/users", (302, 403, 403, 403, 403, 200), None, None),
    ("GET", "/admin/users/{reviewer}", (302, 403, 403, 403, 403, 200), None, None),
    ("GET", "/admin/review", (302, 403, 403, 403, 403, 200), None, None),
    ("GET", "/admin/review/batches/{batch}", (302, 403, 403, 403, 403, 200), None, None),
    ("GET", "/admin/audit", (302, 403, 403, 403, 403, 200), None, None),
    ("POST", "/admin/review", (302, 403, 403, 403, 403, 302), close,
     {"name": "Next review", "closes_on": "2099-01-31"}),
    ("POST", "/admin/review/batches/{batch}/close", (302, 403, 403, 403, 403, 302), None, {}),
    ("POST", "/admin/review/batches/{batch}/publish", (302, 403, 403, 403, 403, 302), decide, {}),
    ("POST", "/admin/review/ideas/{idea}/reviewers", (302, 403, 403, 403, 403, 302), None,
     {"reviewer_id": "{reviewer}"}),
    ("POST", "/admin/review/ideas/{idea}/reviewers/{reviewer}/remove",
     (302, 403, 403, 403, 403, 302), assign, {}),
    ("POST", "/admin/users/{reviewer}/roles", (302, 403, 403, 403, 403, 302), None,
     {"role": "finance", "action": "grant"}),
    ("POST", "/admin/users/{reviewer}/block", (302, 403, 403, 403, 403, 302), None, {}),
    ("POST", "/admin/users/{reviewer}/unblock", (302, 403, 403, 403, 403, 302), None, {}),
]


def _fill(value, w: World):
    ids = {"idea": w.idea.id, "batch": w.batch.id, "reviewer": w.reviewer.id}
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {key: _fill(item, w) for key, item in value.items()}
    return value


def _case_id(case) -> str:
    method, path, _expected, prepare, _body = case
    return f"{method} {path}" + (f" after {prepare.__name__}" if prepare else "")


@pytest.mark.parametrize("case", API, ids=[_case_id(c) for c in API])
def test_api_endpoint_answers_each_role_as_expected(app, case):
    method, path, expected, prepare, body = case
    w = build_world()
    if prepare:
        prepare(w)
    url = _fill(path, w)
    got = {}
    for role in ROLES:
        user = w.users[role]
        client = app.test_client()
        headers = bearer(user) if user is not None else {}
        kwargs = {"headers": headers}
        if body is not None:
            kwargs["json"] = _fill(body, w)
        got[role] = client.open(url, method=method, **kwargs).status_code
        db.session.expire_all()
    assert got == dict(zip(ROLES, expected))


@pytest.mark.parametrize("case", PAGES, ids=[_case_id(c) for c in PAGES])
def test_page_answers_each_role_as_expected(app, case):
    method, path, expected, prepare, data = case
    w = build_world()
    if prepare:
        prepare(w)
    url = _fill(path, w)
    got = {}
    for role in ROLES:
        user = w.users[role]
        client = app.test_client()
        # Test requests share the test's app context, and Flask-WTF caches the CSRF token in
        # `g`: without this, each new client would be handed the previous client's token.
        g.pop("csrf_token", None)
        if user is not None:
            login(client, user)
        if method == "GET":
            response = client.get(url)
        else:
            form = {"csrf_token": csrf_token(client, "/review/criteria"), **_fill(data, w)}
            response = client.post(url, data=form)
        got[role] = response.status_code
        db.session.expire_all()
    assert got == dict(zip(ROLES, expected))


def test_a_reviewer_who_has_scored_may_read_the_scores(app, client):
    w = build_world()
    client.put(f"/api/v1/ideas/{w.idea.id}/scores", headers=bearer(w.reviewer), json=score_body())
    assert client.get(f"/api/v1/ideas/{w.idea.id}/scores",
                      headers=bearer(w.reviewer)).status_code == 200


def test_a_blocked_reviewer_may_do_nothing(app, client):
    w = build_world()
    login(client, w.reviewer)
    w.reviewer.blocked_at = w.batch.opened_at
    db.session.commit()
    assert client.get("/review").status_code == 302  # signed out: blocked accounts cannot sign in
