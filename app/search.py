"""Full-text search over ideas, on the indexes created by migrations/versions/0001_core.py.

SQLite: the FTS5 table `ideas_fts` (trigram tokenizer, so Japanese text matches by substring).
PostgreSQL: the GIN expression index `ix_ideas_fts` (to_tsvector('simple', ...)) for words, and
ILIKE on title and pitch for short words and CJK text, which the 'simple' parser cannot split.

User input never reaches the FTS syntax: every term is quoted, so `"`, `*`, `AND(`, `NEAR` and
friends are searched for as text instead of raising a syntax error.
"""
from __future__ import annotations

import re

from sqlalchemy import and_, false, func, literal_column, or_, select, true
from sqlalchemy.sql import column, table

from app.extensions import db
from app.models import Idea

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
TRIGRAM = 3  # the trigram tokenizer cannot match a term shorter than this

# The exact expression of the GIN index ix_ideas_fts: written out literally (no bound
# parameters) so PostgreSQL's planner recognises it and uses the index.
PG_DOCUMENT = literal_column(
    "to_tsvector('simple', coalesce(ideas.title, '') || ' ' || coalesce(ideas.pitch, '') "
    "|| ' ' || coalesce(ideas.description, ''))")

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af]")
_fts_table = table("ideas_fts", column("rowid"))


def terms(q: str) -> list[str]:
    """The words of a query: whitespace-separated, control characters dropped, bounded."""
    cleaned = "".join(ch for ch in (q or "")[:MAX_QUERY_LENGTH] if ch.isprintable())
    return cleaned.split()[:MAX_TERMS]


def fts5_query(words: list[str]) -> str:
    """An FTS5 MATCH expression that finds rows containing every word, whatever it contains:
    each word becomes a string literal (double quotes doubled), joined by implicit AND."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like_any(word: str, *columns):
    pattern = _like_pattern(word)
    return or_(*(col.ilike(pattern, escape="\\") for col in columns))


def search_condition(q: str):
    """SQL condition on Idea: the ideas whose title, pitch or description match `q`.

    Every word must match. An empty query matches everything (callers usually skip it).
    """
    words = terms(q)
    if not words:
        return true()
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return _sqlite_condition(words)
    if dialect == "postgresql":
        return _postgres_condition(words)
    return and_(*(_like_any(word, Idea.title, Idea.pitch, Idea.description) for word in words))


def _sqlite_condition(words: list[str]):
    long_words = [word for word in words if len(word) >= TRIGRAM]
    short_words = [word for word in words if len(word) < TRIGRAM]
    conditions = []
    if long_words:
        match = literal_column("ideas_fts").op("MATCH")(fts5_query(long_words))
        conditions.append(Idea.id.in_(select(_fts_table.c.rowid).where(match)))
    # Words of one or two characters (common in Japanese: 傘, 鞄) fall back to LIKE.
    conditions.extend(_like_any(word, Idea.title, Idea.pitch) for word in short_words)
    return and_(*conditions) if conditions else false()


def _postgres_condition(words: list[str]):
    # Words the 'simple' parser can match go to the GIN index in one tsquery; the others (one or
    # two characters, or Japanese/CJK text, which 'simple' keeps as one token per sentence) are
    # found as substrings of the title and pitch. Every word must match.
    indexed = [word for word in words if len(word) >= TRIGRAM and not _CJK.search(word)]
    substrings = [word for word in words if word not in indexed]
    conditions = []
    if indexed:
        conditions.append(PG_DOCUMENT.op("@@")(
            func.plainto_tsquery(literal_column("'simple'"), " ".join(indexed))))
    conditions.extend(_like_any(word, Idea.title, Idea.pitch) for word in substrings)
    return and_(*conditions)
