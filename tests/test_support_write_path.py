"""A support does what it must and no more: lock, insert, counter, day count, follow,
milestone check, the creators' pending notification; the wide ideas row is not written (so its
nine indexes are not either), except when a milestone is reached."""
from __future__ import annotations

import re

import pytest

from app.extensions import db as _db
from app.models import IdeaFollow, Notification
from app.services import counters, supports
from tests import factories as f
from tests.helpers import bearer, warm_caches

#: auth (token with its user and roles), the terms versions in force (API writes), lock with the
#: creators, insert, counter, the day's kept count (the creators' evidence dashboard:
#: app.services.support_days), follow, notification update
MOST = 9  # SQLite adds its write-lock statement


@pytest.fixture
def config_overrides():
    return {"SUPPORT_MILESTONES": [100, 200], "SUPPORT_WINDOWS_DAYS": [10, 20]}


def _writes_to_ideas(statements: list[str]) -> list[str]:
    return [s for s in statements if re.match(r"\s*UPDATE ideas\b", s)
            and "WHERE 0 = 1" not in s]  # SQLite's write lock writes nothing


def _support_through_api(client, count_queries, idea_id: int):
    headers = bearer(f.user())
    with count_queries() as queries:
        response = client.post(f"/api/v1/ideas/{idea_id}/supports", json={}, headers=headers)
    assert response.status_code == 201, response.json
    return response, queries


def test_a_support_runs_a_few_statements_and_never_rewrites_the_idea_row(db, client,
                                                                          count_queries):
    idea = f.idea()
    idea_id = idea.id
    for _ in range(3):
        supports.support_idea(f.user(), idea_id)
        db.session.commit()
    response, queries = _support_through_api(client, count_queries, idea_id)
    assert response.json["idea"]["support_count"] == 4  # exact at once
    assert queries.count <= MOST, queries
    assert not _writes_to_ideas(queries.statements), queries
    assert sum("idea_counters" in s for s in queries.statements) == 1, queries
    # The creator was told once, the notification updated since.
    [told] = db.session.scalars(_db.select(Notification).where(
        Notification.kind.in_(supports.SUPPORT_KINDS))).all()
    assert told.kind == "idea_supporters" and told.params["count"] == 4


def test_the_support_path_costs_the_same_with_many_supporters(db, client, count_queries):
    warm_caches()
    few, many = f.idea(), f.idea()
    few_id, many_id = few.id, many.id
    supports.support_idea(f.user(), few_id)
    db.session.commit()
    for _ in range(40):
        supports.support_idea(f.user(), many_id)
        db.session.commit()
    _r, small = _support_through_api(client, count_queries, few_id)
    _r, large = _support_through_api(client, count_queries, many_id)
    assert small.count == large.count, large
    assert counters.exact_counts([_db.session.get(type(few), many_id)])[many_id] == 41
    assert _db.session.scalar(_db.select(_db.func.count()).select_from(IdeaFollow)
                              .where(IdeaFollow.idea_id == many_id)) == 41


def test_every_statement_of_a_support_reuses_its_compiled_form(db, client):
    """SQLAlchemy 2.0 never caches the compiled form of its PostgreSQL/SQLite insert() with
    ON CONFLICT; the write path's upserts are written once (app.upserts), so after the first
    support no statement of the next one is compiled again (about a millisecond each)."""
    from sqlalchemy import event

    idea = f.idea()
    idea_id = idea.id
    first = client.post(f"/api/v1/ideas/{idea_id}/supports", json={}, headers=bearer(f.user()))
    assert first.status_code == 201, first.json
    headers = bearer(f.user())
    compiled: list[str] = []

    def before(_conn, _cursor, statement, _parameters, context, _many) -> None:
        if context.compiled is not None and context.cache_hit.name != "CACHE_HIT":
            compiled.append(f"{context.cache_hit.name}: {statement}")

    event.listen(_db.engine, "before_cursor_execute", before)
    try:
        response = client.post(f"/api/v1/ideas/{idea_id}/supports", json={}, headers=headers)
    finally:
        event.remove(_db.engine, "before_cursor_execute", before)
    assert response.status_code == 201, response.json
    assert compiled == []
