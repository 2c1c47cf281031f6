"""`flask rights ...`: operators' commands for members' data rights."""
from __future__ import annotations

import click

from app.extensions import db
from app.rights import bp
from app.services.deletion import ERASE_SWEEP_AFTER


@bp.cli.command("expire-exports")
def expire_exports_command() -> None:
    """Delete data exports whose download time is up (idempotent; also hourly as a job)."""
    from app.services import exports

    click.echo(f"{exports.expire_exports()} export(s) expired.")


@bp.cli.command("delete-account")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask again.")
def delete_account_command(email: str, yes: bool) -> None:
    """Delete the account with this e-mail address now (as its member confirming would)."""
    from app.services import accounts, deletion

    user = accounts.get_by_email(email)
    if user is None or user.is_deleted:
        raise click.ClickException(f"No account has the address {email}.")
    if not yes:
        click.confirm(f"Delete the account of {user.display_name} <{user.email}> for good?",
                      abort=True)
    user_id = user.id
    deletion.start_deletion(user)
    db.session.commit()
    deletion.erase_account(user_id)  # here and now, not left to a worker
    click.echo(f"Account {user_id} deleted (now a pseudonymous account).")


@bp.cli.command("erase-sweep")
@click.option("--older-than", default=ERASE_SWEEP_AFTER, show_default=True, type=int,
              help="Seconds since the deletion started.")
def erase_sweep_command(older_than: int) -> None:
    """Finish erasing deleted accounts whose erasure job was lost or died (idempotent; also a
    job every 10 minutes)."""
    from app.services import deletion

    click.echo(f"{deletion.erase_sweep(older_than)} deleted account(s) erased.")
