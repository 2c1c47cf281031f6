"""Segments: filters over members, saved by staff and used to reach them (announcements, surveys).

A spec is a dict (the API's segment object); every key is optional and they all must hold:

=====================  ============================================================================
key                    members who ...
=====================  ============================================================================
locale                 read Kyoso in this language ("en" also takes members who never chose one)
active_within_days     were seen within the last N days (a member never seen: since they joined)
inactive_for_days      were not seen for N days or more (lapsed)
roles                  hold any of these: creator, supporter, follower, commenter (what they did),
                       or a staff role (moderator, reviewer, ... admin)
supporters_of          support this idea (an idea id the caller may see)
followers_of           follow this idea (an idea id the caller may see)
categories             supported or (co-)created an idea in any of these categories (slugs)
engagement             are at this engagement level: contributions (supports, comments, ideas
                       submitted) in the last ENGAGEMENT_WINDOW_DAYS days: none 0, low 1-2,
                       medium 3-9, high 10 or more
=====================  ============================================================================

Whatever the spec, a segment holds only members who can be reached: confirmed e-mail, not
blocked (`member_condition()`). `segment_query(spec)` is a SELECT of their user ids (never a list
in memory); `iter_member_batches(spec, size)` walks it in keyset batches by user id;
`preview(spec)` counts it and picks a sample of up to SAMPLE_SIZE members.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, union, union_all
from sqlalchemy.exc import IntegrityError

from app import permissions
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from flask_babel import lazy_gettext as _l
from app.models import (Category, Comment, Idea, IdeaCreator, IdeaFollow, Segment, Support, User,
                        UserRole)
from app.models.base import is_row_id, utcnow
from app.models.users import ROLES
from app.permissions import Action
from app.services import events

KEYS = ("locale", "active_within_days", "inactive_for_days", "roles", "supporters_of",
        "followers_of", "categories", "engagement")
#: Longest activity window, in days (ten years).
DAYS_MAX = 3650
#: What a member did (any idea), then the staff roles.
ACTIVITY_ROLES = ("creator", "supporter", "follower", "commenter")
STAFF_SEGMENT_ROLES = tuple(role for role in ROLES if role != "member")
SEGMENT_ROLES = ACTIVITY_ROLES + STAFF_SEGMENT_ROLES
CATEGORIES_MAX = 50
#: Engagement levels: contributions in the window, (at least, at most; None = no upper bound).
ENGAGEMENT_WINDOW_DAYS = 90
ENGAGEMENT_LEVELS: dict[str, tuple[int, int | None]] = {
    "none": (0, 0), "low": (1, 2), "medium": (3, 9), "high": (10, None)}
#: How the filters' values read on the staff pages.
ROLE_LABELS: dict[str, Any] = {
    "creator": _l("creators"), "supporter": _l("supporters"), "follower": _l("followers"),
    "commenter": _l("commenters"), "moderator": _l("moderators"), "reviewer": _l("reviewers"),
    "finance": _l("finance staff"), "product_manager": _l("product managers"),
    "community_manager": _l("community managers"), "analyst": _l("analysts"),
    "admin": _l("admins")}
ENGAGEMENT_LABELS: dict[str, Any] = {
    "none": _l("none (no contributions)"), "low": _l("low (1–2)"),
    "medium": _l("medium (3–9)"), "high": _l("high (10 or more)")}
LOCALE_LABELS = {"en": "English", "ja": "日本語"}
SAMPLE_SIZE = 10
NAME_MAX = 80
BATCH_SIZE = 1000


# --- validation ------------------------------------------------------------------------------------

def _days(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= DAYS_MAX:
        return None
    return _("A whole number of days from 1 to %(max)s.", max=DAYS_MAX)


def _idea_error(value: Any, viewer: Any) -> str | None:
    """None when value is the id of an idea the viewer may see (any idea, without a viewer)."""
    if not is_row_id(value):
        return _("An idea id (a whole number).")
    idea = db.session.get(Idea, value)
    if idea is None or (viewer is not None and not permissions.may_view_idea(viewer, idea)):
        return _("No such idea.")
    return None


def _list_of_strings(value: Any, most: int) -> bool:
    return isinstance(value, list) and 1 <= len(value) <= most and \
        all(isinstance(item, str) for item in value)


def _check_locale(value: Any) -> str | None:
    languages = current_app.config["LANGUAGES"]
    return None if value in languages else _("Choose one of: %(values)s.",
                                             values=", ".join(languages))


def _check_roles(value: Any) -> str | None:
    if _list_of_strings(value, len(SEGMENT_ROLES)) and not set(value) - set(SEGMENT_ROLES):
        return None
    return _("A list of roles from: %(values)s.", values=", ".join(SEGMENT_ROLES))


def _check_categories(value: Any) -> str | None:
    if not _list_of_strings(value, CATEGORIES_MAX):
        return _("A list of 1 to %(max)s category slugs.", max=CATEGORIES_MAX)
    known = set(db.session.scalars(select(Category.slug).where(Category.slug.in_(value))))
    unknown = [slug for slug in dict.fromkeys(value) if slug not in known]
    return _("Unknown categories: %(slugs)s.", slugs=", ".join(unknown)) if unknown else None


def _check_engagement(value: Any) -> str | None:
    return None if isinstance(value, str) and value in ENGAGEMENT_LEVELS else _(
        "Choose one of: %(values)s.", values=", ".join(ENGAGEMENT_LEVELS))


def _checks(viewer: Any) -> dict[str, Any]:
    """Each filter's check: None when the value is fine, else the message."""
    return {"locale": _check_locale, "active_within_days": _days, "inactive_for_days": _days,
            "roles": _check_roles, "supporters_of": lambda value: _idea_error(value, viewer),
            "followers_of": lambda value: _idea_error(value, viewer),
            "categories": _check_categories, "engagement": _check_engagement}


