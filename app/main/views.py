"""HTML views: the home page (the programme for visitors, the member's own for members)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import render_template
from flask_login import current_user

from app.main import bp
from app.models import User
from app.services import discovery, member_home, since_last_visit, surveys

ROW_SIZE = 4
FOR_YOU_SIZE = 8


def _since_last_visit(member: User) -> dict[str, Any] | None:
    if member.previous_seen_at is None:  # a first visit: nothing to tell yet
        return None
    return {"digest": since_last_visit.digest(member, member.previous_seen_at)}


def _my_ideas(member: User) -> dict[str, Any] | None:
    return {"ideas": member_home.my_ideas(member)}


def _closing_soon(member: User) -> dict[str, Any] | None:
    ideas = member_home.closing_soon(member)
    return {"ideas": ideas} if ideas else None


def _nudges(member: User) -> dict[str, Any] | None:
    rows = member_home.nudges(member)
    return {"nudges": rows} if rows else None


def _surveys(member: User) -> dict[str, Any] | None:
    open_surveys = surveys.open_for(member)
    return {"surveys": open_surveys} if open_surveys else None


def _for_you(member: User) -> dict[str, Any] | None:
    return {"for_you": discovery.recommended_for(member, limit=FOR_YOU_SIZE)}


#: The panels of a signed-in member's home page, top to bottom: (template, loader). A loader
#: takes the member and returns its include's context (`panel` in the template), or None to
#: leave the panel out. Each must cost a fixed number of queries (tests/test_query_counts_home).
#: To add one: a small template under templates/main/panels/ and a line here.
MEMBER_PANELS: list[tuple[str, Callable[[User], dict[str, Any] | None]]] = [
    ("main/panels/since_last_visit.html", _since_last_visit),
    ("main/panels/nudges.html", _nudges),
    ("main/panels/surveys.html", _surveys),
    ("main/panels/my_ideas.html", _my_ideas),
    ("main/panels/closing_soon.html", _closing_soon),
    ("main/panels/for_you.html", _for_you),
]


@bp.get("/")
def home():
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    # The shelves are the same for every viewer (listed ideas only) and cached as idea ids;
    # the cards are loaded fresh, still listed, in one eager-loaded query for the whole page.
    shelves = discovery.home_shelves(ROW_SIZE, FOR_YOU_SIZE)
    panels: list[tuple[str, dict[str, Any]]] = []
    if viewer is not None:
        for template, loader in MEMBER_PANELS:
            context = loader(viewer)
            if context is not None:
                panels.append((template, context))
        trending_ids: list[int] = []
    else:
        trending_ids = shelves["trending"]
    picked_ids = shelves.get("picked", [])  # staff picks (app.services.campaigns)
    cards = discovery.load_listed_cards([*trending_ids, *shelves["expiring"],
                                         *shelves["newest"], *shelves["approved"], *picked_ids])

    def shelf(ids: list[int]) -> list:
        return [cards[i] for i in ids if i in cards]

    return render_template(
        "main/home.html", panels=panels, trending=shelf(trending_ids),
        expiring=shelf(shelves["expiring"]), newest=shelf(shelves["newest"]),
        approved=shelf(shelves["approved"]), picked=shelf(picked_ids),
        categories=discovery.categories(),
        stats=None if viewer is not None else discovery.programme_stats())
