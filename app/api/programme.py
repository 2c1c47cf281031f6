"""API endpoints: setting up the programme (categories, tags, the programme page) and payouts on
request. Thin: each endpoint calls one service function (app.services.programme,
app.services.payout_requests)."""
from __future__ import annotations

from typing import Any

from flask import request

from app import permissions
from app.api import bp
from app.api.core import caller, json_body, listing, paginated, require_caller
from app.api.ledger import money, payout_json
from app.api.openapi import SCHEMAS, operation
from app.errors import Invalid
from app.idempotency import idempotent
from app.models import Category, Tag
from app.models.programme import PayoutRequest
from app.permissions import Action
from app.services import payout_requests as request_service
from app.services import programme as programme_service
from app.transaction import transaction


# --- categories ---------------------------------------------------------------------------------

def category_json(category: Category) -> dict[str, Any]:
    return {"id": category.id, "slug": category.slug, "name": category.name,
            "name_ja": category.name_ja, "archived": category.is_archived}


SCHEMAS["Category"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "slug": {"type": "string"}, "name": {"type": "string"},
    "name_ja": {"type": "string"}, "archived": {"type": "boolean"}},
    "description": "listed in the admins' order (position, then name)"}

#: Where a category is listed: 0 first (app.services.programme).
POSITION = {"type": "integer", "minimum": 0, "maximum": programme_service.POSITION_MAX}


operation("/categories", "get", "Idea categories offered for new ideas, in order (admins: "
          "`?all=1` adds the archived ones)", auth=False,
          responses={"200": "list of Category"})


@bp.get("/categories")
def categories():
    user = caller()
    if request.args.get("all") in ("1", "true") and permissions.can(user,
                                                                   Action.MANAGE_PROGRAMME):
        rows = programme_service.all_categories()
    else:
        rows = programme_service.offered_categories()
    return listing([category_json(c) for c in rows])


operation("/categories", "post", "Create a category (admin)",
          body={"type": "object", "required": ["slug", "name"], "properties": {
              "slug": {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$",
                       "maxLength": programme_service.SLUG_MAX},
              "name": {"type": "string", "maxLength": programme_service.CATEGORY_NAME_MAX},
              "name_ja": {"type": "string", "maxLength": programme_service.CATEGORY_NAME_MAX},
              "position": POSITION}},
          responses={"201": "Category", "400": "not a JSON object", "401": "no token",
                     "403": "admins only", "409": "slug_taken", "422": "invalid slug or name"})


@bp.post("/categories")
@idempotent
def create_category():
    user = require_caller()
    permissions.require(user, Action.MANAGE_PROGRAMME)
    data = json_body()
    with transaction():
        category = programme_service.create_category(user, data.get("slug"), data.get("name"),
                                                     data.get("name_ja"), data.get("position"))
    return category_json(category), 201


operation("/categories/{id}", "patch", "Rename, order or archive a category (admin); archived "
          "categories are not offered for new ideas, ideas that have one keep it",
          body={"type": "object", "properties": {
              "name": {"type": "string"}, "name_ja": {"type": "string"},
              "position": POSITION, "archived": {"type": "boolean"}}},
          responses={"200": "Category", "400": "not a JSON object", "401": "no token",
                     "403": "admins only", "404": "no such category", "422": "invalid fields"})


@bp.patch("/categories/<int:category_id>")
def update_category(category_id: int):
    user = require_caller()
    permissions.require(user, Action.MANAGE_PROGRAMME)
    data = json_body()
    with transaction():
        category = programme_service.update_category(user, category_id, data)
    return category_json(category)


# --- tags ---------------------------------------------------------------------------------------

def tag_json(tag: Tag) -> dict[str, Any]:
    return {"id": tag.id, "name": tag.name, "listed_count": tag.listed_count}


operation("/tags", "get", "Tags by name (admin), `?q=` filters", responses={
    "200": "list of {id, name, listed_count}", "403": "admins only"})


@bp.get("/tags")
def tags():
    permissions.require(require_caller(), Action.MANAGE_PROGRAMME)
    return listing([tag_json(t) for t in programme_service.tags_page(request.args.get("q", ""))])


