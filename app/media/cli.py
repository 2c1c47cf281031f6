"""CLI commands: flask media orphans [--delete] (the media blueprint's CLI group)."""
from datetime import timedelta

import click

from app.media import bp


@bp.cli.command("orphans")
@click.option("--delete", "delete", is_flag=True, help="Delete the orphans found.")
@click.option("--older-than", "older_than", type=click.IntRange(min=0), default=60,
              show_default=True, help="Minutes: younger files may still be committing.")
def orphans(delete: bool, older_than: int) -> None:
    """List stored picture files that no idea image or avatar names (left by a crash between
    writing and committing, or by a failed delete), and unfinished temporary files.

    With --delete, remove them. Safe to run at any time and repeatedly (cron: daily).
    """
    from app import storage
    from app.services import media

    sweep = media.find_orphans(timedelta(minutes=older_than))
    for item in sweep.orphans:
        click.echo(f"orphan {item.key} ({item.size} bytes, {item.modified:%Y-%m-%d %H:%M} UTC)")
    if delete:
        media.delete_orphans(sweep)
    verb = "deleted" if delete else "found"
    click.echo(f"{len(sweep.orphans)} orphan file{'s' if len(sweep.orphans) != 1 else ''} {verb} "
               f"({sweep.orphan_bytes} bytes) in {storage.get().description}; "
               f"{sweep.checked} picture files checked, {sweep.recent} too recent to judge.")
