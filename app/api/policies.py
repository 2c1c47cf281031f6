"""API endpoints: the member terms and privacy policy in force, and accepting them. Until a
caller has accepted the versions in force, anything but reading (GET) and accepting answers
403 terms_not_accepted (signing out, and the caller's own data rights, stay open)."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import get_locale

from app.api import bp
from app.api.accounts import request_origin
from app.api.core import caller, json_body, require_caller
from app.api.openapi import SCHEMAS, operation
from app.errors import Forbidden
from app.i18n import _
from app.services import policies as policy_service
from app.transaction import transaction

#: What a caller who has not accepted the versions in force may still do besides reading.
OPEN_WHILE_PENDING = {("POST", "/api/v1/me/acceptances"), ("DELETE", "/api/v1/tokens/current"),
                      ("POST", "/api/v1/tokens"), ("DELETE", "/api/v1/me"),
                      ("POST", "/api/v1/me/export"), ("POST", "/api/v1/email/confirm")}


def _locale() -> str:
    return "ja" if str(get_locale()) == "ja" else "en"


@bp.before_request
def _refuse_until_accepted() -> None:
    """403 terms_not_accepted for writes by a caller who has a version in force to accept."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if (request.method, request.path.rstrip("/")) in OPEN_WHILE_PENDING:
        return
    user = caller()
    if user is None:
        return
    pending = policy_service.pending(user)
    if pending:
        raise Forbidden("terms_not_accepted", _(
            "Accept the versions in force first (POST /api/v1/me/acceptances): %(kinds)s.",
            kinds=", ".join(pending)))


def policy_json(policy) -> dict[str, Any] | None:
    shown = policy_service.shown(policy, _locale())
    if shown is None:
        return None
    return {"version": shown.version, "sha256": shown.sha256, "text": shown.text,
            "locale": shown.locale, "published_at": policy.published_at.isoformat()}


_POLICY = {"type": ["object", "null"], "properties": {
    "version": {"type": "string"}, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "text": {"type": "string"}, "locale": {"type": "string", "enum": ["en", "ja"]},
    "published_at": {"type": "string", "format": "date-time"}}}
SCHEMAS["CurrentPolicies"] = {"type": "object", "required": ["terms", "privacy"], "properties": {
    "terms": _POLICY, "privacy": _POLICY}}

operation("/policies/current", "get", "The member terms and privacy policy in force, in the "
          "caller's language (Accept-Language or ?lang=); either is null before one is published. "
          "`sha256` is the digest of `text` exactly", auth=False,
          responses={"200": "{terms: {version, sha256, text, locale, published_at} | null, "
                            "privacy: ... | null}"})


@bp.get("/policies/current")
def current_policies():
    current = policy_service.current_policies()
    return {kind: policy_json(policy) for kind, policy in current.items()}


_VERSION = {"type": "string", "minLength": 1, "maxLength": policy_service.VERSION_MAX}
SCHEMAS["PolicyAcceptance"] = {"type": "object", "properties": {
    "kind": {"type": "string", "enum": ["terms", "privacy"]}, "version": {"type": "string"},
    "sha256": {"type": "string"}, "locale": {"type": "string"},
    "accepted_at": {"type": "string", "format": "date-time"}}}

operation("/me/acceptances", "post", "Accept the versions in force of the terms and/or the "
          "privacy policy (the digest of the text in the caller's language is recorded, with the "
          "time, IP address and user agent); afterwards writes are no longer refused with "
          "terms_not_accepted",
          body={"type": "object", "minProperties": 1, "additionalProperties": False,
                "properties": {"terms": _VERSION, "privacy": _VERSION}},
          responses={"201": "{acceptances: [PolicyAcceptance], pending: [kinds still to accept]}",
                     "400": "not a JSON object", "401": "no or bad token",
                     "422": "a version that is not the one in force (error.fields.accept.<kind>)"})


@bp.post("/me/acceptances")
def accept_policies():
    user = require_caller()
    body = json_body()
    with transaction():
        policy_service.accept(user, body, locale=_locale(), **request_origin())
    rows = policy_service.acceptances(user)
    latest: dict[str, Any] = {}
    for row in rows:
        latest.setdefault(row.kind, row)
    return {"acceptances": [{"kind": row.kind, "version": row.version, "sha256": row.sha256,
                             "locale": row.locale, "accepted_at": row.created_at.isoformat()}
                            for row in latest.values()],
            "pending": policy_service.pending(user)}, 201