def validate_segment(spec: Any, viewer: Any = None, *, prefix: str = "") -> dict[str, Any]:
    """The spec checked and normalised (lists sorted, without repeats); Invalid naming every bad
    field (unknown keys, wrong types, out-of-range days, unknown roles or category slugs, ideas
    that do not exist or that `viewer` may not see). `prefix` goes before each field name (an
    announcement's "segment.")."""
    if not isinstance(spec, dict):
        raise Invalid({prefix.rstrip(".") or "segment": _("An object of filters.")})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    checks = _checks(viewer)
    for key, value in spec.items():
        check = checks.get(key)
        problem = check(value) if check else _("Unknown filter. Choose from: %(keys)s.",
                                               keys=", ".join(KEYS))
        if problem:
            errors[f"{prefix}{key}"] = problem
        elif key == "roles":
            clean[key] = sorted(set(value), key=SEGMENT_ROLES.index)
        elif key == "categories":
            clean[key] = sorted(set(value))
        else:
            clean[key] = value
    if errors:
        raise Invalid(errors)
    return {key: clean[key] for key in KEYS if key in clean}


# --- the query -------------------------------------------------------------------------------------

def member_condition() -> ColumnElement[bool]:
    """Members a segment may hold: confirmed e-mail, not blocked."""
    return and_(User.blocked_at.is_(None), User.email_confirmed_at.is_not(None))


def _role_condition(role: str) -> ColumnElement[bool]:
    if role == "creator":
        return exists().where(IdeaCreator.user_id == User.id)
    if role == "supporter":
        return exists().where(Support.user_id == User.id)
    if role == "follower":
        return exists().where(IdeaFollow.user_id == User.id)
    if role == "commenter":
        return exists().where(Comment.author_id == User.id, Comment.deleted_at.is_(None))
    return exists().where(UserRole.user_id == User.id, UserRole.role == role)


def _engagement_condition(level: str, now) -> ColumnElement[bool]:
    since = now - timedelta(days=ENGAGEMENT_WINDOW_DAYS)
    contributions = union_all(
        select(Support.user_id.label("user_id")).where(Support.created_at >= since),
        select(Comment.author_id.label("user_id")).where(Comment.created_at >= since,
                                                        Comment.deleted_at.is_(None)),
        select(IdeaCreator.user_id.label("user_id")).join(Idea, Idea.id == IdeaCreator.idea_id)
        .where(Idea.submitted_at >= since)).subquery()
    least, most = ENGAGEMENT_LEVELS[level]
    if most == 0:
        return User.id.not_in(select(contributions.c.user_id))
    counted = select(contributions.c.user_id).group_by(contributions.c.user_id)
    counted = counted.having(func.count() >= least)
    if most is not None:
        counted = counted.having(func.count() <= most)
    return User.id.in_(counted)


