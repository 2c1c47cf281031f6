"""API endpoints: accounts (sign-up, tokens, me, my notifications, my sessions)."""
from __future__ import annotations

from typing import Any

from flask import request, session, url_for

from app import ratelimits
from app.api import bp
from app.api.core import json_body, listing, paginated, require_caller
from app.api.openapi import SCHEMAS, operation
from app.errors import Invalid, Unauthorized
from app.extensions import limiter
from app.i18n import speaking_to
from app.models import Notification, User, UserSession
from app.models.activity import DELIVERIES
from app.security import current_session_id
from app.services import accounts as account_service
from app.services import consents as consent_service
from app.services import notifications as notification_service
from app.services import referrals
from app.services import sign_ins
from app.transaction import transaction


def user_json(user: User) -> dict[str, Any]:
    """A user as the account holder (and staff) see it."""
    return {"id": user.id, "email": user.email, "display_name": user.display_name,
            "roles": user.roles, "email_confirmed": user.email_confirmed}


def request_origin() -> dict[str, str]:
    """Where a consent or acceptance comes from, for its record."""
    return {"ip_address": request.remote_addr or "", "user_agent": request.user_agent.string or ""}


def public_user_json(user: User) -> dict[str, Any]:
    """A user as anyone may see them: never the email address."""
    return {"id": user.id, "display_name": user.display_name}


def me_json(user: User) -> dict[str, Any]:
    """The caller's own account: with their language, time zone and notification choices."""
    from app.i18n import locale_of, time_zone_of

    return {**user_json(user), "locale": locale_of(user), "time_zone": time_zone_of(user),
            "notification_preferences": notification_service.preferences(user),
            "personalisation": user.personalisation, "marketing_mail": user.marketing_mail}


def notification_json(row: Notification) -> dict[str, Any]:
    """`message` is rendered in the language and time zone the caller is spoken to in."""
    return {"id": row.id, "kind": row.kind, "category": row.category, "params": row.params,
            "message": row.message, "url": row.url,
            "idea_id": row.idea_id, "created_at": row.created_at.isoformat(),
            "read": row.read_at is not None,
            "read_at": row.read_at.isoformat() if row.read_at else None}


def ref_of(body: dict) -> str | None:
    """The body's optional share code (`ref`); 422 when it is there and not a string."""
    ref = body.get("ref")
    if ref is not None and not isinstance(ref, str):
        raise Invalid({"ref": "Must be a string: the share code of the link."})
    return ref


def _strings(data: dict, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """The named string fields of a JSON body; 422 listing every missing or mistyped one."""
    fields: dict[str, str] = {}
    values: dict[str, str] = {}
    for name in (*required, *optional):
        if name not in data or (data[name] is None and name in required):
            if name in required:
                fields[name] = "This field is required."
            continue
        if not isinstance(data[name], str):
            fields[name] = "Must be a string."
            continue
        values[name] = data[name]
    if fields:
        raise Invalid(fields)
    return values


#: A display name: 1-80 characters that can be shown (no control, format, private-use or
#: unassigned code points), not blank (app.services.accounts.display_name_problem).
DISPLAY_NAME = {"type": "string", "format": "display-name", "minLength": 1,
                "maxLength": account_service.DISPLAY_NAME_MAX_LENGTH}
#: An e-mail address as app.services.accounts reads it (one @, a dot in the domain).
EMAIL = {"type": "string", "maxLength": account_service.EMAIL_MAX_LENGTH,
         "pattern": account_service.EMAIL_PATTERN}
#: A password: 10-200 characters, not a common or easily guessed one (the server judges).
PASSWORD = {"type": "string", "format": "password",
            "minLength": account_service.PASSWORD_MIN_LENGTH,
            "maxLength": account_service.PASSWORD_MAX_LENGTH}

#: A member's share code, as a share link carries it (`?ref=<code>`): what the link brought is
#: credited to that member once (app.services.referrals). An unknown code, a blocked or
#: deleted sharer, or the caller's own code credits nobody and is not an error.
REF = {"type": "string", "description": "the share code of the link that brought the caller "
       "(`?ref=` of an idea's share link): credited to its member once; an unknown code, or "
       "the caller's own, credits nobody (not an error)"}

SCHEMAS["User"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "email": {"type": "string"}, "display_name": {"type": "string"},
    "roles": {"type": "array", "items": {"type": "string"}}, "email_confirmed": {"type": "boolean"}}}

