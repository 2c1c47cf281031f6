"""CLI commands: flask ideas expire (the ideas blueprint's CLI group)."""
import click

from app.ideas import bp


@bp.cli.command("expire")
def expire() -> None:
    """Expire published ideas whose support deadline has passed; refresh trending scores.

    Safe to run at any time, as often as wanted, even twice at once (e.g. hourly from cron).
    """
    from app.extensions import db
    from app.services import milestones

    count = milestones.expire_ideas()
    db.session.commit()
    milestones.refresh_trending()
    db.session.commit()
    click.echo(f"{count} idea{'s' if count != 1 else ''} expired.")
