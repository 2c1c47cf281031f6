"""Uploads in shared storage: every test runs against the local disk and against S3 (moto's
server in this process). Files are written before their rows, removed again when the rows do
not commit, served with one cache policy per audience, and a storage failure is a clear 507
that leaves neither a row nor a file."""
from __future__ import annotations

import errno
import io
import os
import socket
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app import storage
from app.models import Idea, IdeaImage, User
from app.services import accounts as account_service
from app.services import ideas as idea_service
from app.services import media
from tests import factories
from tests.helpers import bearer, csrf_token, login

PUBLIC = "public, max-age=31536000, immutable"
PRIVATE = "private, no-store"


@pytest.fixture
def config_overrides(storage_overrides):
    return storage_overrides


def png(size=(400, 300), colour=(10, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def stored_keys() -> set[str]:
    return {item.key for item in storage.get().list()}


def draft(owner: User) -> Idea:
    return factories.idea(owner, status="draft")


def upload(client, user, idea_id, data, name="photo.png"):
    return client.post(f"/api/v1/ideas/{idea_id}/images", headers=bearer(user),
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def image_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(IdeaImage))


# --- written, served, deleted --------------------------------------------------------------

def test_uploaded_image_is_stored_served_and_deleted(client, db):
    owner = factories.user()
    idea = draft(owner)
    response = upload(client, owner, idea.id, png())
    assert response.status_code == 201, response.get_data(as_text=True)
    key = db.session.get(IdeaImage, response.get_json()["id"]).key
    assert stored_keys() == {f"{key}_{size}.jpg" for size in idea_service.IMAGE_SIZES}

    login(client, owner)
    served = client.get(f"/media/{key}/card")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(served.data)).size == (400, 300)
    assert served.headers["Cache-Control"] == PRIVATE  # a draft: only its creators see it

    response = client.delete(f"/api/v1/ideas/{idea.id}/images/{response.get_json()['id']}",
                             headers=bearer(owner))
    assert response.status_code in (200, 204)
    assert stored_keys() == set()
    assert client.get(f"/media/{key}/card").status_code == 404


def test_public_image_is_cached_by_everyone_and_others_are_not(client, db):
    owner = factories.user()
    idea = draft(owner)
    image = idea_service.add_image(owner, idea.id, png())
    db.session.commit()
    idea.status = "published"
    db.session.commit()
    served = client.get(f"/media/{image.key}/thumb")
    assert served.status_code == 200
    assert served.headers["Cache-Control"] == PUBLIC
    assert "Expires" not in served.headers

    idea.hidden = True
    db.session.commit()
    assert client.get(f"/media/{image.key}/thumb").status_code == 404
    login(client, factories.user("moderator"))
    served = client.get(f"/media/{image.key}/thumb")
    assert served.status_code == 200 and served.headers["Cache-Control"] == PRIVATE


def test_served_image_answers_a_conditional_request(client, db):
    owner = factories.user()
    image = idea_service.add_image(owner, draft(owner).id, png())
    db.session.commit()
    login(client, owner)
    first = client.get(f"/media/{image.key}/large")
    assert first.headers.get("ETag")
    again = client.get(f"/media/{image.key}/large", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_stored_row_whose_file_is_gone_is_404_not_500(client, db):
    owner = factories.user()
    image = idea_service.add_image(owner, draft(owner).id, png())
    db.session.commit()
    storage.get().delete(f"{image.key}_card.jpg")
    login(client, owner)
    assert client.get(f"/media/{image.key}/card").status_code == 404


def test_deleting_a_draft_removes_its_files_once_committed(db):
    owner = factories.user()
    idea = draft(owner)
    idea_service.add_image(owner, idea.id, png())
    db.session.commit()
    names = stored_keys()
    assert len(names) == 3
    idea_service.delete_draft(owner, idea.id)
    db.session.rollback()  # not committed: the files stay with the rows
    assert stored_keys() == names
    idea_service.delete_draft(owner, idea.id)
    db.session.commit()
    assert stored_keys() == set()


# --- no orphans, no rows without files -----------------------------------------------------

def test_a_rollback_after_writing_removes_the_files(db):
    owner = factories.user()
    idea = draft(owner)
    idea_service.add_image(owner, idea.id, png())
    assert len(stored_keys()) == 3  # written before the commit
    db.session.rollback()
    assert stored_keys() == set()
    assert image_count(db) == 0


def test_a_session_closed_without_commit_removes_the_files(db):
    owner = factories.user()
    idea_id = draft(owner).id
    idea_service.add_image(owner, idea_id, png())
    db.session.close()
    assert stored_keys() == set()
    assert image_count(db) == 0


def test_a_failing_commit_removes_the_files(db):
    owner = factories.user()
    idea = draft(owner)
    idea_service.add_image(owner, idea.id, png())
    db.session.add(User(email=owner.email, display_name="Twin", bio=""))  # unique email: fails
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError of either database
        db.session.commit()
    db.session.rollback()
    assert stored_keys() == set()
    assert image_count(db) == 0


def test_committed_files_stay(db):
    owner = factories.user()
    key = idea_service.add_image(owner, draft(owner).id, png()).key
    db.session.commit()
    db.session.close()
    assert stored_keys() == {f"{key}_{size}.jpg" for size in idea_service.IMAGE_SIZES}


# --- storage failures ----------------------------------------------------------------------

def _break_storage(app, monkeypatch, kind: str) -> None:
    """Make writes fail: a full disk for local storage; a missing bucket or a closed port for
    S3."""
    backend = storage.get(app)
    if isinstance(backend, storage.LocalStorage):
        def full(_fd):
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(storage.os, "fsync", full)
        return
    if kind == "missing_bucket":
        broken = storage.S3Storage(backend.bucket + "-gone", endpoint_url=backend.endpoint_url,
                                   region="us-east-1", max_attempts=1)
    else:
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        broken = storage.S3Storage(backend.bucket, endpoint_url=f"http://127.0.0.1:{port}",
                                   region="us-east-1", max_attempts=1, connect_timeout=2)
    monkeypatch.setitem(app.extensions, "kyoso_storage", broken)


@pytest.mark.parametrize("kind", ["missing_bucket", "closed_port"])
def test_storage_failure_is_507_and_leaves_no_row(client, db, app, monkeypatch, kind):
    owner = factories.user()
    idea = draft(owner)
    _break_storage(app, monkeypatch, kind)
    response = upload(client, owner, idea.id, png())
    assert response.status_code == 507
    error = response.get_json()["error"]
    assert error["code"] == "storage_unavailable"
    assert "try again later" in error["message"]
    assert image_count(db) == 0
    monkeypatch.undo()
    assert stored_keys() == set()


def test_storage_failure_in_the_browser_is_a_translated_507_page(client, db, app, monkeypatch):
    owner = factories.user()
    idea = draft(owner)
    login(client, owner)
    token = csrf_token(client, f"/ideas/{idea.id}/edit")
    _break_storage(app, monkeypatch, "missing_bucket")
    response = client.post(f"/ideas/{idea.id}/images?lang=ja", data={
        "csrf_token": token, "file": (io.BytesIO(png()), "photo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 507
    page = response.get_data(as_text=True)
    assert "後でもう一度" in page
    assert image_count(db) == 0


def test_a_full_disk_says_so(app, monkeypatch):
    backend = storage.get(app)
    if not isinstance(backend, storage.LocalStorage):
        pytest.skip("a full disk is a local-storage condition")
    _break_storage(app, monkeypatch, "full")
    with pytest.raises(storage.StorageUnavailable) as error:
        backend.put("x_thumb.jpg", b"data", "image/jpeg")
    assert error.value.status == 507 and "no room left" in error.value.message
    assert list(backend.list()) == []  # the temporary file went too


# --- avatars -------------------------------------------------------------------------------

def _set_avatar(client, me, colour=(10, 10, 10)):
    return client.post("/account/profile", data={
        "csrf_token": csrf_token(client, "/account/profile"), "display_name": "Pic", "bio": "",
        "avatar": (io.BytesIO(png((600, 400), colour)), "me.png")},
        content_type="multipart/form-data")


def test_avatar_is_stored_served_publicly_and_replaced(client, db):
    me = factories.user()
    login(client, me)
    assert _set_avatar(client, me).status_code == 302
    first = db.session.get(User, me.id).avatar_key
    served = client.get(f"/avatars/{first}/small")
    assert served.status_code == 200 and served.headers["Cache-Control"] == PUBLIC
    assert _set_avatar(client, me, (250, 250, 250)).status_code == 302
    db.session.expire_all()
    second = db.session.get(User, me.id).avatar_key
    assert stored_keys() == {f"avatars/{second}_avatar.jpg", f"avatars/{second}_small.jpg"}
    assert client.get(f"/avatars/{first}/small").status_code == 404


def test_blocked_members_avatar_is_for_staff_only_and_never_cached(client, db):
    me = factories.user()
    login(client, me)
    _set_avatar(client, me)
    db.session.expire_all()
    user = db.session.get(User, me.id)
    key = user.avatar_key
    account_service.block_user(factories.user("admin"), user, "spam")
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
    assert client.get(f"/avatars/{key}/small").status_code == 404
    login(client, factories.user("moderator"))
    served = client.get(f"/avatars/{key}/small")
    assert served.status_code == 200 and served.headers["Cache-Control"] == PRIVATE


def test_avatar_storage_failure_keeps_the_old_avatar(client, db, app, monkeypatch):
    me = factories.user()
    login(client, me)
    _set_avatar(client, me)
    db.session.expire_all()
    key = db.session.get(User, me.id).avatar_key
    token = csrf_token(client, "/account/profile")
    _break_storage(app, monkeypatch, "missing_bucket")
    response = client.post("/account/profile", data={
        "csrf_token": token, "display_name": "Pic", "bio": "",
        "avatar": (io.BytesIO(png((600, 400), (200, 0, 0))), "me.png")},
        content_type="multipart/form-data")
    assert response.status_code == 507
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(User, me.id).avatar_key == key
    assert stored_keys() == {f"avatars/{key}_avatar.jpg", f"avatars/{key}_small.jpg"}


# --- the orphan sweep ----------------------------------------------------------------------

def test_orphan_sweep_finds_and_deletes_only_files_without_rows(app, db):
    owner = factories.user()
    kept = idea_service.add_image(owner, draft(owner).id, png())
    from datetime import date

    from app.services import campaigns

    covered = campaigns.create_campaign(factories.user("community_manager"), {
        "title": "Rainy days", "brief": "Ideas for rainy days.", "starts_on": date(2030, 1, 1),
        "ends_on": date(2030, 2, 1)}, cover=png())
    db.session.commit()
    backend = storage.get()
    orphans = {"i0123456789abcdef01234567_thumb.jpg", "i0123456789abcdef01234567_large.jpg",
               "avatars/avatar-0123456789abcdef01234567_small.jpg",
               "campaigns/campaign-0123456789abcdef01234567_card.jpg"}
    for name in orphans:  # as a crash between writing and committing leaves them
        backend.put(name, b"\xff\xd8\xff\xd9", "image/jpeg")
    backend.put("notes/readme.txt", b"not a picture", "text/plain")
    runner = app.test_cli_runner()

    recent = media.find_orphans(timedelta(hours=1))
    assert recent.orphans == [] and recent.recent == 4  # may still be committing

    listed = runner.invoke(args=["media", "orphans", "--older-than", "0"])
    assert listed.exit_code == 0, listed.output
    assert "4 orphan files found" in listed.output
    assert stored_keys() >= orphans  # listing deletes nothing

    deleted = runner.invoke(args=["media", "orphans", "--older-than", "0", "--delete"])
    assert deleted.exit_code == 0, deleted.output
    assert "4 orphan files deleted" in deleted.output
    names = {f"{kept.key}_{size}.jpg" for size in idea_service.IMAGE_SIZES} | {
        f"campaigns/{covered.cover_key}_{size}.jpg" for size in campaigns.COVER_SIZES}
    assert stored_keys() == names | {"notes/readme.txt"}

    again = runner.invoke(args=["media", "orphans", "--older-than", "0", "--delete"])
    assert again.exit_code == 0 and "0 orphan files deleted" in again.output


def test_orphan_sweep_removes_stale_temporary_files(app):
    backend = storage.get()
    if not isinstance(backend, storage.LocalStorage):
        pytest.skip("temporary files are a local-storage matter (S3 writes are atomic)")
    backend.root.mkdir(parents=True, exist_ok=True)
    stale = backend.root / ".upload-abc123.tmp"
    stale.write_bytes(b"half a pic")
    os.utime(stale, (0, 0))
    sweep = media.delete_orphans(media.find_orphans(timedelta(hours=1)))
    assert sweep.deleted == 1 and not stale.exists()


# --- refused uploads leave nothing ---------------------------------------------------------

def test_a_one_pixel_strip_of_39_million_rows_is_refused_with_422(client, db):
    from tests.unit.test_images import png_claiming

    owner = factories.user()
    idea = draft(owner)
    response = upload(client, owner, idea.id, png_claiming(1, 39_000_000))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "side_too_long"
    assert error["fields"]["file"] == "This image is too large: each side can be at most 10,000 pixels."
    assert image_count(db) == 0 and stored_keys() == set()


def test_an_image_too_big_to_decode_is_refused_in_japanese_too(client, db):
    from tests.unit.test_images import png_claiming

    owner = factories.user()
    idea = draft(owner)
    response = client.post(f"/api/v1/ideas/{idea.id}/images?lang=ja", headers=bearer(owner),
                           data={"file": (io.BytesIO(png_claiming(6300, 6300)), "big.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "メガピクセル" in response.get_json()["error"]["fields"]["file"]
    assert image_count(db) == 0 and stored_keys() == set()
