"""The public numbers the pages show, rolled up instead of counted on every view.

| number                        | kept how                                                   |
|-------------------------------|------------------------------------------------------------|
| ideas shared (listed ideas)   | rolled up into site_stats by refresh_site_stats()          |
| supporters (distinct members) | rolled up (count DISTINCT over every support: seconds at   |
|                               | ten million supports, never per request)                   |
| products made                 | rolled up                                                  |
| popular tags (listed ideas    | rolled up into tags.listed_count                           |
| per tag)                      |                                                            |
| an idea's supporters          | exact: idea_counters.support_count, updated with each      |
|                               | support; the listings' copy on ideas ≤ 1 min behind        |
|                               | (app.services.counters)                                    |

refresh_site_stats() is the job: `flask ideas stats`, to be scheduled every 5 minutes, so the
figures are at most a few minutes old. site_stats() reads them in one query, and counts them
itself when they are missing or older than SITE_STATS_MAX_AGE (no scheduler running yet).
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.models import Idea, Product, SiteStat, Support, Tag, idea_tags
from app.models.base import utcnow
from app.queries import listed_condition

KEYS = ("ideas", "supporters", "products")


def count_site_stats() -> dict[str, int]:
    """The public numbers, counted now (the expensive part of the job)."""
    row = db.session.execute(select(
        select(func.count()).select_from(Idea).where(listed_condition()).scalar_subquery(),
        select(func.count(func.distinct(Support.user_id))).scalar_subquery(),
        select(func.count()).select_from(Product).scalar_subquery(),
    )).one()
    return dict(zip(KEYS, (value or 0 for value in row)))


def refresh_tag_counts() -> None:
    """tags.listed_count: how many listed ideas carry each tag."""
    listed = (select(func.count()).select_from(idea_tags)
              .join(Idea, Idea.id == idea_tags.c.idea_id)
              .where(idea_tags.c.tag_id == Tag.id, listed_condition()).scalar_subquery())
    db.session.execute(update(Tag).values(listed_count=listed)
                       .execution_options(synchronize_session=False))


def refresh_site_stats() -> dict[str, int]:
    """Count the public numbers and the tag counts again and store them (commits: a job of its
    own, safe to run twice at once). Returns the numbers."""
    values = count_site_stats()
    now = utcnow()
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SiteStat).values([{"key": key, "value": value, "updated_at": now}
                                    for key, value in values.items()])
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[SiteStat.key],
        set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at}))
    refresh_tag_counts()
    db.session.commit()
    return values


def run_refresh_site_stats(**_kwargs) -> None:
    """The scheduled job (every 5 minutes), in the job engine's calling convention."""
    refresh_site_stats()


def site_stats() -> dict[str, int]:
    """The rolled-up numbers: one query; counted inline only when missing or too old."""
    rows = db.session.execute(select(SiteStat.key, SiteStat.value, SiteStat.updated_at)
                              .where(SiteStat.key.in_(KEYS))).all()
    values = {key: value for key, value, _updated in rows}
    max_age = timedelta(seconds=current_app.config["SITE_STATS_MAX_AGE"])
    if len(values) < len(KEYS) or min(updated for *_kv, updated in rows) < utcnow() - max_age:
        return refresh_site_stats()
    return values
