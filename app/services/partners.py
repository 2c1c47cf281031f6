"""The partner pool (issue 15): members ranked for a purpose (a category, an idea, a campaign)
by measured dimensions, each explained on the staff page.

Nothing here scans the members per request: the job `partners.refresh` (scheduled hourly)
computes every active member's scores in keyset batches of PARTNER_REFRESH_BATCH into
partner_scores and partner_categories; the pool reads a page of those by keyset
(score, user_id). Members who turned personalisation off or have no marketing consent (they did
not agree to be contacted: app.services.consents) are never listed, nor blocked or deleted ones,
not even in the selection being built.

The formulas (also on the page, FORMULAS):
- engagement: over the last 180 days, each idea published counts 5, each session attended 4,
  each comment 2, each support 1, multiplied by 4 in the last 30 days, by 2 from 31 to 90 days,
  by 1 from 91 to 180 days (time decay).
- clarity (0-100): the share of answered parts of their ideas' insight (situation, emotion,
  purpose; a part counts when it has at least 20 characters) and of their support reasons that
  say something (at least 40 characters), over all the parts and reasons they could have written.
- influence: the supports their ideas gathered, plus 2 per follower of their ideas, plus 5 per
  person they brought with their share links (signed up or supported through them, each person
  once: member_counters.brought_count).
- rank: engagement + influence / 5 + clarity / 10 (rounded down).
- diversity: languages, categories and activity levels of the selection being built; each
  listed member's note says what they would add to it.
"""
from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, delete, func, or_, select

from app import jobs, permissions
from app.errors import Invalid, Malformed
from app.extensions import db
from app.i18n import _
from app.models import (Campaign, Category, Comment, Idea, IdeaFollow, MemberCounter,
                        PartnerCategory, PartnerScore, SessionInvitation, Support, User)
from app.models.base import is_row_id, utcnow
from app.permissions import Action

WINDOW_DAYS = 180
#: (days, multiplier): the time decay of engagement.
DECAY = ((30, 4), (90, 2), (180, 1))
WEIGHTS = {"ideas": 5, "sessions": 4, "comments": 2, "supports": 1}
INSIGHT_PART_MIN = 20
REASON_MIN = 40
HIGH_ENGAGEMENT = 40
MEDIUM_ENGAGEMENT = 10
LEVELS = ("low", "medium", "high")
PER_PAGE_MAX = 100
TOTAL_CAP = 10_000
SELECTION_MAX = 200


def _may_be_listed():
    """Members the pool may list (SQL over User): not blocked nor deleted, personalisation on
    (their behaviour may be used) and marketing consent on (they agreed to be contacted).
    Read per request, so a member who turns either off leaves the pool at once."""
    from app.services.consents import marketing_condition, personalisation_condition

    return and_(User.blocked_at.is_(None), User.deleted_at.is_(None),
                personalisation_condition(), marketing_condition())


def _brought_counts(user_ids: list[int]) -> dict[int, int]:
    """People each member brought with their share links: signed up or supported through them,
    each person once (the kept member_counters.brought_count, app.services.referrals)."""
    return dict(db.session.execute(
        select(MemberCounter.user_id, MemberCounter.brought_count)
        .where(MemberCounter.user_id.in_(user_ids), MemberCounter.brought_count > 0)).all())


# --- the job -------------------------------------------------------------------------------------

def _decayed(column, now):
    """SUM of the time-decay multiplier of each row's moment (0 outside the window)."""
    whens = [(column >= now - timedelta(days=days), factor) for days, factor in DECAY]
    return func.coalesce(func.sum(case(*whens, else_=0)), 0)


def _grouped(stmt) -> dict[int, Any]:
    return {row[0]: row[1:] for row in db.session.execute(stmt).all()}


