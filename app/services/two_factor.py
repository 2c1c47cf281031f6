"""Staff two-factor sign-in: TOTP (RFC 6238, pyotp) with single-use recovery codes.

    secret = begin_enrolment(user)            # shown as a QR code and as text
    codes = finish_enrolment(user, code)      # the first good code turns it on; 10 recovery codes
    check_code(user, code)                    # at sign-in: a TOTP code or an unused recovery code
    disable(user, password, code)
    reset(actor, user, reason)                # an admin or operator, for someone locked out

Staff enrol at /account/two-factor; once on, signing in asks for a code after the password
(/login/two-factor), throttled like the password (SIGN_IN_MAX_FAILURES per window, then locked).
With STAFF_2FA_REQUIRED=true, admins and finance staff must enrol: until they do, every page but
enrolment and sign-out sends them there.

Recovery codes are stored as SHA-256 only and work once each. A TOTP code is accepted for the
current 30-second step and the one before and after (clocks drift), and never twice: the last
step used is kept in the throttle's table key `totp-step:<user id>`.

A staff member who lost both the device and the recovery codes asks an admin: `reset` (the
admin's user page, or `flask users reset-2fa EMAIL` at the console) turns two-factor sign-in
off, ends the account's sessions and tokens, is audited (`user.two_factor_reset`, with the
reason) and tells the member by mail in their language. They sign in with the password and
enrol again (at once when their role requires it).

API tokens: `POST /api/v1/tokens` for an account with two-factor sign-in on needs `code` too
(401 two_factor_required without it); tokens issued before stay valid until they expire or are
revoked (turning two-factor on does not end them; changing the password does).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from app import permissions
from app.errors import Conflict, Invalid
from app.extensions import db
from app.models import RecoveryCode, SignInThrottle, User
from app.models.base import utcnow
from app.permissions import Action
from app.services import sign_ins

RECOVERY_CODES = 10
ISSUER = "Kyoso"
#: Roles that must use two-factor sign-in when STAFF_2FA_REQUIRED is true.
REQUIRED_ROLES = ("admin", "finance")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _normalise(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def required_for(user: User) -> bool:
    """Must this account use two-factor sign-in (STAFF_2FA_REQUIRED and admin or finance)?"""
    return bool(current_app.config.get("STAFF_2FA_REQUIRED")) and \
        any(user.has_role(role) for role in REQUIRED_ROLES)


def needs_enrolment(user: User) -> bool:
    return required_for(user) and not user.two_factor_enabled


def asks_code(user: User) -> bool:
    """Does signing in ask this account for a code after the password?"""
    return user.two_factor_enabled


def begin_enrolment(user: User) -> str:
    """A new secret (replacing an unfinished one); two-factor stays off until a code checks."""
    permissions.require(user, Action.USE_TWO_FACTOR)
    if user.two_factor_enabled:
        raise Conflict("two_factor_enabled", _("Two-factor sign-in is already on."))
    import pyotp

    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    import pyotp

    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(user: User) -> str:
    """The provisioning URI as an inline SVG QR code (segno, pure Python; nothing loaded)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(provisioning_uri(user), error="m").save(out, kind="svg", scale=5, border=2,
                                                       xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _n in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(_normalise(code)))
                       for code in codes)
    return codes


