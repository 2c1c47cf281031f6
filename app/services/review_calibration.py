"""Review calibration (reviewer spread per idea and axis) and the admin's batch overview. Import these through app.services.review."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from app import permissions
from app.permissions import Action
from app.errors import Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import Idea, IdeaCreator, User, UserRole
from app.models.base import is_row_id
from app.models.review import AXES, Review, ReviewAssignment, ReviewBatch, ReviewItem, ReviewNote
from app.services import events
from app.services.review import Aggregate, aggregate, get_batch


# --- calibration --------------------------------------------------------------------------------

SPREAD_FLAG = 2


@dataclass
class AxisSpread:
    low: int
    high: int
    mean: Fraction

    @property
    def spread(self) -> int:
        return self.high - self.low

    @property
    def flagged(self) -> bool:
        return self.spread >= SPREAD_FLAG


@dataclass
class CalibrationRow:
    item: ReviewItem
    idea: Idea
    reviewer_count: int
    axes: dict[str, AxisSpread]
    total: Fraction

    @property
    def flagged(self) -> bool:
        return any(axis.flagged for axis in self.axes.values())


def calibration(viewer: User, batch_id: int) -> tuple[ReviewBatch, list[CalibrationRow]]:
    """Per idea and axis, the lowest and highest score and their spread (flagged from 2), so the
    reviewers discuss disagreements. Blind like the scores: a reviewer sees the ideas they scored."""
    permissions.require(viewer, Action.REVIEW)
    batch = get_batch(batch_id)
    columns = []
    for axis in AXES:
        column = getattr(Review, axis)
        columns += [func.min(column), func.max(column), func.sum(column)]
    stmt = (select(Review.item_id, func.count(), *columns)
            .join(ReviewItem, ReviewItem.id == Review.item_id)
            .where(ReviewItem.batch_id == batch.id).group_by(Review.item_id))
    if not permissions.has_role(viewer, "admin"):
        stmt = stmt.where(Review.item_id.in_(select(Review.item_id)
                                             .where(Review.reviewer_id == viewer.id)))
    stats = {row[0]: row[1:] for row in db.session.execute(stmt)}
    items = db.session.scalars(
        select(ReviewItem).where(ReviewItem.id.in_(list(stats)))
        .options(selectinload(ReviewItem.idea)).order_by(ReviewItem.id)) if stats else []
    rows = []
    for item in items:
        count, *values = stats[item.id]
        axes = {axis: AxisSpread(values[3 * i], values[3 * i + 1],
                                 Fraction(int(values[3 * i + 2]), count))
                for i, axis in enumerate(AXES)}
        rows.append(CalibrationRow(item, item.idea, count, axes,
                                   sum((a.mean for a in axes.values()), Fraction(0))))
    return batch, rows


# --- admin overview -----------------------------------------------------------------------------

def batches() -> list[ReviewBatch]:
    return list(db.session.scalars(select(ReviewBatch).order_by(ReviewBatch.id.desc())))


def batch_item_counts() -> dict[int, int]:
    return dict(db.session.execute(select(ReviewItem.batch_id, func.count())
                                   .group_by(ReviewItem.batch_id)).all())


def batch_detail(admin: User, batch_id: int) -> tuple[ReviewBatch, list[tuple[ReviewItem, Aggregate]]]:
    """A batch with every item, its reviewers, scores and decision (admins)."""
    permissions.require(admin, Action.MANAGE_BATCHES)
    batch = get_batch(batch_id)
    items = list(db.session.scalars(
        select(ReviewItem).where(ReviewItem.batch_id == batch.id)
        .options(selectinload(ReviewItem.idea).selectinload(Idea.owner),
                 selectinload(ReviewItem.idea).selectinload(Idea.creators),
                 selectinload(ReviewItem.reviews).selectinload(Review.reviewer),
                 selectinload(ReviewItem.assignments).selectinload(ReviewAssignment.reviewer))
        .order_by(ReviewItem.id)))
    return batch, [(item, aggregate(list(item.reviews))) for item in items]


def reviewers() -> list[User]:
    """Everyone who may review (not blocked), by name."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "reviewer", User.blocked_at.is_(None))
        .order_by(User.display_name, User.id)))


# --- reviewer notes (calibration: "discuss") ---------------------------------------------------

NOTE_MAX_LENGTH = 2000


def _note_item(viewer: User, item_id: Any, action: Action) -> ReviewItem:
    """The review item, if the viewer may read (or write) its notes; 404 for an unknown id."""
    permissions.require(viewer, Action.REVIEW)
    item = db.session.get(ReviewItem, item_id) if is_row_id(item_id) else None
    if item is None:
        raise NotFound("item_not_found", _("No such idea in a review batch."))
    permissions.require(viewer, action, item)
    return item


def notes_of(viewer: User, item_id: Any) -> tuple[ReviewItem, list[ReviewNote]]:
    """One item's notes, oldest first, with their authors."""
    item = _note_item(viewer, item_id, Action.VIEW_REVIEW_NOTES)
    return item, list(db.session.scalars(
        select(ReviewNote).where(ReviewNote.item_id == item.id)
        .options(selectinload(ReviewNote.author))
        .order_by(ReviewNote.created_at, ReviewNote.id)))


def add_note(author: User, item_id: Any, body: Any) -> ReviewNote:
    """A reviewer (who has scored the idea) or an admin adds a note to discuss it; audited like
    the scores."""
    item = _note_item(author, item_id, Action.ADD_REVIEW_NOTE)
    if not isinstance(body, str) or not body.strip():
        raise Invalid({"body": _("Write a note.")})
    body = body.strip()
    if len(body) > NOTE_MAX_LENGTH:
        raise Invalid({"body": _("At most %(n)s characters.", n=NOTE_MAX_LENGTH)})
    note = ReviewNote(item_id=item.id, author_id=author.id, body=body)
    db.session.add(note)
    db.session.flush()
    events.audit(author, "review.note_added", item, after={"note_id": note.id,
                                                          "idea_id": item.idea_id})
    return note


def notes_for_rows(viewer: User, rows: list[CalibrationRow]) -> dict[int, list[ReviewNote]]:
    """The calibration page's notes, by item (two queries whatever the number of rows): rows of
    the viewer's own ideas have none (separation of duties); the rows are already the ones the
    viewer may see scores of."""
    if not rows:
        return {}
    own = set(db.session.scalars(select(IdeaCreator.idea_id).where(
        IdeaCreator.user_id == viewer.id, IdeaCreator.idea_id.in_([r.idea.id for r in rows]))))
    item_ids = [r.item.id for r in rows if r.idea.id not in own]
    notes: dict[int, list[ReviewNote]] = {item_id: [] for item_id in item_ids}
    if item_ids:
        for note in db.session.scalars(
                select(ReviewNote).where(ReviewNote.item_id.in_(item_ids))
                .options(selectinload(ReviewNote.author))
                .order_by(ReviewNote.created_at, ReviewNote.id)):
            notes[note.item_id].append(note)
    return notes
