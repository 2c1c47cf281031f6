"""Several pictures at once: without JavaScript the file input posts them all (each stored in
its own transaction, in order, the idea's limit and the day's quota respected); the page's
script sends one per request and reads JSON (the thumbnail of the processed picture)."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from app.models import IdeaImage
from app.services import quotas
from tests import factories as f
from tests.helpers import csrf_token, login
from tests.views.test_ideas_views import png


@pytest.fixture
def config_overrides():
    return {"IDEA_MAX_IMAGES": 3, "MAX_UPLOADS_PER_DAY": 4}


def _post(client, idea_id, files, json=False):
    return client.post(f"/ideas/{idea_id}/images", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea_id}/edit"),
        "file": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data", follow_redirects=not json,
        headers={"Accept": "application/json"} if json else {})


def _images(db, idea_id):
    return db.session.scalar(select(func.count()).select_from(IdeaImage)
                             .where(IdeaImage.idea_id == idea_id))


def test_the_file_input_takes_several_files(client, db):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    login(client, owner)
    page = client.get(f"/ideas/{idea.id}/edit").get_data(as_text=True)
    [tag] = re.findall(r'<input[^>]*name="file"[^>]*>', page)
    assert " multiple" in tag


def test_without_javascript_several_files_are_added_in_order_and_a_bad_one_is_named(client, db):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    login(client, owner)
    html = _post(client, idea.id, [("red.png", png((200, 0, 0))), ("evil.png", b"MZ exe"),
                                   ("green.png", png((0, 200, 0)))]).get_data(as_text=True)
    assert "2 pictures were added" in html
    assert "evil.png: " in html and "not an image" in html
    assert _images(db, idea.id) == 2
    assert quotas.uploads_today(owner) == 2  # only stored pictures count


def test_the_idea_limit_stops_the_rest_with_one_message(client, db):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    login(client, owner)
    html = _post(client, idea.id, [(f"p{n}.png", png((n * 40, 0, 0))) for n in range(5)]) \
        .get_data(as_text=True)
    assert _images(db, idea.id) == 3
    assert "3 pictures were added" in html


def test_the_days_quota_stops_the_rest(client, db):
    owner = f.user()
    first, second = f.idea(owner, status="draft"), f.idea(owner, status="draft")
    login(client, owner)
    _post(client, first.id, [(f"p{n}.png", png((n * 40, 0, 0))) for n in range(3)])
    html = _post(client, second.id, [(f"q{n}.png", png((0, n * 40, 0))) for n in range(3)]) \
        .get_data(as_text=True)
    assert _images(db, second.id) == 1
    assert "The picture was added" in html and "4 pictures today" in html
    assert html.count("4 pictures today") == 1


def test_the_script_gets_json_with_the_processed_thumbnail(client, db):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    login(client, owner)
    answer = _post(client, idea.id, [("p.png", png())], json=True)
    assert answer.status_code == 201
    body = answer.get_json()
    image = db.session.scalar(select(IdeaImage).where(IdeaImage.idea_id == idea.id))
    assert body == {"id": image.id, "thumb": f"/media/{image.key}/thumb", "count": 1}
    assert client.get(body["thumb"]).status_code == 200
    refused = _post(client, idea.id, [("bad.png", b"not an image")], json=True)
    assert refused.status_code == 422 and "not an image" in refused.get_json()["error"]
    for n in range(2):
        _post(client, idea.id, [("p.png", png((n, 9, 9)))], json=True)
    full = _post(client, idea.id, [("p.png", png())], json=True)
    assert full.status_code == 409 and full.get_json()["code"] == "too_many_images"
