"""`flask jobs work|beat|sweep|failed|retry`: the job engine's worker and scheduler, the mail
sweep, and the dead-letter list."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

jobs_cli = AppGroup("jobs", help="Background jobs: worker, scheduler, mail sweep, failed jobs.")


def _celery_app():
    app: Flask = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker needed.")
    return app.extensions["celery"]


@jobs_cli.command("work", context_settings={"ignore_unknown_options": True})
@click.option("--beat", is_flag=True, help="Also run the scheduler in this worker (one per site).")
@click.option("--concurrency", "-c", type=int, default=None,
              help="Processes running jobs (default: one per CPU).")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def work(beat: bool, concurrency: int | None, loglevel: str, celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker for the jobs queue (any further options go to `celery worker`)."""
    from celery.signals import worker_process_init

    celery = _celery_app()
    app = current_app._get_current_object()

    @worker_process_init.connect(weak=False)
    def _fresh_connections(**_kwargs) -> None:
        # A forked pool process must not share the parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)

    argv = ["worker", f"--loglevel={loglevel}", "-Q", app.config["JOBS_QUEUE"]]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv += ["--beat", f"--schedule={app.config['JOBS_BEAT_SCHEDULE']}"]
    celery.worker_main(argv=[*argv, *celery_args])


@jobs_cli.command("beat")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
def beat(loglevel: str) -> None:
    """Run the scheduler (Celery beat): exactly one per site, beside any number of workers."""
    celery = _celery_app()
    celery.start(argv=["beat", f"--loglevel={loglevel}",
                       f"--schedule={current_app.config['JOBS_BEAT_SCHEDULE']}"])


@jobs_cli.command("sweep")
def sweep() -> None:
    """Send pending mail that is overdue (its job was lost, or its retry is due) now."""
    from app import jobs

    sent = jobs.run_now("mail.sweep")
    click.echo(f"Sent {sent} overdue mail(s).")


@jobs_cli.command("failed")
def failed() -> None:
    """List the jobs that failed for good (the dead-letter list)."""
    from app.jobs import dead_letters

    rows = dead_letters.failed()
    if not rows:
        click.echo("No failed jobs.")
        return
    for row in rows:
        args = ", ".join(f"{key}={value!r}" for key, value in sorted((row.args or {}).items()))
        click.echo(f"{row.id}\t{row.failed_at:%Y-%m-%d %H:%M:%S}Z\t{row.name}({args})\t"
                   f"{row.attempts} attempt(s)\t{row.error.splitlines()[0] if row.error else ''}")


@jobs_cli.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Retry every failed job.")
def retry(ids: tuple[int, ...], retry_all: bool) -> None:
    """Run failed jobs again (by id from `flask jobs failed`, or --all)."""
    from app.jobs import dead_letters
    from app.models import FailedJob

    if not ids and not retry_all:
        raise click.UsageError("Give the ids of failed jobs, or --all.")
    rows = dead_letters.failed() if retry_all else [db.session.get(FailedJob, id_) for id_ in ids]
    missing = [id_ for id_, row in zip(ids, rows) if row is None]
    if missing:
        raise click.ClickException(f"No failed job with the id {', '.join(map(str, missing))}.")
    for row in rows:
        dead_letters.retry(row)
    db.session.commit()
    click.echo(f"Queued {len(rows)} job(s) again.")
