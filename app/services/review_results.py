"""The public results of a published review batch: every decision with the admin's message."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app import permissions
from app.errors import NotFound
from app.extensions import db
from app.i18n import _
from app.models import Idea, Product
from app.models.review import ReviewBatch, ReviewItem


@dataclass
class Decision:
    item: ReviewItem
    idea: Idea
    product_id: int | None


@dataclass
class BatchResults:
    batch: ReviewBatch
    decisions: list[Decision]


def batch_results(viewer: Any, batch_id: Any) -> BatchResults:
    """The decisions of a published batch, in the order the ideas joined it; 404 before it is
    published. Ideas the viewer may not see (hidden since) are left out. Three queries."""
    batch = db.session.get(ReviewBatch, batch_id) \
        if isinstance(batch_id, int) and not isinstance(batch_id, bool) and 0 < batch_id < 2**31 \
        else None
    if batch is None or not batch.is_published:
        raise NotFound("batch_not_found", _("No published review batch with this number."))
    items = list(db.session.scalars(
        select(ReviewItem).where(ReviewItem.batch_id == batch.id)
        .options(joinedload(ReviewItem.idea)).order_by(ReviewItem.id)))
    shown = [item for item in items if permissions.may_view_idea(viewer, item.idea)]
    products = dict(db.session.execute(select(Product.idea_id, Product.id).where(
        Product.idea_id.in_([item.idea_id for item in shown] or [-1]))).all())
    return BatchResults(batch, [Decision(item, item.idea, products.get(item.idea_id))
                                for item in shown])


def published_batches(limit: int = 20) -> list[ReviewBatch]:
    """The latest published batches (for the criteria page's links to their results)."""
    return list(db.session.scalars(
        select(ReviewBatch).where(ReviewBatch.status == "published")
        .order_by(ReviewBatch.published_at.desc(), ReviewBatch.id.desc()).limit(limit)))
