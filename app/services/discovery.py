"""Discovery: browsing, search, the home page shelves, "For you" recommendations and trending.

Every list starts from app.queries (visible_ideas / listed_condition), so a hidden, draft or
merged idea never appears in a listing, whoever asks.

Trending sorts by `Idea.trending_score` (support velocity with time decay), which
app.services.milestones keeps up to date (on each support, and `refresh_trending()` daily).

Scale (bench/README.md): every sort walks a partial index of the listed ideas
(app.models.ideas) in its key order. Pages by number go as deep as the first TOTAL_CAP ideas
(OFFSET over that index); every page also hands out a keyset cursor (`after`) for the next one,
which costs the same at any depth. Totals are counted up to TOTAL_CAP ("10,000+"). The home
shelves are cached as idea ids (app.cache) and cleared when a listed idea changes.
"""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, has_app_context, has_request_context
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import (Select, and_, bindparam, desc, event, func, inspect, or_, select,
                        tuple_, union)
from sqlalchemy.orm import Session, aliased

from app import lifecycle
from app.cache import cache
from app.extensions import db
from app.models import Category, Idea, IdeaCreator, Support, Tag, User, idea_tags
from app.models.base import UTCDateTime, utcnow
from app.queries import approved_condition, card_options, gathering_condition, idea_visibility, \
    listed_condition, status_condition, visible_ideas
from app.search import search
from app.services import consents

SORTS = ("trending", "supported", "newest", "expiring", "approved")
RELEVANCE = "relevance"  # the order of search results (only with a query)
STATUSES = lifecycle.PUBLIC  # effective statuses a listing can be filtered by

SORT_LABELS = {
    "trending": _l("Trending"),
    "supported": _l("Most supported"),
    "newest": _l("Newest"),
    "expiring": _l("Expiring soon"),
    "approved": _l("Recently approved"),
}
RELEVANCE_LABEL = _l("Best match")
STATUS_LABELS = {status: status.label for status in lifecycle.FILTER_ORDER}

#: Totals are counted up to this many ideas, and pages by number reach this deep; past it,
#: the `after` cursor of the previous page leads on.
TOTAL_CAP = 10_000
#: Search results are counted and ranked up to this many (the most trending matches).
SEARCH_CAP = 1_000

# Each sort's key, in index order (app.models.ideas), and whether it runs descending.
SORT_KEYS: dict[str, tuple[tuple, bool]] = {
    "trending": ((Idea.trending_score, Idea.published_at, Idea.id), True),
    "supported": ((Idea.support_count, Idea.published_at, Idea.id), True),
    "newest": ((Idea.published_at, Idea.id), True),
    "expiring": ((Idea.deadline, Idea.id), False),
    "approved": ((Idea.updated_at, Idea.id), True),
}


class BadCursor(ValueError):
    """An `after` cursor that is not one this listing handed out."""


class PageTooDeep(ValueError):
    """A page number past the first TOTAL_CAP ideas (use the cursor)."""

    def __init__(self, last_page: int, total: int = 0) -> None:
        super().__init__(f"pages by number end at {last_page}")
        self.last_page = last_page
        self.total = total


@dataclass
class Listing:
    """One page of a listing."""

    items: list[Idea]
    page: int
    per_page: int
    total: int  # counted up to TOTAL_CAP
    total_capped: bool  # there are more than TOTAL_CAP
    has_next: bool  # another page follows
    next_cursor: str | None  # the `after` of the next page (None on the last, and for search)
    numbered_pages: int = 1  # how deep pages go by number (then the cursor leads on)

    @property
    def pages(self) -> int:
        return (self.total + self.per_page - 1) // self.per_page