operation("/users", "post", "Sign up: create an account; a confirmation mail is sent", auth=False,
          body={"type": "object", "required": ["email", "password", "display_name"], "properties": {
              "email": EMAIL, "password": PASSWORD,
              "display_name": DISPLAY_NAME,
              "marketing_mail": {"type": "boolean", "default": False,
                                 "description": "opt-in to marketing mail (off unless true)"},
              "ref": REF,
              "accept": {"type": "object", "additionalProperties": False,
                         "description": "the versions in force of the member terms and privacy "
                                        "policy (GET /policies/current); required once published",
                         "properties": {"terms": {"type": "string", "maxLength": 20},
                                        "privacy": {"type": "string", "maxLength": 20}}}}},
          responses={"201": "the new user (email not yet confirmed)", "400": "not a JSON object",
                     "409": "email_taken", "422": "invalid fields; terms_not_accepted when a "
                     "version in force is not accepted (error.fields.accept.terms / "
                     "accept.privacy)", "429": "rate limited"})


@bp.post("/users")
@limiter.limit(ratelimits.SIGN_UP)
def create_user():
    body = json_body()
    values = _strings(body, ("email", "password", "display_name"))
    marketing = body.get("marketing_mail", False)
    if not isinstance(marketing, bool):
        raise Invalid({"marketing_mail": "Must be true or false."})
    accept = body.get("accept")
    if accept is not None and not isinstance(accept, dict):
        raise Invalid({"accept": "Must be an object {terms: version, privacy: version}."})
    ref = ref_of(body)
    with transaction():
        user = account_service.register(values["email"], values["password"], values["display_name"],
                                        marketing_mail=marketing, accept=accept or {},
                                        **request_origin())
        if ref is not None:  # a share link brought them (app.services.referrals)
            referrals.credit_signup(ref, user)
    return user_json(user), 201, {"Location": url_for("api.me")}


operation("/tokens", "post", "Sign in: get a bearer token", auth=False,
          body={"type": "object", "required": ["email", "password"], "properties": {
              "email": {"type": "string"}, "password": {"type": "string"},
              "code": {"type": "string", "description": "for an account with two-factor "
                       "sign-in on: a code from the authenticator app, or a recovery code"}}},
          responses={"201": "{token, user}", "400": "not a JSON object",
                     "401": "bad credentials or blocked account; account_deleted (being "
                            "deleted); two_factor_required (the account has two-factor sign-in "
                            "on: send `code`)",
                     "422": "invalid fields; wrong_code",
                     "429": "rate limited, or too_many_attempts: too many failed sign-ins for "
                            "this address (from anywhere), locked for a while (Retry-After)"})


@bp.post("/tokens")
@limiter.limit(ratelimits.TOKENS)
def create_token():
    from app.services import two_factor

    values = _strings(json_body(), ("email", "password"), ("code",))
    with transaction():  # commits a failure's count even when the sign-in is refused
        attempt = account_service.attempt_sign_in(values["email"], values["password"])
        token = account_service.issue_api_token(attempt.user) \
            if attempt.user and not attempt.user.two_factor_enabled else None
    user = attempt.result()
    if token is None:  # two-factor sign-in: the code, under its own throttle, then the token
        if not values.get("code"):
            raise Unauthorized("two_factor_required", "This account signs in with a second "
                               "step: send `code` too.")
        with transaction():
            refusal = two_factor.attempt_code(user, values["code"])
        if refusal is not None:
            raise refusal
        with transaction():
            token = account_service.issue_api_token(user)
    return {"token": token, "user": user_json(user)}, 201


operation("/tokens/current", "delete", "Sign out: revoke the bearer token of this request",
          responses={"204": "revoked", "401": "no or bad bearer token"})


@bp.delete("/tokens/current")
def revoke_token():
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise Unauthorized("unauthorized", "Send the bearer token to revoke.")
    with transaction():
        account_service.revoke_api_token(header[7:].strip())
    return "", 204


operation("/me/password", "post", "Change the caller's password; every other session and API token "
          "of the account ends (this one's too: the answer carries a new bearer token)",
          body={"type": "object", "required": ["current_password", "new_password"], "properties": {
              "current_password": {"type": "string"},
              "new_password": {"type": "string", "minLength": 10, "maxLength": 200}}},
          responses={"200": "{token, user}: a new bearer token", "400": "not a JSON object",
                     "401": "no or bad token", "422": "current password wrong, or the new one "
                     "too short or too easy to guess (the reason in error.fields.new_password)"})


