"""What operators see: a request id, one JSON log line per request, and Prometheus metrics.

- Request id: the proxy's `X-Request-ID` when TRUSTED_PROXIES > 0 (nginx sets it: deploy/nginx.conf),
  otherwise a new one. It is echoed in the response's `X-Request-ID` header and stamped on every
  log record of the request (`%(request_id)s`), so an error trace and its request line match.
- Request log (REQUEST_LOG, on by default): one JSON object per line on the `kyoso.request`
  logger, written to stderr: `{"ts", "request_id", "method", "path", "endpoint", "status",
  "duration_ms", "user_id", "remote_addr"}`. The path carries no query string (it may hold
  tokens or e-mail addresses).
- Metrics at `GET /metrics` in the Prometheus text format, for a bearer token equal to
  METRICS_TOKEN (404 while it is unset, 401 without it or with another one):

  =======================================  ==========================================
  kyoso_http_requests_total                requests by endpoint, method and status
  kyoso_http_request_duration_seconds      latency histogram by endpoint
  kyoso_jobs_queued_total / _failed_total  background jobs queued / failed, by job
  kyoso_mails_sent_total / _failed_total   mail handed to SMTP (or the log) / refused
  kyoso_events_total                       other things worth counting, by event
  kyoso_jobs_waiting, kyoso_jobs_dead      queue depth at scrape time (`queue_depth()`)
  =======================================  ==========================================

  Under gunicorn every worker is a process of its own: set PROMETHEUS_MULTIPROC_DIR to an empty
  folder writable by the workers (deploy/gunicorn.conf.py empties it at start and tells the
  client when a worker exits) and /metrics adds up all workers.
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram,
                               generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import inspect as sa_inspect

from app.extensions import limiter

log = logging.getLogger(__name__)
request_log = logging.getLogger("kyoso.request")
bp = Blueprint("observability", __name__)

REQUEST_ID_HEADER = "X-Request-ID"
#: What a request id from the proxy may look like (nginx's $request_id is 32 hex digits).
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_STARTED = "kyoso.started"
_REQUEST_ID = "kyoso.request_id"

REQUESTS = Counter("kyoso_http_requests", "HTTP requests answered",
                   ["endpoint", "method", "status"])
LATENCY = Histogram("kyoso_http_request_duration_seconds", "Time to answer an HTTP request",
                    ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
JOBS_QUEUED = Counter("kyoso_jobs_queued", "Background jobs queued (after their commit)", ["job"])
JOBS_FAILED = Counter("kyoso_jobs_failed", "Background jobs that raised", ["job"])
MAILS_SENT = Counter("kyoso_mails_sent", "Mails handed to the SMTP server (or the log)")
MAILS_FAILED = Counter("kyoso_mails_failed", "Mails the SMTP server refused or never took")
EVENTS = Counter("kyoso_events", "Other things worth watching", ["event"])


# --- counting (called by the job engine and the mailer) -------------------------------------------

def job_queued(name: str) -> None:
    JOBS_QUEUED.labels(job=name).inc()


def job_failed(name: str) -> None:
    JOBS_FAILED.labels(job=name).inc()


def mail_sent() -> None:
    MAILS_SENT.inc()


def mail_failed() -> None:
    MAILS_FAILED.inc()


def count(event: str, by: int = 1) -> None:
    """Anything else worth a counter (a fallback taken, an outage seen)."""
    EVENTS.labels(event=event).inc(by)


# --- the job queue --------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueueDepth:
    """Jobs waiting to run and jobs that failed for good; None when it cannot be known now
    (Redis unreachable)."""

    waiting: int | None
    failed: int | None
    #: "redis" (a worker runs them) or "in-process" (run right after their commit)
    runner: str


def queue_depth() -> QueueDepth:
    """The job queue's depth. With REDIS_URL: the length of the Celery queue in Redis (what
    `flask jobs work` serves) and the dead-letter list (`failed_jobs`). Without it jobs run in the
    web process right after their commit: what waits is the mail outbox not yet sent."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import FailedJob, OutboundMail

    try:
        dead = db.session.scalar(select(func.count()).select_from(FailedJob)) or 0
        pending = db.session.scalar(select(func.count()).select_from(OutboundMail)
                                    .where(OutboundMail.status == "pending")) or 0
    except Exception as error:  # noqa: BLE001 - the database may be what is down
        log.warning("queue depth unknown: %s: %s", type(error).__name__, error)
        return QueueDepth(None, None, "redis" if current_app.config.get("REDIS_URL") else "in-process")
    if not current_app.config.get("REDIS_URL"):
        return QueueDepth(pending, dead, "in-process")
    try:
        import redis

        client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=2,
                                      socket_connect_timeout=2)
        key = current_app.config["JOBS_KEY_PREFIX"] + current_app.config["JOBS_QUEUE"]
        return QueueDepth(int(client.llen(key)), dead, "redis")
    except Exception as error:  # noqa: BLE001 - any Redis failure means "unknown now"
        log.warning("queue depth unknown: %s: %s", type(error).__name__, error)
        return QueueDepth(None, dead, "redis")


