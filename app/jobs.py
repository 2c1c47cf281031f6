"""Background jobs that run only after the current transaction commits.

Embedded default: a job runs in-process right after the commit. With REDIS_URL set, the job is
pushed to a Redis list after the commit and a worker (`flask jobs work`) runs it, so any number of
stateless web workers can share one queue. A rolled-back request never runs or queues its jobs.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import observability
from app.extensions import db

log = logging.getLogger(__name__)
QUEUE = "kyoso:jobs"
FAILED = "kyoso:jobs:failed"
_KEY = "kyoso_after_commit"
HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {}


def register(name: str, handler: Callable[[dict[str, Any]], None]) -> None:
    HANDLERS[name] = handler


def after_commit(func: Callable[[], None]) -> None:
    """Run func once the session's current transaction has committed; drop it on rollback."""
    if db.session().get_transaction() is None:
        db.session.begin()  # so that a rollback before any query still discards the job
    db.session.info.setdefault(_KEY, []).append(func)


def redis_client(app: Flask | None = None):
    import redis

    app = app or current_app
    return redis.Redis.from_url(app.config["REDIS_URL"])


def enqueue(name: str, payload: dict[str, Any]) -> None:
    """Run the named job after commit: in-process, or through Redis when REDIS_URL is set."""
    app = current_app._get_current_object()
    message = json.dumps({"job": name, "payload": payload})

    def run() -> None:
        observability.job_queued(name)
        if app.config.get("REDIS_URL"):
            redis_client(app).lpush(QUEUE, message)
            return
        with app.app_context():
            try:
                HANDLERS[name](payload)
            except Exception:
                observability.job_failed(name)
                raise

    after_commit(run)


def work(app: Flask, *, once: bool = False, timeout: int = 5) -> int:
    """Run queued jobs from Redis; returns how many ran. `once` stops when the queue is empty."""
    client = redis_client(app)
    done = 0
    while True:
        item = client.brpop([QUEUE], timeout=timeout)
        if item is None:
            if once:
                return done
            continue
        raw = item[1]
        try:
            message = json.loads(raw)
            with app.app_context():
                HANDLERS[message["job"]](message["payload"])
            done += 1
        except Exception:
            log.exception("job failed; kept in %s", FAILED)
            observability.job_failed(_job_name(raw))
            client.lpush(FAILED, raw)


def _job_name(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["job"])
    except (ValueError, KeyError, TypeError):
        return "unreadable"


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint was released; the real commit is later
        return
    for job in session.info.pop(_KEY, []):
        try:
            job()
        except Exception:  # a failed mail must not fail the request that already committed
            log.exception("after-commit job failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        session.info.pop(_KEY, None)
