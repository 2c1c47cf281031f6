"""CLI commands: flask users ..., flask seed-demo, flask ideas expire, flask ledger verify."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Manage user accounts.")
ideas_cli = AppGroup("ideas", help="Idea housekeeping.")
ledger_cli = AppGroup("ledger", help="The royalty ledger.")
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
    app.cli.add_command(users_cli)
    app.cli.add_command(ideas_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(jobs_cli)

    # Each area registers its commands on these groups.
    from app import cli_commands  # noqa: F401
    from app import i18n_cli, seed

    app.cli.add_command(seed.seed_demo)
    i18n_cli.register(app)


__all__ = ["click", "users_cli", "ideas_cli", "ledger_cli"]
