"""Full-text search over ideas, on the indexes created by the migrations (0001, 0006).

SQLite: the FTS5 table `ideas_fts` (trigram tokenizer, so Japanese text matches by substring),
ranked by bm25; words of one or two characters by LIKE on title and pitch; from five letters on,
a misspelt word still finds the title or pitch holding 70% of its trigrams (candidates from the
same index), ranked below the exact matches.

PostgreSQL: the stored tsvector `ideas.search_vector` (GIN `ix_ideas_search`) holds the 'simple'
words of title, pitch and description (weights A, B, C) and every CJK character and character
pair of title and pitch. So:

- a word (three characters or more) is a word of the document; from five letters on, a typo
  still finds it through pg_trgm (`word <% title || pitch`, GIN `ix_ideas_trgm`);
- a shorter word is a word prefix ("tv" finds "TV stand");
- CJK text is found by its characters (one kanji: 傘) or character pairs (濡れた → 濡れ & れた), all
  from the index, then checked as a substring of the title or pitch.

Results are ranked (ts_rank, plus the trigram similarity of a typo); the listing orders by the
rank and takes one page before loading anything else.

User input never reaches a query syntax: FTS5 terms are quoted, tsquery lexemes are built from
word characters only or go through plainto_tsquery, so `"`, `*`, `AND(`, `NEAR`, `:*` and
friends are searched for as text instead of raising a syntax error.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, and_, bindparam, false, func, literal, literal_column, \
    or_, select, true
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.sql import column, table

from app.extensions import db
from app.models import Idea

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
TRIGRAM = 3  # the trigram tokenizer cannot match a term shorter than this
FUZZY_MIN = 5  # letters from which a misspelt word still matches (shorter: too many look-alikes)

# Written out literally (no bound parameters) so PostgreSQL's planner recognises the column and
# the expression of the trigram index.
PG_VECTOR = literal_column("ideas.search_vector")
PG_TRIGRAM_DOCUMENT = literal_column("(coalesce(ideas.title, '') || ' ' || coalesce(ideas.pitch, ''))")

_CJK_CLASS = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_WORD = re.compile(r"^\w+$")
_fts_table = table("ideas_fts", column("rowid"), column("rank"))


@dataclass(frozen=True)
class Match:
    """A search as SQL: which ideas match (`condition`) and how well (`rank`, higher first;
    None when the backend cannot rank these words)."""

    condition: ColumnElement
    rank: ColumnElement | None = None


def terms(q: str) -> list[str]:
    """The words of a query: whitespace-separated, control characters dropped, bounded."""
    cleaned = "".join(ch for ch in (q or "")[:MAX_QUERY_LENGTH] if ch.isprintable())
    return cleaned.split()[:MAX_TERMS]


def fts5_query(words: list[str]) -> str:
    """An FTS5 MATCH expression that finds rows containing every word, whatever it contains:
    each word becomes a string literal (double quotes doubled), joined by implicit AND."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def cjk_grams(word: str) -> list[str]:
    """The index lexemes that CJK text in `word` must all have: a lone character itself, a
    longer run its neighbouring pairs (the migration's kyoso_cjk_grams stores both)."""
    grams: list[str] = []
    for run in _CJK_RUN.findall(word):
        grams.extend([run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)])
    return list(dict.fromkeys(grams))


