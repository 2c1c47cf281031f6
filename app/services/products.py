"""Products made from approved ideas: created on approval, then carried to market.

    approved -> in_production (a message, the expected date) -> on_sale (a message, the shop
    link, the price)

Each step moves the idea's status (app.lifecycle), is written to the idea's history and the
audit log, and becomes an entry of the product's public timeline (ProductPost) beside staff's
development updates. Everyone concerned (creators, supporters, followers) is told once per entry
by the `products.tell_audience` job, in batches of users, never in the request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select, union
from sqlalchemy.orm import joinedload, selectinload

from app import jobs, lifecycle, permissions
from app import notification_kinds as kinds
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.lifecycle import IdeaStatus
from app.models import (Idea, IdeaCreator, IdeaFollow, Product, ProductPost, ProductSplit,
                        Support, User)
from app.models.base import utcnow
from app.models.review import ReviewBatch, ReviewItem
from app.money import is_currency
from app.permissions import Action
from app.queries import approved_condition
from app.services import events

#: The steps after approval, in order (each one's only predecessor is the one before).
STAGES = (IdeaStatus.IN_PRODUCTION, IdeaStatus.ON_SALE)
MESSAGE_MAX = 2000
UPDATE_MAX = 5000
SHOP_URL_MAX = 500
PRICE_MAX = 10**12
#: Users told per batch by the fan-out job (each batch is its own transaction).
AUDIENCE_BATCH = 500
JOB_NAME = "products.tell_audience"
SWEEP_JOB = "products.tell_audience_sweep"


def create_product_from_idea(idea: Idea) -> Product:
    """Create the product for an approved idea, freezing the royalty rate in force and the
    co-creators' consented split. Idempotent: an idea has at most one product."""
    existing = db.session.scalar(select(Product).where(Product.idea_id == idea.id))
    if existing is not None:
        return existing
    if sum(c.share_bps for c in idea.creators) != 10_000:
        raise Conflict("split_incomplete", "The creators' shares do not sum to 10,000 bps.")
    product = Product(idea_id=idea.id, name=idea.title,
                      royalty_rate_bps=current_app.config["ROYALTY_RATE_BPS"],
                      stage_changed_at=utcnow())
    for creator in idea.creators:
        product.splits.append(ProductSplit(user_id=creator.user_id, share_bps=creator.share_bps,
                                           consent_id=creator.consent_id))
    db.session.add(product)
    db.session.flush()
    return product


# --- looking products up ----------------------------------------------------------------------

def _not_found() -> NotFound:
    return NotFound("product_not_found", _("No such product."))


def visible_product(viewer: Any, product_id: Any, *, lock: bool = False) -> Product:
    """The product, when the viewer may see its idea; else 404 (a hidden idea's product does
    not exist to them)."""
    if not isinstance(product_id, int) or isinstance(product_id, bool) \
            or not 0 < product_id < 2**31:
        raise _not_found()
    stmt = select(Product).where(Product.id == product_id).options(joinedload(Product.idea))
    if lock:
        stmt = stmt.with_for_update(of=Product)
    product = db.session.scalar(stmt)
    if product is None or not permissions.may_view_idea(viewer, product.idea):
        raise _not_found()
    return product


def product_url(product: Product) -> str:
    if has_request_context():
        return url_for("products.detail", product_id=product.id)
    return f"/products/{product.id}"


# --- validating a step ------------------------------------------------------------------------

def check_shop_url(value: Any) -> str | None:
    """None when `value` is an absolute http(s) address with a host, else why not."""
    if not isinstance(value, str) or not value.strip():
        return _("Give the address of the shop page (http:// or https://).")
    value = value.strip()
    if len(value) > SHOP_URL_MAX:
        return _("At most %(n)s characters.", n=SHOP_URL_MAX)
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return _("Use a web address starting with http:// or https://.")
    return None


