"""The support count is always exactly the number of support rows, under real concurrency.

Real threads send real HTTP requests to the app served by a threaded server, on SQLite (a file
in WAL mode) and on PostgreSQL (real connections): the database, not luck, must keep the count
right.
"""
from __future__ import annotations

import http.client
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app.models import Idea, IdeaEvent, Support
from app.models.base import utcnow
from app.services import counters, milestones
from tests import factories as f
from tests.helpers import bearer

MEMBERS = 20


@pytest.fixture
def live_port(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


def _call(port: int, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        body = b"{}" if method == "POST" else None
        connection.request(method, path, body=body,
                           headers={**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return response.status, (json.loads(raw) if raw else {})


def _all_at_once(port: int, calls: list[tuple[str, str, dict[str, str]]]) -> list[tuple[int, dict]]:
    """Send every call from its own thread, released together by a barrier."""
    results: list[tuple[int, dict] | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int, method: str, path: str, headers: dict[str, str]) -> None:
        barrier.wait()
        results[index] = _call(port, method, path, headers)

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert all(result is not None for result in results), "a request never finished"
    return results  # type: ignore[return-value]


def _count_and_rows(db, idea_id: int) -> tuple[int, int]:
    """The exact count (the narrow counter row), the support rows; and the listing's copy of the
    count agrees once the minute's rollup ran."""
    db.session.expire_all()
    count = counters.exact_counts([db.session.get(Idea, idea_id)])[idea_id]
    rows = db.session.scalar(select(func.count()).select_from(Support)
                             .where(Support.idea_id == idea_id))
    counters.roll_up()
    db.session.commit()
    assert db.session.scalar(select(Idea.support_count).where(Idea.id == idea_id)) == count
    return count, rows


def _members(n: int) -> list[dict[str, str]]:
    return [bearer(f.user()) for _ in range(n)]


def test_concurrent_supports_are_all_counted(db, live_port):
    idea_id = f.idea().id
    results = _all_at_once(live_port, [("POST", f"/api/v1/ideas/{idea_id}/supports", headers)
                                       for headers in _members(MEMBERS)])
    assert [status for status, _ in results] == [201] * MEMBERS, results
    assert _count_and_rows(db, idea_id) == (MEMBERS, MEMBERS)


def test_same_member_supporting_twice_at_once_counts_once(db, live_port):
    idea_id = f.idea().id
    members = _members(5)
    calls = [("POST", f"/api/v1/ideas/{idea_id}/supports", headers)
             for headers in members for _ in range(2)]
    results = _all_at_once(live_port, calls)
    for member in range(len(members)):
        pair = sorted(status for status, _ in results[2 * member:2 * member + 2])
        assert pair == [201, 409], results
    assert {body["error"]["code"] for status, body in results if status == 409} \
        == {"already_supporting"}
    assert _count_and_rows(db, idea_id) == (5, 5)


def test_concurrent_supports_and_withdrawals_keep_the_count_exact(db, live_port):
    idea = f.idea()
    leaving = _members(10)
    for headers in leaving:
        status, _ = _call(live_port, "POST", f"/api/v1/ideas/{idea.id}/supports", headers)
        assert status == 201
    joining = _members(10)
    calls = [("DELETE", f"/api/v1/ideas/{idea.id}/supports", headers) for headers in leaving]
    calls += [("POST", f"/api/v1/ideas/{idea.id}/supports", headers) for headers in joining]
    results = _all_at_once(live_port, calls)
    assert [status for status, _ in results] == [204] * 10 + [201] * 10, results
    assert _count_and_rows(db, idea.id) == (10, 10)


@pytest.mark.parametrize("config_overrides", [
    {"SUPPORT_MILESTONES": [2, 3], "SUPPORT_WINDOWS_DAYS": [5, 5]}])
def test_idea_qualifies_exactly_once_under_concurrent_support(db, live_port):
    idea_id = f.idea().id
    results = _all_at_once(live_port, [("POST", f"/api/v1/ideas/{idea_id}/supports", headers)
                                       for headers in _members(10)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 3 + [409] * 7, results
    assert {body["error"]["code"] for status, body in results if status == 409} \
        == {"not_gathering"}
    assert _count_and_rows(db, idea_id) == (3, 3)
    idea = db.session.get(Idea, idea_id)
    assert idea.status == "qualified" and idea.next_milestone is None
    kinds = db.session.scalars(select(IdeaEvent.kind).where(IdeaEvent.idea_id == idea_id)
                               .order_by(IdeaEvent.id)).all()
    assert kinds.count("qualified") == 1
    assert kinds.count("milestone_reached") == 2


def test_expire_run_twice_at_once_expires_each_idea_once(app, db):
    ids = [f.idea(deadline=utcnow() - timedelta(hours=1)).id for _ in range(5)]
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            counts.append(milestones.expire_ideas())
            db.session.commit()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(counts) == 5 and len(counts) == 2  # each idea taken by exactly one run
    db.session.expire_all()
    expired_events = db.session.scalar(select(func.count()).select_from(IdeaEvent).where(
        IdeaEvent.idea_id.in_(ids), IdeaEvent.kind == "expired"))
    assert expired_events == 5