def last_numbered_page(per_page: int, cap: int | None = None) -> int:
    """The deepest page reachable by number: the one holding the TOTAL_CAP-th idea."""
    cap = TOTAL_CAP if cap is None else cap
    return max(1, (cap + per_page - 1) // per_page)


# --- cursors --------------------------------------------------------------------------------

def _key_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(sort: str, idea: Idea, page: int) -> str | None:
    """The cursor of the page after `idea` (the last of a page), or None when a key is NULL."""
    columns, _descending = SORT_KEYS[sort]
    values = [getattr(idea, column.key) for column in columns]
    if any(value is None for value in values):
        return None
    raw = json.dumps({"s": sort, "k": [_key_json(v) for v in values], "p": page},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple[list[Any], int]:
    """(key values, page number) of a cursor for this sort; BadCursor when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("not a cursor") from None
    if not isinstance(data, dict) or data.get("s") != sort or sort not in SORT_KEYS:
        raise BadCursor("a cursor of another listing")
    columns, _descending = SORT_KEYS[sort]
    keys, page = data.get("k"), data.get("p")
    if not isinstance(keys, list) or len(keys) != len(columns) or type(page) is not int \
            or not 2 <= page <= 1_000_000:
        raise BadCursor("a damaged cursor")
    values = []
    for column, value in zip(columns, keys):
        if isinstance(column.type, UTCDateTime):
            try:
                parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                raise BadCursor("a damaged cursor")
            values.append(parsed)
        elif type(value) is int and abs(value) < 2**63:
            values.append(value)
        else:
            raise BadCursor("a damaged cursor")
    return values, page


def _after(sort: str, values: list[Any]):
    columns, descending = SORT_KEYS[sort]
    row = tuple_(*columns)
    bound = tuple_(*(bindparam(None, value, type_=column.type)
                     for column, value in zip(columns, values)))
    return row < bound if descending else row > bound


# --- browse ---------------------------------------------------------------------------------

def _sort_filter(stmt: Select, sort: str, now: datetime) -> Select:
    if sort == "expiring":
        return stmt.where(gathering_condition(now), Idea.deadline.is_not(None))
    if sort == "approved":
        return stmt.where(approved_condition())
    return stmt


def _order(stmt: Select, sort: str, rank=None) -> Select:
    if sort == RELEVANCE and rank is not None:
        columns, _descending = SORT_KEYS["trending"]
        return stmt.order_by(rank.desc(), *(column.desc() for column in columns))
    columns, descending = SORT_KEYS[sort if sort in SORT_KEYS else "trending"]
    return stmt.order_by(*(column.desc() if descending else column.asc() for column in columns))


def _filtered(viewer: Any, *, sort: str, status: str | None, category: str | None,
              tag: str | None, q: str | None, now: datetime, campaign_id: int | None = None,
              picked: bool = False):
    """The listing's statement before ordering, and the search rank (None without a query).
    `campaign_id`: a campaign's entries only; `picked`: staff picks only."""
    stmt = _sort_filter(visible_ideas(viewer), sort, now)
    if campaign_id is not None:
        stmt = stmt.where(Idea.campaign_id == campaign_id)
    if picked:
        stmt = stmt.where(Idea.staff_picked_at.is_not(None))
    if status:
        stmt = stmt.where(status_condition(status, now))
    if category:
        # A scalar subquery: the planner sees one category id and walks the (category, sort)
        # index instead of joining.
        stmt = stmt.where(Idea.category_id == select(Category.id)
                          .where(Category.slug == category).scalar_subquery())
    if tag:
        # The tag's ideas, read once from (tag_id, idea_id) and hashed: the listing then walks
        # its sort index keeping those ids, instead of probing idea_tags for every idea.
        tagged = select(idea_tags.c.idea_id).where(idea_tags.c.tag_id == select(Tag.id).where(
            Tag.name == tag.strip().lower()).scalar_subquery()).cte("tagged") \
            .prefix_with("MATERIALIZED")
        stmt = stmt.where(Idea.id.in_(select(tagged.c.idea_id)))
    rank = None
    if q and q.strip():
        match = search(q)
        stmt = stmt.where(match.condition)
        rank = match.rank
    return stmt, rank


def _effective_sort(sort: str, q: str | None) -> str:
    if sort == RELEVANCE:
        return RELEVANCE if q and q.strip() else "trending"
    return sort if sort in SORTS else "trending"


def browse_statement(viewer: Any, *, sort: str = "trending", status: str | None = None,
                     category: str | None = None, tag: str | None = None,
                     q: str | None = None, now: datetime | None = None,
                     campaign_id: int | None = None, picked: bool = False) -> Select:
    """The listing query (validated values; unknown sort falls back to trending)."""
    sort = _effective_sort(sort, q)
    stmt, rank = _filtered(viewer, sort=sort, status=status, category=category, tag=tag, q=q,
                           now=now or utcnow(), campaign_id=campaign_id, picked=picked)
    return _order(stmt, sort, rank)


def bounded_count(stmt: Select, cap: int | None = None) -> int:
    """How many rows `stmt` has, counted up to `cap` + 1 (TOTAL_CAP; stops reading there)."""
    cap = TOTAL_CAP if cap is None else cap
    ids = stmt.order_by(None).with_only_columns(Idea.id).limit(cap + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(ids)) or 0


def _page_ids(stmt: Select, sort: str, rank, after_values: list | None, offset: int,
              limit: int):
    """The page's ids and sort keys as a subquery (k0, k1, ..., the id last), so that OFFSET
    and the cursor walk the sort's index alone, and only the page's rows are joined."""
    if sort == RELEVANCE:
        # Rank the SEARCH_CAP most trending matches (all of them for any specific query): the
        # rank reads each document, which a query matching half the ideas cannot afford.
        columns, _descending = SORT_KEYS["trending"]
        candidates = (stmt.order_by(None).with_only_columns(
            rank.label("rank"), *(c.label(f"k{i}") for i, c in enumerate(columns)))
            .order_by(*(c.desc() for c in columns)).limit(SEARCH_CAP).subquery())
        keys = [candidates.c.rank, *(candidates.c[f"k{i}"] for i in range(len(columns)))]
        ordered = select(*keys).order_by(*(key.desc() for key in keys))
    else:
        columns, descending = SORT_KEYS[sort]
        ordered = stmt.order_by(None).with_only_columns(
            *(c.label(f"k{i}") for i, c in enumerate(columns)))
        if after_values is not None:
            ordered = ordered.where(_after(sort, after_values))
        ordered = ordered.order_by(*(c.desc() if descending else c.asc() for c in columns))
    return ordered.offset(offset or None).limit(limit).subquery(), descending_of(sort)


def descending_of(sort: str) -> bool:
    return True if sort == RELEVANCE else SORT_KEYS[sort][1]


def browse_page(viewer: Any, *, sort: str = "trending", status: str | None = None,
                category: str | None = None, tag: str | None = None, q: str | None = None,
                page: int = 1, after: str | None = None, per_page: int = 24,
                options: Sequence = (), now: datetime | None = None,
                campaign_id: int | None = None, picked: bool = False) -> Listing:
    """One page of the ideas listed for this viewer, by page number or after a cursor.

    Two queries plus the card eager loads, whatever the page size or depth (tags are not
    loaded: a card shows none; pass selectinload(Idea.tags) in `options` to have them). Raises BadCursor
    for a cursor this listing did not hand out, PageTooDeep past the numbered pages. Search
    results (sort=relevance) are counted and ranked up to SEARCH_CAP."""
    now = now or utcnow()
    sort = _effective_sort(sort, q)
    stmt, rank = _filtered(viewer, sort=sort, status=status, category=category, tag=tag, q=q,
                           now=now, campaign_id=campaign_id, picked=picked)
    if sort == RELEVANCE and rank is None:
        sort = "trending"
    cap = SEARCH_CAP if sort == RELEVANCE else TOTAL_CAP
    total = bounded_count(stmt, cap)
    after_values = None
    if after and sort in SORT_KEYS:
        after_values, page = decode_cursor(sort, after)
        offset = 0
    else:
        if after:
            raise BadCursor("search results are paged by number")
        page = max(1, page)
        if (page - 1) * per_page >= cap:
            raise PageTooDeep(last_numbered_page(per_page, cap), min(total, cap))
        offset = (page - 1) * per_page
    ids, descending = _page_ids(stmt, sort, rank, after_values, offset, per_page + 1)
    keys = [column for name, column in ids.c.items() if name.startswith("k")]
    if sort == RELEVANCE:
        keys = [ids.c.rank, *keys]
    page_stmt = (select(Idea).join(ids, Idea.id == keys[-1])
                 .order_by(*(key.desc() if descending else key.asc() for key in keys))
                 .options(*card_options(tags=False), *options))
    rows = list(db.session.scalars(page_stmt).unique())
    items, more = rows[:per_page], len(rows) > per_page
    next_cursor = encode_cursor(sort, items[-1], page + 1) \
        if more and items and sort in SORT_KEYS else None
    return Listing(items=items, page=page, per_page=per_page, total=min(total, cap),
                   total_capped=total > cap, has_next=more, next_cursor=next_cursor,
                   numbered_pages=last_numbered_page(per_page, cap))


def browse(viewer: Any, *, sort: str = "trending", status: str | None = None,
           category: str | None = None, tag: str | None = None, q: str | None = None,
           page: int = 1, per_page: int = 24, options: Sequence = ()) -> tuple[list[Idea], int]:
    """One page of the ideas this viewer may see in listings, and the (bounded) total."""
    try:
        listing = browse_page(viewer, sort=sort, status=status, category=category, tag=tag, q=q,
                              page=page, per_page=per_page, options=options)
    except PageTooDeep as too_deep:
        return [], too_deep.total
    return listing.items, listing.total


def validate_browse_args(sort: str | None, status: str | None) -> dict[str, str]:
    """Field errors for unknown sort/status values (empty when valid)."""
    errors = {}
    if sort and sort not in SORTS and sort != RELEVANCE:
        errors["sort"] = f"sort must be one of: {', '.join((*SORTS, RELEVANCE))}"
    if status and status not in STATUSES:
        errors["status"] = f"status must be one of: {', '.join(STATUSES)}"
    return errors


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def popular_tags(limit: int = 20) -> list[tuple[str, int]]:
    """The tags most used by listed ideas, with their counts (rolled up: tags.listed_count,
    app.services.stats)."""
    stmt = (select(Tag.name, Tag.listed_count).where(Tag.listed_count > 0)
            .order_by(Tag.listed_count.desc(), Tag.name).limit(limit))
    return [(name, n) for name, n in db.session.execute(stmt)]


# --- home shelves ---------------------------------------------------------------------------

SHELVES_KEY = "home:shelves"


def load_cards(ids: Sequence[int]) -> dict[int, Idea]:
    """The ideas with these ids, eager-loaded for cards (one query plus the eager loads)."""
    if not ids:
        ids = [-1]  # keep the query count the same when a row is empty
    ideas = db.session.scalars(select(Idea).where(Idea.id.in_(list(ids))).options(
        *card_options())).unique()
    return {idea.id: idea for idea in ideas}


def load_listed_cards(ids: Sequence[int]) -> dict[int, Idea]:
    """load_cards, keeping only ideas still listed (cached ids may be a few seconds old)."""
    ideas = db.session.scalars(select(Idea).where(Idea.id.in_(list(ids) or [-1]),
                                                  listed_condition())
                               .options(*card_options())).unique()
    return {idea.id: idea for idea in ideas}


def _ids(stmt: Select) -> list[int]:
    return list(db.session.scalars(stmt))


def _listed_ids(viewer: Any) -> Select:
    return select(Idea.id).where(idea_visibility(viewer), listed_condition())


def _shelf_ids(stmt: Select, sort: str, limit: int) -> list[int]:
    return _ids(_order(stmt, sort).limit(limit))


def home_rows(viewer: Any = None, limit: int = 4, now: datetime | None = None
              ) -> dict[str, list[int]]:
    """Idea ids for the home page rows (load them with load_cards in one go). The same for
    every viewer: listed ideas only."""
    now = now or utcnow()
    base = select(Idea.id).where(listed_condition())
    return {
        "expiring": _shelf_ids(_sort_filter(base, "expiring", now), "expiring", limit),
        "newest": _shelf_ids(base, "newest", limit),
        "approved": _shelf_ids(_sort_filter(base, "approved", now), "approved", limit),
        "picked": _ids(base.where(Idea.staff_picked_at.is_not(None)).order_by(
            Idea.staff_picked_at.desc(), Idea.id.desc()).limit(limit)),
    }


def trending_ids(viewer: Any, limit: int = 8, now: datetime | None = None) -> list[int]:
    """Ideas gathering support, by trending score."""
    return _ids(_listed_ids(viewer).where(gathering_condition(now or utcnow())).order_by(
        Idea.trending_score.desc(), Idea.published_at.desc(), Idea.id.desc()).limit(limit))


def home_shelves(row_size: int = 4, trending_size: int = 8) -> dict[str, list[int]]:
    """The home page's shelves as idea ids (trending, expiring, newest, approved): cached for
    HOME_SHELVES_TTL seconds, cleared when a listed idea changes (watch_listing_changes).

    Trending scores move with every support; the shelf follows within the TTL."""
    sizes = [row_size, trending_size]
    cached = cache().get(SHELVES_KEY)
    if cached is not None and cached.get("sizes") == sizes:
        return cached["shelves"]
    now = utcnow()
    shelves = {"trending": trending_ids(None, trending_size, now),
               **home_rows(None, row_size, now)}
    cache().set(SHELVES_KEY, {"sizes": sizes, "shelves": shelves},
                current_app.config["HOME_SHELVES_TTL"])
    return shelves


def invalidate_shelves() -> None:
    cache().delete(SHELVES_KEY)


def programme_stats() -> dict[str, int]:
    """Public figures of the programme: listed ideas, distinct supporters, products (rolled up
    by app.services.stats, a few minutes old at most)."""
    from app.services.stats import site_stats

    return site_stats()


# What moves an idea onto, off or along a shelf (a support's trending score only waits for
# the TTL): publication, status, hiding, merging, the deadline (a milestone), the approval date.
_SHELF_FIELDS = ("status", "hidden", "merged_into_id", "deadline", "published_at",
                 "next_milestone", "staff_picked_at")
_SUPPORT_FIELDS = {"support_count", "trending_score", "updated_at"}
_CHANGED = "kyoso_listing_changed"


def _touches_shelves(idea: Idea) -> bool:
    state = inspect(idea)
    if any(state.attrs[name].history.has_changes() for name in _SHELF_FIELDS):
        return True
    return idea.status in lifecycle.APPROVED_OR_LATER \
        and state.attrs["updated_at"].history.has_changes()


def _after_flush(session: Session, _context) -> None:
    if any(isinstance(obj, Idea) for obj in (*session.new, *session.deleted)) or any(
            isinstance(obj, Idea) and _touches_shelves(obj) for obj in session.dirty):
        session.info[_CHANGED] = True


def _orm_execute(state) -> None:
    """Bulk statements on ideas: an INSERT or DELETE, or an UPDATE of a shelf field (a support's
    count and score updates are not)."""
    if not any(getattr(mapper, "class_", None) is Idea for mapper in state.all_mappers):
        return
    if state.is_insert or state.is_delete:
        state.session.info[_CHANGED] = True
    elif state.is_update:
        values = getattr(state.statement, "_values", None)
        names = {getattr(key, "key", key) for key in values} if values else None
        if names is None or not names <= _SUPPORT_FIELDS:
            state.session.info[_CHANGED] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False) and has_app_context():
        invalidate_shelves()


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


_watching = False


def watch_listing_changes() -> None:
    """Clear the cached shelves after any commit that changed a listed idea's place."""
    global _watching
    if _watching:
        return
    _watching = True
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "do_orm_execute", _orm_execute)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)


