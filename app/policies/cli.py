"""`flask policies publish|show|defaults`: the member terms and privacy policy from the console."""
from __future__ import annotations

from pathlib import Path

import click

from app.errors import DomainError
from app.extensions import db
from app.policies import bp


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise click.ClickException(f"{path} is not UTF-8 text.") from None


@bp.cli.command("publish")
@click.option("--kind", type=click.Choice(["terms", "privacy"]), required=True)
@click.option("--version", "version", required=True, help="e.g. 1 or 2026-04 (never reused).")
@click.option("--en", "en", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The English text (Markdown, UTF-8).")
@click.option("--ja", "ja", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The Japanese text (Markdown, UTF-8).")
def publish(kind: str, version: str, en: Path, ja: Path) -> None:
    """Publish a version of the terms or the privacy policy; prints the SHA-256 of each text.
    Members are asked to accept it at their next page; API tokens can only read until then."""
    from app.services import policies

    try:
        policy = policies.publish(None, kind, version, _read(en), _read(ja))
    except DomainError as error:
        fields = getattr(error, "fields", None) or {}
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in fields.items())
                                   or error.message) from None
    db.session.commit()
    click.echo(f"Published {kind} version {policy.version}, in force now.")
    click.echo(f"SHA-256 en: {policy.sha256_en}")
    click.echo(f"SHA-256 ja: {policy.sha256_ja}")


@bp.cli.command("show")
def show() -> None:
    """The versions in force."""
    from app.services import policies

    for kind, policy in policies.current_policies().items():
        if policy is None:
            click.echo(f"{kind}\t(none published)")
        else:
            click.echo(f"{kind}\t{policy.version}\t{policy.published_at.isoformat()}\t"
                       f"en {policy.sha256_en}\tja {policy.sha256_ja}")


@bp.cli.command("defaults")
@click.option("--output", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True)
def defaults(output: Path) -> None:
    """Write the starting texts (terms-en.md, terms-ja.md, privacy-en.md, privacy-ja.md, with the
    retention periods of the settings) to adapt before publishing."""
    from app.policies.defaults import default_text

    output.mkdir(parents=True, exist_ok=True)
    for kind in ("terms", "privacy"):
        for locale in ("en", "ja"):
            path = output / f"{kind}-{locale}.md"
            path.write_text(default_text(kind, locale), encoding="utf-8")
            click.echo(str(path))
