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
    rows = discovery.home_rows(viewer, limit=ROW_SIZE)
    if viewer is not None:
        for_you = discovery.recommended_for(viewer, limit=FOR_YOU_SIZE)
        trending: list = []
        extra_ids: list[int] = []
    else:
        for_you = []
        extra_ids = discovery.trending_ids(None, limit=FOR_YOU_SIZE)
    # One eager-loaded query for every card on the page, whatever the rows hold.
    cards = discovery.load_cards([*extra_ids, *rows["expiring"], *rows["newest"],
                                  *rows["approved"]])
    if viewer is None:
        trending = [cards[i] for i in extra_ids if i in cards]
    return render_template(
        "main/home.html", for_you=for_you, trending=trending,
        expiring=[cards[i] for i in rows["expiring"] if i in cards],
        newest=[cards[i] for i in rows["newest"] if i in cards],
        approved=[cards[i] for i in rows["approved"] if i in cards],
        categories=discovery.categories(), stats=discovery.programme_stats())