def init_app(app: Flask) -> None:
    watch_listing_changes()


# --- "For you" --------------------------------------------------------------------------------

RECENT_SUPPORTS = 20  # the member's latest supports used to find like-minded members
PEER_LIMIT = 500  # like-minded members considered (the latest supporters first)


def _eligible(user: Any, now: datetime):
    """Ideas we may recommend: listed, visible, gathering, not own, not already supported."""
    own = select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id)
    mine = select(Support.idea_id).where(Support.user_id == user.id)
    return and_(idea_visibility(user), listed_condition(), gathering_condition(now),
                Idea.id.not_in(own), Idea.id.not_in(mine))


@dataclass(frozen=True)
class Reason:
    """Why an idea is recommended. str() gives the sentence in the reader's language; it has no
    __html__, so templates escape the idea titles and tag names it contains."""

    kind: str  # supported | tag | category | fresh | trending
    subject: str = ""

    def __str__(self) -> str:
        if self.kind == "supported":
            return _t("Because you supported “%(title)s”", title=self.subject)
        if self.kind == "tag":
            return _t("Because you like #%(tag)s", tag=self.subject)
        if self.kind == "category":
            return _t("More in %(category)s", category=self.subject)
        if self.kind == "fresh":
            return _t("Fresh idea, just published")
        return _t("Trending now")


