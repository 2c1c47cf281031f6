"""Kept KPI results (issue 16, at scale): the dashboard's figures per scope, computed by the job
`analytics.compute` and served while younger than KPI_REFRESH_MINUTES.

Why kept results and not daily rollups: most figures are distinct-member counts over an
arbitrary period (active, returning, supporters, cohorts, partner continuation) or medians
(funnel), which do not add up from day rows; keeping the result of the exact `kpis()` per
scope keeps every figure exactly what a reviewer recomputes from the rows (at `computed_at`),
and costs one indexed row read on the page. The price: a change of data shows at the next
refresh, and a period nobody asked for before is computed by the job when first asked for.

- `kept(scope)`: the kept result of the scope if it is fresh (else None); one statement.
- `latest(scope)`: the kept row whatever its age (the page shows an old result while a new one
  is computed).
- `request(scope)`: queue the computation unless one is already queued (the row's status
  "pending" since less than twice the refresh interval is the job's dedupe).
- `compute(scope)`: run `kpis()` now and keep it (in the caller's transaction). The job
  `analytics.compute` reads in one REPEATABLE READ snapshot on PostgreSQL, so every figure is
  of the same instant.
- `answer(scope)`: what the API and the CSV serve, never computed in the web request: the
  fresh result; else the computation is queued and awaited for up to KPI_WAIT_SECONDS (with
  in-process jobs it has run by then); else the latest older result; else None (the caller
  answers 202, "being computed").
- `standard_scopes(today)`: what the schedule refreshes: the page's preset periods (last 30
  days, last 90 days, this month, last month) for the whole programme, and the default period
  (last 30 days) per active category and per open campaign, as the page's filters link them.
"""
from __future__ import annotations

import hashlib
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import jobs
from app.extensions import db
from app.models import Category
from app.models.base import utcnow
from app.models.rollups import KpiResult
from app.services import analytics

PENDING, READY = "pending", "ready"


def presets(today: date) -> dict[str, tuple[date, date]]:
    """The page's preset periods (first and last day, inclusive)."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return {
        "last_30_days": (today - timedelta(days=29), today),
        "last_90_days": (today - timedelta(days=89), today),
        "this_month": (month_start, today),
        "last_month": (last_month_end.replace(day=1), last_month_end),
    }


def _scope(from_day: date, to_day: date, category_id: int | None = None,
           campaign_id: int | None = None) -> analytics.Scope:
    return analytics.Scope(datetime.combine(from_day, time(), tzinfo=UTC),
                           datetime.combine(to_day + timedelta(days=1), time(), tzinfo=UTC),
                           category_id, campaign_id)


def _days(s: analytics.Scope) -> tuple[date, date]:
    return s.start.date(), (s.end - timedelta(days=1)).date()


def scope_key(s: analytics.Scope) -> str:
    from_day, to_day = _days(s)
    raw = f"{from_day.isoformat()}|{to_day.isoformat()}|{s.category_id or ''}|{s.campaign_id or ''}"
    return hashlib.sha256(raw.encode()).hexdigest()


def refresh_minutes() -> int:
    return int(current_app.config.get("KPI_REFRESH_MINUTES", 10))


def wait_seconds() -> float:
    return float(current_app.config.get("KPI_WAIT_SECONDS", 5))


def retry_after() -> int:
    """Seconds a caller answered 202 should wait before asking again."""
    return int(wait_seconds() or 5)


def _fresh_since() -> datetime:
    return utcnow() - timedelta(minutes=refresh_minutes())


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def latest(s: analytics.Scope) -> KpiResult | None:
    return db.session.scalar(select(KpiResult).where(KpiResult.scope_key == scope_key(s)))


def is_fresh(row: KpiResult | None) -> bool:
    return bool(row is not None and row.result is not None and row.computed_at is not None
                and _aware(row.computed_at) >= _fresh_since())


def kept(s: analytics.Scope) -> KpiResult | None:
    row = latest(s)
    return row if is_fresh(row) else None


def with_computed_at(row: KpiResult) -> dict:
    """The kept result as the API answers it: kpis()'s keys, and `computed_at` (ISO 8601, UTC)."""
    return {**row.result, "computed_at": _aware(row.computed_at).isoformat()}


