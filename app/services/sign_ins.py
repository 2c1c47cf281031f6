"""Sign-ins: the per-account throttle, browser sessions and remember-me tokens.

The throttle counts sign-in attempts per normalised e-mail address, in the database, so the HTML
form and the API share one budget whatever the client's IP and however many processes serve
the site. Each attempt is counted before its password is checked (so parallel guesses count
against each other) and a successful one clears the count: SIGN_IN_MAX_FAILURES failures within SIGN_IN_FAILURE_WINDOW seconds lock the address
for SIGN_IN_LOCK_SECONDS (every attempt is refused, right password or not) and the member gets
one mail per lock. Unknown addresses are counted too, so the answer says nothing about which
addresses have accounts.

A browser session is a `user_sessions` row; the Flask session carries its id and every request
checks it (one indexed lookup, joined to the user), so signing out ends it on the server and a
copied cookie stops working. "Keep me signed in" gives the session a random remember-me token of
its own (only its SHA-256 is stored), sent in an HttpOnly, SameSite=Lax cookie for SESSION_DAYS.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from app.errors import DomainError, NotFound
from app.extensions import db
from app.i18n import speaking_to
from app.mail import send_mail
from app.models import SignInThrottle, User, UserSession
from app.models.base import utcnow
from app.security import hash_token

#: last_seen_at is written at most this often per session (not on every request).
LAST_SEEN_EVERY = timedelta(minutes=5)
USER_AGENT_MAX = 255


class TooManyAttempts(DomainError):
    """The address is locked after too many failed sign-ins (429, with Retry-After)."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, retry_after: int | None = None) -> None:
        if retry_after is None:
            retry_after = current_app.config["SIGN_IN_LOCK_SECONDS"]
        self.retry_after = max(1, retry_after)
        minutes = max(1, -(-self.retry_after // 60))
        super().__init__(self.code, _(
            "Too many failed sign-ins for this account. For your safety, signing in is paused "
            "for %(minutes)s minutes. You can also reset your password by e-mail.",
            minutes=minutes))


# --------------------------------------------------------------------------- the throttle


def _settings() -> tuple[int, timedelta, timedelta]:
    config = current_app.config
    return (config["SIGN_IN_MAX_FAILURES"], timedelta(seconds=config["SIGN_IN_FAILURE_WINDOW"]),
            timedelta(seconds=config["SIGN_IN_LOCK_SECONDS"]))


def locked_for(email: str) -> int:
    """Seconds the address stays locked (0 when it is not)."""
    locked_until = db.session.scalar(select(SignInThrottle.locked_until)
                                     .where(SignInThrottle.email == email))
    now = utcnow()
    return int((locked_until - now).total_seconds()) + 1 \
        if locked_until is not None and locked_until > now else 0


def reserve_attempt(email: str) -> int | None:
    """Count this attempt before its password is checked: the attempts in the window so far,
    this one included, or None while the address is locked. On a connection of its own,
    committed at once, so attempts in flight at the same time count against each other (no
    burst of parallel guesses slips past the limit)."""
    _limit, window, _lock = _settings()
    now = utcnow()
    fresh = SignInThrottle.window_started_at <= now - window
    bump = (update(SignInThrottle)
            .where(SignInThrottle.email == email,
                   or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now))
            .values(failures=case((fresh, 1), else_=SignInThrottle.failures + 1),
                    window_started_at=case((fresh, now), else_=SignInThrottle.window_started_at),
                    locked_until=None)
            .returning(SignInThrottle.failures))
    with db.engine.begin() as connection:
        count = connection.execute(bump).scalar()
        if count is None:
            insert = (postgresql.insert if connection.dialect.name == "postgresql"
                      else sqlite.insert)(SignInThrottle)
            count = connection.execute(
                insert.values(email=email, failures=1, window_started_at=now)
                .on_conflict_do_nothing(index_elements=["email"])
                .returning(SignInThrottle.failures)).scalar()
            if count is None:  # a row appeared meanwhile, or the address is locked
                count = connection.execute(bump).scalar()
    return count


def over_limit(count: int) -> bool:
    """More attempts than SIGN_IN_MAX_FAILURES are in this window: refuse unchecked."""
    return count > _settings()[0]


def at_limit(count: int) -> bool:
    return count >= _settings()[0]


def lock(email: str) -> bool:
    """Lock the address for SIGN_IN_LOCK_SECONDS; True when this call locked it (the caller
    tells the member, once per lock), False when it was locked already."""
    _limit, _window, lock_for = _settings()
    now = utcnow()
    locked = db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.email == email,
               or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now))
        .values(locked_until=now + lock_for, failures=0, window_started_at=now))
    return locked.rowcount == 1