def _t(text: str, **values: str) -> str:
    """The reader's language inside a request; English elsewhere (CLI, tests)."""
    if has_request_context():
        return gettext(text, **values)
    return text % values if values else text


def recommended_for(user: Any, limit: int = 8,
                    now: datetime | None = None) -> list[tuple[Idea, Reason]]:
    """The member's "For you" shelf as the pages show it: precomputed (app.services.for_you),
    never computed from the supports at request time."""
    from app.services import for_you

    return for_you.shelf(user, limit, now)


def eligible_ids(user: Any, ids: Sequence[int], now: datetime | None = None) -> list[int]:
    """Of these ids, those still recommendable to the member (one query, bounded by ids)."""
    allowed = set(_ids(select(Idea.id).where(Idea.id.in_(list(ids) or [-1]),
                                             _eligible(user, now or utcnow()))))
    return [idea_id for idea_id in ids if idea_id in allowed]


def trending_for(user: Any, limit: int, now: datetime | None = None) -> list[tuple[Idea, Reason]]:
    """Trending ideas the member may be recommended (new members, and until their shelf is
    computed)."""
    now = now or utcnow()
    if user is None or not getattr(user, "is_authenticated", False):
        return [(idea, Reason("trending")) for idea in _ordered(trending_ids(None, limit, now))]
    ids = _ids(select(Idea.id).where(_eligible(user, now)).order_by(
        Idea.trending_score.desc(), Idea.published_at.desc(), Idea.id.desc()).limit(limit))
    return [(idea, Reason("trending")) for idea in _ordered(ids)]


