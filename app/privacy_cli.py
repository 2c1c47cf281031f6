"""`flask privacy purge`: apply the retention periods of the privacy policy (app.services.privacy)."""
from __future__ import annotations

import click
from flask import Blueprint

from app.extensions import db

bp = Blueprint("privacy_cli", __name__, cli_group="privacy")
bp.cli.help = "Members' privacy: retention."


@bp.cli.command("purge")
def purge() -> None:
    """Blank or delete IP addresses, user agents, throttle rows and network hashes older than
    the RETENTION_* settings; idempotent (the job engine runs it daily)."""
    from app.services import privacy

    done = privacy.purge()
    db.session.commit()
    for key, count in done.items():
        click.echo(f"{key}\t{count}")