def _locale_condition(locale: str) -> ColumnElement[bool]:
    if locale == current_app.config["BABEL_DEFAULT_LOCALE"]:
        return or_(User.locale.is_(None), User.locale.not_in(current_app.config["LANGUAGES"]),
                   User.locale == locale)
    return User.locale == locale


def conditions(spec: dict[str, Any]) -> list[ColumnElement[bool]]:
    """The WHERE conditions over User of a validated spec (member_condition() included)."""
    now = utcnow()
    seen = func.coalesce(User.last_seen_at, User.created_at)
    found = [member_condition()]
    if "locale" in spec:
        found.append(_locale_condition(spec["locale"]))
    if "active_within_days" in spec:
        found.append(seen >= now - timedelta(days=spec["active_within_days"]))
    if "inactive_for_days" in spec:
        found.append(seen < now - timedelta(days=spec["inactive_for_days"]))
    if spec.get("roles"):
        found.append(or_(*(_role_condition(role) for role in spec["roles"])))
    if "supporters_of" in spec:
        found.append(User.id.in_(select(Support.user_id)
                                 .where(Support.idea_id == spec["supporters_of"])))
    if "followers_of" in spec:
        found.append(User.id.in_(select(IdeaFollow.user_id)
                                 .where(IdeaFollow.idea_id == spec["followers_of"])))
    if spec.get("categories"):
        in_categories = Idea.category_id.in_(
            select(Category.id).where(Category.slug.in_(spec["categories"])))
        found.append(User.id.in_(union(
            select(Support.user_id).join(Idea, Idea.id == Support.idea_id).where(in_categories),
            select(IdeaCreator.user_id).join(Idea, Idea.id == IdeaCreator.idea_id)
            .where(in_categories))))
    if "engagement" in spec:
        found.append(_engagement_condition(spec["engagement"], now))
    return found


def segment_query(spec: dict[str, Any]) -> Select:
    """SELECT User.id of the segment's members (validated first: Invalid for a bad spec)."""
    return select(User.id).where(*conditions(validate_segment(spec)))


