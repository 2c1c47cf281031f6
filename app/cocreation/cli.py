"""`flask partners refresh` and `flask sessions remind`: the scheduled co-creation jobs, by hand."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.cocreation import bp

partners_cli = AppGroup("partners", help="The partner pool.")
sessions_cli = AppGroup("sessions", help="Co-creation sessions.")


@partners_cli.command("refresh")
@click.option("--batch", type=int, default=None, help="Members per batch (PARTNER_REFRESH_BATCH).")
def refresh(batch: int | None) -> None:
    """Recompute every member's partner-pool scores (the hourly job partners.refresh)."""
    from app.services import partners

    click.echo(f"{partners.refresh(batch)} members scored")


@sessions_cli.command("remind")
def remind() -> None:
    """Send the reminders of sessions starting within 24 hours (once per invitee)."""
    from app.jobs import run_now

    click.echo(f"{run_now('sessions.remind')} reminders sent")


def init_app(app) -> None:
    app.cli.add_command(partners_cli)
    app.cli.add_command(sessions_cli)


@bp.record_once
def _register(state) -> None:
    init_app(state.app)