@bp.post("/me/password")
def change_my_password():
    user = require_caller()
    values = _strings(json_body(), ("current_password", "new_password"))
    keep = current_session_id()
    with transaction():
        account_service.change_password(user, values["current_password"],
                                        values["new_password"], keep_session=keep)
        token = account_service.issue_api_token(user)
    if keep is not None:  # a cookie session goes on under the new security stamp
        session["_user_id"] = user.get_id()
    return {"token": token, "user": user_json(user)}


operation("/password/forgot", "post", "Ask for a password reset link by e-mail (the same answer "
          "whether or not the address has an account)", auth=False,
          body={"type": "object", "required": ["email"], "properties": {
              "email": {"type": "string"}}},
          responses={"202": "{sent: true}: a link is mailed if an active account has the address",
                     "400": "not a JSON object", "422": "invalid fields", "429": "rate limited"})


@bp.post("/password/forgot")
@limiter.limit(ratelimits.PASSWORD_RESET)
def forgot_password():
    values = _strings(json_body(), ("email",))
    with transaction():
        account_service.request_password_reset(values["email"])
    return {"sent": True}, 202


operation("/password/reset", "post", "Choose a new password with the token of a reset link; every "
          "session and API token of the account ends", auth=False,
          body={"type": "object", "required": ["token", "password"], "properties": {
              "token": {"type": "string"},
              "password": {"type": "string", "minLength": 10, "maxLength": 200}}},
          responses={"200": "the user (sign in again with POST /tokens)",
                     "400": "not a JSON object",
                     "422": "invalid_token, token_expired, or the password too short or too easy "
                            "to guess (error.fields.password)", "429": "rate limited"})


@bp.post("/password/reset")
@limiter.limit(ratelimits.PASSWORD_RESET)
def reset_password():
    values = _strings(json_body(), ("token", "password"))
    with transaction():
        user = account_service.reset_password(values["token"], values["password"])
    return user_json(user)


operation("/me", "get", "The calling member's account",
          responses={"200": "user {id, email, display_name, roles, email_confirmed, locale, "
                            "time_zone, notification_preferences, personalisation, "
                            "marketing_mail}",
                     "401": "no or bad token"})


@bp.get("/me")
def me():
    return me_json(require_caller())


def _preference_keys() -> list[str]:
    """What a notification preference may name: a category, or a kind standing for its own."""
    from app import notification_kinds

    return sorted({*notification_kinds.CATEGORIES, *notification_kinds.KINDS})


operation("/me", "patch", "Change the caller's profile and settings",
          body={"type": "object", "properties": {
              "display_name": DISPLAY_NAME, "bio": {"type": "string"},
              "locale": {"type": "string", "enum": ["en", "ja", ""]},
              "time_zone": {"type": "string", "description": "IANA name; '' = the language's",
                            "enum": lambda: ["", *sorted(account_service.time_zones())]},
              "notification_preferences": {
                  "type": "object", "description": "category (or kind): delivery",
                  "propertyNames": {"enum": lambda: _preference_keys()},
                  "additionalProperties": {"type": "string", "enum": list(DELIVERIES)}},
              "notify_mode": {"type": "string", "enum": list(DELIVERIES),
                              "description": "every category at once"},
              "personalisation": {"type": "boolean",
                                  "description": "consent: For you from the caller's behaviour"},
              "marketing_mail": {"type": "boolean",
                                 "description": "consent: announcements, nudges, re-engagement"}}},
          responses={"200": "the user", "400": "not a JSON object", "401": "no or bad token",
                     "422": "invalid fields"})


@bp.patch("/me")
def update_me():
    user = require_caller()
    body = json_body()
    values = _strings(body, (), ("display_name", "bio", "notify_mode", "locale", "time_zone"))
    preferences = body.get("notification_preferences")
    if preferences is not None and not isinstance(preferences, dict):
        raise Invalid({"notification_preferences": "Must be an object."})
    bad = {name: "Must be true or false." for name in ("personalisation", "marketing_mail")
           if body.get(name) is not None and not isinstance(body[name], bool)}
    if bad:
        raise Invalid(bad)
    with transaction():
        consent_service.set_consents(user, personalisation=body.get("personalisation"),
                                     marketing_mail=body.get("marketing_mail"), **request_origin())
        if "display_name" in values or "bio" in values:
            account_service.update_profile(user, values.get("display_name", user.display_name),
                                           values.get("bio", user.bio))
        account_service.update_settings(user, notify_mode=values.get("notify_mode"),
                                        locale=values.get("locale"),
                                        time_zone=values.get("time_zone"),
                                        notification_preferences=preferences)
    return me_json(user)


