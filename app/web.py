"""Request checks, error handling and the helpers shared by every HTML blueprint (their Jinja
registration is in app.templating)."""
from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl

from flask import Flask, abort, g, jsonify, render_template, request
from flask_babel import get_locale, gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app import labels
from app.errors import DomainError, Malformed
from app.extensions import db
from app.models.base import ID_MAX, utcnow

#: The largest page number any listing accepts (deeper pages are empty anyway).
PAGE_MAX = 100_000


def page_arg(name: str = "page") -> int:
    """A page number from the query string for HTML listings: 1..PAGE_MAX, 1 when absent or
    not a number (a huge one would overflow the OFFSET)."""
    try:
        return max(1, min(int(request.args.get(name, 1)), PAGE_MAX))
    except (TypeError, ValueError):
        return 1


#: Characters that are never text: NUL (PostgreSQL refuses it in a string) and lone UTF-16
#: surrogates (they cannot be encoded as UTF-8: any write or query holding one fails).
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


def _has_invalid_text(value) -> bool:
    """Whether a string anywhere in value (nested lists and dicts, keys too) holds a NUL or a
    lone surrogate."""
    pending = [value]
    while pending:  # a loop, not recursion: JSON may be nested deeper than Python's stack
        item = pending.pop()
        if isinstance(item, str):
            if _NOT_TEXT.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _is_utf8(raw: bytes, *, url_encoded: bool = False) -> bool:
    """Whether raw bytes (percent-decoded first when ``url_encoded``) are valid UTF-8."""
    try:
        text = raw.decode("utf-8")
        if url_encoded:
            parse_qsl(text.replace("+", " "), keep_blank_values=True, encoding="utf-8",
                      errors="strict")
    except (UnicodeDecodeError, ValueError):
        return False
    return True


def _invalid_text_in_request() -> bool:
    """A NUL, a lone surrogate or bytes that are not UTF-8 in the path, the query string, the
    user agent, a form field or a JSON string (werkzeug would have replaced bad bytes with
    U+FFFD, silently changing what was sent)."""
    path = request.environ.get("PATH_INFO", "").encode("latin-1", "replace")
    if not _is_utf8(path, url_encoded=False) or not _is_utf8(request.query_string,
                                                                url_encoded=True):
        return True
    if _has_invalid_text([request.path, request.user_agent.string or "",
                          request.args.to_dict(flat=False)]):
        return True
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return False
    if request.mimetype == "application/x-www-form-urlencoded" \
            and not _is_utf8(request.get_data(cache=True), url_encoded=True):
        return True
    body = request.get_json(silent=True) if request.is_json else None
    return _has_invalid_text(body) or _has_invalid_text(request.form.to_dict(flat=False))


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return jsonify(body), status


def days_left(deadline: datetime | None) -> int | None:
    if deadline is None:
        return None
    seconds = (deadline - utcnow()).total_seconds()
    return max(0, int(seconds // 86400) + (1 if seconds % 86400 else 0))


def progress_percent(idea) -> int:
    """Progress toward the next milestone, 0-100."""
    if not idea.next_milestone:
        return 100
    return min(100, (idea.support_count * 100) // idea.next_milestone)


def format_money(amount_minor: int | None, currency: str | None) -> str:
    from app.money import format_amount

    if amount_minor is None or not currency:
        return ""
    try:
        plain = format_amount(amount_minor, currency)
    except ValueError:
        return f"{amount_minor} {currency}"
    from decimal import Decimal

    from babel.numbers import format_currency

    return format_currency(Decimal(plain), currency, locale=str(get_locale()))


def init_app(app: Flask) -> None:
    def _refuse_invalid_text() -> None:
        """Text no one types (a NUL, a lone surrogate such as JSON's "\\ud800", bytes that are
        not UTF-8) in the path, query string, user agent, a form field or a JSON string is
        refused at once with 400 `invalid_text`, before any view, query or write; so is JSON
        nested too deep to parse (400 `bad_request`)."""
        if request.is_json and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            try:
                request.get_json(silent=True)
            except RecursionError:  # [[[[...: not a ValueError, so `silent` does not catch it
                abort(400, description="The JSON body is nested too deeply.")
        if _invalid_text_in_request():
            raise Malformed("invalid_text", gettext("The request contains characters that are "
                                                    "not valid text (such as NUL or a lone "
                                                    "surrogate)."))

    # First of all before-request functions (CSRF, rate limits, API tokens...): nothing reads
    # the request before its text is checked, and the raw form body is still there to check.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_invalid_text)

    @app.url_value_preprocessor
    def _ids_in_range(_endpoint, values) -> None:
        """Every `<int:...>` in a route is a row id: a number above ID_MAX is 404 at once,
        instead of reaching the database driver (SQLite refuses integers above 2**63)."""
        if values and any(isinstance(v, int) and v > ID_MAX for v in values.values()):
            abort(404)

    @app.teardown_request
    def _forget_request_state(_error=None) -> None:
        """Flask-Login caches the user, Flask-Babel the locale and Flask-WTF the CSRF token in `g`;
        requests that share an app context (tests, scripts) must not inherit them."""
        for key in ("_login_user", "_flask_babel", "csrf_token"):
            g.pop(key, None)

    _register_error_handlers(app)


def _register_error_handlers(app: Flask) -> None:
    """Refusals (app.transaction.error_response), CSRF failures and HTTP errors: the JSON error
    envelope under /api/, else the error page in the reader's language."""

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        from app.transaction import error_response

        return error_response(error, as_json=_wants_json())

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        if _wants_json():
            return error_json(400, "csrf_failed", "The CSRF token is missing or invalid.")
        return render_template("errors/error.html", status=400,
                               message=gettext("Your session expired or the form was tampered "
                                               "with. Please go back, reload and try again.")), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        db.session.rollback()
        code = (error.name or "error").lower().replace(" ", "_")
        if error.code == 429:
            code = "rate_limited"
        if error.code == 413:
            code = "too_large"
        if _wants_json():
            response, status = error_json(error.code or 500, code, error.description or error.name)
            if error.code == 429:
                retry = getattr(error, "retry_after", None) or 60
                response.headers["Retry-After"] = str(retry)
            return response, status
        response = render_template("errors/error.html", status=error.code,
                                   message=labels.http_error_message(error.code, error.description)), \
            error.code
        return response
