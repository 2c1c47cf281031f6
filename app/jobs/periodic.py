"""The periodic jobs (see app.jobs.schedule for when). Each is also a CLI command for operators:
`flask ideas expire`, `flask notifications digest --mode daily|weekly`, `flask ledger verify`,
`flask jobs sweep`."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app

from app import jobs
from app.extensions import db


@contextmanager
def _as_site() -> Iterator[None]:
    """A request at PUBLIC_BASE_URL, so links and translated text come out as on the site."""
    with current_app.test_request_context("/", base_url=current_app.config.get("PUBLIC_BASE_URL")
                                          or None):
        yield


@jobs.job("ideas.expire")
def expire_ideas() -> int:
    from app.services import milestones

    with _as_site():
        count = milestones.expire_ideas()
        db.session.commit()
    return count


@jobs.job("ideas.refresh_trending")
def refresh_trending() -> int:
    from app.services import milestones

    count = milestones.refresh_trending()
    db.session.commit()
    return count


@jobs.job("notifications.digest")
def send_digests(mode: str) -> int:
    from app.services import notifications

    with _as_site():
        count = notifications.send_digests(mode)
        db.session.commit()
    return count


@jobs.job("nudges.send")
def send_nudges() -> int:
    """Ask supporters of ideas near their deadline or next milestone to share them (at most
    once per idea per NUDGE_INTERVAL_DAYS; app.services.nudges)."""
    from app.services import nudges

    with _as_site():
        count = nudges.send_nudges()
        db.session.commit()
    return count


@jobs.job("users.purge_sessions")
def purge_sessions(days: int = 30) -> int:
    """Delete browser sessions ended or expired over `days` days ago, and spent sign-in counts."""
    from app.services import sign_ins

    count = sign_ins.purge(days)
    db.session.commit()
    return count


@jobs.job("users.reengage")
def reengage() -> dict[str, int]:
    """One "since your last visit" mail to each member away REENGAGE_AFTER_DAYS (once a lapse)."""
    from app.services import reengagement

    with _as_site():
        return reengagement.run()


@jobs.job("privacy.purge")
def purge_privacy() -> dict:
    """Apply the retention periods (IP addresses, user agents, throttles, network hashes)."""
    from app.services import privacy

    done = privacy.purge()
    db.session.commit()
    return done


class LedgerProblems(Exception):
    """`ledger.verify` found problems: the failed job (with the problems) is the alert."""


@jobs.job("ledger.verify")
def verify_ledger() -> int:
    """Recompute the ledger's hash chain and balances; raises (a failed job) on any problem."""
    from app.services.ledger import verify_ledger as verify

    problems = verify()
    db.session.rollback()
    if problems:
        raise LedgerProblems("; ".join(map(str, problems))[:3000])
    return 0


@jobs.job("markdown.rerender")
def rerender_markdown(max_batches: int = 10) -> int:
    """Stored Markdown HTML made by an older renderer, rendered again (a few batches a run)."""
    from app.services import rendering

    return rendering.rerender(max_batches=max_batches)
