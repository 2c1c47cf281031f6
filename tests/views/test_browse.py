"""The /ideas page: sort tabs, filters, search, pager, empty state."""
from app.extensions import db
from app.models import Tag
from tests import factories
from tests.helpers import login


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_visitor_sees_published_ideas_as_cards_with_count(client):
    factories.idea(title="Lantern hook", pitch="Hang a lantern anywhere", supports=2)
    factories.idea(title="Umbrella stand")
    html = page(client, "/ideas")
    assert "Lantern hook" in html and "Umbrella stand" in html
    assert "Hang a lantern anywhere" in html
    assert "2 ideas" in html
    assert 'class="sort-tabs"' in html
    assert "progress" in html


def test_hidden_and_draft_ideas_are_not_listed_even_for_a_moderator(client):
    factories.idea(title="Hidden idea", hidden=True)
    factories.idea(title="Draft idea", status="draft")
    factories.idea(title="Visible idea")
    login(client, factories.user("moderator", "admin"))
    html = page(client, "/ideas")
    assert "Visible idea" in html
    assert "Hidden idea" not in html and "Draft idea" not in html


def test_search_box_finds_ideas_and_keeps_the_query(client):
    factories.idea(title="Camping lantern hook")
    factories.idea(title="Umbrella stand")
    html = page(client, "/ideas?q=lantern")
    assert "Camping lantern hook" in html and "Umbrella stand" not in html
    assert 'value="lantern"' in html
    assert "1 idea" in html


def test_search_for_japanese_text(client):
    factories.idea(title="折りたたみ傘ホルダー", pitch="濡れた傘をすっきり収納")
    factories.idea(title="Umbrella stand")
    html = page(client, "/ideas?q=傘")
    assert "折りたたみ傘ホルダー" in html and "Umbrella stand" not in html


def test_hostile_search_text_is_escaped_and_never_an_error(client):
    factories.idea(title="Lamp")
    html = page(client, '/ideas?q=<script>alert(1)</script>"AND(*')
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_filter_by_category_status_and_tag(client):
    tent = factories.idea(title="Tent light", category_slug="outdoor")
    tent.tags.append(Tag(name="camping"))
    db.session.commit()
    factories.idea(title="Sofa tray", category_slug="home")
    factories.idea(title="Qualified one", status="qualified", category_slug="outdoor")
    assert "Sofa tray" not in page(client, "/ideas?category=outdoor")
    html = page(client, "/ideas?category=outdoor&status=published")
    assert "Tent light" in html and "Qualified one" not in html
    html = page(client, "/ideas?tag=camping")
    assert "Tent light" in html and "Sofa tray" not in html
    assert "#camping" in html


def test_unknown_sort_or_status_is_ignored_with_a_message(client):
    factories.idea(title="Still listed")
    html = page(client, "/ideas?sort=bogus&status=draft")
    assert "Still listed" in html
    assert "Unknown sort order" in html and "Unknown status" in html


def test_sort_tabs_mark_the_active_sort_and_keep_filters(client):
    factories.idea(title="One")
    html = page(client, "/ideas?sort=supported&category=home")
    assert 'class="active" aria-current="page">Most supported' in html
    assert "/ideas?sort=newest&amp;category=home" in html


def test_pager_splits_long_lists(client, app):
    app.config["PER_PAGE"] = 2
    for n in range(5):
        factories.idea(title=f"Idea {n}")
    html = page(client, "/ideas?sort=newest")
    assert "Page 1 of 3" in html and 'rel="next"' in html
    html = page(client, "/ideas?sort=newest&page=3")
    assert "Page 3 of 3" in html and html.count('class="card idea-card"') == 1
    assert "5 ideas" in html
    assert page(client, "/ideas?page=abc")


def test_empty_state_invites_to_post_or_clear_filters(client):
    assert "No ideas here yet" in page(client, "/ideas")
    html = page(client, "/ideas?q=nothingmatches")
    assert "No ideas match" in html and "Clear filters" in html


def test_hostile_sort_and_status_values_are_escaped_in_the_notice(client):
    html = page(client, "/ideas?sort=<b>x</b>&status=<i>y</i>")
    assert "<b>x</b>" not in html and "<i>y</i>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