operation("/me/email", "post", "Change the caller's e-mail address: a confirmation link (valid 24 "
          "hours) is mailed to the new address; the address changes when it is opened (or its "
          "token sent to POST /email/confirm). The old address is told at once (a password change "
          "or reset cancels the change) and again when it changed",
          body={"type": "object", "required": ["email", "password"], "properties": {
              "email": EMAIL, "password": {"type": "string"}}},
          responses={"202": "{sent: true, email}: the link is on its way", "400": "not a JSON object",
                     "401": "no or bad token", "409": "email_taken",
                     "422": "invalid address, the same address, or the password is wrong",
                     "429": "rate limited"})


@bp.post("/me/email")
@limiter.limit(ratelimits.PASSWORD_RESET)
def change_my_email():
    user = require_caller()
    values = _strings(json_body(), ("email", "password"))
    with transaction():
        email = account_service.request_email_change(user, values["email"], values["password"])
    return {"sent": True, "email": email}, 202


operation("/email/confirm", "post", "Confirm an e-mail change with the token of its link",
          auth=False,
          body={"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}},
          responses={"200": "the user, with the new address", "400": "not a JSON object",
                     "409": "email_taken (someone took the address meanwhile)",
                     "422": "invalid_token or token_expired", "429": "rate limited"})


@bp.post("/email/confirm")
@limiter.limit(ratelimits.PASSWORD_RESET)
def confirm_my_email_change():
    values = _strings(json_body(), ("token",))
    with transaction():
        user = account_service.confirm_email_change(values["token"])
    return user_json(user)


operation("/me/notifications", "get", "The caller's notifications, newest first",
          responses={"200": "list {items, page, per_page, total}", "401": "no or bad token"})


@bp.get("/me/notifications")
def my_notifications():
    user = require_caller()
    with speaking_to(user):  # the member's locale and time zone, whatever the client sends
        result = paginated(notification_service.for_user(user), notification_json)
    result["unread"] = notification_service.unread_count(user)
    return result


operation("/me/notifications/read", "post", "Mark all the caller's notifications read",
          responses={"200": "{marked: n}", "401": "no or bad token"})


@bp.post("/me/notifications/read")
def read_my_notifications():
    with transaction():
        marked = notification_service.mark_all_read(require_caller())
    return {"marked": marked}


def session_json(row: UserSession, current: int | None) -> dict[str, Any]:
    return {"id": row.id, "created_at": row.created_at.isoformat(),
            "last_seen_at": row.last_seen_at.isoformat(), "expires_at": row.expires_at.isoformat(),
            "user_agent": row.user_agent, "ip": row.ip, "remember": row.remember,
            "current": row.id == current}


SCHEMAS["UserSession"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
    "last_seen_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": "string", "format": "date-time"}, "user_agent": {"type": "string"},
    "ip": {"type": "string"}, "remember": {"type": "boolean"}, "current": {"type": "boolean"}}}

operation("/me/sessions", "get", "The caller's signed-in browsers (live sessions), most recently "
          "used first; `current` marks the one making a cookie-session request",
          responses={"200": "list {items: [UserSession], page, per_page, total}",
                     "401": "no or bad token"})


@bp.get("/me/sessions")
def my_sessions():
    user = require_caller()
    current = current_session_id()
    return listing([session_json(row, current) for row in sign_ins.active_sessions(user)])


operation("/me/sessions", "delete", "Sign out every other browser of the caller (the calling "
          "cookie session stays)",
          responses={"200": "{ended: n}", "401": "no or bad token"})


@bp.delete("/me/sessions")
def end_other_sessions():
    user = require_caller()
    with transaction():
        ended = sign_ins.end_sessions(user, keep=current_session_id())
    return {"ended": ended}


operation("/me/sessions/{id}", "delete", "Sign out one of the caller's browsers (its session and "
          "remember-me cookie stop working at once)",
          responses={"204": "ended", "401": "no or bad token",
                     "404": "no such live session of the caller"})


@bp.delete("/me/sessions/<int:session_id>")
def end_my_session(session_id: int):
    user = require_caller()
    with transaction():
        sign_ins.end_one_session(user, session_id)
    return "", 204
