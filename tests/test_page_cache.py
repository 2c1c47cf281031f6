"""Whole pages for anonymous visitors (app.page_cache): what is kept, for whom, and that every
change a visitor must see at once (a new idea, a hidden idea or comment, a renamed member) is
seen at once."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.services import comments, moderation
from tests import factories as f
from tests.helpers import CSRF_META, login

HEADER = "X-Kyoso-Page-Cache"


@pytest.fixture
def config_overrides() -> dict:
    return {"PAGE_CACHE_TTL": 30}


def _get(client, path: str):
    response = client.get(path)
    return response, response.get_data(as_text=True)


def test_a_visitor_gets_the_kept_page_with_their_own_csrf_token(app, client, count_queries):
    f.idea(title="Folding umbrella stand")
    first, page = _get(client, "/")
    assert first.headers[HEADER] == "miss" and "Folding umbrella stand" in page
    with count_queries() as queries:
        second, again = _get(client, "/")
    assert second.headers[HEADER] == "hit"
    assert queries.count == 0
    assert "Folding umbrella stand" in again
    assert "__kyoso_csrf_token__" not in again
    mine = CSRF_META.search(again).group(1)
    assert client.post("/login", data={"csrf_token": mine, "email": "nobody@example.com",
                                       "password": "x" * 12}).status_code != 400

    other = app.test_client()
    response, theirs = _get(other, "/")
    assert response.headers[HEADER] == "hit"
    token = CSRF_META.search(theirs).group(1)
    # the token in the kept page is the visitor's own: their sign-in form is accepted as such
    refused = other.post("/login", data={"email": "nobody@example.com", "password": "x" * 12})
    accepted = other.post("/login", data={"csrf_token": token, "email": "nobody@example.com",
                                          "password": "x" * 12})
    assert refused.status_code == 400 and accepted.status_code != 400


def test_signed_in_members_never_get_a_kept_page(client):
    f.idea(title="Folding umbrella stand")
    assert _get(client, "/")[0].headers[HEADER] == "miss"
    member = f.user(name="Hanako Member")
    login(client, member)
    response, page = _get(client, "/")
    assert HEADER not in response.headers
    assert "Hanako Member" in page


@pytest.mark.parametrize("path", ["/ideas?q=umbrella", "/ideas?page=21", "/?lang=ja",
                                  "/ideas?after=abc", "/ideas?unknown=1"])
def test_searches_share_links_and_other_parameters_are_rendered_as_usual(client, path):
    f.idea(title="Folding umbrella stand")
    client.get(path)
    assert HEADER not in client.get(path).headers


def test_share_link_visits_are_still_recorded(client):
    idea = f.idea(title="Folding umbrella stand")
    assert client.get(f"/ideas/{idea.id}").headers[HEADER] == "miss"
    sharer = f.user()
    response = client.get(f"/ideas/{idea.id}?ref={sharer.ref_code}")
    assert HEADER not in response.headers
    from app.services import people

    assert people.numbers(sharer).share_visits == 1


def test_languages_are_kept_apart(client):
    f.idea(title="Folding umbrella stand")
    english = _get(client, "/ideas")[1]
    client.set_cookie("lang", "ja")
    response, japanese = _get(client, "/ideas")
    assert response.headers[HEADER] == "miss"
    assert 'lang="ja"' in japanese and 'lang="en"' in english
    assert _get(client, "/ideas")[0].headers[HEADER] == "hit"


def test_a_newly_published_idea_is_listed_at_once(client):
    f.idea(title="Folding umbrella stand")
    assert _get(client, "/ideas")[0].headers[HEADER] == "miss"
    assert _get(client, "/ideas")[0].headers[HEADER] == "hit"
    f.idea(title="Bento box with a clock")
    response, page = _get(client, "/ideas")
    assert response.headers[HEADER] == "miss" and "Bento box with a clock" in page


def test_a_hidden_idea_disappears_at_once_from_lists_and_its_page(client):
    idea = f.idea(title="Folding umbrella stand")
    for path in ("/", "/ideas", f"/ideas/{idea.id}"):
        client.get(path)
        assert client.get(path).headers[HEADER] == "hit"
    moderation.hide_idea(f.user("moderator"), idea.id, "Spam")
    db.session.commit()
    assert "Folding umbrella stand" not in _get(client, "/")[1]
    assert "Folding umbrella stand" not in _get(client, "/ideas")[1]
    assert client.get(f"/ideas/{idea.id}").status_code == 404


def test_a_removed_comment_disappears_at_once_and_other_idea_pages_stay_kept(client):
    idea, other = f.idea(title="Folding umbrella stand"), f.idea(title="Bento clock")
    moderator = f.user("moderator")
    comment = comments.post_comment(f.user(), idea.id, "Buy cheap watches at spam.example")
    db.session.commit()
    for path in (f"/ideas/{idea.id}", f"/ideas/{other.id}"):
        client.get(path)
    assert "spam.example" in _get(client, f"/ideas/{idea.id}")[1]
    comments.remove_comment(moderator, comment.id, "Spam")
    db.session.commit()
    response, page = _get(client, f"/ideas/{idea.id}")
    assert response.headers[HEADER] == "miss" and "spam.example" not in page
    assert client.get(f"/ideas/{other.id}").headers[HEADER] == "hit"


def test_a_new_comment_shows_at_once_but_a_support_waits_for_the_ttl(client):
    idea = f.idea(title="Folding umbrella stand")
    client.get(f"/ideas/{idea.id}")
    f.support(idea)
    assert client.get(f"/ideas/{idea.id}").headers[HEADER] == "hit"  # counts may lag 30 s
    comments.post_comment(f.user(), idea.id, "I would buy two of these")
    db.session.commit()
    response, page = _get(client, f"/ideas/{idea.id}")
    assert response.headers[HEADER] == "miss" and "I would buy two of these" in page


def test_a_renamed_member_is_renamed_on_kept_pages(client):
    owner = f.user(name="Old Name")
    idea = f.idea(owner, title="Folding umbrella stand")
    client.get(f"/ideas/{idea.id}")
    assert "Old Name" in _get(client, f"/ideas/{idea.id}")[1]
    owner.display_name = "New Name"
    db.session.commit()
    page = _get(client, f"/ideas/{idea.id}")[1]
    assert "New Name" in page and "Old Name" not in page


def test_a_flashed_message_is_never_kept(client):
    f.idea(title="Folding umbrella stand")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Only for this visitor")]
    response, page = _get(client, "/")
    assert HEADER not in response.headers and "Only for this visitor" in page
    response, page = _get(client, "/")
    assert response.headers[HEADER] == "miss" and "Only for this visitor" not in page


def test_the_cache_is_off_with_a_ttl_of_zero(app, client):
    app.config["PAGE_CACHE_TTL"] = 0
    f.idea(title="Folding umbrella stand")
    client.get("/")
    assert HEADER not in client.get("/").headers


def test_a_forged_host_header_reaches_nobody_else(app, client):
    app.config["PUBLIC_BASE_URL"] = ""
    idea = f.idea(title="Folding umbrella stand")
    forged = client.get(f"/ideas/{idea.id}", headers={"Host": "evil.example"})
    assert forged.headers[HEADER] == "miss"
    response, page = _get(app.test_client(), f"/ideas/{idea.id}")
    assert response.headers[HEADER] == "miss" and "evil.example" not in page


# -- the public API's idea answers, kept the same way --------------------------------------------

def test_anonymous_api_lists_and_ideas_are_kept_as_json_and_a_token_is_never_served_one(
        client, count_queries):
    from tests.helpers import bearer

    idea = f.idea(title="Folding umbrella stand")
    for path in ("/api/v1/ideas", "/api/v1/ideas?sort=newest&per_page=5", f"/api/v1/ideas/{idea.id}"):
        first = client.get(path)
        assert first.headers[HEADER] == "miss" and first.status_code == 200
        with count_queries() as queries:
            second = client.get(path)
        assert second.headers[HEADER] == "hit" and queries.count == 0
        assert second.mimetype == "application/json" and second.get_json() == first.get_json()
    # A caller with a token, or with a bad one, is answered by the API itself.
    mine = client.get("/api/v1/ideas", headers=bearer(f.user()))
    assert HEADER not in mine.headers and mine.status_code == 200
    bad = client.get("/api/v1/ideas", headers={"Authorization": "Bearer nonsense"})
    assert bad.status_code == 401 and HEADER not in bad.headers
    # A search and a cursor are answered as usual.
    assert HEADER not in client.get("/api/v1/ideas?q=umbrella").headers
    assert HEADER not in client.get("/api/v1/ideas?after=x").headers


def test_a_hidden_idea_disappears_at_once_from_the_kept_api_answers(client):
    idea = f.idea(title="Folding umbrella stand")
    for path in ("/api/v1/ideas", f"/api/v1/ideas/{idea.id}"):
        client.get(path)
        assert client.get(path).headers[HEADER] == "hit"
    moderation.hide_idea(f.user("moderator"), idea.id, "Spam")
    db.session.commit()
    assert [i["title"] for i in client.get("/api/v1/ideas").get_json()["items"]] == []
    assert client.get(f"/api/v1/ideas/{idea.id}").status_code == 404
