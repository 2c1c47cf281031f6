"""INSERT ... ON CONFLICT statements that SQLAlchemy compiles once, not per execution.

SQLAlchemy 2.0 never caches the compiled form of its PostgreSQL and SQLite `insert()` (their
ON CONFLICT clause has no cache key: `inherit_cache = False`), so every upsert on a hot path
was compiled again, about a millisecond each; a support runs four of them. The same statement
written once as `text()` with typed bind parameters is cached like any other, and its SQL is the
same on both databases (PostgreSQL 9.5+, SQLite 3.35+ for RETURNING).

    upsert(IdeaFollow, ("idea_id", "user_id", "created_at"), conflict=("idea_id", "user_id"),
           returning=("id",))

builds (once per arguments) `INSERT INTO idea_follows (idea_id, user_id, created_at) VALUES
(:idea_id, :user_id, :created_at) ON CONFLICT (idea_id, user_id) DO NOTHING RETURNING id`;
`update={"supports": "idea_support_days.supports + 1"}` makes it DO UPDATE SET. Execute it with
the values as parameters: `db.session.execute(stmt, {...})`.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, bindparam, text


@lru_cache(maxsize=256)
def _statement(table: Any, columns: tuple[str, ...], conflict: tuple[str, ...],
               update: tuple[tuple[str, str], ...], returning: tuple[str, ...]) -> TextClause:
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join(':' + name for name in columns)}) "
           f"ON CONFLICT ({', '.join(conflict)}) ")
    sql += ("DO UPDATE SET " + ", ".join(f"{name} = {expression}" for name, expression in update)
            if update else "DO NOTHING")
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    stmt = text(sql).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))
    if returning:
        stmt = stmt.columns(*(table.c[name] for name in returning))
    return stmt


def upsert(model: Any, columns: tuple[str, ...], *, conflict: tuple[str, ...],
           update: dict[str, str] | None = None, returning: tuple[str, ...] = ()) -> TextClause:
    """The statement (built once per arguments); `update` values are SQL expressions over the
    table's existing row (qualified by the table's name) and bind parameters of `columns`."""
    table = getattr(model, "__table__", model)
    return _statement(table, tuple(columns), tuple(conflict),
                      tuple((update or {}).items()), tuple(returning))
