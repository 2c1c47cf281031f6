"""Exporting one's data: POST /api/v1/me/export, GET /api/v1/me/export/{id}, the zip, the
settings page; only the owner downloads, the link expires, nobody else's data is in it."""
from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import select, update

from app import storage
from app.models import DataExport
from app.models.base import utcnow
from app.services import accounts, exports
from app.services import ideas as idea_service
from tests import factories as f
from tests import ledger_factories as lf
from tests.helpers import bearer, csrf_token, login
from tests.test_rights_deletion import png


def _export(client, headers) -> dict:
    started = client.post("/api/v1/me/export", headers=headers)
    assert started.status_code == 202
    body = started.get_json()
    assert set(body) >= {"id", "status"}
    return client.get(f"/api/v1/me/export/{body['id']}", headers=headers).get_json()


def _archive(client, headers, status) -> zipfile.ZipFile:
    assert status["status"] == "ready", status
    path = status["download_url"].split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_a_member_exports_everything_of_their_own(client, db):
    member = f.user(email="mia@example.org", name="Mia Member")
    accounts.update_profile(member, "Mia Member", "Bio text", avatar=png())
    other = f.user(email="olaf@example.org", name="Olaf Other")
    finance = f.user("finance")
    draft = f.idea(member, status="draft", title="My private draft")
    idea_service.add_image(member, draft.id, png())
    db.session.commit()
    mine = f.idea(member, title="My lamp", co_creators=(other,))
    theirs = f.idea(other, title="Their kettle")
    headers, other_headers = bearer(member), bearer(other)
    client.post(f"/api/v1/ideas/{theirs.id}/supports", json={"reason": "I need one"},
                headers=headers)
    comment = client.post(f"/api/v1/ideas/{theirs.id}/comments", json={"body": "First text"},
                          headers=headers).get_json()
    client.patch(f"/api/v1/comments/{comment['id']}", json={"body": "Second text"},
                 headers=headers)
    client.post(f"/api/v1/ideas/{mine.id}/comments", json={"body": "Olaf says hi"},
                headers=other_headers)
    product = lf.product(member, name="Mia lamp", rate_bps=1000)
    lf.sale(finance, product, 50_000, "JPY")
    from app.services import consents

    consents.set_consents(member, marketing_mail=True, ip_address="198.51.100.7")
    db.session.commit()

    archive = _archive(client, headers, _export(client, headers))
    data = json.loads(archive.read("data.json"))
    assert data["profile"]["email"] == "mia@example.org"
    assert data["profile"]["display_name"] == "Mia Member"
    assert {idea["title"] for idea in data["ideas"]} >= {"My private draft", "My lamp"}
    assert [s["reason"] for s in data["supports"]] == ["I need one"]
    edited = next(c for c in data["comments"] if c["id"] == comment["id"])
    assert edited["body"] == "Second text"
    assert [v["body"] for v in edited["earlier_versions"]] == ["First text"]
    assert any(follow["idea_id"] == theirs.id for follow in data["follows"])
    assert data["notifications"]  # Olaf's comment on my idea
    assert data["royalties"]["balances"] == [{"amount": 5000, "currency": "JPY"}]
    assert data["royalties"]["statement"][0]["product"] == "Mia lamp"
    assert data["profile"]["marketing_mail"] is True
    assert [(e["kind"], e["granted"], e["ip_address"]) for e in data["consent_events"]] == [
        ("marketing_mail", True, "198.51.100.7")]
    names = archive.namelist()
    assert "images/avatar.jpg" in names
    draft_image = next(i for i in data["ideas"] if i["title"] == "My private draft")["images"][0]
    assert draft_image["file"] in names
    # Nobody else's personal data: not Olaf's name nor address, not in notifications either.
    text = archive.read("data.json").decode("utf-8")
    assert "Olaf" not in text and "olaf@example.org" not in text


def test_only_the_owner_sees_and_downloads_an_export(client, db):
    member, stranger = f.user(), f.user()
    status = _export(client, bearer(member))
    assert client.get(f"/api/v1/me/export/{status['id']}",
                      headers=bearer(stranger)).status_code == 404
    assert client.get(f"/api/v1/me/export/{status['id']}/download",
                      headers=bearer(stranger)).status_code == 404
    login(client, stranger)
    assert client.get(f"/account/data/exports/{status['id']}/download").status_code == 404


def test_without_a_token_it_is_401(client, db):
    assert client.post("/api/v1/me/export").status_code == 401
    assert client.get("/api/v1/me/export/1").status_code == 401


def test_the_link_expires_and_the_file_goes(client, db):
    member = f.user()
    headers = bearer(member)
    status = _export(client, headers)
    export = db.session.get(DataExport, status["id"])
    key = export.storage_key
    db.session.execute(update(DataExport).where(DataExport.id == export.id)
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.get(f"/api/v1/me/export/{export.id}/download", headers=headers).status_code == 404
    assert client.get(f"/api/v1/me/export/{export.id}", headers=headers).get_json()["status"] \
        == "expired"
    assert exports.expire_exports() >= 0
    db.session.execute(update(DataExport).where(DataExport.id == export.id)
                       .values(status="ready"))
    db.session.commit()
    assert exports.expire_exports() == 1
    assert not storage.get().exists(key)
    assert db.session.get(DataExport, export.id).status == "expired"


def test_the_job_runs_once(client, db):
    member = f.user()
    status = _export(client, bearer(member))
    assert exports.build_export(status["id"]) is False  # built already: nothing again
    assert len(db.session.scalars(select(DataExport)).all()) == 1


def test_the_settings_page_prepares_and_lists_the_export(client, db):
    member = f.user()
    login(client, member)
    response = client.post("/account/data/export", data={
        "csrf_token": csrf_token(client, "/account/data")}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "download-export" in html
    export = db.session.scalars(select(DataExport)).one()
    download = client.get(f"/account/data/exports/{export.id}/download")
    assert download.status_code == 200
    assert json.loads(zipfile.ZipFile(io.BytesIO(download.data)).read("data.json"))[
        "profile"]["id"] == member.id


def test_the_settings_page_in_japanese(client, db):
    login(client, f.user(locale="ja"))
    assert "データのダウンロード" in client.get("/account/data").get_data(as_text=True)
