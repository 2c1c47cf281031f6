"""flask backup create | restore | show: the CLI-only blueprint of app.backup.

    flask backup create [--output DIR] [--keep N]   # cron: daily; prints the archive's path
    flask backup restore FILE [--force]             # then checks the ledger and the row counts
    flask backup show FILE                          # the archive's manifest
"""
from __future__ import annotations

import json
import sys

import click
from flask import Blueprint, current_app

from app import backup
from app.extensions import db

bp = Blueprint("backup_cli", __name__, cli_group="backup")
bp.cli.help = "Back up and restore the database and the uploaded images."


def _locations() -> tuple[str, str]:
    return current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.config["UPLOAD_FOLDER"]


@bp.cli.command("create")
@click.option("--output", type=click.Path(file_okay=False), default=None,
              help="Folder for the archive (default: BACKUP_DIR).")
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Afterwards delete all but the newest N archives in that folder.")
def create(output: str | None, keep: int | None) -> None:
    """Back up the database (online: the site keeps running) and the uploads into one archive."""
    database_url, uploads = _locations()
    folder = output or current_app.config["BACKUP_DIR"]
    try:
        path, manifest = backup.create_backup(database_url, uploads, folder)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = ", ".join(f"{table} {n}" for table, n in manifest.counts.items())
    click.echo(f"backup: {path}")
    click.echo(f"  {manifest.database} at {manifest.alembic_revision}: {rows}")
    click.echo(f"  uploads: {manifest.uploads.get('files', 0)} files")
    if keep:
        for old in backup.prune(folder, keep):
            click.echo(f"deleted old backup {old}")


@bp.cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True,
              help="Replace a database that is not empty and add to an upload folder that is not.")
def restore(archive: str, force: bool) -> None:
    """Restore an archive into DATABASE_URL and UPLOAD_FOLDER (stop the web and job processes
    first), then verify the ledger and compare the row counts with the backup's."""
    from app.services.ledger import verify_ledger

    database_url, uploads = _locations()
    db.session.remove()
    db.engine.dispose()  # none of our connections keeps the database being replaced open
    try:
        manifest, files = backup.restore_backup(archive, database_url, uploads, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    db.engine.dispose()
    click.echo(f"restored {manifest.database} backup of {manifest.created_at} "
               f"(schema {manifest.alembic_revision}) and {files} upload files")
    with db.engine.connect() as connection:
        _revision, rows = backup.counts(connection)
    differ = {table: (manifest.counts.get(table), n) for table, n in rows.items()
              if manifest.counts.get(table) != n}
    problems = verify_ledger()
    db.session.remove()
    for table, (expected, found) in differ.items():
        click.echo(f"PROBLEM: {table} has {found} rows, the backup had {expected}", err=True)
    for problem in problems:
        click.echo(f"PROBLEM: ledger: {problem}", err=True)
    if differ or problems:
        sys.exit(1)
    click.echo(f"row counts match the backup; ledger verify: OK "
               f"({rows['ledger_transactions']} transactions)")
    click.echo("run `flask db upgrade` if this code is newer than the backup's schema")


@bp.cli.command("show")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
def show(archive: str) -> None:
    """Print an archive's manifest (when, which database and schema, row counts)."""
    try:
        manifest = backup.read_manifest(archive)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps(manifest.as_dict(), indent=2))