def _lexeme(value: str) -> str:
    """A tsquery lexeme literal (quoted; quotes and backslashes escaped)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like_any(word: str, *columns):
    pattern = _like_pattern(word)
    return or_(*(col.ilike(pattern, escape="\\") for col in columns))


def search(q: str) -> Match:
    """The ideas whose title, pitch or description match `q`, and their rank.

    Every word must match. An empty query matches everything (callers usually skip it).
    """
    words = terms(q)
    if not words:
        return Match(true())
    dialect = db.engine.dialect.name
    if dialect == "sqlite":
        return _sqlite_search(words)
    if dialect == "postgresql":
        return _postgres_search(words)
    return Match(and_(*(_like_any(word, Idea.title, Idea.pitch, Idea.description)
                        for word in words)))


def search_condition(q: str):
    """SQL condition on Idea: the ideas whose title, pitch or description match `q`."""
    return search(q).condition


#: The share of a misspelt word's trigrams a title or pitch must hold (SQLite's typo search).
FUZZY_SHARE = 0.7


def word_trigrams(word: str) -> list[str]:
    """The distinct three-letter pieces of a word, lower-cased ("umbrela": umb, mbr, bre, rel, ela)."""
    lowered = word.lower()
    return list(dict.fromkeys(lowered[i:i + 3] for i in range(len(lowered) - 2)))


def _sqlite_fuzzy(word: str):
    """Rows whose title or pitch hold most of a misspelt word's trigrams: the FTS5 trigram index
    finds the candidates holding any of them, then the count of those present decides."""
    grams = word_trigrams(word)
    needed = math.ceil(len(grams) * FUZZY_SHARE)
    any_gram = literal_column("ideas_fts").op("MATCH")(" OR ".join(fts5_query([g]) for g in grams))
    document = func.lower(func.coalesce(Idea.title, "") + " " + func.coalesce(Idea.pitch, ""))
    present = sum((func.instr(document, gram) > 0).cast(Integer) for gram in grams)
    return and_(Idea.id.in_(select(_fts_table.c.rowid).where(any_gram)), present >= needed)


def _fuzzy_eligible(word: str) -> bool:
    return not _CJK.search(word) and sum(ch.isalpha() for ch in word) >= FUZZY_MIN


def _sqlite_search(words: list[str]) -> Match:
    long_words = [word for word in words if len(word) >= TRIGRAM]
    short_words = [word for word in words if len(word) < TRIGRAM]
    conditions = []
    rank = None
    if long_words:
        match = literal_column("ideas_fts").op("MATCH")(fts5_query(long_words))
        for word in long_words:
            exact = Idea.id.in_(select(_fts_table.c.rowid).where(
                literal_column("ideas_fts").op("MATCH")(fts5_query([word]))))
            # A word of five letters or more may be misspelt ("umbrela" finds "umbrella").
            conditions.append(or_(exact, _sqlite_fuzzy(word)) if _fuzzy_eligible(word) else exact)
        # bm25 is negative, lower is better; the correlated lookup runs for one page of rows.
        rank = -select(_fts_table.c.rank).where(match, _fts_table.c.rowid == Idea.id) \
            .scalar_subquery()
    # Words of one or two characters (common in Japanese: 傘, 鞄) fall back to LIKE.
    conditions.extend(_like_any(word, Idea.title, Idea.pitch) for word in short_words)
    return Match(and_(*conditions) if conditions else false(), rank)


def _tsquery(text: str):
    return bindparam(None, text, type_=TSQUERY)


def _postgres_word(word: str) -> tuple[ColumnElement, ColumnElement | None, ColumnElement | None]:
    """(condition, tsquery for the rank, trigram similarity for the rank) of one word."""
    if _CJK.search(word):
        query = _tsquery(" & ".join(_lexeme(gram) for gram in cjk_grams(word)))
        # The grams find the candidates from the index; the substring check keeps the exact ones.
        return and_(PG_VECTOR.op("@@")(query), _like_any(word, Idea.title, Idea.pitch)), query, None
    if len(word) < TRIGRAM:
        lowered = word.lower()
        if not _WORD.match(lowered):
            return _like_any(word, Idea.title, Idea.pitch), None, None
        query = _tsquery(_lexeme(lowered) + ":*")
        return PG_VECTOR.op("@@")(query), query, None
    query = func.plainto_tsquery(literal_column("'simple'"), word)
    condition = PG_VECTOR.op("@@")(query)
    letters = sum(ch.isalpha() for ch in word)
    if letters < FUZZY_MIN:
        return condition, query, None
    typed = literal(word.lower())
    return (or_(condition, typed.op("<%")(PG_TRIGRAM_DOCUMENT)), query,
            func.word_similarity(typed, PG_TRIGRAM_DOCUMENT))


def _postgres_search(words: list[str]) -> Match:
    parts = [_postgres_word(word) for word in words]
    condition = and_(*(condition for condition, _query, _similarity in parts))
    queries = [query for _condition, query, _similarity in parts if query is not None]
    similarities = [similarity for *_rest, similarity in parts if similarity is not None]
    rank = literal(0.0)
    if queries:
        either = queries[0]
        for query in queries[1:]:
            either = either.op("||")(query)
        rank = func.ts_rank(PG_VECTOR, either)
    for similarity in similarities:
        rank = rank + similarity * 0.1  # a typo ranks below the exact word
    return Match(condition, rank)
