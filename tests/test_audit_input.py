"""Hostile input that used to answer 500: ids beyond any row, page numbers that overflow the
OFFSET, NUL characters (PostgreSQL refuses them in strings), JSON nested deeper than the parser's
stack, and query parameters named like path parameters or url_for's own options."""
from __future__ import annotations

import pytest

from tests import factories as f
from tests.helpers import bearer, csrf_token, login

HUGE = 10**30


@pytest.fixture(autouse=True)
def _show_500s(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False


@pytest.mark.parametrize("path", [f"/api/v1/ideas/{HUGE}", f"/api/v1/ideas/{2**31}/comments",
                                  f"/api/v1/products/{HUGE}", f"/api/v1/users/{HUGE}/royalties",
                                  f"/api/v1/review-batches/{HUGE}"])
def test_an_id_beyond_any_row_is_not_found_in_the_api(client, path):
    response = client.get(path, headers=bearer(f.user("admin", "finance")))
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_an_id_beyond_any_row_is_not_found_on_pages_and_forms(client):
    staff = f.user("admin", "moderator", "finance")
    login(client, staff)
    for path in (f"/ideas/{HUGE}", f"/users/{HUGE}", f"/finance/creators/{HUGE}"):
        assert client.get(path).status_code == 404, path
    token = csrf_token(client, "/")
    response = client.post(f"/ideas/{HUGE}/comments", data={"csrf_token": token, "body": "Hi"})
    assert response.status_code == 404


def test_ids_beyond_any_row_in_bodies_and_query_strings_are_refused(client):
    staff = f.user("admin", "moderator", "reviewer")
    headers = bearer(staff)
    target = f.idea(status="published")
    source = f.idea(status="published")
    merge = client.post(f"/api/v1/ideas/{source.id}/merge", headers=headers,
                        json={"target_id": HUGE, "reason": "Duplicate"})
    # A well-formed id of no idea: 404 target_not_found, as for an id in the path.
    assert merge.status_code == 404 and "target_id" in merge.json["error"]["fields"]
    assert merge.json["error"]["code"] == "target_not_found"
    reply = client.post(f"/api/v1/ideas/{target.id}/comments", headers=headers,
                        json={"body": "Hi", "parent_id": HUGE})
    assert reply.status_code == 422 and "parent_id" in reply.json["error"]["fields"]
    assert client.get(f"/ideas/similar?title=Idea+number&exclude={HUGE}").status_code == 200


def test_huge_page_numbers_are_refused_by_the_api_and_clamped_on_pages(client):
    member = f.user("admin", "finance")
    response = client.get(f"/api/v1/ideas?page={HUGE}")
    assert response.status_code == 422 and "page" in response.json["error"]["fields"]
    login(client, member)
    for path in ("/ideas", "/notifications", "/finance", "/finance/ledger", "/admin/users",
                 "/admin/audit"):
        assert client.get(f"{path}?page={HUGE}").status_code == 200, path
    idea = f.idea(status="published")
    assert client.get(f"/ideas/{idea.id}?comments_page={HUGE}").status_code == 200


def test_a_nul_character_is_refused_with_400_everywhere(client):
    """PostgreSQL cannot store or compare a string holding NUL: it must never reach a query."""
    member = f.user()
    headers = bearer(member)
    api = client.post("/api/v1/tokens", json={"email": "a\x00@example.com", "password": "x"})
    assert api.status_code == 400 and api.json["error"]["code"] == "invalid_text"
    idea = client.post("/api/v1/ideas", headers=headers, json={"title": "Fine", "tags": ["a\x00"]})
    assert idea.status_code == 400
    assert client.get("/api/v1/ideas?category=home%00").status_code == 400
    assert client.get("/terms/creators/1%00").status_code == 400
    form = client.post("/confirm/resend", data={"csrf_token": csrf_token(client, "/confirm/resend"),
                                                "email": "a\x00@example.com"})
    assert form.status_code == 400
    assert client.get("/", headers={"User-Agent": "evil\x00agent"}).status_code == 400


def test_json_nested_too_deep_is_a_400(client):
    response = client.post("/api/v1/ideas", data="[" * 100_000, content_type="application/json",
                           headers=bearer(f.user()))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize("query", ["user_id=2", "_method=POST", "endpoint=x", "values=1",
                                   "_external=1&_scheme=javascript"])
def test_query_parameters_cannot_break_the_language_links(client, query):
    """Every page links to itself in the other language, keeping the query string."""
    person = f.user()
    response = client.get(f"/users/{person.id}?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'href="/users/{person.id}?' in html and "lang=ja" in html
    assert "javascript:" not in html
