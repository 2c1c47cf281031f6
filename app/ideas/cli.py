"""CLI commands: flask ideas expire, flask ideas stats (the ideas blueprint's CLI group)."""
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


@bp.cli.command("stats")
def stats() -> None:
    """Count the home page's numbers and the popular tags again (site_stats, tags.listed_count).

    Schedule every 5 minutes: pages read these rolled-up figures instead of counting.
    """
    from app.services.stats import refresh_site_stats

    values = refresh_site_stats()
    click.echo(", ".join(f"{key}: {value}" for key, value in values.items()))