def check_price(value: Any) -> tuple[int, str] | str:
    """(amount, currency) for a money object {amount, currency}, else why not."""
    if not isinstance(value, dict):
        return _("A price is {\"amount\": minor units, \"currency\": \"JPY\"}.")
    amount, currency = value.get("amount"), value.get("currency")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount < PRICE_MAX:
        return _("The amount must be a whole number of minor units, zero or more.")
    if not isinstance(currency, str) or not is_currency(currency):
        return _("Use an ISO 4217 currency code such as JPY, USD or EUR.")
    return amount, currency


def _check_message(message: Any, fields: dict[str, str], name: str = "message",
                   limit: int = MESSAGE_MAX) -> str:
    if not isinstance(message, str) or not message.strip():
        fields[name] = _("Write a message to the community.")
        return ""
    if len(message.strip()) > limit:
        fields[name] = _("At most %(n)s characters.", n=limit)
    return message.strip()


@dataclass(frozen=True)
class Step:
    stage: IdeaStatus
    message: str
    expected_on: date | None = None
    shop_url: str | None = None
    price: tuple[int, str] | None = None


def validate_step(stage: Any, message: Any, expected_on: Any = None, shop_url: Any = None,
                  price: Any = None) -> Step:
    """The step, or Invalid with every field's problem."""
    fields: dict[str, str] = {}
    if stage not in STAGES:
        fields["stage"] = _("One of: in_production, on_sale.")
    text = _check_message(message, fields)
    if expected_on is not None and not isinstance(expected_on, date):
        fields["expected_on"] = _("A date (YYYY-MM-DD).")
    if stage == IdeaStatus.ON_SALE:
        problem = check_shop_url(shop_url)
        if problem:
            fields["shop_url"] = problem
    money = None
    if price is not None:
        checked = check_price(price)
        if isinstance(checked, str):
            fields["price"] = checked
        else:
            money = checked
    if fields:
        raise Invalid(fields)
    target = IdeaStatus(stage)
    if target == IdeaStatus.ON_SALE:
        return Step(target, text, None, shop_url.strip(), money)
    return Step(target, text, expected_on, None, money)


# --- the steps --------------------------------------------------------------------------------

def _snapshot(product: Product) -> dict[str, Any]:
    return {"stage": product.idea.status,
            "expected_on": product.expected_on.isoformat() if product.expected_on else None,
            "shop_url": product.shop_url,
            "price": ({"amount": product.price_amount, "currency": product.price_currency}
                      if product.price_currency else None)}


def set_stage(actor: User, product_id: Any, stage: Any, message: Any, *,
              expected_on: Any = None, shop_url: Any = None, price: Any = None) -> Product:
    """Move the product to its next stage (in_production, then on_sale). 409 wrong_stage out of
    order; 422 for a missing message or (on sale) a shop link that is not http(s)."""
    permissions.require(actor, Action.MANAGE_PRODUCTS)
    product = visible_product(actor, product_id, lock=True)
    permissions.require(actor, Action.MANAGE_PRODUCTS, product)
    step = validate_step(stage, message, expected_on, shop_url, price)
    idea = product.idea
    if not lifecycle.may_transition(idea.status, step.stage):
        if not any(lifecycle.may_transition(idea.status, s) for s in STAGES):
            raise Conflict("wrong_stage", _("A product that is “%(from_status)s” has no further "
                                            "stage; it cannot go to “%(stage)s”.",
                                            from_status=lifecycle.status_label(idea.status),
                                            stage=lifecycle.status_label(step.stage)))
        raise Conflict("wrong_stage", _("A product goes from “%(from_status)s” only to “%(to)s”; "
                                        "it cannot go to “%(stage)s” now.",
                                        from_status=lifecycle.status_label(idea.status),
                                        to=_next_stage_label(idea.status),
                                        stage=lifecycle.status_label(step.stage)))
    before = _snapshot(product)
    events.transition(actor, idea, step.stage, "product_stage", reason=step.message)
    now = utcnow()
    product.stage_changed_at = now
    if step.stage == IdeaStatus.IN_PRODUCTION:
        product.expected_on = step.expected_on
    else:
        product.shop_url = step.shop_url
    if step.price is not None:
        product.price_amount, product.price_currency = step.price
    post = ProductPost(product_id=product.id, author_id=actor.id, kind=step.stage.value,
                       body=step.message, expected_on=product.expected_on,
                       shop_url=product.shop_url, price_amount=product.price_amount,
                       price_currency=product.price_currency, created_at=now)
    db.session.add(post)
    db.session.flush()
    events.audit(actor, "product.stage", product, before=before,
                 after={**_snapshot(product), "message": step.message, "post_id": post.id})
    jobs.enqueue(JOB_NAME, post_id=post.id)
    return product


