"""Accounts: sign-up, confirmation, sign-in, passwords, profiles, settings, roles and blocking.

Every function takes plain values, checks the rules, changes data and queues mail; none commits.
Signed links (confirmation, password reset) are itsdangerous tokens with one salt per purpose.
A reset token carries the account's security stamp, which every password change bumps, so a reset
link works once and dies with the password it was issued for (as do sessions and API tokens).
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from app import lifecycle, permissions
from app.permissions import Action
from app.errors import Conflict, DomainError, Invalid, NotFound, Unauthorized
from app.extensions import db
from app.images import ImageRejected, variant_name
from app.mail import send_mail
from app.models import ApiToken, Comment, Idea, IdeaCreator, Support, User, UserRole
from app.models.base import utcnow
from app.i18n import browser_time_zone, speaking_to
from app.models.users import ROLES, STAFF_ROLES
from app.security import hash_token, issue_token
from app.services import events, media, sign_ins, visits

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
DISPLAY_NAME_MAX_LENGTH = 80
BIO_MAX_LENGTH = 1000
EMAIL_MAX_LENGTH = 254
LOCALES = ("en", "ja")

CONFIRM_SALT = "kyoso.accounts.confirm-email"
RESET_SALT = "kyoso.accounts.reset-password"
EMAIL_CHANGE_SALT = "kyoso.accounts.change-email"
CONFIRM_MAX_AGE = 48 * 3600
EMAIL_CHANGE_MAX_AGE = 24 * 3600
RESET_MAX_AGE = 2 * 3600

AVATAR_SIZES = {"avatar": 256, "small": 64}
AVATAR_PREFIX = "avatar-"
AVATAR_SUBFOLDER = "avatars"

_DUMMY_HASH = generate_password_hash("kyoso-no-such-account", method="scrypt")
#: What str.isspace() calls white space, spelled out: Python's \s and JavaScript's (the OpenAPI
#: document's regex dialect) differ, so patterns shared with the document name them.
WHITESPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_NOT_IN_EMAIL = f"@{WHITESPACE}\\x00"
EMAIL_PATTERN = f"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\\.[^.{_NOT_IN_EMAIL}]+$"  # the document's too
_EMAIL_RE = re.compile(EMAIL_PATTERN)
#: zxcvbn's own limit; a longer password is scored on its first characters (its matching costs
#: grow faster than linearly with the length, and 72 strong characters are strong enough).
STRENGTH_SCORED_LENGTH = 72


# --------------------------------------------------------------------------- rules


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def email_problem(email: str) -> str | None:
    """None when the (normalised) email address is acceptable, else why not."""
    if not email:
        return _("Enter your email address.")
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL_RE.match(email):
        return _("Enter a valid email address.")
    return None


def password_problem(password: str, email: str = "", display_name: str = "") -> str | None:
    """None when the password is acceptable, else why not (shown to the member). Strength is
    zxcvbn's score (0-4; PASSWORD_MIN_SCORE, default 3): common passwords and their variants,
    keyboard rows, repeats, sequences, dates and the member's own address or name are refused."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN_LENGTH:
        return _("Use at least %(n)s characters.", n=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        return _("Use at most %(n)s characters.", n=PASSWORD_MAX_LENGTH)
    return password_weakness(password, [part for part in (email, email.split("@")[0],
                                                          display_name) if part])


def password_weakness(password: str, user_inputs: list[str] | None = None) -> str | None:
    """Why zxcvbn finds the password too easy to guess, or None when it scores high enough."""
    from zxcvbn import zxcvbn

    result = zxcvbn(password[:STRENGTH_SCORED_LENGTH], user_inputs=user_inputs or [])
    if result["score"] >= current_app.config.get("PASSWORD_MIN_SCORE", 3):
        return None
    reason = _strength_warning(result["feedback"].get("warning") or "")
    advice = _("Add another word or two; uncommon words are better.")
    return _("This password is too easy to guess: %(reason)s %(advice)s", reason=reason,
             advice=advice)


def _strength_warning(warning: str) -> str:
    """zxcvbn's warning (English) in the reader's language."""
    if "top-10" in warning or "top-100" in warning or "very common" in warning:
        return _("it is one of the most common passwords.")
    if "similar to a commonly used" in warning:
        return _("it is very close to a common password.")
    if "keys" in warning or "keyboard" in warning:
        return _("it follows a row or pattern of keys.")
    if "Repeats" in warning:
        return _("it repeats characters or words.")
    if "Sequences" in warning:
        return _("it contains a sequence like abc or 6543.")
    if "years" in warning or "Dates" in warning:
        return _("it contains a date or a year.")
    if "word by itself" in warning:
        return _("a single word is easy to guess.")
    if "ames" in warning:
        return _("names by themselves are easy to guess.")
    return _("it is too predictable.")


def clean_display_name(name: str) -> str:
    return " ".join((name or "").split())


def display_name_problem(name: str) -> str | None:
    if not name:
        return _("Enter a display name.")
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        return _("Use at most %(n)s characters.", n=DISPLAY_NAME_MAX_LENGTH)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return _("The name contains characters that cannot be shown.")
    if name.casefold() in _reserved_names():
        return _("This name is reserved: please choose another.")
    return None


def _reserved_names() -> set[str]:
    """What deleted accounts are called (app.services.deletion), in every language."""
    from flask_babel import force_locale

    from app.models.users import DELETED_MEMBER

    names = {DELETED_MEMBER.casefold()}
    for locale in LOCALES:
        with force_locale(locale):
            names.add(_(DELETED_MEMBER).casefold())
    return names


def _raise_if(fields: dict[str, str | None]) -> None:
    problems = {name: message for name, message in fields.items() if message}
    if problems:
        raise Invalid(problems)


# --------------------------------------------------------------------------- signed links


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_confirmation_token(user: User) -> str:
    return _serializer(CONFIRM_SALT).dumps({"u": user.id, "e": user.email})


def make_reset_token(user: User) -> str:
    return _serializer(RESET_SALT).dumps({"u": user.id, "s": user.security_stamp})


def _load(token: str, salt: str, max_age: int) -> dict:
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise Invalid({"token": _("This link has expired.")}, code="token_expired") from None
    except BadSignature:
        raise Invalid({"token": _("This link is invalid.")}, code="invalid_token") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise Invalid({"token": _("This link is invalid.")}, code="invalid_token")
    return data


def _link(endpoint: str, **values) -> str:
    """An absolute link for a mail, at PUBLIC_BASE_URL: never built from the request's Host
    header, which a caller controls (a reset link must not point to someone else's site)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context("/"):
        return base + url_for(endpoint, **values)


def send_confirmation(user: User) -> None:
    """Mail the user a link that confirms their address (after commit)."""
    link = _link("accounts.confirm", token=make_confirmation_token(user))
    with speaking_to(user, own_request=True):
        subject = _("Kyoso: confirm your email address")
        body = _("Hello %(name)s,\n\nPlease confirm your email address for Kyoso by opening this "
                 "link (valid for 48 hours):\n\n%(link)s\n\nIf you did not sign up, ignore this "
                 "mail.", name=user.display_name, link=link)
    send_mail(user.email, subject, body)


# --------------------------------------------------------------------------- sign-up, sign-in


def get_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _email_taken(email: str) -> bool:
    return db.session.scalar(select(func.count()).select_from(User).where(User.email == email)) > 0


def _add_user(user: User) -> None:
    try:
        with db.session.begin_nested():  # a concurrent sign-up may win the unique constraint
            db.session.add(user)
    except IntegrityError:
        raise Conflict("email_taken", _("An account with this email address already exists.")) from None


def _signup_locale() -> str | None:
    """The language the member signs up in (the page's, or the API caller's Accept-Language)."""
    if not has_request_context():
        return None
    from flask_babel import get_locale

    locale = str(get_locale())
    return locale if locale in LOCALES else None


def register(email: str, password: str, display_name: str, *, marketing_mail: Any = False,
             accept: Any = None, ip_address: str = "", user_agent: str = "") -> User:
    """Create an unconfirmed member account and mail the confirmation link. `accept`
    ({terms: version, privacy: version}) must name the versions in force of the member terms
    and privacy policy (none is asked while none is published); the acceptances and the
    consents given at sign-up are recorded (personalisation on by default, marketing mail only
    if ticked)."""
    from app.services import consents, policies

    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    fields = {"email": email_problem(email),
              "password": password_problem(password, email, display_name),
              "display_name": display_name_problem(display_name),
              "marketing_mail": None if isinstance(marketing_mail, bool)
              else _("Must be true or false.")}
    try:
        policies.check_accepted(accept if isinstance(accept, dict) else {})
    except Invalid as refused:
        if not any(fields.values()):  # only the acceptance is missing
            raise
        fields.update(refused.fields)
    _raise_if(fields)
    if _email_taken(email):
        raise Conflict("email_taken", _("An account with this email address already exists."))
    user = User(email=email, display_name=display_name, bio="", locale=_signup_locale(),
                time_zone=browser_time_zone(), security_stamp=0)
    user.set_password(password)
    user.personalisation, user.marketing_mail = True, marketing_mail
    _add_user(user)
    for kind in ("personalisation", "marketing_mail"):
        consents.record(user, kind, getattr(user, kind), ip_address=ip_address,
                        user_agent=user_agent)
    policies.accept(user, accept if isinstance(accept, dict) else {}, required=policies.POLICY_KINDS,
                    locale=user.locale, ip_address=ip_address, user_agent=user_agent)
    send_confirmation(user)
    return user


def create_confirmed_user(email: str, password: str, display_name: str,
                          roles: list[str] | tuple[str, ...] = (), actor: User | None = None) -> User:
    """An operator creates a confirmed account (CLI); staff roles are audited."""
    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    bad_roles = [role for role in roles if role not in ROLES]
    _raise_if({"email": email_problem(email),
               "password": password_problem(password, email, display_name),
               "display_name": display_name_problem(display_name),
               "roles": _("Unknown role: %(roles)s (choose from %(all)s).", roles=", ".join(bad_roles),
                          all=", ".join(ROLES)) if bad_roles else None})
    if _email_taken(email):
        raise Conflict("email_taken", _("An account with this email address already exists."))
    user = User(email=email, display_name=display_name, bio="", email_confirmed_at=utcnow(),
                security_stamp=0)
    user.set_password(password)
    _add_user(user)
    for role in dict.fromkeys(roles):
        grant_role(actor, user, role)
    return user


def confirm_email(token: str) -> User:
    """Confirm the address a confirmation link was sent to; idempotent."""
    data = _load(token, CONFIRM_SALT, CONFIRM_MAX_AGE)
    user = db.session.get(User, data["u"])
    if user is None or user.email != data.get("e"):
        raise Invalid({"token": _("This link is invalid.")}, code="invalid_token")
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def resend_confirmation(email: str) -> None:
    """Send a new confirmation link if an unconfirmed account has this address (says nothing)."""
    user = get_by_email(email)
    if user is not None and not user.email_confirmed and not user.is_blocked and \
            not user.is_deleted:
        send_confirmation(user)


@dataclass
class SignInAttempt:
    """What a sign-in came to: the user, or the refusal to raise once the attempt's bookkeeping
    (the throttle's count, the lock mail) has committed."""

    user: User | None = None
    refusal: DomainError | None = None

    def result(self) -> User:
        if self.refusal is not None:
            raise self.refusal
        return self.user


def attempt_sign_in(email: str, password: str) -> SignInAttempt:
    """Check credentials under the per-account throttle (app.services.sign_ins), shared by the
    HTML form and the API. Run it at the start of a transaction that commits even when it is
    refused (a lock must hold), then call `.result()`: the user, or Unauthorized (one message for
    any wrong address or password), or TooManyAttempts (429) while the address is locked."""
    email = normalise_email(email if isinstance(email, str) else "")
    password = password if isinstance(password, str) else ""
    wrong = Unauthorized("bad_credentials", _("The email address or password is not correct."))
    if len(email) > EMAIL_MAX_LENGTH:  # no account has it; nothing to count
        return SignInAttempt(refusal=wrong)
    count = sign_ins.reserve_attempt(email)
    if count is None:
        return SignInAttempt(refusal=sign_ins.TooManyAttempts(sign_ins.locked_for(email)))
    user = get_by_email(email)
    if sign_ins.over_limit(count):  # attempts in flight together passed the limit
        _lock(email, user)
        return SignInAttempt(refusal=sign_ins.TooManyAttempts())
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # answer as slowly as for a real account
    if user is None or not user.check_password(password):
        if sign_ins.at_limit(count):
            _lock(email, user)
        return SignInAttempt(refusal=wrong)
    if user.is_blocked:
        return SignInAttempt(refusal=Unauthorized("account_blocked", _("This account is blocked.")))
    if user.is_deleted:  # the erasure job has not taken the address and password yet
        return SignInAttempt(refusal=Unauthorized("account_deleted", _(
            "This account is being deleted: it can no longer be used, and its data is being "
            "erased now.")))
    sign_ins.clear_failures(email)
    visits.seen(user, utcnow())
    return SignInAttempt(user=user)


def _lock(email: str, user: User | None) -> None:
    if sign_ins.lock(email) and user is not None and not user.is_blocked:
        sign_ins.mail_lock(user, _link("accounts.forgot_password"))


def authenticate(email: str, password: str) -> User:
    """The account for these credentials, or the refusal raised (see attempt_sign_in)."""
    return attempt_sign_in(email, password).result()


def issue_api_token(user: User) -> str:
    return issue_token(user, current_app.config["TOKEN_MAX_AGE_SECONDS"])


def revoke_api_token(token: str) -> None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


# --------------------------------------------------------------------------- passwords


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has this address. Says nothing either way."""
    user = get_by_email(email or "")
    if user is None or user.is_blocked or user.is_deleted:
        return
    link = _link("accounts.reset_password", token=make_reset_token(user))
    with speaking_to(user, own_request=True):
        subject = _("Kyoso: reset your password")
        body = _("Hello %(name)s,\n\nSomeone (hopefully you) asked to reset your Kyoso password. "
                 "Open this link within 2 hours to choose a new one:\n\n%(link)s\n\n"
                 "If you did not ask for this, ignore this mail; your password stays as it is.",
                 name=user.display_name, link=link)
    send_mail(user.email, subject, body)


def user_for_reset_token(token: str) -> User:
    """The account a reset link is for, if the link is still good."""
    data = _load(token, RESET_SALT, RESET_MAX_AGE)
    user = db.session.get(User, data["u"])
    if user is None or user.security_stamp != data.get("s") or user.is_blocked or \
            user.is_deleted:
        raise Invalid({"token": _("This link is invalid or has already been used.")},
                      code="invalid_token")
    return user


def end_everything(user: User, *, keep_session: int | None = None) -> None:
    """End every way the account is signed in: its API tokens, browser sessions and remember-me
    tokens (but `keep_session`, the one changing the password), for good: unblocking revives
    none of them. The security stamp changes too, which ends password reset links."""
    user.security_stamp = (user.security_stamp or 0) + 1
    sign_ins.end_sessions(user, keep=keep_session)
    db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                              ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))


def _set_password(user: User, password: str, keep_session: int | None = None) -> None:
    """Set a new password: other sessions, API tokens and reset links die."""
    user.set_password(password)
    end_everything(user, keep_session=keep_session)
    sign_ins.clear_failures(user.email)


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    _raise_if({"password": password_problem(new_password, user.email, user.display_name)})
    _set_password(user, new_password)
    # Whoever holds the inbox has proved it is theirs.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def change_password(user: User, current_password: str, new_password: str,
                    keep_session: int | None = None) -> None:
    """Change the password; every other session and token of the account ends."""
    if not user.check_password(current_password or ""):
        raise Invalid({"current_password": _("Your current password is not correct.")})
    _raise_if({"new_password": password_problem(new_password, user.email, user.display_name)})
    _set_password(user, new_password, keep_session)


# --------------------------------------------------------------------------- e-mail address


def make_email_change_token(user: User, new_email: str) -> str:
    """The new address's link; it dies with the security stamp (a password change or reset, a
    block), which is what the notice to the old address tells them to do if it was not them."""
    return _serializer(EMAIL_CHANGE_SALT).dumps({"u": user.id, "old": user.email, "new": new_email,
                                                 "s": user.security_stamp})


def request_email_change(user: User, new_email: str, password: str) -> str:
    """Mail a confirmation link to the new address (valid EMAIL_CHANGE_MAX_AGE); the address
    changes only when it is opened. The current password is asked (a borrowed session cannot
    take the account over). Returns the normalised new address."""
    new_email = normalise_email(new_email if isinstance(new_email, str) else "")
    if not isinstance(password, str) or not user.check_password(password):
        raise Invalid({"password": _("Your current password is not correct.")})
    problem = email_problem(new_email)
    if problem is None and new_email == user.email:
        problem = _("This is already your email address.")
    _raise_if({"email": problem})
    if _email_taken(new_email):
        raise Conflict("email_taken", _("An account with this email address already exists."))
    link = _link("accounts.confirm_email_change", token=make_email_change_token(user, new_email))
    with speaking_to(user, own_request=True):
        subject = _("Kyoso: confirm your new email address")
        body = _("Hello %(name)s,\n\nYou asked to use this address for your Kyoso account. Open "
                 "this link within 24 hours to confirm it:\n\n%(link)s\n\nUntil then your "
                 "account keeps its current address. If you did not ask for this, ignore this "
                 "mail.", name=user.display_name, link=link)
    send_mail(new_email, subject, body)
    _tell_old_address(user, new_email)
    return new_email


def _tell_old_address(user: User, new_email: str) -> None:
    """The current address hears of the request at once, in the member's language: someone
    with the session and the password could otherwise move the account away unseen."""
    with speaking_to(user, own_request=True):
        subject = _("Kyoso: a change of your email address was requested")
        body = _("Hello %(name)s,\n\nSomeone signed in to your Kyoso account asked to change its "
                 "email address to %(new)s. Nothing changes unless the link sent there is opened "
                 "within 24 hours; until then your account keeps this address.\n\nIf this was "
                 "you, there is nothing to do. If it was not, reset your password at once: that "
                 "cancels the change and signs everyone out. %(link)s",
                 name=user.display_name, new=new_email, link=_link("accounts.forgot_password"))
    send_mail(user.email, subject, body)


def confirm_email_change(token: str) -> User:
    """Change the address a change link was sent to (once: the link names the old address too),
    and tell the old address."""
    data = _load(token, EMAIL_CHANGE_SALT, EMAIL_CHANGE_MAX_AGE)
    user = db.session.get(User, data["u"])
    new_email = data.get("new")
    if user is None or user.is_blocked or user.is_deleted or not isinstance(new_email, str):
        raise Invalid({"token": _("This link is invalid.")}, code="invalid_token")
    if user.email == new_email:  # opened twice
        return user
    if user.email != data.get("old") or data.get("s", user.security_stamp) != user.security_stamp:
        raise Invalid({"token": _("This link is invalid or has already been used.")},
                      code="invalid_token")
    if _email_taken(new_email):
        raise Conflict("email_taken", _("An account with this email address already exists."))
    old_email = user.email
    try:
        with db.session.begin_nested():  # a sign-up at the same moment may take the address
            user.email = new_email
    except IntegrityError:
        raise Conflict("email_taken", _("An account with this email address already exists.")) from None
    user.email_confirmed_at = utcnow()  # whoever holds the new inbox has proved it
    sign_ins.clear_failures(old_email)
    with speaking_to(user, own_request=True):
        subject = _("Kyoso: your email address was changed")
        body = _("Hello %(name)s,\n\nThe email address of your Kyoso account was changed from "
                 "this address to %(new)s. From now on mails go there and you sign in with it."
                 "\n\nIf you did not do this, reset your password at once: %(link)s",
                 name=user.display_name, new=new_email, link=_link("accounts.forgot_password"))
    send_mail(old_email, subject, body)
    return user


# --------------------------------------------------------------------------- profile, settings


def avatar_folder() -> str:
    """The local folder of avatar files (with the default local storage)."""
    return os.path.join(current_app.config["UPLOAD_FOLDER"], AVATAR_SUBFOLDER)


def avatar_to_serve(viewer, key: str, size: str) -> tuple[str, bool]:
    """The storage key of an avatar variant and whether anyone may see it (cacheable by
    everyone): a blocked member's picture is shown to staff only. NotFound for anything that
    is not a member's current avatar in a known size."""
    missing = NotFound("not_found", _("No such picture."))
    if size not in AVATAR_SIZES or not isinstance(key, str) or not key.startswith(AVATAR_PREFIX):
        raise missing
    try:
        name = variant_name(key, size, AVATAR_SUBFOLDER)
    except ValueError:
        raise missing from None
    owner = db.session.scalar(select(User).where(User.avatar_key == key))
    if owner is None:
        raise missing
    if owner.is_blocked:
        if not permissions.can(viewer, Action.BLOCK_USER):
            raise missing
        return name, False
    return name, True


def update_profile(user: User, display_name: str, bio: str, avatar: bytes | None = None,
                   remove_avatar: bool = False) -> User:
    """Change display name and bio; a new avatar is re-encoded (never stored as sent), written
    before the row changes, and the old one's files are removed once the change commits.
    Raises Invalid (field `avatar`) for an unacceptable picture, StorageUnavailable when the
    files cannot be written."""
    display_name = clean_display_name(display_name)
    bio = (bio or "").strip()
    _raise_if({"display_name": display_name_problem(display_name),
               "bio": _("Use at most %(n)s characters.", n=BIO_MAX_LENGTH)
               if len(bio) > BIO_MAX_LENGTH else None})
    old_key = user.avatar_key
    if avatar:
        try:
            processed = media.process_upload(avatar, AVATAR_SIZES)
        except ImageRejected as rejected:
            raise Invalid({"avatar": _(rejected.template, **rejected.params)},
                          code=rejected.code) from None
        user.avatar_key = media.store(processed, AVATAR_PREFIX, AVATAR_SUBFOLDER)
    elif remove_avatar:
        user.avatar_key = None
    if old_key and old_key != user.avatar_key:
        media.remove_after_commit([old_key], AVATAR_SIZES, AVATAR_SUBFOLDER)
    user.display_name = display_name
    user.bio = bio
    return user


def update_settings(user: User, locale: str | None = None, time_zone: str | None = None,
                    notification_preferences: dict | None = None,
                    notify_mode: str | None = None) -> User:
    """The member's language ('' = the browser's), time zone ('' = their language's) and how
    they hear of each kind of notification (app.services.notifications.set_preferences).
    `notify_mode` (the old single setting) sets every category at once. 422 naming every bad
    field; nothing is changed then."""
    from app.models.activity import DELIVERIES
    from app.notification_kinds import CATEGORIES
    from app.services import notifications

    fields = {}
    if locale is not None and locale not in (*LOCALES, ""):
        fields["locale"] = _("Choose one of: %(locales)s.", locales=", ".join(LOCALES))
    if time_zone is not None and time_zone != "" and time_zone not in time_zones():
        fields["time_zone"] = _("Choose a time zone such as Asia/Tokyo or Europe/London.")
    if notify_mode is not None and notify_mode not in DELIVERIES:
        fields["notify_mode"] = _("Choose one of: %(modes)s.", modes=", ".join(DELIVERIES))
    _raise_if(fields)
    choices = dict.fromkeys(CATEGORIES, notify_mode) if notify_mode is not None else {}
    choices.update(notification_preferences or {})
    if notification_preferences is not None or choices:
        notifications.set_preferences(user, choices)
    if locale is not None:
        user.locale = locale or None
    if time_zone is not None:
        user.time_zone = time_zone or None
    return user


def time_zones() -> frozenset[str]:
    """The IANA time zone names a member may choose."""
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


# --------------------------------------------------------------------------- staff actions


def _check_actor(actor: User | None, action: Action) -> None:
    """Operators at the console (actor None) may do anything; people need the permission."""
    if actor is not None:
        permissions.require(actor, action)


def grant_role(actor: User | None, user: User, role: str) -> bool:
    """Give a role; False if the user already had it. Audited."""
    _check_actor(actor, Action.MANAGE_USERS)
    if role not in ROLES:
        raise Invalid({"role": _("Unknown role: %(role)s.", role=role)})
    if user.has_role(role):
        return False
    before = user.roles
    user.role_rows.append(UserRole(role=role))
    events.audit(actor, "user.role_granted", user, before={"roles": before},
                 after={"roles": user.roles})
    db.session.flush()  # keep audit rows in the order the actions happened
    return True


def revoke_role(actor: User | None, user: User, role: str) -> bool:
    """Take a role away; False if the user did not have it. Audited."""
    _check_actor(actor, Action.MANAGE_USERS)
    if role not in ROLES or role == "member":
        raise Invalid({"role": _("This role cannot be revoked: %(role)s.", role=role)})
    rows = [row for row in user.role_rows if row.role == role]
    if not rows:
        return False
    before = user.roles
    for row in rows:
        user.role_rows.remove(row)
    events.audit(actor, "user.role_revoked", user, before={"roles": before},
                 after={"roles": user.roles})
    db.session.flush()  # keep audit rows in the order the actions happened
    return True


def block_user(actor: User | None, user: User, reason: str | None = None, *,
               audit_action: str = "user.blocked") -> bool:
    """Block an account: it can no longer sign in, and its sessions, remember-me cookies and API
    tokens end for good (unblocking revives none of them). Every block goes through here: the
    moderation and admin pages, the API and the CLI. False if it was blocked already."""
    _check_actor(actor, Action.BLOCK_USER)
    if user.is_blocked:
        return False
    user.blocked_at = utcnow()
    end_everything(user)
    events.audit(actor, audit_action, user, before={"blocked": False}, after={"blocked": True},
                 reason=reason)
    return True


def unblock_user(actor: User | None, user: User, reason: str | None = None) -> bool:
    _check_actor(actor, Action.BLOCK_USER)
    if not user.is_blocked:
        return False
    user.blocked_at = None
    events.audit(actor, "user.unblocked", user, before={"blocked": True}, after={"blocked": False},
                 reason=reason)
    return True


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class Badge:
    slug: str
    label: str
    description: str


@dataclass(frozen=True)
class Activity:
    kind: str  # "support" or "comment"
    at: datetime
    idea: Idea
    text: str = ""


def badges_for(user: User) -> list[Badge]:
    """Badges earned from public facts only (so a badge never reveals a hidden idea)."""
    public = (Idea.status.in_(lifecycle.PUBLIC), Idea.hidden.is_(False))
    own = Idea.id.in_(select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id))
    ideas = db.session.execute(select(
        func.count(Idea.id),
        func.count(Idea.id).filter(Idea.status.in_(lifecycle.QUALIFIED_OR_LATER)),
        func.count(Idea.id).filter(Idea.status.in_(lifecycle.APPROVED_OR_LATER)),
    ).where(own, *public)).one()
    supports = db.session.scalar(select(func.count()).select_from(Support)
                                 .where(Support.user_id == user.id)) or 0
    badges = []
    if user.is_staff:
        badges.append(Badge("staff", _("Kyoso team"), _("Works on Kyoso.")))
    if ideas[0]:
        badges.append(Badge("first-idea", _("First idea"), _("Published an idea.")))
    if ideas[1]:
        badges.append(Badge("idea-qualified", _("Idea qualified"),
                            _("An idea reached the review threshold.")))
    if ideas[2]:
        badges.append(Badge("idea-approved", _("Idea approved"), _("An idea became a product.")))
    if supports >= 1:
        badges.append(Badge("first-support", _("Supporter"), _("Supported an idea.")))
    if supports >= 100:
        badges.append(Badge("100-supports", _("100 supports given"),
                            _("Supported 100 ideas.")))
    return badges


def recent_activity(viewer, user: User, limit: int = 15) -> list[Activity]:
    """The user's recent supports and comments, only on ideas the viewer may see and that are
    listed publicly; two queries whatever the limit."""
    from app.queries import idea_visibility, listed_condition

    visible = (idea_visibility(viewer), listed_condition())
    supports = db.session.execute(
        select(Support.created_at, Idea).join(Idea, Idea.id == Support.idea_id)
        .where(Support.user_id == user.id, *visible)
        .order_by(Support.created_at.desc(), Support.id.desc()).limit(limit)).all()
    comments = db.session.execute(
        select(Comment.created_at, Comment.body, Idea).join(Idea, Idea.id == Comment.idea_id)
        .where(Comment.author_id == user.id, Comment.deleted_at.is_(None),
               Comment.hidden.is_(False), *visible)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)).all()
    items = [Activity("support", at, idea) for at, idea in supports]
    items += [Activity("comment", at, idea, _excerpt(body)) for at, body, idea in comments]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def _excerpt(text: str, length: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def staff_roles(user: User) -> list[str]:
    return [role for role in user.roles if role in STAFF_ROLES]
