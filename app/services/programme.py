"""Setting up the programme: categories, tags, the programme page (what the company promises and
what it does not), the review calendar, the payout minimums, and the first-run checklist.

Staff changes are audited. Operators at the console (actor None: `flask categories ...`) may do
anything; people need the permission MANAGE_PROGRAMME."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, literal, select, update

from app import permissions
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import Agreement, Category, Idea, Tag, User, idea_tags
from app.models.base import utcnow
from app.models.programme import PayoutMinimum, ProgrammeSettings, ReviewDate
from app.models.review import ReviewBatch
from app.permissions import Action
from app.services import events

SLUG_MAX = 40
CATEGORY_NAME_MAX = 80
POSITION_MAX = 10_000
PROGRAMME_NAME_MAX = 120
PROGRAMME_TEXT_MAX = 5_000
BATCH_NAME_MAX = 120
CALENDAR_MAX = 24
_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")


def _check_actor(actor: User | None) -> None:
    if actor is not None:
        permissions.require(actor, Action.MANAGE_PROGRAMME)


# --- categories ---------------------------------------------------------------------------------

def offered_categories() -> list[Category]:
    """The categories offered for new ideas: not archived, by position then name."""
    return list(db.session.scalars(select(Category).where(Category.archived_at.is_(None))
                                   .order_by(Category.position, Category.name, Category.id)))


def all_categories() -> list[Category]:
    """Every category, archived ones too, by position then name."""
    return list(db.session.scalars(select(Category).order_by(
        Category.archived_at.is_not(None), Category.position, Category.name, Category.id)))


def get_category(category_id: Any) -> Category:
    category = db.session.get(Category, category_id) if isinstance(category_id, int) else None
    if category is None:
        raise NotFound("category_not_found", _("No such category."))
    return category


def _check_name(value: Any, fields: dict[str, str], name: str, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        fields[name] = _("Must be a string.")
        return ""
    value = " ".join(value.split())
    if required and not value:
        fields[name] = _("This field is required.")
    elif len(value) > CATEGORY_NAME_MAX:
        fields[name] = _("At most %(n)s characters.", n=CATEGORY_NAME_MAX)
    return value


def _check_position(value: Any, fields: dict[str, str]) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= POSITION_MAX:
        fields["position"] = _("A whole number from 0 to %(n)s.", n=POSITION_MAX)
        return 0
    return value


def _category_state(category: Category) -> dict[str, Any]:
    return {"slug": category.slug, "name": category.name, "name_ja": category.name_ja,
            "position": category.position, "archived": category.is_archived}


def create_category(actor: User | None, slug: Any, name: Any, name_ja: Any = None,
                    position: Any = None) -> Category:
    """A new category, offered for new ideas at once. 422 for a bad slug or name, 409
    `slug_taken` when the slug exists (archived ones too)."""
    _check_actor(actor)
    fields: dict[str, str] = {}
    slug = slug.strip().lower() if isinstance(slug, str) else ""
    if not slug or len(slug) > SLUG_MAX or not _SLUG.fullmatch(slug):
        fields["slug"] = _("Use up to %(n)s lower-case letters, digits and dashes "
                           "(e.g. kitchen-tools).", n=SLUG_MAX)
    name = _check_name(name, fields, "name", required=True)
    name_ja = _check_name(name_ja, fields, "name_ja", required=False)
    if position is None:
        position = (db.session.scalar(select(func.max(Category.position))) or 0) + 1
        position = min(position, POSITION_MAX)
    position = _check_position(position, fields)
    if fields:
        raise Invalid(fields)
    if db.session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        raise Conflict("slug_taken", _("A category with the slug %(slug)s exists already.",
                                       slug=slug))
    category = Category(slug=slug, name=name, name_ja=name_ja, position=position)
    db.session.add(category)
    db.session.flush()
    events.audit(actor, "category.created", category, after=_category_state(category))
    return category


def update_category(actor: User | None, category_id: Any, data: dict[str, Any]) -> Category:
    """Rename (English and Japanese), move or archive / bring back a category. Ideas that have
    an archived category keep it; it is only no longer offered for new ideas."""
    _check_actor(actor)
    category = get_category(category_id)
    fields: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if "name" in data:
        changes["name"] = _check_name(data["name"], fields, "name", required=True)
    if "name_ja" in data:
        changes["name_ja"] = _check_name(data["name_ja"], fields, "name_ja", required=False)
    if "position" in data:
        changes["position"] = _check_position(data["position"], fields)
    if "archived" in data:
        if not isinstance(data["archived"], bool):
            fields["archived"] = _("Must be true or false.")
        changes["archived"] = data["archived"]
    if fields:
        raise Invalid(fields)
    before = _category_state(category)
    for name in ("name", "name_ja", "position"):
        if name in changes:
            setattr(category, name, changes[name])
    if "archived" in changes and changes["archived"] != category.is_archived:
        category.archived_at = utcnow() if changes["archived"] else None
    after = _category_state(category)
    if after != before:
        db.session.flush()
        events.audit(actor, "category.updated", category, before=before, after=after)
    return category


def move_category(actor: User | None, category_id: int, step: int) -> Category:
    """Swap a category with its neighbour above (step -1) or below (+1) in the list; positions
    are renumbered 1..n so equal positions never leave the order to chance."""
    _check_actor(actor)
    category = get_category(category_id)
    ordered = [c for c in all_categories() if c.is_archived == category.is_archived]
    index = ordered.index(category)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        before = {c.slug: c.position for c in ordered}
        for number, item in enumerate(ordered, start=1):
            item.position = number
        db.session.flush()
        events.audit(actor, "category.moved", category, before=before,
                     after={c.slug: c.position for c in ordered})
    return category


def category_idea_counts() -> dict[int, int]:
    """{category id: ideas that have it} (one query)."""
    return dict(db.session.execute(select(Idea.category_id, func.count())
                                   .where(Idea.category_id.is_not(None))
                                   .group_by(Idea.category_id)).all())


# --- tags ---------------------------------------------------------------------------------------

def tags_page(q: str = "", limit: int = 200) -> list[Tag]:
    """Tags by name (those containing q), with their listed-idea counts."""
    stmt = select(Tag).order_by(Tag.name).limit(limit)
    q = (q or "").strip().lower()
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Tag.name.like(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(stmt))


def get_tag(tag_id: Any) -> Tag:
    tag = db.session.get(Tag, tag_id) if isinstance(tag_id, int) else None
    if tag is None:
        raise NotFound("tag_not_found", _("No such tag."))
    return tag


def tag_id_named(name: Any) -> int:
    """The id of the tag with this name (as typed: normalised first); Invalid when none has it."""
    from app.services.ideas import normalise_tag

    tag_id = db.session.scalar(select(Tag.id).where(
        Tag.name == normalise_tag(name if isinstance(name, str) else "")))
    if tag_id is None:
        raise Invalid({"into": _("No tag has that name.")})
    return tag_id


def rename_tag(actor: User | None, tag_id: Any, name: Any) -> Tag:
    """Give a tag a new name (normalised like every tag). 409 `tag_taken` when another tag has
    that name: merge them instead."""
    from app.services.ideas import TAG_MAX, normalise_tag

    _check_actor(actor)
    tag = get_tag(tag_id)
    new = normalise_tag(name) if isinstance(name, str) else ""
    if not new or len(new) > TAG_MAX:
        raise Invalid({"name": _("A tag of 1 to %(n)s letters, digits or dashes.", n=TAG_MAX)})
    if new == tag.name:
        return tag
    if db.session.scalar(select(Tag.id).where(Tag.name == new)) is not None:
        raise Conflict("tag_taken", _("The tag %(name)s exists already: merge the two instead.",
                                      name=new))
    before = tag.name
    tag.name = new
    db.session.flush()
    events.audit(actor, "tag.renamed", tag, before={"name": before}, after={"name": new})
    return tag


def merge_tags(actor: User | None, source_id: Any, target_id: Any) -> Tag:
    """Every idea tagged `source` is tagged `target` instead, and `source` is deleted."""
    _check_actor(actor)
    source, target = get_tag(source_id), get_tag(target_id)
    if source.id == target.id:
        raise Invalid({"into": _("Choose another tag to merge into.")})
    has_target = select(idea_tags.c.idea_id).where(idea_tags.c.tag_id == target.id)
    moved = db.session.execute(insert(idea_tags).from_select(
        ["idea_id", "tag_id"],
        select(idea_tags.c.idea_id, literal(target.id)).where(idea_tags.c.tag_id == source.id,
                                                      idea_tags.c.idea_id.not_in(has_target))))
    db.session.execute(delete(idea_tags).where(idea_tags.c.tag_id == source.id))
    events.audit(actor, "tag.merged", target, before={"name": source.name, "id": source.id},
                 after={"name": target.name, "ideas_moved": moved.rowcount})
    db.session.execute(delete(Tag).where(Tag.id == source.id))
    _recount_tag(target.id)
    db.session.expire_all()
    return db.session.get(Tag, target.id)


def _recount_tag(tag_id: int) -> None:
    """The merged tag's listed-idea count now (the rolled-up figure would lag until the next
    `flask ideas stats`)."""
    from app.queries import listed_condition

    count = db.session.scalar(select(func.count()).select_from(idea_tags).join(
        Idea, Idea.id == idea_tags.c.idea_id).where(idea_tags.c.tag_id == tag_id,
                                                    listed_condition())) or 0
    db.session.execute(update(Tag).where(Tag.id == tag_id).values(listed_count=count))


# --- the programme page -------------------------------------------------------------------------

TEXT_FIELDS = ("purpose", "promises", "not_promised", "outlook", "timeline", "who_decides")


def default_texts() -> dict[str, str]:
    """What the programme page says until an admin writes their own (in the reader's language)."""
    return {
        "purpose": _("We look for product ideas that start from one real person's situation, and "
                     "develop the best of them together with the people who proposed and "
                     "supported them."),
        "promises": _("Every idea that reaches the review threshold is reviewed against the "
                      "published matrix, by reviewers who did not create or support it. Every "
                      "decision is explained to its creators. Creators of ideas that become "
                      "products share in the revenue under the creator agreement."),
        "not_promised": _("We do not promise that an idea will be made, sold or sold at any "
                          "particular price, nor a date for any of these. Support shows interest; "
                          "it is not an order."),
        "outlook": _("Only a few ideas in each review batch can become products; most ideas "
                     "will not be made, however good they are."),
        "timeline": _("Review batches close on the dates below. Decisions are published for the "
                      "whole batch at once, usually a few weeks after it closes. Development of "
                      "an approved product takes months."),
        "who_decides": _("Staff reviewers score each idea; an admin makes the decision, with a "
                         "message to the creators."),
    }


@dataclass
class Programme:
    """The programme as the public page and the API show it."""

    name: str
    texts: dict[str, str]
    review_calendar: list[dict[str, Any]]
    payout_minimums: dict[str, int]
    support_milestones: list[int]
    support_windows_days: list[int]
    review_min_reviewers: int
    review_priority_total: int
    royalty_rate_bps: int
    customised: bool = False
    customised_texts: set[str] = field(default_factory=set)

    @property
    def review_threshold(self) -> int:
        return self.support_milestones[-1]

    @property
    def next_review(self) -> dict[str, Any] | None:
        return self.review_calendar[0] if self.review_calendar else None


def settings_row() -> ProgrammeSettings | None:
    return db.session.get(ProgrammeSettings, 1)


def default_payout_minimums() -> dict[str, int]:
    """PAYOUT_MINIMUMS ("JPY:5000,USD:5000"): minor units per currency."""
    from app.money import is_currency

    minimums: dict[str, int] = {}
    raw = current_app.config.get("PAYOUT_MINIMUMS") or ""
    for part in raw.split(","):
        currency, _sep, amount = part.strip().partition(":")
        if is_currency(currency.strip().upper()) and amount.strip().isdigit() \
                and int(amount) > 0:
            minimums[currency.strip().upper()] = int(amount)
    return minimums


def payout_minimums() -> dict[str, int]:
    """The published payout minimum per currency: the stored ones once an admin saved the
    programme page, else PAYOUT_MINIMUMS."""
    if settings_row() is None:
        return default_payout_minimums()
    return {row.currency: row.amount_minor for row in db.session.scalars(
        select(PayoutMinimum).order_by(PayoutMinimum.currency))}


def upcoming_reviews(today: date | None = None) -> list[dict[str, Any]]:
    """The coming review batches: the open batch (its closing date) and the announced dates
    from today on, soonest first; one entry per date."""
    today = today or utcnow().date()
    entries: dict[date, dict[str, Any]] = {}
    open_batch = db.session.scalar(select(ReviewBatch).where(ReviewBatch.status == "open"))
    if open_batch is not None and open_batch.closes_on >= today:
        entries[open_batch.closes_on] = {"batch_name": open_batch.name,
                                         "closes_on": open_batch.closes_on, "open": True}
    for row in db.session.scalars(select(ReviewDate).where(ReviewDate.closes_on >= today)
                                  .order_by(ReviewDate.closes_on).limit(CALENDAR_MAX)):
        entries.setdefault(row.closes_on, {"batch_name": row.batch_name or None,
                                           "closes_on": row.closes_on, "open": False,
                                           "id": row.id})
    return [entries[day] for day in sorted(entries)]


def calendar_rows() -> list[ReviewDate]:
    """Every announced date (past ones too), for the admin page."""
    return list(db.session.scalars(select(ReviewDate).order_by(ReviewDate.closes_on.desc())))


def current() -> Programme:
    """The programme now: stored texts over the defaults, live thresholds from the settings."""
    config = current_app.config
    row = settings_row()
    texts = default_texts()
    customised: set[str] = set()
    if row is not None:
        for name in TEXT_FIELDS:
            if getattr(row, name):
                texts[name] = getattr(row, name)
                customised.add(name)
    name = (row.name if row is not None and row.name else "") or config.get("PROGRAMME_NAME") \
        or "Kyoso"
    return Programme(name=name, texts=texts, review_calendar=upcoming_reviews(),
                     payout_minimums=payout_minimums(),
                     support_milestones=list(config["SUPPORT_MILESTONES"]),
                     support_windows_days=list(config["SUPPORT_WINDOWS_DAYS"]),
                     review_min_reviewers=int(config["REVIEW_MIN_REVIEWERS"]),
                     review_priority_total=int(config["REVIEW_PRIORITY_TOTAL"]),
                     royalty_rate_bps=int(config["ROYALTY_RATE_BPS"]),
                     customised=row is not None, customised_texts=customised)


def _check_minimums(value: Any, fields: dict[str, str]) -> dict[str, int] | None:
    """[{amount, currency}] -> {currency: amount}; problems into fields["payout_minimums"]."""
    from app.services.ledger import check_amount, check_currency

    if not isinstance(value, list):
        fields["payout_minimums"] = _("A list of amounts: [{amount, currency}].")
        return None
    minimums: dict[str, int] = {}
    for item in value:
        if not isinstance(item, dict):
            fields["payout_minimums"] = _("A list of amounts: [{amount, currency}].")
            return None
        problem = check_currency(item.get("currency")) or check_amount(
            item.get("amount"), allow_negative=False, allow_zero=False)
        if problem:
            fields["payout_minimums"] = problem
            return None
        if item["currency"] in minimums:
            fields["payout_minimums"] = _("One minimum per currency.")
            return None
        minimums[item["currency"]] = item["amount"]
    return minimums


def update_programme(actor: User | None, data: dict[str, Any]) -> Programme:
    """Change the programme page: name, the texts (empty = the default text), the payout
    minimums (a list of money: replaces them all). Audited with the values before and after."""
    _check_actor(actor)
    fields: dict[str, str] = {}
    values: dict[str, Any] = {}
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or len(" ".join(name.split())) > PROGRAMME_NAME_MAX:
            fields["name"] = _("At most %(n)s characters.", n=PROGRAMME_NAME_MAX)
        else:
            values["name"] = " ".join(name.split())
    for name in TEXT_FIELDS:
        if name not in data:
            continue
        text = data[name]
        if text is None:
            text = ""
        if not isinstance(text, str):
            fields[name] = _("Must be a string.")
        elif len(text) > PROGRAMME_TEXT_MAX:
            fields[name] = _("At most %(n)s characters.", n=PROGRAMME_TEXT_MAX)
        else:
            values[name] = text.replace("\r\n", "\n").strip()
    minimums = _check_minimums(data["payout_minimums"], fields) \
        if "payout_minimums" in data else None
    if fields:
        raise Invalid(fields)
    row = settings_row()
    before = _programme_state(row)
    if row is None:
        row = ProgrammeSettings(id=1, name="", purpose="", promises="", not_promised="",
                                outlook="", timeline="", who_decides="")
        db.session.add(row)
        if minimums is None:  # the defaults become the stored minimums
            minimums = default_payout_minimums()
    for name, value in values.items():
        setattr(row, name, value)
    if minimums is not None:
        db.session.execute(delete(PayoutMinimum))
        for currency, amount in sorted(minimums.items()):
            db.session.add(PayoutMinimum(currency=currency, amount_minor=amount))
    row.updated_at = utcnow()
    row.updated_by_id = actor.id if actor is not None else None
    db.session.flush()
    after = _programme_state(row)
    if after != before:
        events.audit(actor, "programme.updated", row, before=before, after=after)
    return current()


def _programme_state(row: ProgrammeSettings | None) -> dict[str, Any] | None:
    if row is None:
        return None
    state: dict[str, Any] = {name: getattr(row, name) for name in ("name", *TEXT_FIELDS)}
    state["payout_minimums"] = {m.currency: m.amount_minor for m in db.session.scalars(
        select(PayoutMinimum).order_by(PayoutMinimum.currency))}
    return state


def add_review_date(actor: User | None, closes_on: Any, batch_name: Any = "") -> ReviewDate:
    """Announce the closing date of a coming review batch (today or later)."""
    _check_actor(actor)
    fields: dict[str, str] = {}
    if isinstance(closes_on, str):
        try:
            closes_on = date.fromisoformat(closes_on)
        except ValueError:
            closes_on = None
    if not isinstance(closes_on, date):
        fields["closes_on"] = _("A date, YYYY-MM-DD.")
    elif closes_on < utcnow().date():
        fields["closes_on"] = _("The closing date cannot be in the past.")
    batch_name = " ".join(batch_name.split()) if isinstance(batch_name, str) else None
    if batch_name is None or len(batch_name) > BATCH_NAME_MAX:
        fields["batch_name"] = _("At most %(n)s characters.", n=BATCH_NAME_MAX)
    if fields:
        raise Invalid(fields)
    if db.session.scalar(select(ReviewDate.id).where(ReviewDate.closes_on == closes_on)):
        raise Conflict("date_taken", _("A review batch already closes on that date."))
    if db.session.scalar(select(func.count()).select_from(ReviewDate).where(
            ReviewDate.closes_on >= utcnow().date())) >= CALENDAR_MAX:
        raise Conflict("calendar_full", _("At most %(n)s coming dates.", n=CALENDAR_MAX))
    row = ReviewDate(closes_on=closes_on, batch_name=batch_name)
    db.session.add(row)
    db.session.flush()
    events.audit(actor, "review_calendar.added", row,
                 after={"closes_on": closes_on.isoformat(), "batch_name": batch_name})
    return row


def remove_review_date(actor: User | None, date_id: Any) -> None:
    _check_actor(actor)
    row = db.session.get(ReviewDate, date_id) if isinstance(date_id, int) else None
    if row is None:
        raise NotFound("date_not_found", _("No such date in the review calendar."))
    events.audit(actor, "review_calendar.removed", row,
                 before={"closes_on": row.closes_on.isoformat(), "batch_name": row.batch_name})
    db.session.delete(row)


# --- the first-run checklist --------------------------------------------------------------------

@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    endpoint: str
    anchor: str = ""


def first_run_checklist() -> list[ChecklistItem]:
    """What a fresh install still lacks before members can take part; empty when ready."""
    items: list[ChecklistItem] = []
    if db.session.scalar(select(Category.id).where(Category.archived_at.is_(None)).limit(1)) \
            is None:
        items.append(ChecklistItem("category", _("Create at least one category: a category is "
                                                 "required to submit an idea."),
                                   "admin.categories"))
    if db.session.scalar(select(Agreement.id).limit(1)) is None:
        items.append(ChecklistItem("agreement", _("Publish the creator agreement: creators "
                                                  "accept it when they submit an idea."),
                                   "admin.agreements"))
    if not current_app.config.get("MAIL_SERVER"):
        items.append(ChecklistItem("mail", _("Configure a mail server (MAIL_SERVER): until then "
                                             "mails, such as address confirmations, are only "
                                             "written to the log."),
                                   "admin.programme", "mail"))
    if public_address_is_local():
        items.append(ChecklistItem("public_url", _(
            "Set PUBLIC_BASE_URL to the site's public address: links in mails (address "
            "confirmations, password resets, notifications) point to %(url)s now.",
            url=current_app.config.get("PUBLIC_BASE_URL") or "—"), "admin.programme", "mail"))
    privacy = _privacy_policy_missing()
    if privacy:
        items.append(ChecklistItem("privacy", _("Publish the member terms and the privacy "
                                                "policy: until both are, sign-up asks nobody to "
                                                "accept them."), privacy))
    if settings_row() is None:
        items.append(ChecklistItem("programme", _("Describe the programme: its purpose, what you "
                                                  "promise and what you do not."),
                                   "admin.programme"))
    if not upcoming_reviews():
        items.append(ChecklistItem("calendar", _("Announce the closing date of the next review "
                                                 "batch."), "admin.programme", "calendar"))
    return items


def public_address_is_local() -> bool:
    """Whether links in mails point at this machine (PUBLIC_BASE_URL unset or a loopback
    address), which members elsewhere cannot open."""
    from urllib.parse import urlsplit

    host = (urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "").hostname or "").lower()
    return host in ("", "localhost", "0.0.0.0", "::1") or host.startswith("127.") \
        or host.endswith(".localhost")


def _privacy_policy_missing() -> str | None:
    """The endpoint where the privacy policy is published, while none is (once the site has
    privacy policies at all: the models may not exist yet)."""
    from app import models

    policy = getattr(models, "Policy", None) or getattr(models, "PrivacyPolicy", None)
    if policy is None or "admin.policies" not in current_app.view_functions:
        return None
    kind = getattr(policy, "kind", None)
    if kind is None:
        return "admin.policies" if db.session.scalar(select(policy.id).limit(1)) is None else None
    published = set(db.session.scalars(select(kind).where(kind.in_(("terms", "privacy")))
                                       .distinct()))
    return None if published == {"terms", "privacy"} else "admin.policies"
