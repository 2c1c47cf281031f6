"""Liveness and readiness, and a database outage answered 503 instead of 500.

GET /healthz -> 200 {"status": "ok"} whenever the process can answer (nothing else is checked).
GET /readyz  -> 200 or 503 {"status": "ok"|"unavailable", "checks": {"database": "ok", ...}}:
               the database answers, Redis answers (when REDIS_URL is set), the upload folder is
               writable.

A request that cannot reach the database is answered 503 with Retry-After and a static page
(static/errors/503.html, English and Japanese; no template, no query) or, under /api/, the JSON
envelope {"error": {"code": "unavailable", ...}}.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from app import metrics
from app.extensions import csrf, db, limiter
from config import BASE_DIR

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
RETRY_AFTER_SECONDS = 30
PAGE = (BASE_DIR / "static" / "errors" / "503.html").read_text(encoding="utf-8")
#: Errors that mean "the database cannot be reached now", not "this query is wrong".
OUTAGES = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def _check_database() -> None:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()


def _check_redis() -> None:
    import redis

    client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=1,
                                  socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _check_storage() -> None:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".readyz-"):
        pass  # created and removed: the folder is writable


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = {"database": _check_database, "storage": _check_storage}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _check_redis
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # noqa: BLE001 - any failure makes the check fail
            log.warning("readiness check %s failed: %s: %s", name, type(error).__name__, error)
            results[name] = f"unavailable: {type(error).__name__}"
            if name == "database":
                db.session.rollback()
    ready = all(value == "ok" for value in results.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=results)
    response.status_code = 200 if ready else 503
    if not ready:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable() -> Response:
    """503 with a retry hint: the JSON envelope under /api/, else the static page."""
    if request.path.startswith("/api/"):
        response = jsonify(error={"code": "unavailable", "message": (
            "The service is briefly unavailable (database unreachable); try again later.")})
    else:
        response = Response(PAGE, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)

    def _database_unavailable(error: Exception):
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection is gone; nothing to roll back
            pass
        metrics.increment("database_unavailable")
        log.error("database unavailable: %s: %s", type(error).__name__, error)
        return unavailable()

    for outage in OUTAGES:
        app.register_error_handler(outage, _database_unavailable)
