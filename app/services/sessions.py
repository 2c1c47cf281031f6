"""Co-creation sessions (issue 15): staff plan a session with an agenda from the five-phase
template, invite partners, who accept (a place while there is room, else the waiting list) or
decline (a freed place goes to the first on the waiting list); reminders go out the day before;
staff record attendance and the outputs; attendees give feedback once. Staff may cancel a
session before it starts (with a reason its invitees are told); nothing more happens to it then.

Capacity is race-safe: every change of who holds a place locks the session's row first
(`_lock`), and `accepted_count` is kept in that row (a CHECK keeps it within capacity).
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text, update

from app import jobs, markdown, notification_kinds as nk, permissions
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import (Campaign, CoSession, Idea, Product, SessionFeedback, SessionIdea,
                        SessionInvitation, SessionPhoto, User)
from app.models.base import is_row_id, utcnow
from app.models.cocreation import SESSION_MODES, SessionSeries
from app.permissions import Action
from app.services import events

# --- the agenda --------------------------------------------------------------------------------

#: The five phases of the co-creation template: (phase, share of the duration in percent,
#: suggested technique). The shares add up to 100.
PHASES: tuple[tuple[str, int, str], ...] = (
    ("icebreak", 10, "storytelling"),
    ("current_state", 30, "world_cafe"),
    ("ideation", 40, "prototyping"),
    ("evaluation", 15, "six_hats"),
    ("next_steps", 5, "action_plan"),
)
PHASE_NAMES = tuple(phase for phase, _share, _technique in PHASES)
TECHNIQUES = ("storytelling", "world_cafe", "prototyping", "six_hats", "brainstorming",
              "action_plan", "empathy_map", "dot_voting")
TITLE_MAX = 160
PURPOSE_MAX = 5000
PLACE_MAX = 500
OUTPUT_MAX = 20_000
COMMENT_MAX = 2000
DURATION_MIN = 20   # every phase gets at least a minute
DURATION_MAX = 600
CAPACITY_MAX = 500
SERIES_MAX = 12
INVITE_MAX = 200
#: A meeting link: http(s), a host, an optional port and path (also the OpenAPI pattern).
MEETING_URL_PATTERN = ("^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?"
                       "(?:[/?#][^\\u0000-\\u0020\\u007f]*)?$")
_MEETING_URL = re.compile(MEETING_URL_PATTERN)


def is_meeting_url(value: Any) -> bool:
    """An http(s) link as the OpenAPI pattern says (the whole text: no spaces around it)."""
    return isinstance(value, str) and _MEETING_URL.fullmatch(value) is not None


def generate_agenda(duration_minutes: int) -> list[dict[str, Any]]:
    """The template in proportion to the duration, in whole minutes that add up exactly:
    each phase gets the floor of its share, and the minutes left over go one each to the
    phases with the largest remainders (the earlier phase first on a tie)."""
    exact = [(duration_minutes * share, index) for index, (_p, share, _t) in enumerate(PHASES)]
    minutes = [value // 100 for value, _index in exact]
    left = duration_minutes - sum(minutes)
    by_remainder = sorted(exact, key=lambda item: (-(item[0] % 100), item[1]))
    for _value, index in by_remainder[:left]:
        minutes[index] += 1
    return [{"phase": phase, "minutes": minutes[index], "technique": technique}
            for index, (phase, _share, technique) in enumerate(PHASES)]


def validate_agenda(agenda: Any, duration_minutes: int) -> list[dict[str, Any]]:
    """The agenda as stored: the five phases in order, each with whole minutes (at least 1)
    and a known technique, the minutes adding up to the duration. Invalid otherwise."""
    if not isinstance(agenda, list) or len(agenda) != len(PHASES):
        raise Invalid({"agenda": _("The agenda has the five phases: %(phases)s.",
                                   phases=", ".join(PHASE_NAMES))})
    cleaned = []
    for item, phase in zip(agenda, PHASE_NAMES):
        if not isinstance(item, dict) or item.get("phase") != phase:
            raise Invalid({"agenda": _("The agenda has the five phases in order: %(phases)s.",
                                       phases=", ".join(PHASE_NAMES))})
        minutes = item.get("minutes")
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= DURATION_MAX:
            raise Invalid({"agenda": _("Each phase lasts a whole number of minutes, at least 1.")})
        technique = item.get("technique", dict((p, t) for p, _s, t in PHASES)[phase])
        if technique not in TECHNIQUES:
            raise Invalid({"agenda": _("Choose a technique from: %(techniques)s.",
                                       techniques=", ".join(TECHNIQUES))})
        cleaned.append({"phase": phase, "minutes": minutes, "technique": technique})
    total = sum(item["minutes"] for item in cleaned)
    if total != duration_minutes:
        raise Invalid({"agenda": _("The phases add up to %(total)s minutes, but the session lasts "
                                   "%(duration)s minutes.", total=total, duration=duration_minutes)})
    return cleaned


# --- reading values ----------------------------------------------------------------------------

def _text(data: dict, name: str, max_length: int, fields: dict, *, required: bool = True) -> str:
    value = data.get(name, "" if not required else None)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        fields[name] = _("Please fill this in.")
        return ""
    value = value.strip()
    if len(value) > max_length:
        fields[name] = _("At most %(n)s characters.", n=max_length)
    return value


def _integer(data: dict, name: str, low: int, high: int, fields: dict, default: int | None = None):
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        fields[name] = _("A whole number from %(low)s to %(high)s.", low=low, high=high)
        return None
    return value


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def online_max_minutes() -> int:
    return int(current_app.config["SESSION_ONLINE_MAX_MINUTES"])


@dataclass
class SessionValues:
    title: str
    purpose: str
    mode: str
    place_or_url: str
    starts_at: datetime
    duration_minutes: int
    capacity: int
    idea_id: int | None = None
    product_id: int | None = None
    campaign_id: int | None = None
    agenda: list[dict[str, Any]] | None = None
    repeat_monthly: int = 1


def _reference(data: dict, name: str, fields: dict) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if not is_row_id(value):
        fields[name] = _("The id of an existing row.")
        return None
    return value


def read_values(data: dict) -> SessionValues:
    """Check a session's fields (API body or form data); Invalid naming every bad field."""
    fields: dict[str, str] = {}
    title = _text(data, "title", TITLE_MAX, fields)
    purpose = _text(data, "purpose", PURPOSE_MAX, fields)
    mode = data.get("mode")
    if mode not in SESSION_MODES:
        fields["mode"] = _("Choose online or in person.")
    place = _text(data, "place_or_url", PLACE_MAX, fields)
    if mode == "online" and place and not is_meeting_url(data.get("place_or_url")):
        fields["place_or_url"] = _("An online session needs a meeting link (http:// or https://).")
    starts_at = _moment(data.get("starts_at"))
    if starts_at is None:
        fields["starts_at"] = _("A date and time, e.g. 2030-04-01T10:00:00+09:00.")
    elif starts_at <= utcnow():
        fields["starts_at"] = _("The session must start in the future.")
    duration = _integer(data, "duration_minutes", DURATION_MIN, DURATION_MAX, fields)
    if mode == "online" and duration is not None and duration > online_max_minutes():
        fields["duration_minutes"] = _("An online session lasts at most %(n)s minutes: plan an "
                                       "in-person session or split it in two.",
                                       n=online_max_minutes())
    capacity = _integer(data, "capacity", 1, CAPACITY_MAX, fields)
    repeat = _integer(data, "repeat_monthly", 1, SERIES_MAX, fields, default=1)
    values = SessionValues(title, purpose, mode or "", place, starts_at or utcnow(), duration or 0,
                           capacity or 0, _reference(data, "idea_id", fields),
                           _reference(data, "product_id", fields),
                           _reference(data, "campaign_id", fields), repeat_monthly=repeat or 1)
    if data.get("agenda") is not None and "duration_minutes" not in fields and duration:
        try:
            values.agenda = validate_agenda(data["agenda"], duration)
        except Invalid as error:
            fields.update(error.fields)
    if fields:
        raise Invalid(fields)
    return values


