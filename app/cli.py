"""`flask jobs work`, the one command that belongs to no blueprint.

Every other command is owned by its area's blueprint (Blueprint(..., cli_group=...)) and is
registered with it: `flask users` and `flask notifications` (app.accounts.cli), `flask ideas`
(app.ideas.cli), `flask ledger` (app.ledger.cli), `flask i18n` (app.i18n_cli) and
`flask seed-demo` (the demo data).
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs (with REDIS_URL).")


@jobs_cli.command("work")
@click.option("--once", is_flag=True, help="Stop when the queue is empty.")
def jobs_work(once: bool) -> None:
    """Run queued jobs (mail) from Redis."""
    from flask import current_app

    from app import jobs

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run in-process, no worker needed.")
    click.echo(f"ran {jobs.work(app, once=once)} jobs")


def init_app(app: Flask) -> None:
    app.cli.add_command(jobs_cli)
