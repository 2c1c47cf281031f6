"""CLI for scripted installs: `flask categories create|list` and `flask agreements publish`.

Operators at the console act as nobody in particular: audit entries they cause have no actor.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint

from app.errors import DomainError
from app.extensions import db

categories_bp = Blueprint("categories_cli", __name__, cli_group="categories")
categories_bp.cli.help = "Idea categories."
agreements_bp = Blueprint("agreements_cli", __name__, cli_group="agreements")
agreements_bp.cli.help = "The creator agreement."


def _fail(error: DomainError) -> None:
    db.session.rollback()
    fields = getattr(error, "fields", None)
    detail = "; ".join(f"{name}: {message}" for name, message in fields.items()) if fields \
        else error.message
    raise click.ClickException(detail)


@categories_bp.cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The English name.")
@click.option("--name-ja", "name_ja", default="", help="The Japanese name.")
@click.option("--position", type=int, default=None, help="Place in lists (default: last).")
def create_category(slug: str, name: str, name_ja: str, position: int | None) -> None:
    """Create a category (offered for new ideas at once)."""
    from app.services import programme

    try:
        category = programme.create_category(None, slug, name, name_ja, position)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Created category {category.id} {category.slug}: {category.name}"
               + (f" / {category.name_ja}" if category.name_ja else ""))


@categories_bp.cli.command("list")
def list_categories() -> None:
    """Every category in order: id, slug, position, names, and whether it is archived."""
    from app.services import programme

    rows = programme.all_categories()
    if not rows:
        click.echo("No categories yet: flask categories create SLUG --name NAME")
    for c in rows:
        state = "archived" if c.is_archived else "offered"
        click.echo(f"{c.id}\t{c.slug}\t{c.position}\t{state}\t{c.name}\t{c.name_ja}")


@agreements_bp.cli.command("publish")
@click.option("--version", "version", required=True, help="e.g. 1 or 2026-04 (never reused).")
@click.option("--title", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish_agreement(version: str, title: str, file: Path) -> None:
    """Publish a version of the creator agreement from a UTF-8 text file; prints its SHA-256."""
    from app.services import agreements

    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text.") from None
    try:
        agreement = agreements.publish_agreement(None, version, title, text)
    except DomainError as error:
        _fail(error)
    db.session.commit()
    click.echo(f"Published version {agreement.version}, in force now.")
    click.echo(f"SHA-256: {agreement.sha256}")
