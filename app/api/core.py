"""API plumbing: who is calling, reading JSON bodies, pagination, CSRF for cookie sessions."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import Select, func, select

from app.api import bp
from app.errors import Invalid, Malformed, Unauthorized
from app.extensions import csrf, db
from app.security import user_for_token
from app.web import PAGE_MAX

csrf.exempt(bp)


@bp.before_request
def _authenticate() -> None:
    header = request.headers.get("Authorization")
    g.api_user = None
    if header is not None:
        if not header.startswith("Bearer "):
            raise Unauthorized("bad_token", "Use 'Authorization: Bearer <token>'.")
        user = user_for_token(header[7:].strip())
        if user is None:
            raise Unauthorized("bad_token", "The token is invalid, expired or revoked.")
        g.api_user = user
        return
    if current_user.is_authenticated:
        g.api_user = current_user._get_current_object()
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()  # cookie sessions need the CSRF token; bearer tokens do not


def caller():
    """The calling user, or None for anonymous callers."""
    return g.get("api_user")


def require_caller():
    user = caller()
    if user is None:
        raise Unauthorized("unauthorized", "Sign in with a bearer token.")
    return user


def json_body() -> dict[str, Any]:
    """The request's JSON object, or 400 when the body is not a JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Malformed("malformed_json", "The body must be a JSON object.")
    return data


def page_args() -> tuple[int, int]:
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", current_app.config["PER_PAGE"]))
    except ValueError:
        raise Invalid({"page": "page and per_page must be integers"}) from None
    if not 1 <= page <= PAGE_MAX or not 1 <= per_page <= 100:
        raise Invalid({"page": f"1 <= page <= {PAGE_MAX} and 1 <= per_page <= 100"})
    return page, per_page


def paginated(stmt: Select, serialize: Callable[[Any], dict]) -> dict:
    """A list response: {items, page, per_page, total}."""
    page, per_page = page_args()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return {"items": [serialize(row) for row in rows], "page": page, "per_page": per_page,
            "total": total}


def listing(items: list[dict]) -> dict:
    """A complete (unpaginated) list in the list shape."""
    return {"items": items, "page": 1, "per_page": max(len(items), 1), "total": len(items)}


@bp.get("/openapi.json")
def openapi():
    from app.api.openapi import document

    return document()