operation("/tags/{id}", "patch", "Rename a tag (admin)",
          body={"type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}}},
          responses={"200": "{id, name, listed_count}", "403": "admins only",
                     "404": "no such tag", "409": "tag_taken: merge instead",
                     "422": "invalid name"})


@bp.patch("/tags/<int:tag_id>")
def rename_tag(tag_id: int):
    user = require_caller()
    permissions.require(user, Action.MANAGE_PROGRAMME)
    data = json_body()
    with transaction():
        tag = programme_service.rename_tag(user, tag_id, data.get("name"))
    return tag_json(tag)


operation("/tags/{id}/merge", "post", "Merge a tag into another (admin): its ideas get the other "
          "tag and it is deleted",
          body={"type": "object", "required": ["into"],
                "properties": {"into": {"type": "integer"}}},
          responses={"200": "the tag merged into", "403": "admins only", "404": "no such tag",
                     "422": "into missing or the same tag"})


@bp.post("/tags/<int:tag_id>/merge")
def merge_tag(tag_id: int):
    user = require_caller()
    permissions.require(user, Action.MANAGE_PROGRAMME)
    data = json_body()
    if not isinstance(data.get("into"), int) or isinstance(data.get("into"), bool):
        raise Invalid({"into": "The id of the tag to merge into."})
    with transaction():
        tag = programme_service.merge_tags(user, tag_id, data["into"])
    return tag_json(tag)


# --- the programme ------------------------------------------------------------------------------

def programme_json(programme: programme_service.Programme) -> dict[str, Any]:
    return {
        "name": programme.name,
        **programme.texts,
        "review_calendar": [{"batch_name": entry["batch_name"],
                             "closes_on": entry["closes_on"].isoformat()}
                            for entry in programme.review_calendar],
        "support_milestones": programme.support_milestones,
        "support_windows_days": programme.support_windows_days,
        "review_min_reviewers": programme.review_min_reviewers,
        "review_priority_total": programme.review_priority_total,
        "royalty_rate_bps": programme.royalty_rate_bps,
        "payout_minimums": [money(amount, currency)
                            for currency, amount in sorted(programme.payout_minimums.items())],
    }


SCHEMAS["Programme"] = {"type": "object", "properties": {
    "name": {"type": "string"}, "purpose": {"type": "string"}, "promises": {"type": "string"},
    "not_promised": {"type": "string"}, "outlook": {"type": "string"},
    "timeline": {"type": "string"}, "who_decides": {"type": "string"},
    "review_calendar": {"type": "array", "items": {"type": "object", "properties": {
        "batch_name": {"type": "string", "nullable": True},
        "closes_on": {"type": "string", "format": "date"}}}},
    "support_milestones": {"type": "array", "items": {"type": "integer"}},
    "support_windows_days": {"type": "array", "items": {"type": "integer"}},
    "review_min_reviewers": {"type": "integer"}, "review_priority_total": {"type": "integer"},
    "royalty_rate_bps": {"type": "integer"},
    "payout_minimums": {"type": "array", "items": {"$ref": "#/components/schemas/Money"}}}}

operation("/programme", "get", "The programme: its purpose, what the company promises and does "
          "not, the coming review batches, the live thresholds and the payout minimums",
          auth=False, responses={"200": "Programme"})


@bp.get("/programme")
def programme():
    return programme_json(programme_service.current())


operation("/programme", "patch", "Change the programme page (admin): name, texts (empty: the "
          "default text), payout_minimums (a list of money replacing them all)",
          body={"type": "object", "properties": {
              "name": {"type": "string"},
              # The texts: empty or null is the default text.
              **{name: {"type": "string", "nullable": True,
                        "maxLength": programme_service.PROGRAMME_TEXT_MAX}
                 for name in ("purpose", "promises", "not_promised", "outlook", "timeline",
                              "who_decides")},
              "payout_minimums": {"type": "array",
                                  "items": {"$ref": "#/components/schemas/PositiveMoney"}}}},
          responses={"200": "Programme", "400": "not a JSON object", "403": "admins only",
                     "422": "invalid fields"})


@bp.patch("/programme")
def update_programme():
    user = require_caller()
    permissions.require(user, Action.MANAGE_PROGRAMME)
    data = json_body()
    with transaction():
        result = programme_service.update_programme(user, data)
    return programme_json(result)


operation("/programme/review-calendar", "post", "Announce the closing date of a coming review "
          "batch (admin)",
          body={"type": "object", "required": ["closes_on"], "properties": {
              "closes_on": {"type": "string", "format": "date"},
              "batch_name": {"type": "string"}}},
          responses={"201": "{id, batch_name, closes_on}", "403": "admins only",
                     "409": "date_taken, calendar_full", "422": "invalid or past date"})


@bp.post("/programme/review-calendar")
def add_review_date():
    user = require_caller()
    permissions.require(user, Action.MANAGE_PROGRAMME)
    data = json_body()
    with transaction():
        row = programme_service.add_review_date(user, data.get("closes_on"),
                                                data.get("batch_name") or "")
    return {"id": row.id, "batch_name": row.batch_name or None,
            "closes_on": row.closes_on.isoformat()}, 201


operation("/programme/review-calendar/{id}", "delete", "Remove an announced date (admin)",
          responses={"204": "removed", "403": "admins only", "404": "no such date"})


@bp.delete("/programme/review-calendar/<int:date_id>")
def remove_review_date(date_id: int):
    user = require_caller()
    permissions.require(user, Action.MANAGE_PROGRAMME)
    with transaction():
        programme_service.remove_review_date(user, date_id)
    return "", 204


# --- payout requests ----------------------------------------------------------------------------

def payout_request_json(row: PayoutRequest) -> dict[str, Any]:
    return {"id": row.id, "user_id": row.user_id, "amount": money(row.amount_minor, row.currency),
            "status": row.status, "reason": row.reason, "payout_id": row.payout_id,
            "created_at": row.created_at.isoformat(),
            "decided_at": row.decided_at.isoformat() if row.decided_at else None}


SCHEMAS["PayoutRequest"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "user_id": {"type": "integer"},
    "amount": {"$ref": "#/components/schemas/Money"},
    "status": {"type": "string", "enum": ["requested", "paid", "declined"]},
    "reason": {"type": "string", "nullable": True},
    "payout_id": {"type": "integer", "nullable": True}}}


