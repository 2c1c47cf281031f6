"""The evidence dashboard of an idea, for its creators (and reviewers, admins): supporters over
time, the would-buy split, prices, reasons, resonance, where supporters came from, and the
progress to the next milestone with a suggestion of what to do next.

Bounded: supporters per day and where they came from are the kept days (app.services.
support_days: one row per day with supports, never the supports); the answers come from the
kept aggregate (app.services.evidence) and the resonance from its kept counts, one query each.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any


from app import permissions
from app.i18n import _
from app.models import Idea
from app.models.base import utcnow
from app.permissions import Action
from app.services import evidence, resonance, support_days
from app.services import ideas as idea_service
from app.web import days_left


def dashboard_for(viewer: Any, idea_id: int) -> dict[str, Any]:
    """The idea's evidence: NotFound unless the viewer may see the idea, Forbidden unless they
    are one of its creators, a reviewer or an admin."""
    return page_for(viewer, idea_id)[1]


def page_for(viewer: Any, idea_id: int) -> tuple[Idea, dict[str, Any]]:
    """The idea and its evidence (the dashboard page), with the same refusals."""
    idea = idea_service.get_visible(viewer, idea_id)
    permissions.require(viewer, Action.VIEW_EVIDENCE, idea)
    return idea, build(idea)


def supporters_by_day(idea: Idea) -> list[dict[str, Any]]:
    """[{day, count, referred, total}] for the days with supports, oldest first (total:
    cumulative): the kept days (app.services.support_days), one row per day."""
    return support_days.series(idea.id)


def sources(series: list[dict[str, Any]]) -> dict[str, Any]:
    """Where the standing supporters came from: through share links (attributed to a member's
    `?ref=` link, app.services.referrals) and directly; from the kept days."""
    total = sum(item["count"] for item in series)
    referred = min(sum(item["referred"] for item in series), total)
    return {"direct": total - referred, "share_links": referred, "tracked": True}


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
        "sources": sources(series),
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
