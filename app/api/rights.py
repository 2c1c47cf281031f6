"""API endpoints: members' data rights (export of one's data, deletion of one's account)."""
from __future__ import annotations

from typing import Any

from flask import request, url_for

from app import ratelimits, storage
from app.api import bp
from app.api.core import require_caller
from app.api.openapi import SCHEMAS, operation
from app.errors import Invalid, Malformed
from app.extensions import limiter
from app.models import DataExport
from app.models.users import EXPORT_STATUSES
from app.services import deletion, exports
from app.transaction import transaction

SCHEMAS["DataExport"] = {"type": "object", "required": ["id", "status"], "properties": {
    "id": {"type": "integer"}, "status": {"type": "string", "enum": list(EXPORT_STATUSES)},
    "created_at": {"type": "string", "format": "date-time"},
    "expires_at": {"type": ["string", "null"], "format": "date-time"},
    "size_bytes": {"type": ["integer", "null"]},
    "download_url": {"type": "string", "description": "only while ready: the zip (data.json "
                     "and the member's pictures), for its owner only, until expires_at"}}}


def export_json(export: DataExport) -> dict[str, Any]:
    body: dict[str, Any] = {"id": export.id, "status": export.status,
                            "created_at": export.created_at.isoformat(),
                            "expires_at": export.expires_at.isoformat() if export.expires_at
                            else None, "size_bytes": export.size_bytes}
    if export.status == "ready":
        body["download_url"] = url_for("api.download_my_export", export_id=export.id,
                                       _external=True)
    return body


operation("/me/export", "post", "Export the caller's data: a zip with data.json and their "
          "pictures, built by a background job (poll GET /me/export/{id})",
          responses={"202": "DataExport {id, status}", "401": "no or bad token"})


@bp.post("/me/export")
def start_my_export():
    user = require_caller()
    with transaction():
        export = exports.request_export(user)
    body = export_json(export)
    return body, 202


operation("/me/export/{id}", "get", "One of the caller's exports: its status and, once ready, "
          "the download link (expires after DATA_EXPORT_MAX_AGE)",
          responses={"200": "DataExport {status, download_url?}", "401": "no or bad token",
                     "404": "no such export of the caller"})


@bp.get("/me/export/<int:export_id>")
def my_export(export_id: int):
    user = require_caller()
    with transaction():
        export = exports.export_for(user, export_id)
    return export_json(export)


operation("/me/export/{id}/download", "get", "The export's zip, for its owner, while ready",
          responses={"200": "application/zip", "401": "no or bad token",
                     "404": "no such export of the caller, not ready or expired"})


@bp.get("/me/export/<int:export_id>/download")
def download_my_export(export_id: int):
    user = require_caller()
    with transaction():
        key = exports.download_key(user, export_id)
    response = storage.send(key, "application/zip", public=False)
    response.headers["Content-Disposition"] = f'attachment; filename="kyoso-export-{export_id}.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


operation("/me", "delete", "Delete the caller's account. With `password` only: a confirmation "
          "mail with a link is sent (202), except for an account whose e-mail address was never "
          "confirmed, which is deleted at once (204: no mailbox to confirm with). With the "
          "mail's `token` too: deleted now (204). From the 204 on, its tokens answer 401, it "
          "cannot sign in and its name reads \"Deleted member\" everywhere; a background job "
          "then erases the rest within minutes, after which its name and e-mail address appear "
          "nowhere. Staff holding a role: 403 staff_cannot_delete",
          body={"type": "object", "required": ["password"], "properties": {
              "password": {"type": "string", "minLength": 1, "maxLength": 200},
              "token": {"type": "string", "minLength": 1, "maxLength": 500,
                        "description": "the token of the confirmation mail's link"}}},
          responses={"202": "{status: 'confirmation_sent'}", "204": "deleted",
                     "400": "not a JSON object", "401": "no or bad token",
                     "403": "staff_cannot_delete", "422": "wrong_password (error.fields.password),"
                     " invalid_token or token_expired (error.fields.token)",
                     "429": "too many wrong passwords (as for sign-in)"})


@bp.delete("/me")
@limiter.limit(ratelimits.SIGN_IN)
def delete_me():
    user = require_caller()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Malformed("malformed_json", "The body must be a JSON object.")
    password, token = data.get("password"), data.get("token")
    fields = {}
    if not isinstance(password, str) or not password:
        fields["password"] = "This field is required."
    if token is not None and not isinstance(token, str):
        fields["token"] = "Must be a string."
    if fields:
        raise Invalid(fields)
    with transaction():
        if token:
            deleted = deletion.confirm_with_password(user, password, token)
        else:
            deleted = deletion.request_deletion(user, password)
    if deleted:
        return "", 204
    return {"status": "confirmation_sent"}, 202
