"""HTML views: the home page."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.main import bp
from app.services import discovery

ROW_SIZE = 4
FOR_YOU_SIZE = 8


@bp.get("/")
def home():
    viewer = current_user if current_user.is_authenticated else None
    # The shelves are the same for every viewer (listed ideas only) and cached as idea ids;
    # the cards are loaded fresh, still listed, in one eager-loaded query for the whole page.
    shelves = discovery.home_shelves(ROW_SIZE, FOR_YOU_SIZE)
    if viewer is not None:
        for_you = discovery.recommended_for(viewer, limit=FOR_YOU_SIZE)
        trending_ids: list[int] = []
    else:
        for_you = []
        trending_ids = shelves["trending"]
    picked_ids = shelves.get("picked", [])  # staff picks (app.services.campaigns)
    cards = discovery.load_listed_cards([*trending_ids, *shelves["expiring"],
                                         *shelves["newest"], *shelves["approved"], *picked_ids])

    def shelf(ids: list[int]) -> list:
        return [cards[i] for i in ids if i in cards]

    return render_template(
        "main/home.html", for_you=for_you, trending=shelf(trending_ids),
        expiring=shelf(shelves["expiring"]), newest=shelf(shelves["newest"]),
        approved=shelf(shelves["approved"]), picked=shelf(picked_ids),
        categories=discovery.categories(), stats=discovery.programme_stats())