def compute_batch(user_ids: list[int], now=None) -> list[PartnerScore]:
    """Compute and store the scores of these members (a fixed number of grouped queries)."""
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    ideas = _grouped(select(Idea.owner_id, _decayed(Idea.published_at, now), func.count())
                     .where(Idea.owner_id.in_(user_ids), Idea.published_at >= since)
                     .group_by(Idea.owner_id))
    supports = _grouped(select(Support.user_id, _decayed(Support.created_at, now),
                               func.count(Support.reason),
                               func.sum(case((func.length(Support.reason) >= REASON_MIN, 1),
                                             else_=0)))
                        .where(Support.user_id.in_(user_ids), Support.created_at >= since)
                        .group_by(Support.user_id))
    comments = _grouped(select(Comment.author_id, _decayed(Comment.created_at, now))
                        .where(Comment.author_id.in_(user_ids), Comment.created_at >= since,
                               Comment.hidden.is_(False))
                        .group_by(Comment.author_id))
    sessions = _grouped(select(SessionInvitation.user_id,
                               _decayed(SessionInvitation.attended_at, now))
                        .where(SessionInvitation.user_id.in_(user_ids),
                               SessionInvitation.attended_at >= since)
                        .group_by(SessionInvitation.user_id))
    parts = sum(case((func.length(column) >= INSIGHT_PART_MIN, 1), else_=0)
                for column in (Idea.insight_situation, Idea.insight_emotion, Idea.insight_purpose))
    insight = _grouped(select(Idea.owner_id, func.count(), func.sum(parts),
                              func.coalesce(func.sum(Idea.support_count), 0))
                       .where(Idea.owner_id.in_(user_ids), Idea.published_at.is_not(None))
                       .group_by(Idea.owner_id))
    followers = _grouped(select(Idea.owner_id, func.count(IdeaFollow.id))
                         .join(IdeaFollow, IdeaFollow.idea_id == Idea.id)
                         .where(Idea.owner_id.in_(user_ids)).group_by(Idea.owner_id))
    brought = _brought_counts(user_ids)
    category_rows = _category_activity(user_ids, since)
    users = dict(db.session.execute(select(User.id, User.locale).where(User.id.in_(user_ids))).all())
    scores = []
    for user_id in user_ids:
        idea_points, idea_count = ideas.get(user_id, (0, 0))
        support_points, reasons, good_reasons = supports.get(user_id, (0, 0, 0))
        comment_points, = comments.get(user_id, (0,))
        session_points, = sessions.get(user_id, (0,))
        engagement = int(WEIGHTS["ideas"] * idea_points + WEIGHTS["supports"] * support_points
                         + WEIGHTS["comments"] * comment_points
                         + WEIGHTS["sessions"] * session_points)
        own_ideas, good_parts, gathered = insight.get(user_id, (0, 0, 0))
        possible = 3 * int(own_ideas) + int(reasons or 0)
        clarity = (100 * (int(good_parts or 0) + int(good_reasons or 0))) // possible \
            if possible else 0
        follower_count, = followers.get(user_id, (0,))
        influence = int(gathered or 0) + 2 * int(follower_count) + 5 * brought.get(user_id, 0)
        if engagement == 0 and influence == 0 and possible == 0:
            continue  # nothing to rank them on: no row
        level = "high" if engagement >= HIGH_ENGAGEMENT else \
            "medium" if engagement >= MEDIUM_ENGAGEMENT else "low"
        scores.append(PartnerScore(
            user_id=user_id, engagement=engagement, clarity=clarity, influence=influence,
            score=engagement + influence // 5 + clarity // 10, activity_level=level,
            locale=(users.get(user_id) or "en")[:8], computed_at=now, details={
                "ideas": int(idea_count), "supports_with_reason": int(reasons or 0),
                "followers": int(follower_count), "supports_gathered": int(gathered or 0),
                "brought": brought.get(user_id, 0)}))
    db.session.execute(delete(PartnerCategory).where(PartnerCategory.user_id.in_(user_ids)))
    db.session.execute(delete(PartnerScore).where(PartnerScore.user_id.in_(user_ids)))
    db.session.add_all(scores)
    ranked = {row.user_id: row.score for row in scores}
    for (user_id, category_id), activity in category_rows.items():
        if user_id in ranked:
            db.session.add(PartnerCategory(user_id=user_id, category_id=category_id,
                                           activity=activity, score=ranked[user_id]))
    db.session.flush()
    return scores


def _category_activity(user_ids: list[int], since) -> dict[tuple[int, int], int]:
    """{(user_id, category_id): ideas + supports + comments} over the window."""
    totals: Counter = Counter()
    queries = (
        select(Idea.owner_id, Idea.category_id, func.count())
        .where(Idea.owner_id.in_(user_ids), Idea.published_at >= since,
               Idea.category_id.is_not(None)).group_by(Idea.owner_id, Idea.category_id),
        select(Support.user_id, Idea.category_id, func.count()).join(Idea, Idea.id == Support.idea_id)
        .where(Support.user_id.in_(user_ids), Support.created_at >= since,
               Idea.category_id.is_not(None)).group_by(Support.user_id, Idea.category_id),
        select(Comment.author_id, Idea.category_id, func.count()).join(Idea, Idea.id == Comment.idea_id)
        .where(Comment.author_id.in_(user_ids), Comment.created_at >= since,
               Idea.category_id.is_not(None)).group_by(Comment.author_id, Idea.category_id),
    )
    for stmt in queries:
        for user_id, category_id, count in db.session.execute(stmt).all():
            totals[(user_id, category_id)] += count
    return dict(totals)


