"""Factories for products after approval: an idea carried through review to a product."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Idea, Product
from tests import factories


def approved_product(title: str = "Quiet stroller", owner=None, supports: int = 0,
                     **fields) -> Product:
    """An idea reviewed, approved and published in its own batch: its product at `approved`."""
    idea = factories.in_review(owner, title=title, **fields)
    for _ in range(supports):
        factories.support(idea)
    factories.scored(idea, 3, 2)
    factories.approved(idea)
    factories.published()
    return db.session.scalar(select(Product).where(Product.idea_id == idea.id))


def staged(product: Product, *stages: str, admin=None) -> Product:
    """Move the product through the given stages with the service (as an admin would)."""
    from app.services import products

    admin = admin or factories.user("admin")
    for stage in stages:
        if stage == "in_production":
            products.set_stage(admin, product.id, stage, "Tooling has started.")
        else:
            products.set_stage(admin, product.id, stage, "In the shop now.",
                               shop_url="https://shop.example.com/p/1",
                               price={"amount": 2980, "currency": "JPY"})
        db.session.commit()
    return product


def idea_of(product: Product) -> Idea:
    return db.session.get(Idea, product.idea_id)
