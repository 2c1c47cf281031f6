"""`flask markdown rerender`: render stored Markdown HTML again (after a renderer change)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

markdown_cli = AppGroup("markdown", help="Stored Markdown HTML of descriptions and comments.")


@markdown_cli.command("rerender")
@click.option("--all", "everything", is_flag=True,
              help="Every row, not only those made by an older renderer version.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=200, show_default=True)
def rerender(everything: bool, batch_size: int) -> None:
    """Render the stored HTML of descriptions, comments and comment revisions again where an
    older app.markdown.RENDERER_VERSION made it (each batch its own transaction)."""
    from app.services import rendering

    count = rendering.rerender(batch_size=batch_size, everything=everything)
    click.echo(f"{count} text{'s' if count != 1 else ''} rendered again.")
