"""Resonance: does the idea's core fit the supporters' own lives?

A supporter may answer "this is me too" / "someone I know" / "not me, but I like it" and describe
their own situation in a sentence (app.services.supports). The answers are kept as counts in
`idea_resonance` (changed with each support and withdrawal, in the same transaction; never
counted per view). The situations are grouped by similarity in the job
`insight.group_situations`, queued after a commit that added or removed one: TF-IDF over
character n-grams (2-4, within word boundaries) of the NFKC-normalised, case-folded text, which
treats Japanese (no spaces between words) and English alike, then agglomerative clustering on
cosine distance. The groups are kept with the count of situations they were computed for; a
reader gets them in the same one query as the counts.
"""
from __future__ import annotations

import logging
import unicodedata
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app import jobs
from app.extensions import db
from app.models import IdeaResonance, Support
from app.models.base import utcnow
from app.models.insight import RESONANCES

log = logging.getLogger(__name__)

SITUATION_MAX = 300
#: The latest situations grouped (bounds the job's memory: a square matrix of this side).
GROUPED_MAX = 600
#: Cosine distance under which two situations join a group (average linkage).
GROUP_DISTANCE = 0.72
GROUPS_SHOWN = 8
EXAMPLES_PER_GROUP = 3


def _insert():
    return (pg_insert if db.session.get_bind().dialect.name == "postgresql"
            else sqlite_insert)(IdeaResonance)


def count(idea_id: int, resonance: str | None, situation: str | None, delta: int) -> None:
    """Add (delta 1) or remove (delta -1) one supporter's answers to the kept counts, and queue
    the grouping when a situation came or went."""
    if resonance not in RESONANCES and not situation:
        return
    values: dict[str, Any] = {}
    if resonance in RESONANCES:
        values[resonance] = getattr(IdeaResonance, resonance) + delta
    if situation:
        values["situations"] = IdeaResonance.situations + delta
    start = {"idea_id": idea_id, **{answer: 0 for answer in RESONANCES}, "situations": 0,
             "grouped_situations": 0}
    db.session.execute(_insert().values(**start).on_conflict_do_nothing(
        index_elements=["idea_id"]))
    db.session.execute(update(IdeaResonance).where(IdeaResonance.idea_id == idea_id)
                       .values(**values))
    if situation:
        jobs.enqueue("insight.group_situations", idea_id=idea_id)


def recount(idea_id: int) -> None:
    """Set the kept counts from the idea's supports (after a merge moved supporters: rare, so
    counted once there), and queue the grouping of its situations."""
    counts = dict.fromkeys(RESONANCES, 0)
    for answer, n in db.session.execute(
            select(Support.resonance, func.count()).where(Support.idea_id == idea_id,
                                                          Support.resonance.in_(RESONANCES))
            .group_by(Support.resonance)):
        counts[answer] = n
    situations = db.session.scalar(select(func.count()).select_from(Support).where(
        Support.idea_id == idea_id, Support.my_situation.is_not(None),
        Support.my_situation != "")) or 0
    values = {**counts, "situations": situations}
    stale = {**values, "grouped_situations": -1}  # regrouped by the job, shown until then
    db.session.execute(_insert().values(idea_id=idea_id, **stale)
                       .on_conflict_do_update(index_elements=["idea_id"], set_=stale))
    jobs.enqueue("insight.group_situations", idea_id=idea_id)


def kept(idea_id: int) -> IdeaResonance | None:
    return db.session.get(IdeaResonance, idea_id)


def summary(row: IdeaResonance | None) -> dict[str, Any]:
    """The API's resonance: {counts: {me_too, someone_i_know, not_me}, groups: [...]}."""
    counts = row.counts if row is not None else dict.fromkeys(RESONANCES, 0)
    groups = (row.groups or []) if row is not None else []
    return {"counts": counts, "groups": groups[:GROUPS_SHOWN],
            "situations": row.situations if row is not None else 0}


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def group(situations: list[str]) -> list[dict[str, Any]]:
    """Group situations by similarity: [{label, size, examples}], largest first. The label is
    the situation nearest its group's centre."""
    texts = [s for s in situations if s and s.strip()]
    if not texts:
        return []
    if len(texts) == 1:
        return [{"label": texts[0], "size": 1, "examples": texts[:1]}]
    import numpy as np
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), preprocessor=_normalise,
                             sublinear_tf=True).fit_transform(texts)
    # The rows are L2-normalised: cosine distance is 1 - the dot product, computed on the sparse
    # matrix (a GROUPED_MAX square, never a dense document x n-gram matrix).
    distances = np.clip(1.0 - (matrix @ matrix.T).toarray(), 0.0, None)
    np.fill_diagonal(distances, 0.0)
    labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                     distance_threshold=GROUP_DISTANCE
                                     ).fit_predict(distances)
    groups = []
    for label in set(labels):
        members = [i for i, found in enumerate(labels) if found == label]
        rows = matrix[members]
        centre = np.asarray(rows.mean(axis=0))
        nearest = members[int(np.argmax(rows @ centre.T))]
        examples = [texts[nearest]] + [texts[i] for i in members if i != nearest]
        groups.append({"label": texts[nearest], "size": len(members),
                       "examples": examples[:EXAMPLES_PER_GROUP]})
    groups.sort(key=lambda g: (-g["size"], g["label"]))
    return groups


@jobs.job("insight.group_situations")
def group_situations(idea_id: int) -> int:
    """Regroup an idea's latest situations when they changed since the last grouping
    (idempotent: a second run for the same situations does nothing); returns how many were
    grouped."""
    row = db.session.get(IdeaResonance, idea_id)
    if row is None or (row.grouped_situations == row.situations and row.groups is not None):
        db.session.rollback()
        return 0
    target = row.situations
    situations = list(db.session.scalars(
        select(Support.my_situation).where(Support.idea_id == idea_id,
                                           Support.my_situation.is_not(None),
                                           Support.my_situation != "")
        .order_by(Support.created_at.desc(), Support.id.desc()).limit(GROUPED_MAX)))
    groups = group(situations)
    db.session.execute(update(IdeaResonance).where(IdeaResonance.idea_id == idea_id).values(
        groups=groups, grouped_situations=target, grouped_at=utcnow()))
    db.session.commit()
    return len(situations)
