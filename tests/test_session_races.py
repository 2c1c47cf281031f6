"""Capacity under real concurrency: many invitees accept the last places at once (real threads,
real HTTP, real connections on SQLite and PostgreSQL); the session's row lock lets exactly
`capacity` of them in and puts the others on the waiting list or refuses them."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.models import CoSession, SessionInvitation
from app.models.base import utcnow
from app.services import sessions
from tests import factories as f
from tests.helpers import bearer
from tests.test_concurrency import _all_at_once, live_port  # noqa: F401  (the fixture)

MEMBERS = 12
CAPACITY = 3


def _session(db, members):
    staff = f.user("community_manager")
    session = sessions.create_session(staff, {
        "title": "Race", "purpose": "Last places", "mode": "in_person", "place_or_url": "Osaka",
        "starts_at": (utcnow() + timedelta(days=2)).isoformat(), "duration_minutes": 60,
        "capacity": CAPACITY})
    db.session.commit()
    sessions.invite(staff, session.id, [m.id for m in members])
    db.session.commit()
    return session


def test_only_capacity_invitees_get_a_place_when_all_accept_at_once(app, db, live_port):  # noqa: F811
    members = [f.user() for _ in range(MEMBERS)]
    session = _session(db, members)
    results = _all_at_once(live_port, [
        ("POST", f"/api/v1/sessions/{session.id}/registration", bearer(m)) for m in members])
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] * CAPACITY + [409] * (MEMBERS - CAPACITY), results
    assert all(body["error"]["code"] == "session_full" for status, body in results
               if status == 409)
    db.session.expire_all()
    assert db.session.get(CoSession, session.id).accepted_count == CAPACITY
    assert db.session.scalar(select(func.count()).select_from(SessionInvitation).where(
        SessionInvitation.status == "accepted")) == CAPACITY


def test_a_freed_place_goes_to_exactly_one_waiting_member(app, db, live_port):  # noqa: F811
    holders = [f.user() for _ in range(CAPACITY)]
    waiting = [f.user() for _ in range(4)]
    session = _session(db, holders + waiting)
    for member in holders:
        sessions.register(member, session.id)
    for member in waiting:
        sessions.register(member, session.id, join_waiting_list=True)
    db.session.commit()
    # Two holders give up their places while two more waiting members ask again, all at once.
    calls = [("DELETE", f"/api/v1/sessions/{session.id}/registration", bearer(m))
             for m in holders[:2]]
    _all_at_once(live_port, calls)
    db.session.expire_all()
    rows = dict(db.session.execute(select(SessionInvitation.user_id,
                                          SessionInvitation.status)).all())
    assert db.session.get(CoSession, session.id).accepted_count == CAPACITY
    assert [rows[m.id] for m in waiting] == ["accepted", "accepted", "waiting", "waiting"]
