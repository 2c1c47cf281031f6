"""Community integrity: who once supported an idea (a lasting conflict of interest in review),
how much a report counts, and bursts of supports and reports from new accounts on one network."""
from __future__ import annotations

from app.extensions import db
from app.models import FormerSupporter
from app.models.base import utcnow


def remember_former_supporter(idea_id: int, user_id: int) -> None:
    """Keep that this member supported the idea, after they withdraw (called under the idea's
    row lock by supports.withdraw_support, so one row per pair without a race)."""
    row = db.session.get(FormerSupporter, (idea_id, user_id))
    if row is None:
        db.session.add(FormerSupporter(idea_id=idea_id, user_id=user_id))
    else:
        row.withdrawn_at = utcnow()
