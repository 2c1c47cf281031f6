"""Background jobs: run after the current transaction commits, by Celery or in-process.

A job is a plain function registered by name; queue it with keyword arguments (JSON values):

    @jobs.job("mail.send", retry_for=(OSError, smtplib.SMTPException), swept=True)
    def deliver(mail_id: int) -> None: ...

    jobs.enqueue("mail.send", mail_id=42)   # after the commit; never for a rolled-back change

With REDIS_URL set, jobs go to Celery (broker: Redis) and `flask jobs work` runs them. A job is
acknowledged only after it ran, so one whose worker dies runs again; the errors in `retry_for`
are retried with exponential backoff and jitter (JOBS_MAX_RETRIES, JOBS_RETRY_BACKOFF...), and a
job that fails for good is written to the dead-letter list (`failed_jobs`: `flask jobs failed`,
`flask jobs retry`). If Redis cannot be reached, the job runs in-process instead (logged and
counted as `jobs_broker_unavailable`).

Without REDIS_URL (the embedded default) jobs run in-process on a small thread pool, so the
request that queued them never waits; with JOBS_SYNC (the tests) they run right after the commit
instead. A job that fails there goes to the dead-letter list, except the `retry_for` errors of a
`swept` job: its own periodic sweep tries again (mail: the outbox).

Jobs must be idempotent: with at-least-once delivery any job may run twice.
"""
from __future__ import annotations

import contextvars
import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import metrics
from app.extensions import db

log = logging.getLogger(__name__)
_KEY = "kyoso_after_commit"


class GaveUp(Exception):
    """A job stops trying (its last attempt failed, or the error is permanent): it is written to
    the dead-letter list and not retried until an operator says so."""


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[..., Any]
    #: Transient errors worth another try later (network, SMTP).
    retry_for: tuple[type[BaseException], ...] = ()
    #: A periodic sweep retries this job's transient failures (so in-process they are only logged).
    swept: bool = False
    #: Called with the job's arguments by `flask jobs retry` before the job runs again.
    revive: Callable[..., None] | None = None


JOBS: dict[str, Job] = {}
_job_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("kyoso_job_id", default=None)


def job(name: str, *, retry_for: tuple[type[BaseException], ...] = (), swept: bool = False,
        revive: Callable[..., None] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the job `name`."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        JOBS[name] = Job(name, func, tuple(retry_for), swept, revive)
        return func

    return register


def current_job_id() -> str:
    """The id of the job being run (Celery's task id: the same when a job is delivered again)."""
    return _job_id.get() or f"local-{uuid.uuid4().hex}"


def after_commit(func: Callable[[], None]) -> None:
    """Run func once the session's current transaction has committed; drop it on rollback."""
    if db.session().get_transaction() is None:
        db.session.begin()  # so that a rollback before any query still discards the job
    db.session.info.setdefault(_KEY, []).append(func)


def enqueue(name: str, **kwargs: Any) -> None:
    """Run the job `name` with kwargs after the current transaction commits."""
    if name not in JOBS:
        raise KeyError(f"no job named {name!r}")
    app = current_app._get_current_object()
    after_commit(lambda: dispatch(app, name, kwargs))


def dispatch(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    """Hand the job to Celery now, or (embedded, or Redis unreachable) run it in-process."""
    from app import observability

    observability.job_queued(name)
    if app.config.get("REDIS_URL"):
        from app.jobs import engine

        try:
            engine.publish(app, name, kwargs)
            return
        except Exception as error:  # noqa: BLE001 - any broker failure: degrade, don't fall over
            metrics.increment("jobs_broker_unavailable")
            log.warning("job broker unreachable (%s: %s); running %s in-process",
                        type(error).__name__, error, name)
    run_in_process(app, name, kwargs)


def run_in_process(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    if app.config.get("JOBS_SYNC"):
        _run_embedded(app, name, kwargs)
    else:
        _submit(app, _run_embedded, app, name, kwargs)


def run_now(name: str, **kwargs: Any) -> Any:
    """Run a job here and now in the current app context (CLI commands); errors propagate."""
    token = _job_id.set(f"local-{uuid.uuid4().hex}")
    try:
        return JOBS[name].func(**kwargs)
    finally:
        _job_id.reset(token)


def _run_embedded(app: Flask, name: str, kwargs: dict[str, Any]) -> None:
    spec = JOBS[name]
    with app.app_context():
        token = _job_id.set(f"local-{uuid.uuid4().hex}")
        try:
            spec.func(**kwargs)
        except Exception as error:  # a failed job must not fail the request that committed
            db.session.rollback()
            if spec.swept and isinstance(error, spec.retry_for) and not isinstance(error, GaveUp):
                log.warning("job %s failed (%s: %s); its sweep tries again later", name,
                            type(error).__name__, error)
                return
            log.exception("job %s failed; kept in the dead-letter list", name)
            from app.jobs import dead_letters

            dead_letters.record(name, kwargs, error)
        finally:
            _job_id.reset(token)


# -- the in-process thread pool (one per process: a forked web worker makes its own) -----------

_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None
_pending: set[Future] = set()


def _submit(app: Flask, func: Callable[..., None], *args: Any) -> Future:
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(max_workers=app.config.get("JOBS_THREADS", 2),
                                                     thread_name_prefix="kyoso-job"))
        future = _pool[1].submit(func, *args)
        _pending.add(future)
    future.add_done_callback(_pending.discard)
    return future


def wait_idle(timeout: float = 30.0) -> bool:
    """Wait until the in-process jobs queued so far have run; False on timeout."""
    with _pool_lock:
        futures = list(_pending)
    return not wait(futures, timeout=timeout).not_done


def init_app(app: Flask) -> None:
    """Build the job engine (Celery) for the app, and start the in-process schedule on the first
    request when there is no Redis (JOBS_EMBEDDED_SCHEDULER)."""
    from app import mail  # noqa: F401  (registers the mail jobs)
    from app.services import counters, fan_out, for_you  # noqa: F401  (the rollup, fan-out, batch mail, For you jobs)
    from app.jobs import engine, periodic, schedule  # noqa: F401  (registers the periodic jobs)
    from app.services import products  # noqa: F401  (registers products.tell_audience)
    from app.services import announcements  # noqa: F401  (announcements.send and its sweep)
    from app.services import campaigns  # noqa: F401  (registers campaigns.announce_winners)
    from app.services import surveys  # noqa: F401  (registers surveys.send)
    from app.services import recognition  # noqa: F401  (registers recognition.rollup)
    from app.services import partners, sessions  # noqa: F401  (partners.refresh, sessions.remind)
    from app.services import deletion, exports  # noqa: F401  (rights.erase_account, rights.build_export)
    from app.services import kpi_results  # noqa: F401  (analytics.compute, analytics.refresh)

    engine.init_app(app)
    if not app.config.get("REDIS_URL") and app.config.get("JOBS_EMBEDDED_SCHEDULER"):
        @app.before_request
        def _start_embedded_schedule() -> None:
            schedule.start_embedded(app)


# -- running after the commit ------------------------------------------------------------------

@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released; the real commit is later
        return
    for func in session.info.pop(_KEY, []):
        try:
            func()
        except Exception:  # a failed job must not fail the request that already committed
            log.exception("after-commit job failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_KEY, None)
