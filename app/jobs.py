"""Work that must happen only after the current transaction commits (mail, mostly).

In the embedded default the jobs run in-process right after the commit; a rolled-back
request therefore never sends a mail about something that did not happen.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger(__name__)
_KEY = "kyoso_after_commit"


def after_commit(func: Callable[[], None]) -> None:
    """Run func once the session's current transaction has committed; drop it on rollback."""
    db.session.info.setdefault(_KEY, []).append(func)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    jobs = session.info.pop(_KEY, [])
    for job in jobs:
        try:
            job()
        except Exception:  # a failed mail must not fail the request that already committed
            log.exception("after-commit job failed")


@event.listens_for(Session, "after_rollback")
def _drop_on_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