def finish_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on with the first code from the app; the recovery codes (shown
    once). Invalid wrong_code when the code does not match."""
    permissions.require(user, Action.USE_TWO_FACTOR)
    if user.two_factor_enabled:
        raise Conflict("two_factor_enabled", _("Two-factor sign-in is already on."))
    if not user.totp_secret or not _totp_ok(user, _normalise(code)):
        raise Invalid({"code": _("This code is not right. Enter the 6 digits your app shows "
                                 "now.")}, code="wrong_code")
    user.totp_enabled_at = utcnow()
    return _new_recovery_codes(user)


def _step_key(user: User) -> str:
    return f"totp-step:{user.id}"


def _totp_ok(user: User, code: str) -> bool:
    """A code of the current step (or the one before or after), not used before."""
    import pyotp

    if not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = utcnow()
    for drift in (0, -1, 1):
        moment = now + timedelta(seconds=30 * drift)
        if secrets.compare_digest(totp.at(moment), code):
            step = totp.timecode(moment)
            return _claim_step(user, step)
    return False


def _claim_step(user: User, step: int) -> bool:
    """Keep the step a code was used for; False if it (or a later one) was used already."""
    key = _step_key(user)
    row = db.session.get(SignInThrottle, key)
    if row is None:
        db.session.add(SignInThrottle(email=key, failures=step, window_started_at=utcnow()))
        db.session.flush()
        return True
    if row.failures >= step:
        return False
    row.failures = step
    return True


def _recovery_ok(user: User, code: str) -> bool:
    used = db.session.execute(
        update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                   RecoveryCode.code_hash == _hash(code),
                                   RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())).rowcount
    return used == 1


def _throttle_key(user: User) -> str:
    return f"2fa:{user.id}"


def attempt_code(user: User, code: str):
    """The second step of signing in, under its own throttle: None when the code is good, else
    the refusal to raise once the bookkeeping committed (TooManyAttempts while locked, Invalid
    wrong_code). A recovery code is used up by a good attempt."""
    key = _throttle_key(user)
    count = sign_ins.reserve_attempt(key)
    if count is None:
        return sign_ins.TooManyAttempts(sign_ins.locked_for(key))
    if sign_ins.over_limit(count):
        sign_ins.lock(key)
        return sign_ins.TooManyAttempts()
    code = _normalise(code)
    if user.two_factor_enabled and (_totp_ok(user, code) or _recovery_ok(user, code)):
        sign_ins.clear_failures(key)
        return None
    if sign_ins.at_limit(count):
        sign_ins.lock(key)
    return Invalid({"code": _("This code is not right. Enter the 6 digits your app shows now, "
                              "or one of your recovery codes.")}, code="wrong_code")


def check_code(user: User, code: str) -> None:
    """attempt_code, raising its refusal."""
    refusal = attempt_code(user, code)
    if refusal is not None:
        raise refusal


def recovery_codes_left(user: User) -> int:
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def new_recovery_codes(user: User, code: str) -> list[str]:
    """Replace the recovery codes (the old ones stop working), after a good code."""
    permissions.require(user, Action.USE_TWO_FACTOR)
    check_code(user, code)
    return _new_recovery_codes(user)


def disable(user: User, password: str, code: str) -> None:
    """Turn two-factor sign-in off (password and a code); refused while it is required."""
    if required_for(user):
        raise Conflict("two_factor_required", _("Two-factor sign-in is required for your role."))
    if not user.check_password(password or ""):
        raise Invalid({"password": _("Your password is not correct.")}, code="wrong_password")
    check_code(user, code)
    user.totp_secret = None
    user.totp_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.email == _step_key(user)))


def reset(actor: User | None, user: User, reason: str | None = None) -> bool:
    """Turn off the two-factor sign-in of someone who cannot sign in any more (lost device and
    recovery codes): an admin (not for their own account) or an operator at the console (actor
    None). Their sessions and tokens end; audited; the member is mailed. False when the account
    has no two-factor sign-in to reset."""
    if actor is not None:
        permissions.require(actor, Action.RESET_TWO_FACTOR)
        if actor.id == user.id:
            raise Conflict("cannot_reset_own_two_factor", _(
                "You cannot reset your own two-factor sign-in: turn it off in your settings, or "
                "ask another admin."))
    if user.is_deleted or not (user.totp_secret or user.totp_enabled_at):
        return False
    from app.services import accounts, events

    was_on = user.two_factor_enabled
    user.totp_secret = None
    user.totp_enabled_at = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SignInThrottle).where(
        SignInThrottle.email.in_((_step_key(user), _throttle_key(user)))))
    accounts.end_everything(user)  # whoever is signed in proves nothing now
    events.audit(actor, "user.two_factor_reset", user, before={"two_factor": was_on},
                 after={"two_factor": False}, reason=(reason or "").strip() or None)
    _mail_reset(user)
    return True


def _mail_reset(user: User) -> None:
    from app.i18n import speaking_to
    from app.mail import send_mail
    from app.services.accounts import _link

    with speaking_to(user, own_request=True):
        subject = _("Kyoso: your two-factor sign-in was reset")
        again = _("Your role needs it: you will be asked to set it up again right after "
                  "signing in.") if required_for(user) else \
            _("You can set it up again in your account settings.")
        body = _("Hello %(name)s,\n\nAn administrator reset the two-factor sign-in of your Kyoso "
                 "account, as asked when the authenticator app and the recovery codes are lost. "
                 "You were signed out everywhere. Sign in with your password: %(link)s\n\n"
                 "%(again)s\n\nIf you did not ask for this, reset your password at once and "
                 "tell an administrator.", name=user.display_name, again=again,
                 link=_link("accounts.login"))
    send_mail(user.email, subject, body)