def _next_stage_label(status: str) -> str:
    following = [s for s in STAGES if lifecycle.may_transition(status, s)]
    return lifecycle.status_label(following[0]) if following else "—"


def post_update(actor: User, product_id: Any, body: Any) -> ProductPost:
    """A development update by staff (Markdown, shown as official on the product page); the
    creators, supporters and followers are told."""
    permissions.require(actor, Action.MANAGE_PRODUCTS)
    product = visible_product(actor, product_id)
    permissions.require(actor, Action.MANAGE_PRODUCTS, product)
    fields: dict[str, str] = {}
    text = _check_message(body, fields, "body", UPDATE_MAX)
    if fields:
        raise Invalid(fields)
    post = ProductPost(product_id=product.id, author_id=actor.id, kind="update", body=text)
    db.session.add(post)
    db.session.flush()
    events.audit(actor, "product.update_posted", product, after={"post_id": post.id,
                                                                 "length": len(text)})
    jobs.enqueue(JOB_NAME, post_id=post.id)
    return post


# --- telling everyone concerned, in batches ---------------------------------------------------

def audience_ids(idea_id: int):
    """The user ids of the idea's creators, supporters and followers (a union: each once)."""
    return union(select(IdeaCreator.user_id.label("user_id")).where(IdeaCreator.idea_id == idea_id),
                 select(Support.user_id).where(Support.idea_id == idea_id),
                 select(IdeaFollow.user_id).where(IdeaFollow.idea_id == idea_id)).subquery()


def _message(post: ProductPost, product: Product) -> tuple[str, dict[str, Any]]:
    """The notification's kind (app.notification_kinds) and params."""
    title = {"title": product.name}
    if post.kind == IdeaStatus.IN_PRODUCTION:
        if post.expected_on:
            return "product_stage", {**title, "date": kinds.day(post.expected_on)}
        return "product_in_production", title
    if post.kind == IdeaStatus.ON_SALE:
        return "product_on_sale", title
    return "product_update", title


def tell_audience_batch(post_id: int, batch_size: int = AUDIENCE_BATCH) -> int:
    """Tell the next batch of the audience about the post (after its cursor); moves the cursor
    on. Returns how many were told (0: everyone has been). The caller commits."""
    post = db.session.scalar(select(ProductPost).where(ProductPost.id == post_id)
                             .with_for_update())
    if post is None or post.notified_at is not None:
        return 0
    product = db.session.scalar(select(Product).where(Product.id == post.product_id)
                                .options(joinedload(Product.idea)))
    audience = audience_ids(product.idea_id)
    users = list(db.session.scalars(
        select(User).where(User.id.in_(select(audience.c.user_id)), User.id > post.notified_through,
                           User.blocked_at.is_(None))
        .order_by(User.id).limit(batch_size)))
    if not users:
        post.notified_at = utcnow()
        return 0
    kind, params = _message(post, product)
    events.notify([user for user in users if user.id != post.author_id], kind, params,
                  idea=product.idea, url=product_url(product))
    post.notified_through = users[-1].id
    if len(users) < batch_size:
        post.notified_at = utcnow()
    return len(users)


