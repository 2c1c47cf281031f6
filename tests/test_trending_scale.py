"""refresh_trending() at the size where a list of ids no longer fits in one statement: more
than 65,535 ideas supported in the week (psycopg's limit of bound parameters)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from app.models import Idea
from app.models.base import utcnow
from app.services import milestones
from tests import factories as f

IDEAS = 70_000


@pytest.mark.postgres_only
def test_refresh_trending_with_70_000_ideas_supported_this_week(db):
    owner, supporter = f.user(), f.user()
    category = f.idea(owner).category_id
    now = utcnow()
    # Generated in the database: 70,000 published ideas, each supported once (a day ago) by the
    # same member, and one stale idea whose score must fall to zero.
    db.session.execute(text("""
        INSERT INTO ideas (owner_id, title, pitch, description, category_id, insight_situation,
                           insight_emotion, insight_purpose, status, hidden, support_count,
                           trending_score, created_at, updated_at, published_at)
        SELECT :owner, 'Idea ' || n, 'Pitch ' || n, '', :category, '', '', '', 'published',
               false, 1, 0, :now, :now, :now
        FROM generate_series(1, :ideas) AS n"""),
        {"owner": owner.id, "category": category, "now": now, "ideas": IDEAS})
    db.session.execute(text("""
        INSERT INTO supports (idea_id, user_id, created_at)
        SELECT id, :supporter, :day_ago FROM ideas WHERE owner_id = :owner AND support_count = 1
        """), {"supporter": supporter.id, "owner": owner.id, "day_ago": now - timedelta(hours=30)})
    stale = f.idea(owner, trending_score=777)
    db.session.commit()

    assert milestones.refresh_trending(now) == IDEAS + 1
    db.session.commit()
    scores = dict(db.session.execute(
        select(Idea.trending_score, func.count()).where(Idea.owner_id == owner.id)
        .group_by(Idea.trending_score)).all())
    assert scores == {milestones.TRENDING_DAY_WEIGHTS[1]: IDEAS, 0: 2}
    db.session.refresh(stale)
    assert stale.trending_score == 0
    assert milestones.refresh_trending(now) == 0