def count(spec: dict[str, Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(
        segment_query(spec).subquery())) or 0


def sample(spec: dict[str, Any], size: int = SAMPLE_SIZE) -> list[dict[str, Any]]:
    """Up to `size` members of the segment, from a random point of the id range (two small
    index walks, however large the segment), in id order."""
    where = conditions(validate_segment(spec))
    low, high = db.session.execute(select(func.min(User.id), func.max(User.id))).one()
    if low is None:
        return []
    pivot = random.randint(low, high)
    stmt = select(User.id, User.display_name).where(*where).order_by(User.id)
    rows = db.session.execute(stmt.where(User.id >= pivot).limit(size)).all()
    if len(rows) < size:
        rows = db.session.execute(stmt.where(User.id < pivot).limit(size - len(rows))).all() + rows
    return [{"id": row.id, "display_name": row.display_name} for row in rows]


def preview(spec: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """(how many members the segment holds, a sample of up to SAMPLE_SIZE {id, display_name})."""
    return count(spec), sample(spec)


def next_batch(spec: dict[str, Any], after_user_id: int, size: int = BATCH_SIZE) -> list[int]:
    """The next `size` member ids of the segment above `after_user_id`, in id order."""
    return list(db.session.scalars(segment_query(spec).where(User.id > after_user_id)
                                   .order_by(User.id).limit(size)))


def iter_member_batches(spec: dict[str, Any], size: int = BATCH_SIZE,
                        *where: ColumnElement[bool]) -> Iterator[list[int]]:
    """The segment's member ids in keyset batches of `size` (never all of them in memory), with
    the extra conditions `where` over User (marketing consent, for instance)."""
    stmt = segment_query(spec).where(*where)
    after = 0
    while True:
        ids = list(db.session.scalars(stmt.where(User.id > after).order_by(User.id).limit(size)))
        if ids:
            yield ids
        if len(ids) < size:
            return
        after = ids[-1]


# --- staff use cases -------------------------------------------------------------------------------

def preview_for(actor: User, spec: Any) -> tuple[int, list[dict[str, Any]]]:
    """A staff member's preview: the spec validated as they may see it, then counted."""
    permissions.require(actor, Action.MANAGE_SEGMENTS)
    return preview(validate_segment(spec, actor))


def saved_segments(actor: User) -> list[Segment]:
    permissions.require(actor, Action.MANAGE_SEGMENTS)
    return list(db.session.scalars(select(Segment).order_by(Segment.name, Segment.id)))


def get_segment(actor: User, segment_id: Any) -> Segment:
    permissions.require(actor, Action.MANAGE_SEGMENTS)
    segment = db.session.get(Segment, segment_id) if is_row_id(segment_id) else None
    if segment is None:
        raise NotFound("segment_not_found", _("No such segment."))
    return segment


def _name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name or len(value) > NAME_MAX:
        raise Invalid({"name": _("A name of 1 to %(max)s characters.", max=NAME_MAX)})
    return name


def _name_taken(name: str, segment_id: int | None = None) -> None:
    stmt = select(Segment.id).where(func.lower(Segment.name) == name.lower())
    if segment_id is not None:
        stmt = stmt.where(Segment.id != segment_id)
    if db.session.scalar(stmt) is not None:
        raise Conflict("segment_name_taken", _("A segment with this name exists already."))


def _flush_unique() -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same name saved at the same moment by someone else
        raise Conflict("segment_name_taken",
                       _("A segment with this name exists already.")) from None


def create_segment(actor: User, name: Any, spec: Any) -> Segment:
    """Save a segment under a name (409 segment_name_taken; 422 for a bad name or spec)."""
    permissions.require(actor, Action.MANAGE_SEGMENTS)
    problems: dict[str, str] = {}
    try:
        name = _name(name)
    except Invalid as error:
        problems.update(error.fields)
    try:
        clean = validate_segment(spec, actor, prefix="spec.")
    except Invalid as error:
        problems.update(error.fields)
    if problems:
        raise Invalid(problems)
    _name_taken(name)
    segment = Segment(name=name, spec=clean, created_by_id=actor.id)
    db.session.add(segment)
    _flush_unique()
    events.audit(actor, "segment.created", segment, after={"name": name, "spec": clean})
    return segment


def update_segment(actor: User, segment_id: Any, changes: dict[str, Any]) -> Segment:
    """Rename a saved segment or change its filters (`changes` may hold "name" and "spec"; what
    it does not hold is kept)."""
    segment = get_segment(actor, segment_id)
    before = {"name": segment.name, "spec": segment.spec}
    problems: dict[str, str] = {}
    new_name, new_spec = segment.name, segment.spec
    if "name" in changes:
        try:
            new_name = _name(changes["name"])
        except Invalid as error:
            problems.update(error.fields)
    if "spec" in changes:
        try:
            new_spec = validate_segment(changes["spec"], actor, prefix="spec.")
        except Invalid as error:
            problems.update(error.fields)
    if problems:
        raise Invalid(problems)
    _name_taken(new_name, segment.id)
    segment.name, segment.spec = new_name, new_spec
    _flush_unique()
    events.audit(actor, "segment.updated", segment, before=before,
                 after={"name": new_name, "spec": new_spec})
    return segment


def delete_segment(actor: User, segment_id: Any) -> None:
    """Forget a saved segment (announcements written with it keep their copy of its filters)."""
    segment = get_segment(actor, segment_id)
    events.audit(actor, "segment.deleted", segment,
                 before={"name": segment.name, "spec": segment.spec})
    db.session.delete(segment)
    db.session.flush()


def describe(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """The filters as (label, value) pairs for people to read (the staff pages)."""
    labels = {
        "locale": _("Language"), "active_within_days": _("Active within (days)"),
        "inactive_for_days": _("Inactive for (days)"), "roles": _("Roles"),
        "supporters_of": _("Supporters of idea"), "followers_of": _("Followers of idea"),
        "categories": _("Categories"), "engagement": _("Engagement"),
    }
    words = {"locale": LOCALE_LABELS, "roles": ROLE_LABELS, "engagement": ENGAGEMENT_LABELS}
    shown = []
    for key in KEYS:
        if key not in spec:
            continue
        value = spec[key]
        values = value if isinstance(value, list) else [value]
        named = words.get(key, {})
        text = ", ".join(str(named.get(item, item)) for item in values)
        if key in ("supporters_of", "followers_of"):
            text = f"#{value}"
        shown.append((labels[key], text))
    return shown
