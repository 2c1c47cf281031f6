"""The evidence dashboard of an idea, for its creators (and reviewers, admins): supporters over
time, the would-buy split, prices, reasons, resonance, where supporters came from, and the
progress to the next milestone with a suggestion of what to do next.

Bounded: supporters per day is one grouped query (one row per day with supports, at most the
days since publication); the answers come from the kept aggregate (app.services.evidence) and
the resonance from its kept counts, one query each; sources one grouped query when the
`referral_events` table of the follow area exists, else "direct" only.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from app import permissions
from app.extensions import db
from app.i18n import _
from app.models import Idea, Support
from app.models.base import utcnow
from app.permissions import Action
from app.services import evidence, resonance
from app.services import ideas as idea_service
from app.web import days_left


def dashboard_for(viewer: Any, idea_id: int) -> dict[str, Any]:
    """The idea's evidence: NotFound unless the viewer may see the idea, Forbidden unless they
    are one of its creators, a reviewer or an admin."""
    idea = idea_service.get_visible(viewer, idea_id)
    permissions.require(viewer, Action.VIEW_EVIDENCE, idea)
    return build(idea)


def supporters_by_day(idea: Idea) -> list[dict[str, Any]]:
    """[{day, count, total}] for the days with supports, oldest first (total: cumulative)."""
    day = func.date(Support.created_at)
    rows = db.session.execute(select(day, func.count()).where(Support.idea_id == idea.id)
                              .group_by(day).order_by(day)).all()
    total, series = 0, []
    for when, count in rows:
        total += count
        series.append({"day": str(when)[:10], "count": count, "total": total})
    return series


def sources(idea: Idea, total: int) -> dict[str, Any]:
    """Where supporters came from: share links (referral_events, when the follow area's table
    exists) and directly."""
    table = db.metadata.tables.get("referral_events")
    if table is None:
        return {"direct": total, "share_links": None, "tracked": False}
    referred = db.session.scalar(select(func.count()).select_from(table).where(
        table.c.idea_id == idea.id, table.c.kind == "support")) or 0
    return {"direct": max(total - referred, 0), "share_links": referred, "tracked": True}


def _suggestion(idea: Idea, counts: dict[str, int], reasons: int, left: int | None) -> str:
    """What to do next, from where the idea stands."""
    if not idea.is_gathering:
        return _("The idea no longer gathers support: its evidence is final.")
    needed = (idea.next_milestone or 0) - idea.support_count
    answered = sum(counts.values())
    if answered >= 5 and counts.get("not_me", 0) * 2 > answered:
        return _("Most supporters say the core is not their own life: listen to their "
                 "situations and refine the core so it names who it is really for.")
    if left is not None and needed > 0 and left <= 14:
        return _("%(n)s supporters are still needed in %(days)s days: share your idea's link "
                 "with the people in the situations that resonate most.", n=needed, days=left)
    if reasons < 5:
        return _("Few supporters said why: pin a poll with a concrete question to learn what "
                 "matters to them.")
    return _("Share your idea where people in its scene are, and thank your supporters with an "
             "update.")


def build(idea: Idea) -> dict[str, Any]:
    kept = evidence.kept(idea)
    res = resonance.summary(resonance.kept(idea.id))
    series = supporters_by_day(idea)
    left = days_left(idea.deadline) if idea.is_gathering else None
    milestone = None
    if idea.next_milestone:
        milestone = {"next": idea.next_milestone, "support_count": idea.support_count,
                     "needed": max(idea.next_milestone - idea.support_count, 0),
                     "days_left": left,
                     "deadline": idea.deadline.isoformat() if idea.deadline else None}
    return {
        "supporters_by_day": series,
        "would_buy": kept["would_buy"],
        "prices": [{"currency": p["currency"], "count": p["count"], "min": p["min"],
                    "max": p["max"], "median": p["median"]} for p in kept["prices"]],
        "reasons": [reason for reason, _answer in kept["reasons"][:50]],
        "reason_count": kept["reason_count"],
        "resonance": res,
        "sources": sources(idea, idea.support_count),
        "milestone": milestone,
        "suggestion": _suggestion(idea, res["counts"], kept["reason_count"], left),
    }


def chart_points(series: list[dict[str, Any]], width: int = 560, height: int = 160,
                 today: date | None = None) -> dict[str, Any]:
    """The cumulative supporters line as SVG coordinates (the template draws it): a point per
    day from the first support to today."""
    if not series:
        return {"points": "", "max": 0, "first": None, "last": None, "width": width,
                "height": height}
    first = date.fromisoformat(series[0]["day"])
    last = max(date.fromisoformat(series[-1]["day"]), today or utcnow().date())
    span = max((last - first).days, 1)
    top = series[-1]["total"]
    by_day = {item["day"]: item["total"] for item in series}
    points, total = [], 0
    for offset in range(span + 1):
        day = first + timedelta(days=offset)
        total = by_day.get(day.isoformat(), total)
        x = round(offset * width / span, 1)
        y = round(height - (total * height / top if top else 0), 1)
        points.append(f"{x},{y}")
    return {"points": " ".join(points), "max": top, "first": first.isoformat(),
            "last": last.isoformat(), "width": width, "height": height}
