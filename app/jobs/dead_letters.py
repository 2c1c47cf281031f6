"""The dead-letter list: jobs that failed for good, shown by `flask jobs failed` and run again
by `flask jobs retry`."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from app import jobs
from app.extensions import db
from app.models import FailedJob

log = logging.getLogger(__name__)


def record(name: str, kwargs: dict[str, Any] | None, error: BaseException, *, attempts: int = 1,
           task_id: str | None = None) -> None:
    """Keep a failed job (in its own transaction: whatever the job did was rolled back)."""
    try:
        db.session.rollback()
        db.session.add(FailedJob(name=name, args=dict(kwargs or {}), attempts=attempts,
                                 task_id=task_id,
                                 error=f"{type(error).__name__}: {error}"[:4000]))
        db.session.commit()
    except Exception:  # the database itself may be what failed: the log keeps it then
        db.session.rollback()
        log.exception("could not record the failed job %s %r", name, kwargs)


def failed() -> list[FailedJob]:
    return list(db.session.scalars(select(FailedJob).order_by(FailedJob.id)))


def retry(failed_job: FailedJob) -> None:
    """Run a dead job again (after the commit): revive it (e.g. mark its mail pending again),
    drop it from the list, and queue it."""
    spec = jobs.JOBS.get(failed_job.name)
    if spec is None:
        raise KeyError(f"no job named {failed_job.name!r}")
    kwargs = dict(failed_job.args or {})
    if spec.revive is not None:
        spec.revive(**kwargs)
    db.session.delete(failed_job)
    jobs.enqueue(spec.name, **kwargs)
