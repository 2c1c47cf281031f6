"""Accounts: users, their roles and API tokens."""
from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

ROLES = ("member", "moderator", "reviewer", "finance", "product_manager", "community_manager", "analyst",
         "admin")
STAFF_ROLES = ("moderator", "reviewer", "finance", "product_manager", "community_manager", "analyst", "admin")


def new_ref_code() -> str:
    return secrets.token_urlsafe(9)  # 12 characters of [A-Za-z0-9_-]


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(255))
    #: A deleted member's is stored as DELETED_MEMBER and read in the reader's language (see
    #: _deleted_name below).
    display_name: Mapped[str] = mapped_column(String(80))
    bio: Mapped[str] = mapped_column(Text, default="")
    # Unique and indexed: /avatars/<key> finds its member (and only a current avatar is served).
    avatar_key: Mapped[str | None] = mapped_column(String(64), index=True, unique=True)
    #: The member's language (set from the one they signed up in; chosen in settings).
    locale: Mapped[str | None] = mapped_column(String(8))
    #: IANA time zone; None = the default of their language (app.i18n.DEFAULT_TIME_ZONES).
    time_zone: Mapped[str | None] = mapped_column(String(64))
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change: invalidates reset links and API tokens issued before.
    security_stamp: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # KPI cohorts
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Consents (app.services.consents): "For you" from the member's behaviour, and marketing
    #: mail (announcements, nudges, re-engagement); service mail always goes.
    personalisation: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    marketing_mail: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    #: When the member deleted their account (app.services.deletion): the row stays, pseudonymous,
    #: so what others see (comments, ledger entries, co-created ideas) keeps its author.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Staff two-factor sign-in (app.services.two_factor): the TOTP secret (base32), and when
    #: its first code was checked (None: not enrolled, or enrolment not finished).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The member's personal share code (`?ref=<code>`): stable, random, not their id.
    ref_code: Mapped[str | None] = mapped_column(String(16), unique=True, default=new_ref_code)
    #: When the member's previous visit ended (app.services.visits): the "since your last
    #: visit" panel shows what happened after it. Kept when a new visit starts, before
    #: last_seen_at moves on.
    previous_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The versions of the member terms and privacy policy the member last accepted (the full
    #: record is in policy_acceptances); compared with the versions in force on every request.
    terms_version: Mapped[str | None] = mapped_column(String(20))
    privacy_version: Mapped[str | None] = mapped_column(String(20))

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def roles(self) -> list[str]:
        return sorted({"member", *(r.role for r in self.role_rows)}, key=ROLES.index)

    def has_role(self, role: str) -> bool:
        return role == "member" or any(r.role == role for r in self.role_rows)

    @property
    def is_staff(self) -> bool:
        return any(r.role in STAFF_ROLES for r in self.role_rows)

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def is_active(self) -> bool:  # Flask-Login: blocked and deleted accounts cannot sign in
        return self.blocked_at is None and self.deleted_at is None

    def get_id(self) -> str:
        return f"{self.id}:{self.security_stamp}"


#: What a deleted member's name is stored as (and, translated, read as).
DELETED_MEMBER = "Deleted member"


def deleted_member_name() -> str:
    """ "Deleted member" in the current reader's language (English outside a request)."""
    from flask_babel import gettext

    try:
        return gettext(DELETED_MEMBER)
    except (RuntimeError, KeyError, AttributeError):
        return DELETED_MEMBER


@event.listens_for(User, "load")
def _deleted_name(user: User, _context) -> None:
    """A deleted member's name reads "Deleted member" in the language of whoever loads it (a
    request loads its own rows): set as if loaded, so it is never written back."""
    if user.__dict__.get("deleted_at") is not None and "display_name" in user.__dict__:
        from sqlalchemy.orm.attributes import set_committed_value

        set_committed_value(user, "display_name", deleted_member_name())


@event.listens_for(User, "refresh")
def _deleted_name_refreshed(user: User, _context, _attrs) -> None:
    _deleted_name(user, _context)


class UserRole(db.Model):
    __tablename__ = "user_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (UniqueConstraint("user_id", "role"),)


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A signed-in browser: the Flask session carries its id, checked on every request, so
    signing out (or being blocked, or changing the password elsewhere) ends it on the server; a
    copied cookie stops working with it. With "keep me signed in" it also has a remember-me
    token of its own (only the SHA-256 is stored) in a cookie that outlives the browser."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    user_agent: Mapped[str] = mapped_column(String(255), default="")
    ip: Mapped[str] = mapped_column(String(45), default="")
    remember: Mapped[bool] = mapped_column(default=False)
    remember_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SignInThrottle(db.Model):
    """Failed sign-ins for one (normalised) e-mail address, whoever tries and from wherever:
    SIGN_IN_MAX_FAILURES within SIGN_IN_FAILURE_WINDOW seconds lock the address for
    SIGN_IN_LOCK_SECONDS, on the HTML sign-in and the API alike. Kept for unknown addresses too,
    so the answer never tells whether an account exists."""

    __tablename__ = "sign_in_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class RecoveryCode(db.Model):
    """One single-use recovery code of a staff member's two-factor sign-in (only its hash)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


#: queued -> building -> ready (downloadable until expires_at) | failed; ready -> expired.
EXPORT_STATUSES = ("queued", "building", "ready", "failed", "expired")


class DataExport(db.Model):
    """A member's archive of their own data (app.services.exports): built by a job, stored
    through app.storage, downloadable by its owner until it expires."""

    __tablename__ = "data_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    storage_key: Mapped[str | None] = mapped_column(String(200))
    size_bytes: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class AccountDeletion(db.Model):
    """A member's deletion of their account (app.services.deletion), in two steps: the request
    ends the account at once (`users.deleted_at`, "Deleted member", signed out everywhere) and
    writes this row; the job `rights.erase_account` then erases or pseudonymises the rest and
    sets `erased_at`. `name` is the display name the account had, kept only so the job can take
    it out of other members' notifications and mail: blanked when the job is done. Not CASCADE:
    the job needs the row after the account's personal rows are gone."""

    __tablename__ = "account_deletions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the erasure job finished (None: still being deleted).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: How many times the job started on it (a job that died runs again: see the sweep).
    attempts: Mapped[int] = mapped_column(default=0)