def mail_lock(user: User, reset_link: str) -> None:
    """Tell the member, once per lock, that someone is guessing their password."""
    minutes = max(1, current_app.config["SIGN_IN_LOCK_SECONDS"] // 60)
    with speaking_to(user):  # the member's language, never the guesser's
        subject = _("Kyoso: someone is trying to sign in to your account")
        body = _("Hello %(name)s,\n\nThere were %(n)s failed attempts to sign in to your Kyoso "
                 "account with a wrong password. To protect your account, signing in is paused "
                 "for %(minutes)s minutes, on every device.\n\nIf it was you, wait and try "
                 "again, or choose a new password here:\n\n%(link)s\n\nIf it was not you, "
                 "your password has not been given away. If you use it anywhere else too, "
                 "change it.", name=user.display_name,
                 n=current_app.config["SIGN_IN_MAX_FAILURES"], minutes=minutes,
                 link=reset_link)
    send_mail(user.email, subject, body)


def clear_failures(email: str) -> None:
    """A successful sign-in (or a password reset) starts the count again and lifts a lock."""
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.email == email))


# --------------------------------------------------------------------------- sessions


@dataclass
class StartedSession:
    row: UserSession
    remember_token: str | None  # the cookie's value; only its hash is stored


def session_days() -> int:
    return current_app.config["SESSION_DAYS"]


def start_session(user: User, *, user_agent: str = "", ip: str = "",
                  remember: bool = False) -> StartedSession:
    """A new server-side session for a sign-in (with a remember-me token when asked)."""
    import secrets

    now = utcnow()
    token = secrets.token_urlsafe(32) if remember else None
    row = UserSession(user_id=user.id, created_at=now, last_seen_at=now,
                      expires_at=now + timedelta(days=session_days()),
                      user_agent=(user_agent or "")[:USER_AGENT_MAX], ip=(ip or "")[:45],
                      remember=remember, remember_hash=hash_token(token) if token else None)
    db.session.add(row)
    db.session.flush()
    return StartedSession(row, token)


def _live(now: datetime):
    return (UserSession.revoked_at.is_(None), UserSession.expires_at > now,
            User.blocked_at.is_(None))


def user_for_session(session_id: int, user_id: int) -> tuple[User, UserSession] | None:
    """The user of a live session (one query, the user loaded with it), or None when it has
    ended: signed out, ended from another device, expired, or the account is blocked."""
    now = utcnow()
    found = db.session.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.id == session_id, User.id == user_id, *_live(now))).first()
    if found is None:
        return None
    user, row = found
    _touch(row, now, user)
    return user, row


def user_for_remember_token(token: str) -> tuple[User, UserSession] | None:
    """The user and session a remember-me cookie belongs to, while both are live."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    found = db.session.execute(
        select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.remember_hash == hash_token(token), *_live(now))).first()
    if found is None:
        return None
    _touch(found[1], now, found[0])
    return found[0], found[1]


def _touch(row: UserSession, now: datetime, user: User | None = None) -> None:
    """Keep last_seen_at roughly current (at most one write per LAST_SEEN_EVERY), the session's
    and the member's (app.services.visits), on a connection of its own: most requests commit
    nothing."""
    from app.services import visits

    if row.last_seen_at is not None and now - row.last_seen_at < LAST_SEEN_EVERY:
        return
    with db.engine.begin() as connection:
        connection.execute(update(UserSession).where(UserSession.id == row.id)
                           .values(last_seen_at=now))
        if user is not None:
            visits.touch(connection, user, now)
    set_committed_value(row, "last_seen_at", now)


def end_session(session_id: int | None) -> None:
    """Sign-out: the session and its remember-me token stop working at once."""
    if session_id is None:
        return
    db.session.execute(update(UserSession).where(UserSession.id == session_id,
                                                 UserSession.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def end_sessions(user: User, *, keep: int | None = None) -> int:
    """End every session of the account (but `keep`, the one asking); how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user.id,
                                     UserSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return db.session.execute(stmt.values(revoked_at=utcnow())).rowcount


def end_one_session(user: User, session_id: int) -> None:
    """A member ends one of their sessions (NotFound for anyone else's, or one already ended)."""
    ended = db.session.execute(
        update(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id,
                                  UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount
    if not ended:
        raise NotFound("session_not_found", _("No such session."))


def active_sessions(user: User) -> list[UserSession]:
    """The account's live sessions, most recently used first."""
    now = utcnow()
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id,
                                  UserSession.revoked_at.is_(None), UserSession.expires_at > now)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()).limit(100)))


def purge(older_than_days: int = 30) -> int:
    """Delete sessions that ended or expired more than `older_than_days` ago, and throttle rows
    that no longer count (window over, no lock). Returns the sessions deleted."""
    now = utcnow()
    cutoff = now - timedelta(days=older_than_days)
    deleted = db.session.execute(delete(UserSession).where(
        or_(UserSession.revoked_at < cutoff, UserSession.expires_at < cutoff))).rowcount
    _limit, window, _lock = _settings()
    db.session.execute(delete(SignInThrottle).where(
        SignInThrottle.window_started_at < now - window,
        or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < now)))
    return deleted