class _QueueDepthCollector:
    """Reads the queue depth when Prometheus scrapes (never stored in a process)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = queue_depth()
        if depth.waiting is not None:
            yield GaugeMetricFamily("kyoso_jobs_waiting", "Background jobs waiting to run",
                                    value=depth.waiting)
        if depth.failed is not None:
            yield GaugeMetricFamily("kyoso_jobs_dead", "Background jobs that failed for good",
                                    value=depth.failed)


def exposition() -> bytes:
    """Every metric in the Prometheus text format: this process's, or with
    PROMETHEUS_MULTIPROC_DIR every worker's added up; then the queue depth."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    depth = CollectorRegistry()
    depth.register(_QueueDepthCollector())
    return generate_latest(registry) + generate_latest(depth)


@bp.get("/metrics")
@limiter.exempt
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    header = request.headers.get("Authorization", "")
    offered = header[7:].strip() if header.startswith("Bearer ") else ""
    if not hmac.compare_digest(offered.encode(), token.encode()):
        return Response("Send 'Authorization: Bearer <METRICS_TOKEN>'.\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    return Response(exposition(), mimetype=CONTENT_TYPE_LATEST)


# --- request ids and the request log --------------------------------------------------------------

def request_id() -> str:
    """This request's id (decided once): the proxy's X-Request-ID when proxies are trusted and it
    looks like an id, otherwise a new random one."""
    current = request.environ.get(_REQUEST_ID)  # not `g`: tests share one app context
    if current is None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        if current_app.config.get("TRUSTED_PROXIES") and REQUEST_ID_PATTERN.fullmatch(offered):
            current = offered
        else:
            current = uuid.uuid4().hex
        request.environ[_REQUEST_ID] = current
    return current


def _user_id() -> int | None:
    """The caller's id if this request already knew it (never a query of its own)."""
    user = g.get("api_user") or g.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    if state is not None and state.identity:  # no reload of a user the commit expired
        return state.identity[0]
    return getattr(user, "id", None)


class _Timing:
    """WSGI middleware: note when the request arrived, before any Flask hook runs (a hook that
    refuses the request, like the rate limiter's, must not hide it from the log)."""

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ[_STARTED] = time.perf_counter()
        return self.wsgi_app(environ, start_response)


def _record(response: Response) -> Response:
    started = request.environ.get(_STARTED, time.perf_counter())
    seconds = time.perf_counter() - started
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    ident = request_id()
    response.headers[REQUEST_ID_HEADER] = ident
    REQUESTS.labels(endpoint=endpoint, method=request.method, status=str(response.status_code)).inc()
    LATENCY.labels(endpoint=endpoint).observe(seconds)
    if current_app.config.get("REQUEST_LOG", True):
        request_log.info(json.dumps({
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"), "request_id": ident,
            "method": request.method, "path": request.path, "endpoint": endpoint,
            "status": response.status_code, "duration_ms": round(seconds * 1000, 1),
            "user_id": _user_id(), "remote_addr": request.remote_addr}, ensure_ascii=False))
    return response


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _stamp_request_ids() -> None:
    """Give every log record a `request_id` attribute ("-" outside a request)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "kyoso_request_id", False):
        return

    def stamped(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        record.request_id = "-"
        if has_request_context():
            try:
                record.request_id = request_id()
            except Exception:  # noqa: BLE001 - a log line must never fail over its id
                pass
        return record

    stamped.kyoso_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(stamped)


def configure_logging() -> None:
    _stamp_request_ids()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if not any(isinstance(h, _StderrHandler) for h in request_log.handlers):
        request_log.addHandler(_StderrHandler())
    request_log.setLevel(logging.INFO)
    request_log.propagate = False  # a JSON line of its own, not inside the text format


def init_app(app: Flask) -> None:
    configure_logging()
    app.wsgi_app = _Timing(app.wsgi_app)  # type: ignore[method-assign]
    app.after_request(_record)
