"""CLI commands: `flask users create|grant|revoke|block|unblock|reset-2fa|purge-sessions|reengage`
and `flask notifications digest`.

Operators at the console act as nobody in particular: audit entries they cause have no actor.
"""
from __future__ import annotations

import functools

import click
from flask import Blueprint, current_app

from app.accounts import bp
from app.errors import DomainError
from app.extensions import db
from app.models.users import ROLES

#: `flask notifications ...`: a CLI-only blueprint, registered inside the accounts blueprint.
notifications_bp = Blueprint("notifications_cli", __name__, cli_group="notifications")
notifications_bp.cli.help = "Notification mail."


def _as_request(command):
    """Run the command inside a request context at PUBLIC_BASE_URL, so translated messages
    (the locale selector reads the request) and links in mails work as they do on the site."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        base_url = current_app.config.get("PUBLIC_BASE_URL") or None
        with current_app.test_request_context("/", base_url=base_url):
            return command(*args, **kwargs)

    return run


def _fail(error: DomainError) -> None:
    db.session.rollback()
    fields = getattr(error, "fields", None)
    detail = "; ".join(f"{name}: {message}" for name, message in fields.items()) if fields \
        else error.message
    raise click.ClickException(detail)


def _user(email: str):
    from app.services import accounts

    user = accounts.get_by_email(email)
    if user is None:
        raise click.ClickException(f"No account with the email address {email.strip().lower()}.")
    return user


def _role(role: str) -> str:
    role = role.strip().lower()
    if role not in ROLES:
        raise click.ClickException(f"Unknown role {role!r}: choose from {', '.join(ROLES)}.")
    return role


@bp.cli.command("create")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters, not a common password.")
@click.option("--name", "name", required=True, help="Display name.")
@click.option("--role", "roles", multiple=True, metavar="ROLE",
              help=f"Repeat for several: {', '.join(ROLES)}.")
@_as_request
def create_user(email: str, password: str, name: str, roles: tuple[str, ...]) -> None:
    """Create a confirmed account (e.g. the first admin)."""
    from app.services import accounts

    wanted = [_role(role) for role in roles]
    try:
        user = accounts.create_confirmed_user(email, password, name, wanted)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created user {user.id} <{user.email}> with roles: {', '.join(user.roles)}.")


@bp.cli.command("grant")
@click.argument("email")
@click.argument("role")
@_as_request
def grant(email: str, role: str) -> None:
    """Give an account a role."""
    from app.services import accounts

    user, role = _user(email), _role(role)
    try:
        changed = accounts.grant_role(None, user, role)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{user.email} now has the role {role}." if changed
               else f"{user.email} already had the role {role}.")


@bp.cli.command("revoke")
@click.argument("email")
@click.argument("role")
@_as_request
def revoke(email: str, role: str) -> None:
    """Take a role away from an account."""
    from app.services import accounts

    user, role = _user(email), _role(role)
    try:
        changed = accounts.revoke_role(None, user, role)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"{user.email} no longer has the role {role}." if changed
               else f"{user.email} did not have the role {role}.")


@bp.cli.command("block")
@click.argument("email")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@_as_request
def block(email: str, reason: str | None) -> None:
    """Block an account: it can no longer sign in; its sessions and API tokens stop working."""
    from app.services import accounts

    user = _user(email)
    changed = accounts.block_user(None, user, reason)
    db.session.commit()
    click.echo(f"{user.email} is blocked." if changed else f"{user.email} was already blocked.")


@bp.cli.command("unblock")
@click.argument("email")
@click.option("--reason", default=None, help="Why (kept in the audit log).")
@_as_request
def unblock(email: str, reason: str | None) -> None:
    """Let a blocked account sign in again."""
    from app.services import accounts

    user = _user(email)
    changed = accounts.unblock_user(None, user, reason)
    db.session.commit()
    click.echo(f"{user.email} is unblocked." if changed else f"{user.email} was not blocked.")


@bp.cli.command("reset-2fa")
@click.argument("email")
@click.option("--reason", required=True, help="Why, and how you checked it is them (kept in the "
              "audit log).")
@click.option("--yes", is_flag=True, help="Do not ask again.")
@_as_request
def reset_two_factor(email: str, reason: str, yes: bool) -> None:
    """Turn off the two-factor sign-in of someone who lost the authenticator app and the
    recovery codes: they are signed out everywhere, mailed, and set it up again after signing in
    with their password. Audited."""
    from app.services import two_factor

    user = _user(email)
    if not (user.two_factor_enabled or user.totp_secret):
        click.echo(f"{user.email} has no two-factor sign-in to reset.")
        return
    if not yes:
        click.confirm(f"Reset the two-factor sign-in of {user.display_name} <{user.email}>?",
                      abort=True)
    try:
        two_factor.reset(None, user, reason)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Two-factor sign-in of {user.email} is reset; they were signed out and mailed.")


@bp.cli.command("purge-sessions")
@click.option("--days", default=30, show_default=True,
              help="Delete sessions that ended or expired more than this many days ago.")
def purge_sessions(days: int) -> None:
    """Delete old browser sessions and spent sign-in counts (also a daily job)."""
    from app.services import sign_ins

    deleted = sign_ins.purge(days)
    db.session.commit()
    click.echo(f"Deleted {deleted} old session(s).")


@bp.cli.command("reengage")
@click.option("--dry-run", is_flag=True,
              help="Only count: write nothing, mail nobody.")
@_as_request
def reengage(dry_run: bool) -> None:
    """Mail "what happened since your last visit" to members away REENGAGE_AFTER_DAYS, once a
    lapse (also a daily job); --dry-run prints how many would get it."""
    from app.services import reengagement

    counts = reengagement.run(dry_run=dry_run)
    mailed = counts.get("sent", 0)
    rest = f"{counts.get('nothing_new', 0)} with nothing new, " \
        f"{counts.get('turned_off', 0)} who want no such mail"
    if dry_run:
        click.echo(f"{mailed} member(s) would get a mail ({rest}; nothing was sent).")
    else:
        db.session.commit()
        click.echo(f"Mailed {mailed} member(s) ({rest}).")


@notifications_bp.cli.command("digest")
@click.option("--mode", type=click.Choice(["daily", "weekly"]), required=True,
              help="Which members to mail: those who chose the daily or the weekly digest.")
@_as_request
def digest(mode: str) -> None:
    """Mail the daily or weekly digest of unread notifications (run from cron)."""
    from app.services import notifications

    sent = notifications.send_digests(mode)
    db.session.commit()
    click.echo(f"Sent {sent} {mode} digest mail(s).")
