"""CLI commands: flask api purge-idempotency-keys (the API blueprint's CLI group)."""
from __future__ import annotations

import click

from app.api import bp


@bp.cli.command("purge-idempotency-keys")
def purge_idempotency_keys() -> None:
    """Delete remembered Idempotency-Key answers older than IDEMPOTENCY_KEY_HOURS."""
    from app.idempotency import run_purge_idempotency_keys

    click.echo(f"purged {run_purge_idempotency_keys()} idempotency keys")
