"""Quotas: drafts a member holds and pictures uploaded per day (MAX_DRAFTS_PER_MEMBER,
MAX_UPLOADS_PER_DAY), refused with 429 in the API and a message on the page in HTML."""
from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.extensions import db
from app.models import Idea, IdeaImage, UploadCount
from app.services import quotas
from tests import factories
from tests.helpers import bearer, csrf_token, login


@pytest.fixture
def config_overrides() -> dict:
    return {"MAX_DRAFTS_PER_MEMBER": 2, "MAX_UPLOADS_PER_DAY": 3, "IDEA_MAX_IMAGES": 10}


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _ideas(owner) -> int:
    return db.session.scalar(select(func.count()).select_from(Idea).where(Idea.owner_id == owner.id))


def test_the_api_refuses_a_draft_over_the_quota_with_429(client):
    member = factories.user()
    headers = bearer(member)
    for n in range(2):
        assert client.post("/api/v1/ideas", headers=headers, json={"title": f"Idea {n}"}).status_code == 201
    refused = client.post("/api/v1/ideas", headers=headers, json={"title": "One too many"})
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_drafts"
    assert "2 ideas that are not published yet" in error["message"]
    assert _ideas(member) == 2
    # Published ideas do not count; another member has their own quota.
    factories.idea(member, status="published")
    other = factories.user()
    assert client.post("/api/v1/ideas", headers=bearer(other), json={"title": "Mine"}).status_code == 201


def test_submitting_or_deleting_frees_a_place(client):
    member = factories.user()
    first = factories.idea(member, status="draft")
    factories.idea(member, status="pending_moderation")
    headers = bearer(member)
    assert client.post("/api/v1/ideas", headers=headers, json={"title": "No"}).status_code == 429
    db.session.delete(db.session.get(Idea, first.id))
    db.session.commit()
    assert client.post("/api/v1/ideas", headers=headers, json={"title": "Yes"}).status_code == 201


def test_the_new_idea_form_shows_the_quota_message(client):
    member = factories.user()
    for _ in range(2):
        factories.idea(member, status="draft")
    login(client, member)
    page = client.post("/ideas/new", data={"csrf_token": csrf_token(client, "/ideas/new"),
                                           "title": "A third one"}, follow_redirects=True)
    assert "2 ideas that are not published yet" in page.get_data(as_text=True)
    assert _ideas(member) == 2


def _upload(client, member, idea_id):
    return client.post(f"/api/v1/ideas/{idea_id}/images", headers=bearer(member),
                       data={"file": (io.BytesIO(png()), "p.png")},
                       content_type="multipart/form-data")


def test_uploads_per_day_are_counted_and_capped(client):
    member = factories.user()
    idea = factories.idea(member, status="draft")
    for _ in range(3):
        assert _upload(client, member, idea.id).status_code == 201
    refused = _upload(client, member, idea.id)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "too_many_uploads"
    assert "3 pictures today" in refused.get_json()["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(IdeaImage)) == 3
    # A kept count, one row per member and day, not a count over all uploads.
    assert [row.count for row in db.session.scalars(select(UploadCount))] == [3]
    assert quotas.uploads_today(member) == 3
    # Deleting a picture does not give the day's uploads back.
    image_id = db.session.scalars(select(IdeaImage.id)).first()
    client.delete(f"/api/v1/ideas/{idea.id}/images/{image_id}", headers=bearer(member))
    assert _upload(client, member, idea.id).status_code == 429


def test_a_refused_upload_counts_nothing(client):
    member = factories.user()
    idea = factories.idea(member, status="draft")
    bad = client.post(f"/api/v1/ideas/{idea.id}/images", headers=bearer(member),
                      data={"file": (io.BytesIO(b"not an image"), "p.png")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    assert quotas.uploads_today(member) == 0


def test_the_upload_form_shows_the_quota_message(client):
    member = factories.user()
    idea = factories.idea(member, status="draft")
    db.session.add(UploadCount(user_id=member.id, day=quotas._today(), count=3))
    db.session.commit()
    login(client, member)
    page = client.post(f"/ideas/{idea.id}/images", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea.id}/edit"),
        "file": (io.BytesIO(png()), "p.png")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "3 pictures today" in page.get_data(as_text=True)