def _check_links(values: SessionValues) -> None:
    """The linked idea, product and campaign exist."""
    if values.idea_id is not None and db.session.get(Idea, values.idea_id) is None:
        raise Invalid({"idea_id": _("No such idea.")}, code="idea_not_found")
    if values.product_id is not None and db.session.get(Product, values.product_id) is None:
        raise Invalid({"product_id": _("No such product.")}, code="product_not_found")
    if values.campaign_id is not None and db.session.get(Campaign, values.campaign_id) is None:
        raise Invalid({"campaign_id": _("No such campaign.")}, code="campaign_not_found")


def _add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# --- staff: planning ---------------------------------------------------------------------------

def create_session(staff: User, data: dict) -> CoSession:
    """Plan a session (and, with repeat_monthly > 1, a monthly series of them: the first is
    returned). The agenda is the template in proportion to the duration unless one is given."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    values = read_values(data)
    _check_links(values)
    series = None
    if values.repeat_monthly > 1:
        series = SessionSeries(created_by_id=staff.id, occurrences=values.repeat_monthly)
        db.session.add(series)
        db.session.flush()
    agenda = values.agenda or generate_agenda(values.duration_minutes)
    created = []
    for month in range(values.repeat_monthly):
        session = CoSession(
            title=values.title, purpose=values.purpose, mode=values.mode,
            place_or_url=values.place_or_url, starts_at=_add_months(values.starts_at, month),
            duration_minutes=values.duration_minutes, capacity=values.capacity,
            accepted_count=0, agenda=[dict(item) for item in agenda], idea_id=values.idea_id,
            product_id=values.product_id, campaign_id=values.campaign_id,
            series_id=series.id if series else None, created_by_id=staff.id)
        db.session.add(session)
        created.append(session)
    db.session.flush()
    for session in created:
        events.audit(staff, "session.created", session, after={
            "title": session.title, "mode": session.mode, "starts_at": session.starts_at.isoformat(),
            "duration_minutes": session.duration_minutes, "capacity": session.capacity,
            "series_id": session.series_id})
    return created[0]


def _session(session_id: int) -> CoSession:
    session = db.session.get(CoSession, session_id) if is_row_id(session_id) else None
    if session is None:
        raise NotFound("session_not_found", _("No such session."))
    return session


def _lock(session_id: int) -> CoSession:
    """The session read fresh with its row locked until commit (the database on SQLite)."""
    if not is_row_id(session_id):
        raise NotFound("session_not_found", _("No such session."))
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE cocreation_sessions SET id = id WHERE 0 = 1"))
    session = db.session.scalar(select(CoSession).where(CoSession.id == session_id)
                                .with_for_update().execution_options(populate_existing=True))
    if session is None:
        raise NotFound("session_not_found", _("No such session."))
    return session


def _require_open(session: CoSession) -> None:
    """Nothing more happens to a cancelled session (409 session_cancelled)."""
    if session.cancelled_at is not None:
        raise Conflict("session_cancelled", _("This session was cancelled."))


CANCEL_REASON_MAX = 500


def cancel_session(staff: User, session_id: int, reason: Any) -> CoSession:
    """Cancel a session that has not started, with a reason (required: the invitees read it).
    Everyone invited who has not declined (with a place, on the waiting list, or not answered
    yet) is told in their language, as their preference for sessions says; the invitations
    stay as they were, for the record. Audited."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    fields: dict[str, str] = {}
    text_reason = _text({"reason": reason}, "reason", CANCEL_REASON_MAX, fields)
    if fields:
        raise Invalid(fields)
    session = _lock(session_id)
    _require_open(session)
    if session.starts_at <= utcnow():
        raise Conflict("session_started", _("This session has started: it cannot be cancelled "
                                            "any more."))
    session.cancelled_at = utcnow()
    session.cancelled_by_id = staff.id
    session.cancel_reason = text_reason
    told = list(db.session.scalars(
        select(User).join(SessionInvitation, SessionInvitation.user_id == User.id)
        .where(SessionInvitation.session_id == session.id,
               SessionInvitation.status != "declined")
        .order_by(SessionInvitation.id)))
    events.audit(staff, "session.cancelled", session, before={"cancelled": False},
                 after={"cancelled": True, "told": len(told)}, reason=text_reason)
    if told:
        events.notify(told, "session_cancelled", {"title": session.title, "when": _when(session),
                                                  "reason": text_reason})
    return session