def _amount(data: dict) -> tuple[Any, Any]:
    value = data.get("amount")
    if not isinstance(value, dict) or "amount" not in value or "currency" not in value:
        raise Invalid({"amount": "Must be an object {amount: integer minor units, currency: "
                                 "ISO 4217 code}."})
    return value["amount"], value["currency"]


operation("/me/payout-requests", "post", "Ask to be paid (at least the published minimum, at "
          "most the balance)",
          body={"type": "object", "required": ["amount"],
                "properties": {"amount": {"$ref": "#/components/schemas/PositiveMoney"}}},
          responses={"201": "PayoutRequest (status requested)", "401": "no token",
                     "403": "email not confirmed",
                     "409": "below_minimum, insufficient_balance, request_open",
                     "422": "invalid amount"})


@bp.post("/me/payout-requests")
@idempotent
def request_payout():
    user = require_caller()
    amount, currency = _amount(json_body())
    with transaction():
        row = request_service.request_payout(user, amount, currency)
    return payout_request_json(row), 201


operation("/me/payout-requests", "get", "My payout requests, newest first",
          responses={"200": "list of PayoutRequest", "401": "no token"})


@bp.get("/me/payout-requests")
def my_payout_requests():
    return listing([payout_request_json(r)
                    for r in request_service.requests_of(require_caller())])


operation("/payout-requests", "get", "Payout requests (finance): `?status=requested` (the "
          "default, oldest first), `paid`, `declined` or `all` (newest first)",
          responses={"200": "list of PayoutRequest", "403": "finance only"})


@bp.get("/payout-requests")
def payout_requests():
    stmt = request_service.requests_query(require_caller(),
                                          request.args.get("status", "requested"))
    return paginated(stmt, payout_request_json)


operation("/payout-requests/{id}/pay", "post", "Pay a request (finance): records the payout in "
          "the ledger, never more than the balance",
          body={"type": "object", "required": ["reference"],
                "properties": {"reference": {"type": "string", "maxLength": 100}}},
          responses={"200": "PayoutRequest (status paid) with its payout", "403": "finance only; separation_of_duties (their own request)",
                     "404": "no such request",
                     "409": "request_closed, insufficient_balance, reference_conflict",
                     "422": "invalid reference"})


@bp.post("/payout-requests/<int:request_id>/pay")
def pay_payout_request(request_id: int):
    user = require_caller()
    permissions.require(user, Action.DECIDE_PAYOUT)
    data = json_body()
    with transaction():
        row = request_service.pay_request(user, request_id, data.get("reference"))
        body = payout_request_json(row)
        from app.extensions import db
        from app.models.ledger import Payout

        body["payout"] = payout_json(db.session.get(Payout, row.payout_id))
    return body


operation("/payout-requests/{id}/decline", "post", "Decline a request with a reason (finance)",
          body={"type": "object", "required": ["reason"],
                "properties": {"reason": {"type": "string"}}},
          responses={"200": "PayoutRequest (status declined)", "403": "finance only; separation_of_duties (their own request)",
                     "404": "no such request", "409": "request_closed",
                     "422": "reason missing"})


@bp.post("/payout-requests/<int:request_id>/decline")
def decline_payout_request(request_id: int):
    user = require_caller()
    permissions.require(user, Action.DECIDE_PAYOUT)
    data = json_body()
    with transaction():
        row = request_service.decline_request(user, request_id, data.get("reason"))
    return payout_request_json(row)
