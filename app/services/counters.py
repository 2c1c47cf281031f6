"""An idea's support count and trending score: exact on a narrow row, rolled up onto the idea.

| number                               | where, how exact                                          |
|--------------------------------------|-----------------------------------------------------------|
| supporters of an idea (idea page,    | exact: `idea_counters.support_count`, written in the      |
| API idea and support answers,        | support's transaction (one upsert, a HOT update: the      |
| milestone checks)                    | table has no secondary index)                             |
| trending score as of the last        | `idea_counters.trending_score`: + the fresh weight on     |
| support                              | each support, decayed hourly by refresh_trending()        |
| listings' sort keys and card counts  | `ideas.support_count` / `ideas.trending_score`: rolled up |
| (`/ideas`, home shelves, API lists)  | from idea_counters by `ideas.roll_up_counters` every      |
|                                      | minute (≤ 1 min behind); written at once whenever the     |
|                                      | ideas row is written anyway (a milestone, a merge)        |

An idea without a counter row (never supported since the table exists) has its exact numbers on
the ideas row. Past the support phase (qualified and later) no support changes, so the ideas row
is exact for every idea in review.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from app import jobs
from app.extensions import db
from app.models import Idea, IdeaCounter
from app.upserts import upsert


def _insert():
    return (pg_insert if db.session.get_bind().dialect.name == "postgresql"
            else sqlite_insert)(IdeaCounter)


def bump(idea: Idea, supporters: int, trending: int | None = None) -> tuple[int, int]:
    """Add `supporters` (+1 / -1) to the idea's exact count and `trending` to its score (or set
    the score to `trending` when supporters < 0: a withdrawal recomputes it); one statement.
    Call with the idea's row locked. Returns the new (count, trending score) and shows them on
    `idea` without making the wide row dirty."""
    start_score = (idea.trending_score + (trending or 0)) if supporters > 0 else trending
    stmt = upsert(IdeaCounter, ("idea_id", "support_count", "trending_score", "changes"),
                  conflict=("idea_id",), update={
                      "support_count": "idea_counters.support_count + :supporters",
                      "trending_score": "idea_counters.trending_score + :trending"
                      if supporters > 0 else ":trending",
                      "changes": "idea_counters.changes + 1"},
                  returning=("support_count", "trending_score"))
    count, score = db.session.execute(stmt, {
        "idea_id": idea.id, "support_count": idea.support_count + supporters,
        "trending_score": start_score, "changes": 1, "supporters": supporters,
        "trending": (trending or 0) if supporters > 0 else trending}).one()
    set_committed_value(idea, "support_count", count)
    set_committed_value(idea, "trending_score", score)
    return count, score


def put(idea: Idea, support_count: int) -> None:
    """Set the exact count (a merge moved supporters); the caller writes the ideas row too."""
    counter = IdeaCounter.__table__.c
    stmt = _insert().values(idea_id=idea.id, support_count=support_count,
                            trending_score=idea.trending_score, changes=1)
    db.session.execute(stmt.on_conflict_do_update(
        index_elements=[counter.idea_id],
        set_={"support_count": support_count, "changes": counter.changes + 1}))


def exact_counts(ideas: Iterable[Idea]) -> dict[int, int]:
    """The exact support count of each idea, in one query (the idea page, the API)."""
    ideas = list(ideas)
    if not ideas:
        return {}
    kept = dict(db.session.execute(
        select(IdeaCounter.idea_id, IdeaCounter.support_count)
        .where(IdeaCounter.idea_id.in_([idea.id for idea in ideas]))).all())
    return {idea.id: kept.get(idea.id, idea.support_count) for idea in ideas}


def show_exact(idea: Idea) -> int:
    """Put the exact count on the loaded idea (not written back) and return it."""
    count = exact_counts([idea])[idea.id]
    set_committed_value(idea, "support_count", count)
    return count


def roll_up() -> int:
    """Copy the exact numbers onto the ideas rows that differ (the listings' sort keys); one
    statement. Returns how many ideas changed."""
    table, counter = Idea.__table__, IdeaCounter.__table__
    return db.session.execute(
        update(table).where(table.c.id == counter.c.idea_id,
                            or_(table.c.support_count != counter.c.support_count,
                                table.c.trending_score != counter.c.trending_score))
        .values(support_count=counter.c.support_count,
                trending_score=counter.c.trending_score, updated_at=table.c.updated_at)
    ).rowcount


def sync_trending_from_ideas() -> int:
    """After refresh_trending() set the decayed scores on the ideas rows: the same on the
    counters (the rollup copies them back otherwise)."""
    table, counter = Idea.__table__, IdeaCounter.__table__
    return db.session.execute(
        update(counter).where(counter.c.idea_id == table.c.id,
                              counter.c.trending_score != table.c.trending_score)
        .values(trending_score=table.c.trending_score)).rowcount


@jobs.job("ideas.roll_up_counters")
def run_roll_up() -> int:
    """The scheduled job (every minute)."""
    changed = roll_up()
    db.session.commit()
    return changed