def update_session(staff: User, session_id: int, data: dict) -> CoSession:
    """Change the title, purpose, place or agenda (edited minutes must still add up)."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    session = _lock(session_id)
    _require_open(session)
    fields: dict[str, str] = {}
    before = {"title": session.title, "agenda": session.agenda}
    if "title" in data:
        session.title = _text(data, "title", TITLE_MAX, fields) or session.title
    if "purpose" in data:
        session.purpose = _text(data, "purpose", PURPOSE_MAX, fields) or session.purpose
    if "place_or_url" in data:
        place = _text(data, "place_or_url", PLACE_MAX, fields)
        if session.mode == "online" and place and not is_meeting_url(data.get("place_or_url")):
            fields["place_or_url"] = _("An online session needs a meeting link (http:// or "
                                       "https://).")
        elif place:
            session.place_or_url = place
    if "agenda" in data:
        try:
            session.agenda = validate_agenda(data["agenda"], session.duration_minutes)
        except Invalid as error:
            fields.update(error.fields)
    if fields:
        raise Invalid(fields)
    events.audit(staff, "session.updated", session, before=before,
                 after={"title": session.title, "agenda": session.agenda})
    return session


def get_session(viewer: User | None, session_id: int) -> CoSession:
    """The session for staff and its invitees; 404 for anyone else (never reveal it exists)."""
    session = _session(session_id)
    if permissions.can(viewer, Action.MANAGE_SESSIONS) or (
            viewer is not None and getattr(viewer, "is_authenticated", False)
            and invitation_of(viewer, session.id) is not None):
        return session
    raise NotFound("session_not_found", _("No such session."))


def staff_sessions(staff: User, *, upcoming: bool = True, limit: int = 50) -> list[CoSession]:
    """Sessions by start: the coming ones first (or the past ones, latest first)."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    now = utcnow()
    stmt = select(CoSession)
    stmt = stmt.where(CoSession.starts_at >= now - timedelta(hours=12)).order_by(
        CoSession.starts_at, CoSession.id) if upcoming else stmt.where(
        CoSession.starts_at < now - timedelta(hours=12)).order_by(
        CoSession.starts_at.desc(), CoSession.id.desc())
    return list(db.session.scalars(stmt.limit(limit)))