def compute_for_you(user: Any, limit: int = 8,
                    now: datetime | None = None) -> list[tuple[Idea, Reason]]:
    """Up to `limit` (idea, reason) pairs for this member (the job that fills the shelf).

    First ideas supported by the people who supported what the member supported ("Because you
    supported X"), then ideas in the member's categories and tags, then fresh ones. Never the
    member's own, already supported, hidden or closed ideas. Members who have supported nothing
    yet get trending ideas. A fixed number of queries, whatever the data.
    """
    now = now or utcnow()
    if user is None or not getattr(user, "is_authenticated", False) \
            or not consents.personalisation_allowed(user) or not has_supported(user):
        return trending_for(user, limit, now)
    eligible = _eligible(user, now)

    reasons: dict[int, Reason] = {}
    order: list[int] = []

    def take(idea_id: int, reason: Reason) -> None:
        if idea_id not in reasons and len(order) < limit:
            reasons[idea_id] = reason
            order.append(idea_id)

    # 1. Supported by the same people: the latest supporters of the member's latest supports
    # (a bounded set, read once), then what they supported, counted.
    # Only supports of ideas still listed: "Because you supported X" never names a hidden idea.
    recent_mine = (select(Support.idea_id).join(Idea, Idea.id == Support.idea_id)
                   .where(Support.user_id == user.id, idea_visibility(user), listed_condition())
                   .order_by(Support.created_at.desc(), Support.id.desc()).limit(RECENT_SUPPORTS))
    # Members who switched personalisation off lend their supports to no one's shelf.
    peers = list(dict.fromkeys(_ids(
        select(Support.user_id).join(User, User.id == Support.user_id)
        .where(Support.idea_id.in_(recent_mine), Support.user_id != user.id,
               consents.personalisation_condition())
        .order_by(Support.created_at.desc(), Support.id.desc()).limit(PEER_LIMIT)))) or [-1]
    # Aggregate the peers' supports first (from the user index), then keep the eligible ideas:
    # the other way round, the database probes every gathering idea for every peer.
    peer_picks = (select(Support.idea_id.label("idea_id"), func.count().label("shared"))
                  .where(Support.user_id.in_(peers)).group_by(Support.idea_id).subquery())
    candidates = _ids(
        select(peer_picks.c.idea_id).join(Idea, Idea.id == peer_picks.c.idea_id).where(eligible)
        .order_by(peer_picks.c.shared.desc(), peer_picks.c.idea_id.desc()).limit(limit))
    # For each candidate, the member's supported idea that shares the most of those peers.
    theirs, ours = aliased(Support), aliased(Support)
    because_rows = db.session.execute(
        select(theirs.idea_id, Idea.title, func.count().label("n"))
        .select_from(ours)
        .join(theirs, theirs.user_id == ours.user_id)
        .join(Idea, Idea.id == ours.idea_id)
        .where(ours.user_id.in_(peers), theirs.user_id.in_(peers),
               ours.idea_id.in_(recent_mine), theirs.idea_id.in_(candidates or [-1]))
        .group_by(theirs.idea_id, ours.idea_id, Idea.title)
        .order_by(desc("n"), ours.idea_id.desc())).all()
    because: dict[int, str] = {}
    for candidate_id, title, _n in because_rows:
        because.setdefault(candidate_id, title)
    for candidate_id in candidates:
        take(candidate_id, Reason("supported", because.get(candidate_id, "")))

    # 2. The member's categories and tags (from what they supported or created).
    liked = union(select(Support.idea_id).where(Support.user_id == user.id),
                  select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user.id))
    liked_categories = set(_ids(select(Idea.category_id).where(
        Idea.id.in_(liked), Idea.category_id.is_not(None)).distinct()))
    liked_tags = set(_ids(select(idea_tags.c.tag_id).where(idea_tags.c.idea_id.in_(liked))
                          .distinct()))
    affinity = _ids(
        select(Idea.id).where(eligible, or_(
            Idea.category_id.in_(liked_categories or [-1]),
            Idea.id.in_(select(idea_tags.c.idea_id).where(
                idea_tags.c.tag_id.in_(liked_tags or [-1])))))
        .order_by(Idea.trending_score.desc(), Idea.published_at.desc(), Idea.id.desc())
        .limit(limit * 2))

    # 3. Fresh ideas.
    fresh = _ids(select(Idea.id).where(eligible).order_by(
        Idea.published_at.desc(), Idea.id.desc()).limit(limit * 2))

    cards = load_cards(list(dict.fromkeys([*candidates, *affinity, *fresh])))
    for idea_id in affinity:
        idea = cards.get(idea_id)
        if idea is None:
            continue
        tag = next((t.name for t in idea.tags if t.id in liked_tags), None)
        if tag:
            take(idea_id, Reason("tag", tag))
        elif idea.category is not None:
            take(idea_id, Reason("category", idea.category.name))
    for idea_id in fresh:
        take(idea_id, Reason("fresh"))
    return [(cards[idea_id], reasons[idea_id]) for idea_id in order if idea_id in cards]


def has_supported(user: Any) -> bool:
    return db.session.scalar(select(Support.id).where(Support.user_id == user.id)
                             .limit(1)) is not None


def _ordered(ids: Sequence[int]) -> list[Idea]:
    cards = load_cards(ids)
    return [cards[i] for i in ids if i in cards]