def _row(s: analytics.Scope) -> KpiResult:
    """The scope's row, created (pending, without a result) if missing; safe against a
    concurrent creation (the unique scope_key: the other one wins, we read it)."""
    row = latest(s)
    if row is not None:
        return row
    from_day, to_day = _days(s)
    row = KpiResult(scope_key=scope_key(s), from_day=from_day, to_day=to_day,
                    category_id=s.category_id, campaign_id=s.campaign_id, status=PENDING,
                    requested_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # created meanwhile by another request or job
        row = latest(s)
        if row is None:
            raise
    return row


def request(s: analytics.Scope) -> bool:
    """Queue `analytics.compute` for the scope after the commit, unless its result is fresh or
    it is queued already (pending since less than twice the refresh interval: a lost job is
    queued again after that). True when this call queued it."""
    existing = latest(s)
    if is_fresh(existing):
        return False
    recent = utcnow() - timedelta(minutes=2 * refresh_minutes())
    if existing is not None and existing.status == PENDING and existing.requested_at is not None \
            and _aware(existing.requested_at) >= recent:
        return False
    row = existing or _row(s)
    row.status = PENDING
    row.requested_at = utcnow()
    from_day, to_day = _days(s)
    jobs.enqueue("analytics.compute", from_day=from_day.isoformat(), to_day=to_day.isoformat(),
                 category_id=s.category_id, campaign_id=s.campaign_id)
    return True


def compute(s: analytics.Scope) -> KpiResult:
    """Run kpis() for the scope and keep it (in the caller's transaction)."""
    computed_at = utcnow()
    result = analytics.kpis(s)
    row = _row(s)
    row.result = result
    row.computed_at = computed_at
    row.status = READY
    return row


#: How often answer() looks whether the queued computation has finished.
POLL_SECONDS = 0.2


def answer(s: analytics.Scope) -> KpiResult | None:
    """The result the API and the CSV serve for the scope (see the module's docstring). Commits:
    the request is queued in its own transaction so the job can start while we wait."""
    row = kept(s)
    if row is not None:
        return row
    request(s)
    db.session.commit()  # hands the job over (with in-process jobs it runs now)
    deadline = clock.monotonic() + wait_seconds()
    while True:
        row = latest(s)
        if is_fresh(row) or clock.monotonic() >= deadline:
            break
        db.session.rollback()  # a new snapshot for the next look
        clock.sleep(POLL_SECONDS)
    return row if row is not None and row.result is not None else None


@jobs.job("analytics.compute")
def compute_job(from_day: str, to_day: str, category_id: int | None = None,
                campaign_id: int | None = None) -> bool:
    """Compute and keep one scope; skipped when a fresh result exists already (a duplicate
    delivery, or a scope the schedule refreshed meanwhile). True when it computed."""
    s = _scope(date.fromisoformat(from_day), date.fromisoformat(to_day), category_id, campaign_id)
    row = kept(s)
    if row is not None and row.status == READY:
        db.session.commit()
        return False
    db.session.commit()
    _compute_in_snapshot(s)
    return True


def _compute_in_snapshot(s: analytics.Scope) -> None:
    """kpis() in one snapshot (PostgreSQL: REPEATABLE READ), then the row written in a
    transaction of its own (so a concurrent writer of the row cannot fail the long read)."""
    computed_at = utcnow()
    if db.engine.dialect.name == "postgresql" and db.session().get_transaction() is None:
        db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        # The first statement takes the snapshot every figure is read from: its time is the
        # instant the figures are "as of".
        computed_at = _aware(db.session.scalar(select(func.now())))
    result = analytics.kpis(s)
    db.session.commit()
    row = _row(s)
    row.result, row.computed_at, row.status = result, computed_at, READY
    db.session.commit()


def standard_scopes(today: date) -> list[analytics.Scope]:
    from app.models.campaigns import Campaign

    scopes = [_scope(a, b) for a, b in presets(today).values()]
    first, last = presets(today)["last_30_days"]
    for category_id in db.session.scalars(select(Category.id).where(Category.archived_at.is_(None))
                                          .order_by(Category.id)):
        scopes.append(_scope(first, last, category_id=category_id))
    for campaign_id in db.session.scalars(select(Campaign.id).where(
            Campaign.starts_on <= today, Campaign.ends_on >= today).order_by(Campaign.id)):
        scopes.append(_scope(first, last, campaign_id=campaign_id))
    return scopes


@jobs.job("analytics.refresh")
def refresh_job() -> int:
    """Recompute the standard scopes (every KPI_REFRESH_MINUTES); each one is skipped when a
    result younger than half the interval exists (two schedulers do the work once)."""
    today = datetime.now(UTC).date()
    scopes = standard_scopes(today)
    db.session.commit()
    half = utcnow() - timedelta(minutes=refresh_minutes() / 2)
    count = 0
    for s in scopes:
        row = latest(s)
        computed_at = _aware(row.computed_at) if row is not None else None
        db.session.commit()  # (read before the commit: it expires the row)
        if computed_at is not None and computed_at >= half:
            continue
        _compute_in_snapshot(s)
        count += 1
    return count
