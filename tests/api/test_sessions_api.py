"""API: co-creation sessions (issue 15): planning with the five-phase agenda, the online limit,
invitations, capacity and the waiting list, reminders once, attendance, feedback, outputs and
monthly series."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import AuditLog, CoSession, Notification, OutboundMail, SessionInvitation
from app.models.base import utcnow
from app.services import sessions as session_service
from tests import factories
from tests.helpers import bearer


def _body(**overrides) -> dict:
    body = {"title": "Quiet mornings", "purpose": "Understand crowded commutes with toddlers",
            "mode": "online", "place_or_url": "https://meet.example.com/quiet",
            "starts_at": (utcnow() + timedelta(days=7)).isoformat(), "duration_minutes": 90,
            "capacity": 2}
    body.update(overrides)
    return body


def _create(client, staff, **overrides):
    return client.post("/api/v1/sessions", json=_body(**overrides), headers=bearer(staff))


@pytest.fixture
def manager(db):
    return factories.user("community_manager")


def _session(client, manager, **overrides) -> int:
    response = _create(client, manager, **overrides)
    assert response.status_code == 201, response.json
    return response.json["id"]


def _invite(client, manager, session_id, *users):
    response = client.post(f"/api/v1/sessions/{session_id}/invitations",
                           json={"user_ids": [u.id for u in users]}, headers=bearer(manager))
    assert response.status_code == 201, response.json
    return response


def _register(client, session_id, user, **body):
    return client.post(f"/api/v1/sessions/{session_id}/registration", json=body,
                       headers=bearer(user))


# --- the agenda ----------------------------------------------------------------------------------

@pytest.mark.parametrize("duration", [20, 37, 60, 89, 90, 91, 123, 600])
def test_agenda_minutes_always_add_up_to_the_duration(duration):
    agenda = session_service.generate_agenda(duration)
    assert [item["phase"] for item in agenda] == ["icebreak", "current_state", "ideation",
                                                  "evaluation", "next_steps"]
    assert sum(item["minutes"] for item in agenda) == duration
    for item, share in zip(agenda, (10, 30, 40, 15, 5)):
        assert abs(item["minutes"] - duration * share / 100) < 1


def test_agenda_of_ninety_minutes_follows_the_template():
    assert [(i["phase"], i["minutes"], i["technique"])
            for i in session_service.generate_agenda(90)] == [
        ("icebreak", 9, "storytelling"), ("current_state", 27, "world_cafe"),
        ("ideation", 36, "prototyping"), ("evaluation", 14, "six_hats"),
        ("next_steps", 4, "action_plan")]


def test_largest_remainders_take_the_leftover_minutes():
    # 37 minutes: exact 3.7, 11.1, 14.8, 5.55, 1.85 -> floors 3, 11, 14, 5, 1 (34): the three
    # largest remainders (.85 next_steps, .8 ideation, .7 icebreak) get one minute each.
    assert [i["minutes"] for i in session_service.generate_agenda(37)] == [4, 11, 15, 5, 2]


def test_staff_create_a_session_with_its_agenda(client, db, manager):
    response = _create(client, manager)
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "Quiet mornings" and body["mode"] == "online"
    assert sum(item["minutes"] for item in body["agenda"]) == 90 == body["duration_minutes"]
    assert body["agenda"][2] == {"phase": "ideation", "minutes": 36, "technique": "prototyping"}
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "session.created"))
    assert audit.actor_id == manager.id and audit.target_id == body["id"]


def test_an_online_session_of_120_minutes_is_refused(client, db, manager):
    response = _create(client, manager, duration_minutes=120)
    assert response.status_code == 422
    assert "duration_minutes" in response.json["error"]["fields"]
    assert db.session.scalar(select(func.count()).select_from(CoSession)) == 0


def test_an_in_person_session_may_last_120_minutes(client, manager):
    response = _create(client, manager, mode="in_person", place_or_url="Kyoto studio, room 3",
                       duration_minutes=120)
    assert response.status_code == 201, response.json
    assert sum(i["minutes"] for i in response.json["agenda"]) == 120


@pytest.fixture
def config_overrides():
    return {}


def test_the_online_limit_is_a_setting(app, client, manager):
    app.config["SESSION_ONLINE_MAX_MINUTES"] = 120
    assert _create(client, manager, duration_minutes=120).status_code == 201


@pytest.mark.parametrize("place", ["meet.example.com/quiet", "ftp://meet.example.com",
                                   "javascript:alert(1)", "https:///nohost"])
def test_an_online_session_needs_an_http_meeting_link(client, manager, place):
    response = _create(client, manager, place_or_url=place)
    assert response.status_code == 422
    assert "place_or_url" in response.json["error"]["fields"]


def test_a_session_in_the_past_is_refused(client, manager):
    response = _create(client, manager, starts_at=(utcnow() - timedelta(hours=1)).isoformat())
    assert response.status_code == 422 and "starts_at" in response.json["error"]["fields"]


def test_only_admins_and_community_managers_plan_sessions(client, db):
    assert _create(client, factories.user("admin")).status_code == 201
    for roles in ((), ("moderator",), ("reviewer",), ("product_manager",)):
        assert _create(client, factories.user(*roles)).status_code == 403, roles
    assert client.post("/api/v1/sessions", json=_body()).status_code == 401


def test_an_edited_agenda_must_add_up(client, manager):
    session_id = _session(client, manager, duration_minutes=60)
    agenda = session_service.generate_agenda(60)
    agenda[0]["minutes"] += 5
    response = client.patch(f"/api/v1/sessions/{session_id}", json={"agenda": agenda},
                            headers=bearer(manager))
    assert response.status_code == 422 and "agenda" in response.json["error"]["fields"]
    agenda[1]["minutes"] -= 5
    agenda[2]["technique"] = "brainstorming"
    response = client.patch(f"/api/v1/sessions/{session_id}", json={"agenda": agenda},
                            headers=bearer(manager))
    assert response.status_code == 200, response.json
    assert response.json["agenda"][0]["minutes"] == 11
    assert response.json["agenda"][2]["technique"] == "brainstorming"


def test_an_agenda_with_phases_out_of_order_is_refused(client, manager):
    agenda = list(reversed(session_service.generate_agenda(60)))
    response = _create(client, manager, duration_minutes=60, agenda=agenda)
    assert response.status_code == 422 and "agenda" in response.json["error"]["fields"]


def test_a_linked_idea_must_exist(client, manager):
    response = _create(client, manager, idea_id=99999)
    assert response.status_code == 404
    idea = factories.idea()
    assert _create(client, manager, idea_id=idea.id).json["idea_id"] == idea.id


def test_a_linked_campaign_must_exist(client, manager):
    response = _create(client, manager, campaign_id=99999)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "campaign_not_found"


def test_a_monthly_series_schedules_one_session_a_month(client, db, manager):
    start = (utcnow() + timedelta(days=3)).replace(day=31, month=1, year=utcnow().year + 1)
    response = _create(client, manager, starts_at=start.isoformat(), repeat_monthly=3)
    assert response.status_code == 201, response.json
    sessions = db.session.scalars(select(CoSession).order_by(CoSession.starts_at)).all()
    assert len(sessions) == 3 and len({s.series_id for s in sessions}) == 1
    assert [(s.starts_at.month, s.starts_at.day) for s in sessions] == [
        (1, 31), (2, 28 if (start.year % 4) else 29), (3, 31)]


# --- invitations, capacity and the waiting list --------------------------------------------------

def test_invitees_are_told_in_their_language(client, db, manager):
    session_id = _session(client, manager)
    english, japanese = factories.user(), factories.user(locale="ja")
    response = _invite(client, manager, session_id, english, japanese)
    assert response.json == {"invited": [english.id, japanese.id], "already_invited": []}
    again = _invite(client, manager, session_id, english)
    assert again.json == {"invited": [], "already_invited": [english.id]}
    rows = db.session.scalars(select(Notification).where(Notification.kind == "session_invite")
                              .order_by(Notification.user_id)).all()
    assert [r.user_id for r in rows] == [english.id, japanese.id]
    mails = {m.to_address: m for m in db.session.scalars(select(OutboundMail))}
    assert "Quiet mornings" in mails[english.email].subject + mails[english.email].body
    assert "共創セッション" in mails[japanese.email].body


def test_an_invitee_who_turned_session_notices_off_gets_none(client, db, manager):
    session_id = _session(client, manager)
    quiet = factories.deliver(factories.user(), "off", "sessions")
    _invite(client, manager, session_id, quiet)
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == quiet.id)) == 0
    assert db.session.scalar(select(SessionInvitation.status)) == "invited"


def test_accepting_takes_a_place_until_the_session_is_full(client, db, manager):
    session_id = _session(client, manager, capacity=2)
    first, second, third = factories.user(), factories.user(), factories.user()
    _invite(client, manager, session_id, first, second, third)
    assert _register(client, session_id, first).status_code == 201
    response = _register(client, session_id, second)
    assert response.status_code == 201 and response.json["status"] == "accepted"
    full = _register(client, session_id, third)
    assert full.status_code == 409 and full.json["error"]["code"] == "session_full"
    assert db.session.get(CoSession, session_id).accepted_count == 2
    waiting = _register(client, session_id, third, waiting_list=True)
    assert waiting.status_code == 202 and waiting.json["status"] == "waiting"


def test_a_place_given_up_goes_to_the_first_on_the_waiting_list(client, db, manager):
    session_id = _session(client, manager, capacity=1)
    holder, early, late = factories.user(), factories.user(), factories.user()
    _invite(client, manager, session_id, holder, early, late)
    assert _register(client, session_id, holder).status_code == 201
    assert _register(client, session_id, early, waiting_list=True).status_code == 202
    assert _register(client, session_id, late, waiting_list=True).status_code == 202
    response = client.delete(f"/api/v1/sessions/{session_id}/registration",
                             headers=bearer(holder))
    assert response.status_code == 204
    statuses = dict(db.session.execute(select(SessionInvitation.user_id,
                                              SessionInvitation.status)).all())
    assert statuses == {holder.id: "declined", early.id: "accepted", late.id: "waiting"}
    assert db.session.get(CoSession, session_id).accepted_count == 1
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "session_place")).all()
    assert told == [early.id]


def test_declining_from_the_waiting_list_frees_no_place(client, db, manager):
    session_id = _session(client, manager, capacity=1)
    holder, waiter = factories.user(), factories.user()
    _invite(client, manager, session_id, holder, waiter)
    _register(client, session_id, holder)
    _register(client, session_id, waiter, waiting_list=True)
    assert client.delete(f"/api/v1/sessions/{session_id}/registration",
                         headers=bearer(waiter)).status_code == 204
    assert db.session.get(CoSession, session_id).accepted_count == 1


def test_only_invited_members_can_register(client, manager):
    session_id = _session(client, manager)
    response = _register(client, session_id, factories.user())
    assert response.status_code == 403 and response.json["error"]["code"] == "not_invited"


def test_a_session_is_hidden_from_members_not_invited(client, manager):
    session_id = _session(client, manager)
    invitee, stranger = factories.user(), factories.user()
    _invite(client, manager, session_id, invitee)
    assert client.get(f"/api/v1/sessions/{session_id}", headers=bearer(stranger)).status_code \
        == 404
    body = client.get(f"/api/v1/sessions/{session_id}", headers=bearer(invitee)).json
    assert body["my_status"] == "invited" and "invitations" not in body


def test_accepting_twice_is_a_conflict(client, manager):
    session_id = _session(client, manager)
    member = factories.user()
    _invite(client, manager, session_id, member)
    assert _register(client, session_id, member).status_code == 201
    again = _register(client, session_id, member)
    assert again.status_code == 409 and again.json["error"]["code"] == "already_registered"


def test_my_sessions_lists_the_invitations(client, manager):
    session_id = _session(client, manager)
    member = factories.user()
    _invite(client, manager, session_id, member)
    items = client.get("/api/v1/me/cocreation-sessions", headers=bearer(member)).json["items"]
    assert [(i["id"], i["my_status"]) for i in items] == [(session_id, "invited")]


# --- reminders -----------------------------------------------------------------------------------

def test_reminders_go_once_the_day_before_to_those_with_a_place(client, db, manager):
    soon = _session(client, manager, starts_at=(utcnow() + timedelta(hours=20)).isoformat())
    later = _session(client, manager, starts_at=(utcnow() + timedelta(days=3)).isoformat())
    holder, invited_only, later_holder = factories.user(), factories.user(), factories.user()
    _invite(client, manager, soon, holder, invited_only)
    _invite(client, manager, later, later_holder)
    _register(client, soon, holder)
    _register(client, later, later_holder)
    assert session_service.send_reminders() == 1
    assert session_service.send_reminders() == 0  # a second run (or scheduler) sends nothing
    reminded = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "session_reminder")).all()
    assert reminded == [holder.id]


# --- attendance, feedback, outputs ---------------------------------------------------------------

def _attended(client, db, manager):
    session_id = _session(client, manager)
    attendee, absent = factories.user(), factories.user()
    _invite(client, manager, session_id, attendee, absent)
    _register(client, session_id, attendee)
    response = client.post(f"/api/v1/sessions/{session_id}/attendance",
                           json={"user_ids": [attendee.id]}, headers=bearer(manager))
    assert response.status_code == 200 and response.json == {"attended": [attendee.id]}
    return session_id, attendee, absent


def test_attendance_is_for_invitees_only(client, db, manager):
    session_id, _attendee, _absent = _attended(client, db, manager)
    response = client.post(f"/api/v1/sessions/{session_id}/attendance",
                           json={"user_ids": [factories.user().id]}, headers=bearer(manager))
    assert response.status_code == 409 and response.json["error"]["code"] == "not_invited"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "session.attendance"))


def test_attendees_give_feedback_once(client, db, manager):
    session_id, attendee, _absent = _attended(client, db, manager)
    url = f"/api/v1/sessions/{session_id}/feedback"
    response = client.post(url, json={"satisfaction": 4, "comment": "Loved the world cafe"},
                           headers=bearer(attendee))
    assert response.status_code == 201 and response.json["satisfaction"] == 4
    again = client.post(url, json={"satisfaction": 5}, headers=bearer(attendee))
    assert again.status_code == 409 and again.json["error"]["code"] == "feedback_given"
    summary = client.get(url, headers=bearer(manager)).json
    assert summary["count"] == 1 and summary["mean"] == "4.0"
    assert summary["comments"] == ["Loved the world cafe"]


def test_feedback_from_a_non_attendee_is_forbidden(client, db, manager):
    session_id, _attendee, absent = _attended(client, db, manager)
    for who in (absent, factories.user()):
        response = client.post(f"/api/v1/sessions/{session_id}/feedback",
                               json={"satisfaction": 5}, headers=bearer(who))
        assert response.status_code == 403
        assert response.json["error"]["code"] == "not_an_attendee"


@pytest.mark.parametrize("value", [0, 6, "5", None, 4.5])
def test_satisfaction_is_one_to_five(client, db, manager, value):
    session_id, attendee, _absent = _attended(client, db, manager)
    response = client.post(f"/api/v1/sessions/{session_id}/feedback",
                           json={"satisfaction": value}, headers=bearer(attendee))
    assert response.status_code == 422


def test_outputs_are_markdown_linked_to_ideas(client, db, manager):
    session_id = _session(client, manager)
    idea = factories.idea()
    response = client.put(f"/api/v1/sessions/{session_id}/outputs", json={
        "notes": "We met **six** parents.", "decisions": "- Prototype the strap",
        "idea_ids": [idea.id]}, headers=bearer(manager))
    assert response.status_code == 200, response.json
    assert response.json["outputs"]["idea_ids"] == [idea.id]
    session = db.session.get(CoSession, session_id)
    assert "<strong>six</strong>" in session.notes_html and "<li>" in session.decisions_html
    bad = client.put(f"/api/v1/sessions/{session_id}/outputs", json={"idea_ids": [99999]},
                     headers=bearer(manager))
    assert bad.status_code == 404


def test_staff_add_photos_through_the_image_pipeline(client, db, manager):
    import io

    from PIL import Image

    session_id = _session(client, manager)
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 120, 40)).save(buffer, "PNG")
    response = client.post(f"/api/v1/sessions/{session_id}/photos",
                           data={"file": (io.BytesIO(buffer.getvalue()), "board.png")},
                           headers=bearer(manager), content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    thumb = response.json["urls"]["thumb"]
    invitee, stranger = factories.user(), factories.user()
    _invite(client, manager, session_id, invitee)
    from tests.helpers import login

    login(client, stranger)
    assert client.get(thumb).status_code == 404
    login(client, invitee)
    image = client.get(thumb)
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    bad = client.post(f"/api/v1/sessions/{session_id}/photos",
                      data={"file": (io.BytesIO(b"not an image"), "x.png")},
                      headers=bearer(manager), content_type="multipart/form-data")
    assert bad.status_code == 422


# --- cancelling ---------------------------------------------------------------------------------

def _cancel(client, user, session_id, reason="The studio is flooded."):
    return client.post(f"/api/v1/sessions/{session_id}/cancellation", json={"reason": reason},
                       headers=bearer(user))


def test_staff_cancel_a_session_and_everyone_who_did_not_decline_is_told(client, db, manager):
    session_id = _session(client, manager, capacity=1)
    placed, waiting = factories.user(), factories.user(locale="ja")
    unanswered, declined = factories.user(), factories.user()
    quiet = factories.deliver(factories.user(), "off", "sessions")
    _invite(client, manager, session_id, placed, waiting, unanswered, declined, quiet)
    assert _register(client, session_id, placed).status_code == 201
    assert _register(client, session_id, waiting, waiting_list=True).status_code == 202
    client.delete(f"/api/v1/sessions/{session_id}/registration", headers=bearer(declined))
    response = _cancel(client, manager, session_id)
    assert response.status_code == 200, response.json
    assert response.json["cancelled_at"] and response.json["cancel_reason"] == \
        "The studio is flooded."
    told = db.session.scalars(select(Notification).where(
        Notification.kind == "session_cancelled").order_by(Notification.user_id)).all()
    assert [n.user_id for n in told] == [placed.id, waiting.id, unanswered.id]
    mails = {m.to_address: m for m in db.session.scalars(select(OutboundMail).order_by(OutboundMail.id))}
    assert "The studio is flooded." in mails[placed.email].body
    assert "Quiet mornings" in mails[placed.email].body and "cancelled" in mails[placed.email].body
    assert "中止" in mails[waiting.email].body
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "session.cancelled"))
    assert entry.actor_id == manager.id and entry.target_id == session_id
    assert entry.reason == "The studio is flooded."


def test_nothing_more_happens_to_a_cancelled_session(client, db, manager):
    session_id = _session(client, manager)
    member, late = factories.user(), factories.user()
    _invite(client, manager, session_id, member)
    assert _cancel(client, manager, session_id).status_code == 200
    again = _cancel(client, manager, session_id)
    assert again.status_code == 409 and again.json["error"]["code"] == "session_cancelled"
    refusals = [
        _register(client, session_id, member),
        client.delete(f"/api/v1/sessions/{session_id}/registration", headers=bearer(member)),
        client.post(f"/api/v1/sessions/{session_id}/invitations", json={"user_ids": [late.id]},
                    headers=bearer(manager)),
        client.post(f"/api/v1/sessions/{session_id}/attendance", json={"user_ids": [member.id]},
                    headers=bearer(manager)),
        client.patch(f"/api/v1/sessions/{session_id}", json={"title": "Other"},
                     headers=bearer(manager)),
    ]
    for refused in refusals:
        assert refused.status_code == 409, refused.json
        assert refused.json["error"]["code"] == "session_cancelled"
    # no reminder the day before a cancelled session
    session = db.session.get(CoSession, session_id)
    invitation = db.session.scalar(select(SessionInvitation))
    invitation.status = "accepted"
    session.starts_at = utcnow() + timedelta(hours=3)
    db.session.commit()
    assert session_service.send_reminders() == 0
    assert client.get(f"/api/v1/sessions/{session_id}", headers=bearer(member)).json[
        "cancel_reason"] == "The studio is flooded."


def test_a_cancellation_needs_staff_a_reason_and_a_session_not_started(client, db, manager):
    session_id = _session(client, manager)
    member = factories.user()
    _invite(client, manager, session_id, member)
    assert _cancel(client, member, session_id).status_code == 403
    blank = _cancel(client, manager, session_id, reason="  ")
    assert blank.status_code == 422 and "reason" in blank.json["error"]["fields"]
    assert _cancel(client, manager, session_id, reason="x" * 501).status_code == 422
    assert _cancel(client, manager, 999_999).status_code == 404
    db.session.get(CoSession, session_id).starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    started = _cancel(client, manager, session_id)
    assert started.status_code == 409 and started.json["error"]["code"] == "session_started"
    assert db.session.get(CoSession, session_id).cancelled_at is None
