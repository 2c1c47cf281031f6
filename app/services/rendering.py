"""Stored Markdown HTML kept current: rows rendered by an older app.markdown.RENDERER_VERSION are
rendered again, in batches (the job markdown.rerender and `flask markdown rerender`).

New and changed text is rendered when it is saved (the models' validators); this is only for
a renderer change. Each batch is its own transaction, so a long run holds no lock for long.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from app.extensions import db
from app.markdown import RENDERER_VERSION, render_stored
from app.models import Comment, CommentRevision, Idea
from app.transaction import transaction


@dataclass(frozen=True)
class Rendered:
    """A model whose ``source`` column is stored rendered as ``<html>`` and ``<html>_version``."""

    model: type
    source: str
    html: str

    @property
    def version(self) -> str:
        return f"{self.html}_version"


RENDERED = (Rendered(Idea, "description", "description_html"),
            Rendered(Comment, "body", "body_html"),
            Rendered(CommentRevision, "body", "body_html"))
BATCH_SIZE = 200


def _batch(target: Rendered, after: int, size: int, everything: bool) -> tuple[int, int]:
    """Render one batch of rows with ids above ``after``: (the last id done, rows done)."""
    model = target.model
    stmt = select(model.id, getattr(model, target.source)).where(model.id > after)
    if not everything:
        stmt = stmt.where(getattr(model, target.version) < RENDERER_VERSION)
    rows = db.session.execute(stmt.order_by(model.id).limit(size)).all()
    if not rows:
        return after, 0
    with transaction():
        for row_id, text in rows:
            html, version = render_stored(text)
            values = {target.html: html, target.version: version}
            if model is Idea:
                values["updated_at"] = Idea.updated_at  # not a change anyone made
            db.session.execute(update(model).where(model.id == row_id).values(values)
                               .execution_options(synchronize_session=False))
    return rows[-1][0], len(rows)


def rerender(*, batch_size: int = BATCH_SIZE, max_batches: int | None = None,
             everything: bool = False) -> int:
    """Render again the stored HTML of rows made by an older renderer (every row with
    ``everything``), at most ``max_batches`` batches of ``batch_size`` rows per kind of text
    (no limit with None). Returns the number of rows rendered."""
    done = 0
    for target in RENDERED:
        after, batches = 0, 0
        while max_batches is None or batches < max_batches:
            after, count = _batch(target, after, batch_size, everything)
            if not count:
                break
            done, batches = done + count, batches + 1
    return done