def refresh(batch: int | None = None) -> int:
    """Recompute every member's scores, one keyset batch of user ids per transaction (never all
    members in memory). Idempotent: a batch replaces its members' rows. Returns rows written."""
    size = batch or int(current_app.config["PARTNER_REFRESH_BATCH"])
    last_id = 0
    written = 0
    now = utcnow()
    while True:
        ids = list(db.session.scalars(select(User.id).where(User.id > last_id,
                                                            User.blocked_at.is_(None))
                                      .order_by(User.id).limit(size)))
        if not ids:
            break
        last_id = ids[-1]
        written += len(compute_batch(ids, now))
        db.session.commit()
    return written


@jobs.job("partners.refresh")
def refresh_job() -> int:
    return refresh()


# --- reading the pool ----------------------------------------------------------------------------

@dataclass
class Purpose:
    category: Category | None = None
    idea: Idea | None = None
    campaign_id: int | None = None


def purpose_for(viewer: User, category: str | None = None, idea_id: Any = None,
                campaign_id: Any = None) -> Purpose:
    """What the pool is for: a category (slug), an idea (its category) or a campaign (its
    category). 422 for an unknown category, 404 for no such idea."""
    purpose = Purpose()
    if idea_id not in (None, ""):
        idea_id = _int_arg(idea_id, "idea_id")
        idea = db.session.get(Idea, idea_id)
        if idea is None or not permissions.may_view_idea(viewer, idea):
            raise Invalid({"idea_id": _("No such idea.")}, code="idea_not_found")
        purpose.idea = idea
        purpose.category = idea.category
    if campaign_id not in (None, ""):
        purpose.campaign_id = _int_arg(campaign_id, "campaign_id")
        campaign = db.session.get(Campaign, purpose.campaign_id)
        if campaign is None:
            raise Invalid({"campaign_id": _("No such campaign.")}, code="campaign_not_found")
        if purpose.category is None and campaign.category_id:
            purpose.category = db.session.get(Category, campaign.category_id)
    if category not in (None, ""):
        found = db.session.scalar(select(Category).where(Category.slug == category))
        if found is None:
            raise Invalid({"category": _("No such category.")})
        purpose.category = found
    return purpose


