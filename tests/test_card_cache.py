"""Idea cards are rendered once and kept (app.templating.CardCache): whatever a card shows is in
its key, so a change to any of it shows at once, in the reader's language."""
from __future__ import annotations

from app.extensions import db
from tests import factories as f


def _browse(client, lang: str = "en") -> str:
    client.set_cookie("lang", lang)
    return client.get("/ideas").get_data(as_text=True)


def test_a_card_follows_every_change_to_what_it_shows(app, client):
    owner = f.user(name="Aiko Owner")
    idea = f.idea(owner, title="Folding umbrella stand")
    page = _browse(client)
    assert "Folding umbrella stand" in page and "Aiko Owner" in page
    assert len(app.extensions["kyoso_cards"]._cards) == 1

    idea.title = "Folding umbrella rack"
    owner.display_name = "Aiko Renamed"
    db.session.commit()
    page = _browse(client)
    assert "Folding umbrella rack" in page and "Folding umbrella stand" not in page
    assert "Aiko Renamed" in page and "Aiko Owner" not in page

    f.support(idea)
    f.support(idea)
    assert '<strong data-testid="support-count">2</strong>' in _browse(client)

    idea.staff_picked_at = idea.published_at
    db.session.commit()
    assert 'data-testid="staff-pick-badge"' in _browse(client)


def test_a_card_is_kept_per_language(client):
    f.idea(title="Bento box with a clock", category_slug="outdoor")
    assert '<p class="card-meta">Outdoor' in _browse(client, "en")
    assert '<p class="card-meta">アウトドア' in _browse(client, "ja")
    assert '<p class="card-meta">Outdoor' in _browse(client, "en")


def test_kept_cards_are_bounded(app):
    from markupsafe import Markup

    from app.templating import CardCache

    cards = CardCache(size=3)
    for n in range(5):
        cards.put((n,), Markup(str(n)))
    assert cards.get((0,)) is None and cards.get((1,)) is None
    assert cards.get((4,)) == Markup("4")
