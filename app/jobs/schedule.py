"""What runs periodically, run by Celery beat (`flask jobs beat`, or `flask jobs work --beat`)
or, without Redis, by a thread in the web process.

| entry          | job                          | when                                  |
|----------------|------------------------------|---------------------------------------|
| mail-sweep     | mail.sweep                   | every minute                          |
| fan-out-sweep  | notifications.fan_out_sweep  | every minute                          |
| products-sweep | products.tell_audience_sweep | every minute (product steps, updates) |
| ideas-counters | ideas.roll_up_counters       | every minute                          |
| for-you        | discovery.refresh_for_you    | every FOR_YOU_REFRESH_MINUTES (10)    |
| ideas-expire   | ideas.expire                 | hourly, on the hour                   |
| ideas-trending | ideas.refresh_trending       | hourly, at half past                  |
| digest-daily   | notifications.digest daily   | daily at DIGEST_HOUR (UTC)            |
| digest-weekly  | notifications.digest weekly  | Mondays at DIGEST_HOUR (UTC)          |
| ledger-verify  | ledger.verify                | daily at 03:15 UTC (a problem is a failed job) |
| markdown-rerender | markdown.rerender         | every 10 minutes (stored HTML of an older renderer) |
| purge-sessions | users.purge_sessions         | daily at 04:30 UTC                    |
| exports-expire | rights.expire_exports        | hourly, at 40 past (expired data exports' files) |
| erase-sweep    | rights.erase_sweep           | every 10 minutes (deleted accounts whose erasure job was lost or died) |
| announcements-sweep | announcements.send_sweep | every minute (sends whose job was lost) |
| nudges         | nudges.send                  | daily at NUDGE_HOUR:20 UTC (10:20)    |
| reengage       | users.reengage               | daily at REENGAGE_HOUR (UTC, 9)       |
| recognition    | recognition.rollup           | every 5 minutes (points, badges, leaderboard) |
| session-reminders | sessions.remind           | every 15 minutes (once per invitee, the day before) |
| partner-scores | partners.refresh             | hourly, at 45 minutes past            |
| privacy-purge  | privacy.purge                | daily at 04:45 UTC (RETENTION_* settings) |
| kpi-refresh    | analytics.refresh            | every KPI_REFRESH_MINUTES (10): the dashboard's standard periods |

Every periodic job is idempotent, so two schedulers (two beats, two web processes) running the
same entry do no harm: expiry and trending take row locks and converge, the sweep leases each
mail, and a digest's mail has a dedupe key per member and first notification.
"""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timedelta
from typing import Any

from celery.schedules import BaseSchedule, crontab, schedule
from flask import Flask

from app import jobs

log = logging.getLogger(__name__)


def entries(app: Flask) -> dict[str, tuple[str, BaseSchedule, dict[str, Any]]]:
    hour = app.config["DIGEST_HOUR"]
    return {
        "mail-sweep": ("mail.sweep", schedule(timedelta(seconds=60)), {}),
        "fan-out-sweep": ("notifications.fan_out_sweep", schedule(timedelta(seconds=60)), {}),
        "products-sweep": ("products.tell_audience_sweep", schedule(timedelta(seconds=60)), {}),
        "ideas-counters": ("ideas.roll_up_counters", schedule(timedelta(seconds=60)), {}),
        "for-you": ("discovery.refresh_for_you",
                    schedule(timedelta(minutes=app.config["FOR_YOU_REFRESH_MINUTES"])), {}),
        "ideas-expire": ("ideas.expire", crontab(minute=0), {}),
        "ideas-trending": ("ideas.refresh_trending", crontab(minute=30), {}),
        "digest-daily": ("notifications.digest", crontab(minute=0, hour=hour), {"mode": "daily"}),
        "digest-weekly": ("notifications.digest", crontab(minute=0, hour=hour, day_of_week=1),
                          {"mode": "weekly"}),
        "ledger-verify": ("ledger.verify", crontab(minute=15, hour=3), {}),
        "markdown-rerender": ("markdown.rerender", crontab(minute="*/10"), {}),
        "purge-sessions": ("users.purge_sessions", crontab(minute=30, hour=4), {}),
        "exports-expire": ("rights.expire_exports", crontab(minute=40), {}),
        "erase-sweep": ("rights.erase_sweep", crontab(minute="*/10"), {}),
        "announcements-sweep": ("announcements.send_sweep", schedule(timedelta(seconds=60)), {}),
        "nudges": ("nudges.send", crontab(minute=20, hour=app.config["NUDGE_HOUR"]), {}),
        "reengage": ("users.reengage", crontab(minute=0, hour=app.config["REENGAGE_HOUR"]), {}),
        "recognition": ("recognition.rollup", crontab(minute="*/5"), {}),
        "session-reminders": ("sessions.remind", crontab(minute="*/15"), {}),
        "partner-scores": ("partners.refresh", crontab(minute=45), {}),
        "privacy-purge": ("privacy.purge", crontab(minute=45, hour=4), {}),
        "kpi-refresh": ("analytics.refresh",
                        schedule(timedelta(minutes=app.config["KPI_REFRESH_MINUTES"])), {}),
    }


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    return {name: {"task": task, "schedule": when, "kwargs": kwargs}
            for name, (task, when, kwargs) in entries(app).items()}


class EmbeddedScheduler(threading.Thread):
    """Celery beat's job for a deployment without Redis: runs each entry when it is due, on the
    in-process job pool. It starts counting at process start (a restart delays nothing that is
    daily by more than a day; the hourly ones catch up within the hour)."""

    def __init__(self, app: Flask) -> None:
        super().__init__(name="kyoso-schedule", daemon=True)
        self.app = app
        self.stopped = threading.Event()
        celery = app.extensions["celery"]
        self.entries = entries(app)
        for _task, when, _kwargs in self.entries.values():
            when.app = celery  # now() and the time zone come from the engine's settings (UTC)
        now = celery.now()
        self.last_run: dict[str, datetime] = dict.fromkeys(self.entries, now)

    def tick(self) -> float:
        """Run what is due; returns the seconds until something is due again."""
        wait = 60.0
        for name, (task, when, kwargs) in self.entries.items():
            due, next_in = when.is_due(self.last_run[name])
            if due:
                self.last_run[name] = when.now()
                jobs.run_in_process(self.app, task, kwargs)
            wait = min(wait, max(1.0, float(next_in)))
        return wait

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                wait = self.tick()
            except Exception:  # the schedule must outlive any one failure
                log.exception("embedded schedule tick failed")
                wait = 60.0
            self.stopped.wait(wait)


_started: dict[int, EmbeddedScheduler] = {}
_lock = threading.Lock()


def start_embedded(app: Flask) -> EmbeddedScheduler:
    """Start this process's scheduler once (a forked web worker starts its own)."""
    pid = os.getpid()
    scheduler = _started.get(pid)
    if scheduler is not None:
        return scheduler
    with _lock:
        if pid not in _started:
            _started[pid] = EmbeddedScheduler(app)
            _started[pid].start()
            log.info("embedded job schedule started (no REDIS_URL)")
        return _started[pid]