def _int_arg(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid({name: _("The id of an existing row.")}) from None
    if not is_row_id(number):
        raise Invalid({name: _("The id of an existing row.")})
    return number


def encode_cursor(score: int, user_id: int) -> str:
    return base64.urlsafe_b64encode(f"{score}:{user_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        score, user_id = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
        return int(score), int(user_id)
    except (ValueError, UnicodeError):
        raise Malformed("bad_cursor", "`after` must be the `next` cursor of the previous page.") \
            from None


def parse_selection(value: Any) -> list[int]:
    """The selection being built: "3,8,21" (or a list) -> ids, at most SELECTION_MAX."""
    if value in (None, ""):
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    ids = []
    for item in items:
        try:
            number = int(str(item).strip())
        except ValueError:
            raise Invalid({"selected": _("Member ids separated by commas.")}) from None
        if is_row_id(number) and number not in ids:
            ids.append(number)
    return ids[:SELECTION_MAX]


@dataclass
class PoolPage:
    rows: list[PartnerScore]
    categories: dict[int, list[int]]
    names: dict[int, str]
    next_cursor: str | None
    total: int
    total_capped: bool
    selection: dict[str, Any]
    notes: dict[int, str]


def _listable():
    return and_(User.id == PartnerScore.user_id, _may_be_listed())


def pool(viewer: User, purpose: Purpose, *, after: str | None = None, per_page: int = 25,
         selected: Iterable[int] = ()) -> PoolPage:
    """A page of the pool, best first, in a fixed number of queries whatever its size."""
    permissions.require(viewer, Action.VIEW_PARTNERS)
    stmt = select(PartnerScore).join(User, _listable())
    score_col, user_col = PartnerScore.score, PartnerScore.user_id
    if purpose.category is not None:
        stmt = stmt.join(PartnerCategory, and_(PartnerCategory.user_id == PartnerScore.user_id,
                                               PartnerCategory.category_id == purpose.category.id))
        score_col, user_col = PartnerCategory.score, PartnerCategory.user_id
    total_stmt = select(func.count()).select_from(stmt.with_only_columns(
        PartnerScore.user_id).limit(TOTAL_CAP + 1).subquery())
    total = db.session.scalar(total_stmt) or 0
    if after:
        score, user_id = decode_cursor(after)
        stmt = stmt.where(or_(score_col < score, and_(score_col == score, user_col < user_id)))
    rows = list(db.session.scalars(stmt.order_by(score_col.desc(), user_col.desc())
                                   .limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    ids = [row.user_id for row in rows]
    selected = [i for i in selected]
    everyone = list(dict.fromkeys(ids + selected))
    categories: dict[int, list[int]] = {}
    for user_id, category_id in db.session.execute(
            select(PartnerCategory.user_id, PartnerCategory.category_id)
            .where(PartnerCategory.user_id.in_(everyone or [-1]))
            .order_by(PartnerCategory.user_id, PartnerCategory.activity.desc())).all():
        categories.setdefault(user_id, []).append(category_id)
    people = {uid: (name, locale) for uid, name, locale in db.session.execute(
        select(User.id, User.display_name, User.locale).where(User.id.in_(everyone or [-1]),
                                                              _may_be_listed()))}
    levels = dict(db.session.execute(select(PartnerScore.user_id, PartnerScore.activity_level)
                                     .where(PartnerScore.user_id.in_(selected or [-1]))).all())
    selection = _selection(selected, people, categories, levels)
    category_names = _category_names()
    notes = {row.user_id: diversity_note(row, categories.get(row.user_id, []), selection,
                                         category_names) for row in rows}
    return PoolPage(rows, categories, {uid: value[0] for uid, value in people.items()},
                    encode_cursor(rows[-1].score if purpose.category is None
                                  else rows[-1].score, rows[-1].user_id) if more else None,
                    min(total, TOTAL_CAP), total > TOTAL_CAP, selection, notes)


def _category_names() -> dict[int, str]:
    from flask_babel import get_locale

    japanese = str(get_locale() or "en") == "ja"
    return {c.id: (c.name_ja or c.name) if japanese else c.name
            for c in db.session.scalars(select(Category))}


def _selection(selected: list[int], people: dict, categories: dict, levels: dict
               ) -> dict[str, Any]:
    """The selection's spread: how many per language, category and activity level."""
    languages = Counter((people.get(uid, ("", None))[1] or "en") for uid in selected
                        if uid in people)
    spread = Counter(category for uid in selected for category in categories.get(uid, [])[:3])
    level_counts = Counter(levels.get(uid, "low") for uid in selected if uid in people)
    return {"ids": [uid for uid in selected if uid in people], "languages": dict(languages),
            "categories": dict(spread), "levels": {level: level_counts.get(level, 0)
                                                   for level in LEVELS},
            "names": {uid: people[uid][0] for uid in selected if uid in people}}


LANGUAGE_NAMES = {"en": "English", "ja": "日本語"}


def diversity_note(row: PartnerScore, row_categories: list[int], selection: dict[str, Any],
                   category_names: dict[int, str]) -> str:
    """What this member would add to the selection: a language, categories or an activity
    level it does not have yet (or that it adds nothing new)."""
    if row.user_id in selection["ids"]:
        return _("In the selection.")
    parts = []
    if row.locale not in selection["languages"]:
        parts.append(_("a new language (%(language)s)",
                       language=LANGUAGE_NAMES.get(row.locale, row.locale)))
    new = [category_names.get(c, str(c)) for c in row_categories[:3]
           if c not in selection["categories"]]
    if new:
        parts.append(_("new categories (%(names)s)", names=", ".join(new)))
    if not selection["levels"].get(row.activity_level):
        parts.append(_("a new activity level (%(level)s)", level=level_label(row.activity_level)))
    if not parts:
        return _("Adds nothing new to the selection's spread.")
    return _("Adds %(parts)s.", parts="; ".join(parts))


def level_label(level: str) -> str:
    return {"low": _("low"), "medium": _("medium"), "high": _("high")}.get(level, level)


def diversity_summary(selection: dict[str, Any]) -> list[str]:
    """Sentences on the selection's spread for the page (warnings where it is narrow)."""
    count = len(selection["ids"])
    if not count:
        return []
    lines = []
    if len(selection["languages"]) == 1:
        lines.append(_("Everyone selected reads the site in one language: consider adding "
                       "members who use another."))
    if len(selection["categories"]) <= 1 and count > 1:
        lines.append(_("The selection is active in at most one category."))
    if sum(1 for value in selection["levels"].values() if value) == 1 and count > 1:
        lines.append(_("Everyone selected has the same activity level: newer or quieter "
                       "members bring other views."))
    return lines
