"""The Markdown preview while writing: the text rendered by the renderer used when saving
(sanitised), as JSON for the page's script (signed in, CSRF token, rate limited) and, without
JavaScript, by the forms' own views with nothing saved."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.markdown import render_markdown
from app.models import Comment, Idea
from tests import factories as f
from tests.helpers import csrf_token, login

NASTY = "**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://example.com)"


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


def test_preview_renders_like_saving_and_sanitises(client, db):
    login(client, f.user())
    response = client.post("/preview", data={"csrf_token": csrf_token(client), "text": NASTY})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert html == str(render_markdown(NASTY))
    assert "<strong>bold</strong>" in html and "<script" not in html
    assert 'href="javascript:' not in html and 'href="https://example.com"' in html


def test_preview_needs_the_csrf_token_and_a_member(client, db):
    assert client.post("/preview", data={"csrf_token": csrf_token(client),
                                         "text": "x"}).status_code == 401
    login(client, f.user())
    assert client.post("/preview", data={"text": "x"}).status_code == 400


def test_preview_is_rate_limited(client, db):
    login(client, f.user())
    token = csrf_token(client)
    codes = [client.post("/preview", data={"csrf_token": token, "text": "hi"}).status_code
             for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_without_javascript_a_comment_preview_saves_nothing_and_keeps_the_text(client, db):
    idea = f.idea()
    login(client, f.user())
    response = client.post(f"/ideas/{idea.id}/comments", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea.id}"), "body": NASTY, "preview": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    preview = html.split('data-testid="markdown-preview"', 1)[1].split("</div>\n</div>", 1)[0]
    assert "<strong>bold</strong>" in preview and "<script>alert" not in html
    assert f'action="/ideas/{idea.id}/comments"' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the text, back in the textarea
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_without_javascript_an_update_preview_posts_back_to_updates(client, db):
    owner = f.user()
    idea = f.idea(owner)
    login(client, owner)
    html = client.post(f"/ideas/{idea.id}/updates", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea.id}"), "body": "_new_ prototype",
        "preview": "1"}).get_data(as_text=True)
    assert "<em>new</em>" in html and f'action="/ideas/{idea.id}/updates"' in html
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0


def test_description_preview_on_the_new_idea_form_saves_nothing(client, db):
    login(client, f.user())
    before = db.session.scalar(select(func.count()).select_from(Idea))
    response = client.post("/ideas/new", data={
        "csrf_token": csrf_token(client, "/ideas/new"), "title": "Rain hood",
        "description": "- one\n- two", "preview": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<li>one</li>" in html.split('data-testid="markdown-preview"', 1)[1]
    assert 'value="Rain hood"' in html  # the other fields come back as typed
    assert db.session.scalar(select(func.count()).select_from(Idea)) == before


def test_description_preview_on_the_edit_form(client, db):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    login(client, owner)
    html = client.post(f"/ideas/{idea.id}/edit", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea.id}/edit"), "title": idea.title,
        "pitch": idea.pitch, "description": "# Heading", "preview": "1"}).get_data(as_text=True)
    assert "<h1>Heading</h1>" in html.split('data-testid="markdown-preview"', 1)[1]
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).description != "# Heading"
