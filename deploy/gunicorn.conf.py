"""Gunicorn for Kyoso: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`, behind nginx (deploy/nginx.conf).

Threaded workers, not gunicorn's default sync workers. A sync worker serves one connection at a
time from accept to close, so as many idle or slow connections as there are workers take the
site down (200 idle sockets: every worker waits on a client that never speaks). A gthread worker
parks a connection that has sent nothing in its poller, where it costs no thread, closes it
after `keepalive` seconds, and serves requests on `threads` threads. nginx in front goes
further: it holds any number of idle and slow clients itself, times out slowloris senders
(client_header_timeout, client_body_timeout) and passes gunicorn only complete requests.

Every value below can be set by the environment variable named beside it (systemd:
Environment= in deploy/systemd/kyoso-web.service).
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # nginx proxies to it; never public
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
# Threads per worker. Each request holds one database connection: keep workers x threads within
# what the database allows (SQLAlchemy's pool: 5 + 10 overflow per worker by default).
threads = _int("GUNICORN_THREADS", 8)
# Connections one worker keeps open at once (busy, parked idle or kept alive); beyond it the
# worker stops accepting until some close.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
# A worker that has not checked in for this long is killed and replaced (a request stuck in a
# thread does not stop the check-in; this catches a wedged process).
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Seconds a connection may sit idle (before its first request, or between two) before it is
# closed. nginx's upstream keepalive_timeout is shorter (4 s), so nginx never sends a request on
# a connection gunicorn is closing.
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (a slow leak never grows for long); jitter keeps them apart.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# The app writes one JSON line per request with its request id (app.observability): no
# access log of gunicorn's besides it. Errors go to stderr (journald under systemd).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "kyoso-web"
# The app is imported once, before the workers are forked: they start at once and share its
# memory. create_app() opens no database connection; post_fork drops the master's engine pool
# all the same, so no worker ever shares a connection with another.
preload_app = True


def on_starting(server) -> None:
    """Refuse several workers with in-memory rate limits (no REDIS_URL: each worker would count
    on its own). With PROMETHEUS_MULTIPROC_DIR (every worker writes its metrics there and
    /metrics adds them up), start from an empty folder: files of a previous run would count
    twice."""
    from app.ratelimits import shared_store_problem

    problem = shared_store_problem(server.app.wsgi().config, server.cfg.workers)
    if problem:
        raise RuntimeError(problem)  # gunicorn prints "Error: ..." and exits with status 1
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


#: Seconds a gthread worker's thread waits for a new connection's first bytes before parking the
#: connection in the poller (gunicorn waits 5 s, a module constant with no setting). While it
#: waits it is a thread no one else gets: 200 silent connections would queue real requests
#: behind them for 5 s each. A parked connection is not dropped: it is served when its bytes
#: arrive, or closed after `keepalive` seconds.
FIRST_BYTES_WAIT = 0.5


def post_worker_init(worker) -> None:
    from gunicorn.workers import gthread

    if hasattr(gthread, "DEFAULT_WORKER_DATA_TIMEOUT"):
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = FIRST_BYTES_WAIT


def post_fork(server, worker) -> None:
    from app.extensions import db

    with server.app.wsgi().app_context():
        db.engine.dispose(close=False)  # forget (never close) connections of the master


def child_exit(server, worker) -> None:
    """A worker that exited (recycled, killed) no longer counts in live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
