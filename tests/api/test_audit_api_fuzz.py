"""Hostile input against every /api/v1 route: whatever the body, the ids or the query string, the
answer is a 4xx with the error shape (or a success), never a 500.

The routes come from app.url_map, so a new endpoint is fuzzed without anyone adding it here. Each
route gets: no body, a non-JSON body, JSON that is not an object, and its documented body
(OpenAPI) with one field at a time replaced by a wrong type, a huge string, a huge or negative
number or a nested object, with real ids; and with its ids replaced by 0 and numbers far beyond
any row id (the malformed and the documented bodies).
The caller holds every staff role, so no request stops early at a permission check.
"""
from __future__ import annotations

import re
import tempfile
from datetime import date

import pytest

from app.services import review as review_service
from tests import factories as f
from tests import ledger_factories as lf
from tests.helpers import bearer


def _api_routes() -> list[tuple[str, str]]:
    from app import create_app
    from tests.conftest import make_config

    folder = tempfile.mkdtemp(prefix="kyoso-fuzz-")
    app = create_app(make_config(f"sqlite:///{folder}/routes.db", folder))
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.revoke_token":
            routes += [(rule.rule, method) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(routes)


ROUTES = _api_routes()
HUGE = 10**30
BAD_VALUES = (None, True, 1.5, -1, 0, HUGE, -HUGE, "", "x" * 100_000, "１２", "a\x00b", [1, "a"],
              {"amount": HUGE, "currency": "JPY"}, {"nested": {"deeper": [1, {"x": None}]}})
MALFORMED = ({"data": ""}, {"data": "not json", "content_type": "application/json"},
             {"json": [1, 2]}, {"json": "a string"}, {"json": {"unknown": HUGE}},
             {"data": "{\"a\": 1e999999}", "content_type": "application/json"},
             {"data": "[" * 100_000, "content_type": "application/json"},
             {"json": {"a\x00": 1}})
QUERIES = ("?page=0", f"?page={HUGE}", "?per_page=1000000000", "?page=-5&per_page=-1",
           "?tag=a%00b&category=%00&q=%00", "?_method=POST&endpoint=x&idea_id=1",
           "?page=abc", f"?sort={'x' * 5000}&status=nope&q={'%22' * 300}&tag={'t' * 5000}")


def _valid(schema: dict, ids: dict[str, int]):
    """A plausible value for a documented field (so that the mutated field is the one checked)."""
    if "$ref" in schema:
        return {"amount": 100, "currency": "JPY"}
    kind = schema.get("type")
    if "enum" in schema:  # a callable lists values that live in the database (app.api.openapi)
        values = schema["enum"]() if callable(schema["enum"]) else schema["enum"]
        return values[0]
    if kind == "integer":
        return ids["idea"]
    if kind == "string":
        return "2030-03-31" if schema.get("format") == "date" else "A good reason"
    if kind == "array":
        return []
    if kind == "object":
        return {name: _valid(sub, ids) for name, sub in schema.get("properties", {}).items()}
    return "x"


def _bodies(rule: str, method: str, ids: dict[str, int], mutate: bool = True):
    from app.api.openapi import PATHS

    yield from MALFORMED
    shape = re.sub(r"<[^>]+>", "{}", rule)[len("/api/v1"):]
    documented = {re.sub(r"\{[^}]+\}", "{}", path): ops for path, ops in PATHS.items()}
    operation = documented.get(shape, {}).get(method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}) \
        .get("schema")
    if not schema or "properties" not in schema:
        return
    base = _valid(schema, ids)
    yield {"json": base}
    if not mutate:
        return
    for name in schema["properties"]:
        for value in BAD_VALUES:
            yield {"json": {**base, name: value}}


def _world() -> dict[str, int]:
    staff = f.user("admin", "moderator", "reviewer", "finance")
    other = f.user()
    draft = f.idea(staff, status="draft")
    published = f.idea(other, status="published", supports=1)
    f.idea(other, status="pending_moderation")
    in_review = f.idea(other, status="qualified")
    batch = review_service.open_batch(staff, "Fuzz batch", date(2030, 3, 31))
    from app.extensions import db
    from app.models import Comment

    comment = Comment(idea_id=published.id, author_id=other.id, body="A comment")
    db.session.add(comment)
    db.session.commit()
    product = lf.product(other)
    return {"staff": staff, "idea": published.id, "draft": draft.id, "in_review": in_review.id,
            "batch": batch.id, "comment": comment.id, "product": product.id, "user": other.id}


def _urls(rule: str, world: dict) -> list[tuple[str, bool]]:
    """(url, mutate): the route with real ids (and a draft or an idea in review) gets every
    mutated body; with ids of no row (0, beyond any row, beyond 32 bits) it gets the malformed
    bodies and the documented one, which is where a bad id can still slip through."""
    real = {"idea_id": world["idea"], "batch_id": world["batch"], "comment_id": world["comment"],
            "product_id": world["product"], "user_id": world["user"], "image_id": 1,
            "transaction_id": 1, "version": "1"}
    names = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    variants = [(dict(real), True), ({**real, "idea_id": world["draft"]}, True),
                ({**real, "idea_id": world["in_review"]}, True),
                ({name: 0 if name != "version" else "0" for name in names}, False),
                ({name: HUGE if name != "version" else "x" * 3000 for name in names}, False),
                ({name: 2**31 if name != "version" else "../../etc" for name in names}, False)]
    urls: dict[str, bool] = {}
    for values, mutate in variants if names else [({}, True)]:
        # An id this world has no row for (a new route's) is tried as 1 and the bad values.
        url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, v=values: str(v.get(m.group(1), 1)), rule)
        urls[url] = urls.get(url, False) or mutate
    return list(urls.items())


def _check(response, what: str) -> None:
    assert response.status_code < 500, f"{what} -> {response.status_code}"
    if response.status_code >= 400:
        body = response.get_json(silent=True)
        assert isinstance(body, dict) and isinstance(body.get("error"), dict), \
            f"{what} -> {response.status_code} without the error shape"
        assert isinstance(body["error"].get("code"), str), what
        assert isinstance(body["error"].get("message"), str), what


@pytest.mark.parametrize(("rule", "method"), ROUTES, ids=[f"{m} {r}" for r, m in ROUTES])
def test_api_route_never_answers_500_to_hostile_input(app, client, rule, method):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug must show as a 500 here, not a traceback
    world = _world()
    headers = bearer(world["staff"])
    for url, mutate in _urls(rule, world):
        for kwargs in _bodies(rule, method, world, mutate):
            response = client.open(url, method=method, headers=headers, **kwargs)
            _check(response, f"{method} {url} {str(kwargs)[:120]}")
        if method == "GET":
            for query in QUERIES:
                response = client.open(url + query, method=method, headers=headers)
                _check(response, f"{method} {url}{query[:80]}")
