"""API endpoint: GET /api/v1/ideas, the listing of visible ideas (sort, filters, search)."""
from __future__ import annotations

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api import bp
from app.api.core import caller, page_args
from app.api.openapi import operation
from app.errors import Invalid
from app.extensions import db
from app.models import Idea, IdeaCreator, Product
from app.search import MAX_QUERY_LENGTH
from app.services import discovery

# Loaded with the page, so serializing creators costs no query per idea.
LISTING_OPTIONS = (selectinload(Idea.creators).selectinload(IdeaCreator.user),)

operation("/ideas", "get", "List visible ideas: sort=trending|supported|newest|expiring|approved, "
          "status, category (slug), tag, q (full-text), page, per_page", auth=False,
          responses={"200": "{items, page, per_page, total}",
                     "422": "unknown sort or status, bad page"})


@bp.get("/ideas", endpoint="list_ideas")
def list_ideas():
    args = request.args
    sort = args.get("sort") or "trending"
    status = args.get("status") or None
    errors = discovery.validate_browse_args(sort, status)
    q = args.get("q") or None
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        errors["q"] = f"at most {MAX_QUERY_LENGTH} characters"
    if errors:
        raise Invalid(errors)
    page, per_page = page_args()
    viewer = caller()
    items, total = discovery.browse(
        viewer, sort=sort, status=status, category=args.get("category") or None,
        tag=args.get("tag") or None, q=q, page=page, per_page=per_page, options=LISTING_OPTIONS)
    from app.api.ideas import idea_json

    product_ids = dict(db.session.execute(select(Product.idea_id, Product.id).where(
        Product.idea_id.in_([idea.id for idea in items] or [-1]))).all())
    return {"items": [idea_json(idea, viewer, product_ids=product_ids) for idea in items],
            "page": page, "per_page": per_page, "total": total}
