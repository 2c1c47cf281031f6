"""Products made from approved ideas."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.models import Idea, Product, ProductSplit


def create_product_from_idea(idea: Idea) -> Product:
    """Create the product for an approved idea, freezing the royalty rate in force and the
    co-creators' consented split. Idempotent: an idea has at most one product."""
    existing = db.session.scalar(select(Product).where(Product.idea_id == idea.id))
    if existing is not None:
        return existing
    if sum(c.share_bps for c in idea.creators) != 10_000:
        raise Conflict("split_incomplete", "The creators' shares do not sum to 10,000 bps.")
    product = Product(idea_id=idea.id, name=idea.title,
                      royalty_rate_bps=current_app.config["ROYALTY_RATE_BPS"])
    for creator in idea.creators:
        product.splits.append(ProductSplit(user_id=creator.user_id, share_bps=creator.share_bps,
                                           consent_id=creator.consent_id))
    db.session.add(product)
    db.session.flush()
    return product
