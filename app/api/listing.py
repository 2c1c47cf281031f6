"""API endpoint: GET /api/v1/ideas, the listing of visible ideas (sort, filters, search)."""
from __future__ import annotations

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.api import bp
from app.api.core import caller, page_args
from app.api.openapi import operation
from app.errors import Invalid, Malformed
from app.extensions import db
from app.models import Idea, IdeaCreator, Product
from app.search import MAX_QUERY_LENGTH
from app.services import discovery

# Loaded with the page, so serializing creators costs no query per idea.
LISTING_OPTIONS = (selectinload(Idea.creators).selectinload(IdeaCreator.user), selectinload(Idea.tags))

operation("/ideas", "get", "List visible ideas: sort=trending|supported|newest|expiring|approved"
          "|relevance (the default with q), status, category (slug), tag, q (full-text), page, "
          "per_page, after (the `next` cursor of the previous page), picked=1 (staff picks only), "
          "campaign_id (a campaign's entries). `total` is counted up to "
          f"{discovery.TOTAL_CAP:,}: past that it is {discovery.TOTAL_CAP:,} and "
          "`total_is_estimate` is true; `next` is present while another page follows (a cursor "
          "for `after`, none for search results). Pages by number reach the first "
          f"{discovery.TOTAL_CAP:,} ideas.", auth=False,
          responses={"200": "{items, page, per_page, total, next?, total_is_estimate?}",
                     "400": "an `after` cursor this listing did not hand out",
                     "422": "unknown sort or status, bad or too deep page"})


@bp.get("/ideas", endpoint="list_ideas")
def list_ideas():
    args = request.args
    q = args.get("q") or None
    sort = args.get("sort") or (discovery.RELEVANCE if q and q.strip() else "trending")
    status = args.get("status") or None
    errors = discovery.validate_browse_args(sort, status)
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        errors["q"] = f"at most {MAX_QUERY_LENGTH} characters"
    if errors:
        raise Invalid(errors)
    page, per_page = page_args()
    viewer = caller()
    try:
        listing = discovery.browse_page(
            viewer, sort=sort, status=status, category=args.get("category") or None,
            tag=args.get("tag") or None, q=q, page=page, after=args.get("after") or None,
            per_page=per_page, options=LISTING_OPTIONS, picked=args.get("picked") in ("1", "true"),
            campaign_id=args.get("campaign_id", type=int))
    except discovery.BadCursor:
        raise Malformed("bad_cursor", "`after` must be the `next` cursor of the previous page "
                                      "of the same listing.") from None
    except discovery.PageTooDeep as too_deep:
        raise Invalid({"page": f"pages by number end at {too_deep.last_page}: follow `next` "
                               "(the `after` cursor) from there"}) from None
    from app.api.ideas import idea_json

    items = listing.items
    product_ids = dict(db.session.execute(select(Product.idea_id, Product.id).where(
        Product.idea_id.in_([idea.id for idea in items] or [-1]))).all())
    body = {"items": [idea_json(idea, viewer, product_ids=product_ids) for idea in items],
            "page": listing.page, "per_page": per_page, "total": listing.total}
    if listing.next_cursor:
        body["next"] = listing.next_cursor
    if listing.total_capped:
        body["total_is_estimate"] = True
    return body