def invitation_counts(session_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """{session_id: {invited, accepted, waiting, declined, attended}} in one query."""
    ids = list(session_ids)
    counts: dict[int, dict[str, int]] = {
        sid: {"invited": 0, "accepted": 0, "waiting": 0, "declined": 0, "attended": 0}
        for sid in ids}
    if not ids:
        return counts
    rows = db.session.execute(
        select(SessionInvitation.session_id, SessionInvitation.status, func.count(),
               func.count(SessionInvitation.attended_at))
        .where(SessionInvitation.session_id.in_(ids))
        .group_by(SessionInvitation.session_id, SessionInvitation.status)).all()
    for session_id, status, count, attended in rows:
        counts[session_id][status] += count
        counts[session_id]["attended"] += attended
    return counts


def invitations_of(staff: User, session_id: int) -> list[SessionInvitation]:
    """Everyone invited, in the order staff read them: places, waiting list, the rest."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    from sqlalchemy.orm import joinedload

    order = {"accepted": 0, "waiting": 1, "invited": 2, "declined": 3}
    rows = list(db.session.scalars(
        select(SessionInvitation).where(SessionInvitation.session_id == session_id)
        .options(joinedload(SessionInvitation.user).lazyload(User.role_rows))
        .order_by(SessionInvitation.id)))
    return sorted(rows, key=lambda row: (order[row.status], row.waiting_since or row.invited_at,
                                         row.id))


# --- invitations -------------------------------------------------------------------------------

def _when(session: CoSession) -> dict:
    return nk.moment(session.starts_at)


def _user_ids(value: Any, name: str = "user_ids") -> list[int]:
    if not isinstance(value, list) or not value or len(value) > INVITE_MAX \
            or not all(is_row_id(item) for item in value):
        raise Invalid({name: _("A list of 1 to %(n)s member ids.", n=INVITE_MAX)})
    return list(dict.fromkeys(value))


def invite(staff: User, session_id: int, user_ids: Any) -> dict[str, list[int]]:
    """Invite members (each told once, in their language); those invited already are left as
    they are. Returns {invited: [...], already_invited: [...]}."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    ids = _user_ids(user_ids)
    session = _lock(session_id)
    _require_open(session)
    if session.starts_at <= utcnow():
        raise Conflict("session_started", _("This session has started: nobody can be invited "
                                            "any more."))
    users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
    missing = [user_id for user_id in ids if user_id not in users or users[user_id].is_blocked]
    if missing:
        raise Invalid({"user_ids": _("No such member: %(ids)s.",
                                     ids=", ".join(str(i) for i in missing))},
                      code="user_not_found")
    already = set(db.session.scalars(select(SessionInvitation.user_id).where(
        SessionInvitation.session_id == session.id, SessionInvitation.user_id.in_(ids))))
    new = [user_id for user_id in ids if user_id not in already]
    for user_id in new:
        db.session.add(SessionInvitation(session_id=session.id, user_id=user_id, status="invited",
                                         invited_by_id=staff.id))
    db.session.flush()
    if new:
        events.audit(staff, "session.invited", session, after={"user_ids": new})
        events.notify([users[user_id] for user_id in new], "session_invite",
                      {"title": session.title, "when": _when(session)})
    return {"invited": new, "already_invited": [i for i in ids if i in already]}


def invitation_of(user: User, session_id: int) -> SessionInvitation | None:
    return db.session.scalar(select(SessionInvitation).where(
        SessionInvitation.session_id == session_id, SessionInvitation.user_id == user.id))


def _own_invitation(user: User, session: CoSession, *, lock: bool = False) -> SessionInvitation:
    stmt = select(SessionInvitation).where(SessionInvitation.session_id == session.id,
                                           SessionInvitation.user_id == user.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    invitation = db.session.scalar(stmt)
    if invitation is None:
        raise Forbidden("not_invited", _("Only invited members can take part in this session."))
    return invitation


def register(user: User, session_id: int, *, join_waiting_list: bool = False) -> SessionInvitation:
    """Accept an invitation. With a place free: status `accepted`. When the session is full:
    Conflict `session_full`, unless the member asked to join the waiting list, then status
    `waiting` (in order of arrival). The session's row is locked, so two members accepting the
    last place at once cannot both have it."""
    permissions.require(user, Action.TAKE_PART)
    session = _lock(session_id)
    invitation = _own_invitation(user, session, lock=True)
    _require_open(session)
    if session.starts_at <= utcnow():
        raise Conflict("session_started", _("This session has started."))
    if invitation.status == "accepted":
        raise Conflict("already_registered", _("You already have a place in this session."))
    if invitation.status == "waiting":
        return invitation
    now = utcnow()
    invitation.responded_at = now
    if session.accepted_count < session.capacity:
        invitation.status = "accepted"
        invitation.waiting_since = None
        session.accepted_count += 1  # the row is locked
    elif join_waiting_list:
        invitation.status = "waiting"
        invitation.waiting_since = now
    else:
        raise Conflict("session_full", _("This session is full. You can join its waiting list: "
                                         "you get the first place that becomes free."))
    db.session.flush()
    return invitation


def decline(user: User, session_id: int) -> SessionInvitation:
    """Decline (or give up a place, or leave the waiting list). A place given up goes to the
    first member on the waiting list, who is told."""
    permissions.require(user, Action.TAKE_PART)
    session = _lock(session_id)
    invitation = _own_invitation(user, session, lock=True)
    _require_open(session)
    if session.starts_at <= utcnow():
        raise Conflict("session_started", _("This session has started."))
    was = invitation.status
    invitation.status = "declined"
    invitation.waiting_since = None
    invitation.responded_at = utcnow()
    if was == "accepted":
        session.accepted_count -= 1  # the row is locked
        _fill_from_waiting_list(session)
    db.session.flush()
    return invitation


def _fill_from_waiting_list(session: CoSession) -> list[SessionInvitation]:
    """Give free places to the waiting list in order (the session's row is locked)."""
    promoted = []
    while session.accepted_count < session.capacity:
        first = db.session.scalar(
            select(SessionInvitation).where(SessionInvitation.session_id == session.id,
                                            SessionInvitation.status == "waiting")
            .order_by(SessionInvitation.waiting_since, SessionInvitation.id).limit(1)
            .with_for_update())
        if first is None:
            break
        first.status = "accepted"
        first.waiting_since = None
        session.accepted_count += 1
        promoted.append(first)
    db.session.flush()
    if promoted:
        events.notify([row.user for row in promoted], "session_place",
                      {"title": session.title, "when": _when(session)})
    return promoted


def my_sessions(user: User) -> list[tuple[CoSession, SessionInvitation, bool]]:
    """The member's invitations with their sessions (coming first, then past), and whether
    they gave feedback."""
    rows = list(db.session.execute(
        select(SessionInvitation, CoSession).join(CoSession,
                                                  CoSession.id == SessionInvitation.session_id)
        .where(SessionInvitation.user_id == user.id)
        .order_by(CoSession.starts_at.desc(), CoSession.id.desc()).limit(100)).all())
    given = set(db.session.scalars(select(SessionFeedback.session_id).where(
        SessionFeedback.user_id == user.id,
        SessionFeedback.session_id.in_([session.id for _i, session in rows] or [-1]))))
    now = utcnow()
    coming = [(s, i, s.id in given) for i, s in rows if s.starts_at >= now]
    past = [(s, i, s.id in given) for i, s in rows if s.starts_at < now]
    return list(reversed(coming)) + past


# --- during and after ----------------------------------------------------------------------------

def record_attendance(staff: User, session_id: int, user_ids: Any) -> list[int]:
    """Mark invitees as present (once; marking again changes nothing). 422 for anyone who was
    not invited."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    ids = _user_ids(user_ids)
    session = _lock(session_id)
    _require_open(session)
    invitations = {row.user_id: row for row in db.session.scalars(select(SessionInvitation).where(
        SessionInvitation.session_id == session.id, SessionInvitation.user_id.in_(ids)))}
    missing = [user_id for user_id in ids if user_id not in invitations]
    if missing:
        raise Conflict("not_invited", _("Not invited to this session: %(ids)s.",
                                        ids=", ".join(str(i) for i in missing)))
    now = utcnow()
    marked = []
    for user_id in ids:
        if invitations[user_id].attended_at is None:
            invitations[user_id].attended_at = now
            marked.append(user_id)
    if marked:
        events.audit(staff, "session.attendance", session, after={"user_ids": marked})
    return sorted(user_id for user_id, row in invitations.items() if row.attended_at is not None)


def give_feedback(user: User, session_id: int, satisfaction: Any, comment: Any = None
                  ) -> SessionFeedback:
    """An attendee's satisfaction (1-5) and comment, once. 403 for anyone who did not attend."""
    permissions.require(user, Action.TAKE_PART)
    session = _session(session_id)
    invitation = invitation_of(user, session.id)
    if invitation is None or invitation.attended_at is None:
        raise Forbidden("not_an_attendee", _("Only those who attended the session can give "
                                             "feedback on it."))
    fields = {}
    if not isinstance(satisfaction, int) or isinstance(satisfaction, bool) \
            or not 1 <= satisfaction <= 5:
        fields["satisfaction"] = _("From 1 (not at all satisfied) to 5 (very satisfied).")
    if comment is not None and not isinstance(comment, str):
        fields["comment"] = _("Text.")
    elif comment and len(comment) > COMMENT_MAX:
        fields["comment"] = _("At most %(n)s characters.", n=COMMENT_MAX)
    if fields:
        raise Invalid(fields)
    if db.session.scalar(select(SessionFeedback.id).where(
            SessionFeedback.session_id == session.id, SessionFeedback.user_id == user.id)):
        raise Conflict("feedback_given", _("You have already given feedback on this session."))
    feedback = SessionFeedback(session_id=session.id, user_id=user.id, satisfaction=satisfaction,
                               comment=(comment or "").strip())
    db.session.add(feedback)
    db.session.flush()  # the unique (session, user) refuses a second one in a race
    return feedback


def feedback_summary(session_id: int) -> dict[str, Any]:
    """{count, mean (a string with one decimal, or None), distribution {1..5}, comments}."""
    rows = list(db.session.execute(select(SessionFeedback.satisfaction, SessionFeedback.comment)
                                   .where(SessionFeedback.session_id == session_id)
                                   .order_by(SessionFeedback.id)).all())
    distribution = {value: 0 for value in range(1, 6)}
    for value, _comment in rows:
        distribution[value] += 1
    total = sum(value for value, _c in rows)
    mean = None
    if rows:
        tenths = (total * 10 * 2 + len(rows)) // (len(rows) * 2)  # rounded half up, in tenths
        mean = f"{tenths // 10}.{tenths % 10}"
    return {"count": len(rows), "mean": mean, "distribution": distribution,
            "comments": [comment for _v, comment in rows if comment][:50]}


def update_outputs(staff: User, session_id: int, data: dict) -> CoSession:
    """The session's notes, insights and decisions (Markdown, stored with sanitised HTML) and
    the ideas they are linked to (`idea_ids` replaces the list)."""
    permissions.require(staff, Action.MANAGE_SESSIONS)
    session = _lock(session_id)
    fields: dict[str, str] = {}
    for name in ("notes", "insights", "decisions"):
        if name in data:
            value = data[name]
            if not isinstance(value, str) or len(value) > OUTPUT_MAX:
                fields[name] = _("Markdown text of at most %(n)s characters.", n=OUTPUT_MAX)
                continue
            setattr(session, name, value)
            setattr(session, f"{name}_html", markdown.render_stored(value)[0])
    if "idea_ids" in data:
        ids = data["idea_ids"]
        if not isinstance(ids, list) or len(ids) > 50 or not all(is_row_id(i) for i in ids):
            fields["idea_ids"] = _("A list of at most 50 idea ids.")
        else:
            found = set(db.session.scalars(select(Idea.id).where(Idea.id.in_(ids or [-1]))))
            missing = [i for i in ids if i not in found]
            if missing:
                raise Invalid({"idea_ids": _("No such idea: %(ids)s.",
                                             ids=", ".join(str(i) for i in missing))},
                              code="idea_not_found")
            else:
                db.session.execute(SessionIdea.__table__.delete().where(
                    SessionIdea.session_id == session.id))
                for idea_id in dict.fromkeys(ids):
                    db.session.add(SessionIdea(session_id=session.id, idea_id=idea_id))
    if fields:
        raise Invalid(fields)
    db.session.flush()
    events.audit(staff, "session.outputs", session, after={
        name: len(getattr(session, name)) for name in ("notes", "insights", "decisions")})
    return session


def linked_idea_ids(session_id: int) -> list[int]:
    return list(db.session.scalars(select(SessionIdea.idea_id).where(
        SessionIdea.session_id == session_id).order_by(SessionIdea.idea_id)))


# --- reminders (job, scheduled) ------------------------------------------------------------------

REMIND_BEFORE = timedelta(hours=24)


def send_reminders(batch: int = 500) -> int:
    """Remind everyone with a place in a session starting within the next 24 hours, once each:
    an invitation is claimed by setting reminded_at where it is still empty (a second run, or
    two schedulers at once, find nothing to claim). Returns how many were reminded."""
    now = utcnow()
    sent = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            select(SessionInvitation.id).join(CoSession,
                                              CoSession.id == SessionInvitation.session_id)
            .where(SessionInvitation.status == "accepted",
                   SessionInvitation.reminded_at.is_(None), SessionInvitation.id > last_id,
                   CoSession.starts_at > now, CoSession.starts_at <= now + REMIND_BEFORE,
                   CoSession.cancelled_at.is_(None))
            .order_by(SessionInvitation.id).limit(batch)).scalars().all()
        if not rows:
            break
        last_id = rows[-1]
        for invitation_id in rows:
            claimed = db.session.execute(
                update(SessionInvitation).where(SessionInvitation.id == invitation_id,
                                                SessionInvitation.reminded_at.is_(None))
                .values(reminded_at=now)).rowcount
            if claimed != 1:
                continue
            invitation = db.session.get(SessionInvitation, invitation_id)
            session = invitation.session
            events.notify([invitation.user], "session_reminder", {
                "title": session.title, "when": _when(session),
                "where": session.place_or_url})
            sent += 1
        db.session.commit()
    return sent


@jobs.job("sessions.remind")
def remind_job() -> int:
    """The scheduled reminders (app.jobs.schedule, every 15 minutes): idempotent."""
    from app.jobs.periodic import _as_site

    with _as_site():
        return send_reminders()


# --- photos (app.images through app.services.media) ----------------------------------------------

PHOTO_FOLDER = "sessions"
PHOTO_PREFIX = "s"
PHOTO_SIZES = {"thumb": 320, "large": 1600}
PHOTOS_MAX = 30


def add_photo(staff: User, session_id: int, data: bytes) -> SessionPhoto:
    """A photo of the session: processed as idea images are (decoded, metadata stripped,
    resized), its files written before the row and removed if the transaction does not commit.
    TooLarge / Invalid (field `file`) / Conflict too_many_photos / StorageUnavailable."""
    from app import images as image_files
    from app.errors import TooLarge
    from app.services import media

    permissions.require(staff, Action.MANAGE_SESSIONS)
    session = _session(session_id)
    try:
        processed = media.process_upload(data, PHOTO_SIZES)
    except image_files.ImageRejected as error:
        if error.code == "too_large":
            raise TooLarge("too_large", _("This image file is too large (at most %(n)s MB).",
                                          n=current_app.config["IMAGE_MAX_BYTES"] // (1024 * 1024))
                           ) from None
        raise Invalid({"file": _(error.template, **error.params)}, code=error.code) from None
    session = _lock(session.id)
    count = db.session.scalar(select(func.count()).select_from(SessionPhoto).where(
        SessionPhoto.session_id == session.id))
    if count >= PHOTOS_MAX:
        raise Conflict("too_many_photos", _("A session can have at most %(n)s photos.",
                                            n=PHOTOS_MAX))
    key = media.store(processed, PHOTO_PREFIX, PHOTO_FOLDER)
    photo = SessionPhoto(session_id=session.id, key=key, uploaded_by_id=staff.id)
    db.session.add(photo)
    db.session.flush()
    events.audit(staff, "session.photo_added", session, after={"photo_id": photo.id})
    return photo


def photos_of(session_id: int) -> list[SessionPhoto]:
    return list(db.session.scalars(select(SessionPhoto).where(
        SessionPhoto.session_id == session_id).order_by(SessionPhoto.id)))


def photo_to_serve(viewer: User | None, key: str, size: str) -> str:
    """The storage key of a photo's variant for staff and the session's invitees; NotFound
    for anyone else or anything else."""
    from app import images as image_files

    missing = NotFound("photo_not_found", _("No such photo."))
    if size not in PHOTO_SIZES:
        raise missing
    photo = db.session.scalar(select(SessionPhoto).where(SessionPhoto.key == key))
    if photo is None:
        raise missing
    get_session(viewer, photo.session_id)  # 404 unless staff or invited
    try:
        return image_files.variant_name(key, size, PHOTO_FOLDER)
    except ValueError:
        raise missing from None