@jobs.job(JOB_NAME)
def tell_audience(post_id: int, batch_size: int = AUDIENCE_BATCH) -> int:
    """The job: every batch in its own transaction, so a job that stops half way (or runs
    twice) goes on from the cursor and tells no one twice."""
    told = 0
    base = current_app.config.get("PUBLIC_BASE_URL") or None
    with current_app.test_request_context("/", base_url=base):
        while True:
            count = tell_audience_batch(post_id, batch_size)
            db.session.commit()
            told += count
            if count < batch_size:
                return told


@jobs.job(SWEEP_JOB)
def sweep(older_than: int = 60) -> int:
    """Finish telling about the timeline entries still untold after `older_than` seconds (their
    job was lost, or died half way); returns how many were finished."""
    due = db.session.scalars(
        select(ProductPost.id).where(ProductPost.notified_at.is_(None),
                                     ProductPost.created_at <= utcnow()
                                     - timedelta(seconds=older_than))
        .order_by(ProductPost.id).limit(100)).all()
    db.session.rollback()
    for post_id in due:
        tell_audience(post_id)
    return len(due)


# --- reading ----------------------------------------------------------------------------------

@dataclass
class ProductPage:
    product: Product
    idea: Idea
    posts: list[ProductPost]
    #: The published review decision that approved the idea (its batch has a results page).
    approval: ReviewItem | None = None


def product_page(viewer: Any, product_id: Any) -> ProductPage:
    """The public product page: the product, its idea (creators, insight, supporters), and its
    timeline, newest first. The same few queries whatever the numbers of creators or posts."""
    product = visible_product(viewer, product_id)
    idea = db.session.scalar(
        select(Idea).where(Idea.id == product.idea_id)
        .options(selectinload(Idea.creators).joinedload(IdeaCreator.user),
                 joinedload(Idea.category), selectinload(Idea.images)))
    posts = list(db.session.scalars(
        select(ProductPost).where(ProductPost.product_id == product.id)
        .options(joinedload(ProductPost.author))
        .order_by(ProductPost.created_at.desc(), ProductPost.id.desc())))
    approval = db.session.scalar(
        select(ReviewItem).join(ReviewBatch, ReviewBatch.id == ReviewItem.batch_id)
        .where(ReviewItem.idea_id == idea.id, ReviewItem.decision == IdeaStatus.APPROVED,
               ReviewBatch.status == "published")
        .options(joinedload(ReviewItem.batch)).order_by(ReviewItem.id.desc()).limit(1))
    return ProductPage(product, idea, posts, approval)


@dataclass
class ProductList:
    items: list[Product]
    page: int
    per_page: int
    total: int
    next_after: int | None


def _listed_products():
    return select(Product).join(Idea, Idea.id == Product.idea_id).where(approved_condition())


def products_page(*, page: int = 1, per_page: int = 24, after: int | None = None,
                  stage: str | None = None) -> ProductList:
    """"Made with the community": products of listed ideas, newest product first. Pages by
    number or by keyset (`after`: the last product id of the previous page). Three queries."""
    stmt = _listed_products()
    if stage:
        if stage not in lifecycle.APPROVED_OR_LATER:
            raise Invalid({"stage": _("One of: approved, in_production, on_sale.")})
        stmt = stmt.where(Idea.status == stage)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page_stmt = stmt.order_by(Product.id.desc()).limit(per_page + 1).options(
        joinedload(Product.idea).selectinload(Idea.creators).joinedload(IdeaCreator.user),
        joinedload(Product.idea).selectinload(Idea.images))
    if after is not None:
        page_stmt = page_stmt.where(Product.id < after)
    else:
        page_stmt = page_stmt.offset((page - 1) * per_page)
    rows = list(db.session.scalars(page_stmt).unique())
    more = len(rows) > per_page
    items = rows[:per_page]
    return ProductList(items, page, per_page, total,
                       items[-1].id if more and items else None)
