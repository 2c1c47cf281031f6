"""API endpoints: products after approval (stages, development updates, the list) and the public
results of a published review batch."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import request

from app.api import bp
from app.api.core import caller, json_body, page_args, require_caller
from app.api.ledger import product_json, product_stage_json
from app.api.openapi import SCHEMAS, operation
from app.errors import Invalid, Malformed
from app.models import Product, ProductPost
from app.services import products as product_service
from app.services import review_results
from app.transaction import transaction

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def product_list_json(product: Product) -> dict[str, Any]:
    idea = product.idea
    return {"id": product.id, "idea_id": product.idea_id, "name": product.name,
            **product_stage_json(product), "support_count": idea.support_count,
            "stage_changed_at": product.stage_changed_at.isoformat()
            if product.stage_changed_at else None}


def post_json(post: ProductPost) -> dict[str, Any]:
    return {"id": post.id, "kind": post.kind, "body": post.body, "official": True,
            "author": ({"id": post.author.id, "display_name": post.author.display_name}
                       if post.author else None),
            "expected_on": post.expected_on.isoformat() if post.expected_on else None,
            "shop_url": post.shop_url,
            "price": ({"amount": post.price_amount, "currency": post.price_currency}
                      if post.price_currency else None),
            "created_at": post.created_at.isoformat()}


def _date_field(data: dict[str, Any], name: str) -> Any:
    value = data.get(name)
    if isinstance(value, str) and DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    if value is None:
        return None
    raise Invalid({name: "A date (YYYY-MM-DD)."})


SCHEMAS["ProductListItem"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "idea_id": {"type": "integer"}, "name": {"type": "string"},
    "stage": {"type": "string", "enum": ["approved", "in_production", "on_sale"]},
    "expected_on": {"type": "string", "format": "date", "nullable": True},
    "shop_url": {"type": "string", "nullable": True},
    "price": {"allOf": [{"$ref": "#/components/schemas/Money"}], "nullable": True},
    "support_count": {"type": "integer"}, "url": {"type": "string"}}}
SCHEMAS["ProductPost"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string",
                                        "enum": ["in_production", "on_sale", "update"]},
    "body": {"type": "string", "description": "Markdown"}, "official": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"}}}

operation("/products", "get", "Made with the community: the products of visible ideas, newest "
          "first. Query `stage` (approved|in_production|on_sale), `page`, `per_page`, `after` (the "
          "`next` cursor of the previous page).", auth=False,
          responses={"200": "{items: [ProductListItem], page, per_page, total, next?}",
                     "400": "an `after` that is not a cursor", "422": "unknown stage, bad page"})


@bp.get("/products", endpoint="list_products")
def list_products():
    page, per_page = page_args()
    after = request.args.get("after")
    if after is not None and not (after.isdigit() and 0 < int(after) < 2**31):
        raise Malformed("bad_cursor", "`after` must be the `next` cursor of the previous page.")
    result = product_service.products_page(page=page, per_page=per_page,
                                           after=int(after) if after else None,
                                           stage=request.args.get("stage") or None)
    body: dict[str, Any] = {"items": [product_list_json(p) for p in result.items],
                            "page": result.page, "per_page": result.per_page,
                            "total": result.total}
    if result.next_after is not None:
        body["next"] = str(result.next_after)
    return body


operation("/products/{id}/stage", "post", "Move a product to its next stage: in_production (with "
          "a message and optionally `expected_on`), then on_sale (with a message, `shop_url` and "
          "optionally `price`). The idea's status becomes the stage; creators, supporters and "
          "followers are told (one notification each, by a job).",
          body={"type": "object", "required": ["stage", "message"], "properties": {
              "stage": {"type": "string", "enum": ["in_production", "on_sale"]},
              "message": {"type": "string"},
              "expected_on": {"type": "string", "format": "date"},
              "shop_url": {"type": "string", "format": "uri"},
              "price": {"$ref": "#/components/schemas/Money"}}},
          responses={"200": "Product", "400": "not a JSON object", "401": "no or bad token",
                     "403": "not an admin or product manager; separation_of_duties (their own idea)",
                     "404": "no such product (or its idea is not visible)",
                     "409": "wrong_stage: not the next stage",
                     "422": "missing message, bad date or price, on_sale without a valid "
                            "http(s) shop_url"})


@bp.post("/products/<int:product_id>/stage")
def product_stage(product_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        product = product_service.set_stage(
            user, product_id, data.get("stage"), data.get("message"),
            expected_on=_date_field(data, "expected_on"), shop_url=data.get("shop_url"),
            price=data.get("price"))
    return product_json(product)


operation("/products/{id}/updates", "get", "A product's public timeline: its stage steps and "
          "staff's development updates, newest first", auth=False,
          responses={"200": "{items: [ProductPost], page, per_page, total}",
                     "404": "no such product (or its idea is not visible)"})


@bp.get("/products/<int:product_id>/updates")
def product_updates(product_id: int):
    page = product_service.product_page(caller(), product_id)
    items = [post_json(post) for post in page.posts]
    return {"items": items, "page": 1, "per_page": max(len(items), 1), "total": len(items)}


operation("/products/{id}/updates", "post", "Post a development update (Markdown, official); the "
          "creators, supporters and followers are told",
          body={"type": "object", "required": ["body"], "properties": {"body": {"type": "string"}}},
          responses={"201": "ProductPost", "400": "not a JSON object", "401": "no or bad token",
                     "403": "not an admin or product manager; separation_of_duties (their own idea)", "404": "no such product",
                     "422": "empty or too long"})


@bp.post("/products/<int:product_id>/updates")
def post_product_update(product_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        post = product_service.post_update(user, product_id, data.get("body"))
    return post_json(post), 201


operation("/review-batches/{id}/results", "get", "The public results of a published review "
          "batch: every decision with the admin's message", auth=False,
          responses={"200": "{id, name, published_at, decisions: [{idea_id, title, decision, "
                            "message, product_id}]}",
                     "404": "no such batch, or not published yet"})


@bp.get("/review-batches/<int:batch_id>/results")
def review_batch_results(batch_id: int):
    results = review_results.batch_results(caller(), batch_id)
    batch = results.batch
    return {"id": batch.id, "name": batch.name, "closes_on": batch.closes_on.isoformat(),
            "published_at": batch.published_at.isoformat() if batch.published_at else None,
            "decisions": [{"idea_id": d.idea.id, "title": d.idea.title,
                           "decision": d.item.decision, "message": d.item.decision_message,
                           "status": d.idea.status, "product_id": d.product_id}
                          for d in results.decisions]}
