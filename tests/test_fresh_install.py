"""A fresh install set up only with the CLI (users create, categories create, agreements
publish), after which a member can submit an idea in the browser and through the API."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.models import Agreement, AuditLog, Category, Idea
from app.services import accounts
from tests import factories
from tests.helpers import bearer, csrf_token, login

IDEA = {"title": "Quiet stroller wheels", "pitch": "No noise on trains", "category": "kitchen",
        "insight": dict(factories.GUIDED_INSIGHT_JSON)}
FORM = {"title": "Rain cover for bike seats", "pitch": "Keep the child seat dry",
        "category": "kitchen", **factories.GUIDED_FORM}


@pytest.fixture
def fresh(app):
    """The database as `flask db upgrade` leaves it: no category, no agreement."""
    db.session.execute(delete(Category))
    db.session.execute(delete(Agreement))
    db.session.commit()
    return app


@pytest.fixture
def cli(fresh):
    runner = fresh.test_cli_runner()

    def run(*args):
        result = runner.invoke(args=list(args))
        db.session.expire_all()
        return result

    return run


def test_nobody_can_submit_before_setup_and_the_cli_sets_everything_up(cli, client, tmp_path):
    # before: no category to choose, so an idea cannot be submitted
    assert client.get("/api/v1/categories").get_json()["items"] == []

    assert cli("users", "create", "boss@example.com", "--password", "river stones 42",
               "--name", "Boss", "--role", "admin").exit_code == 0
    made = cli("categories", "create", "kitchen", "--name", "Kitchen", "--name-ja", "キッチン")
    assert made.exit_code == 0, made.output
    assert cli("categories", "create", "garden", "--name", "Garden").exit_code == 0
    listed = cli("categories", "list")
    assert listed.exit_code == 0
    assert [line.split("\t")[1] for line in listed.output.splitlines()] == ["kitchen", "garden"]
    assert "キッチン" in listed.output

    text = "# Creator agreement\n\nYou keep your idea; we share the revenue.\n"
    path = tmp_path / "agreement.md"
    path.write_text(text, encoding="utf-8")
    published = cli("agreements", "publish", "--version", "1", "--title", "Creator agreement",
                    str(path))
    assert published.exit_code == 0, published.output
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert digest in published.output and "1" in published.output
    agreement = db.session.scalar(select(Agreement))
    assert (agreement.version, agreement.sha256, agreement.published_by_id) == ("1", digest, None)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "agreement.published"))

    # a member signs up (confirmed) and submits through the API ...
    member = accounts.create_confirmed_user("ana@example.com", "river stones 42", "Ana", [])
    db.session.commit()
    created = client.post("/api/v1/ideas", json=IDEA, headers=bearer(member))
    assert created.status_code == 201, created.get_data(as_text=True)
    submitted = client.post(f"/api/v1/ideas/{created.get_json()['id']}/submit",
                            headers=bearer(member), json={"agreement_version": "1"})
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json()["status"] == "pending_moderation"

    # ... and in the browser
    login(client, member)
    page = client.get("/ideas/new").get_data(as_text=True)
    assert 'value="kitchen"' in page and 'value="garden"' in page
    response = client.post("/ideas/new", data={**FORM, "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)
    idea = db.session.scalars(select(Idea).order_by(Idea.id.desc())).first()
    response = client.post(f"/ideas/{idea.id}/submit", data={
        "agreement_version": "1", "accept": "y", "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "pending_moderation"


def test_cli_refusals_exit_non_zero_and_change_nothing(cli, tmp_path):
    assert cli("categories", "create", "kitchen", "--name", "Kitchen").exit_code == 0
    again = cli("categories", "create", "kitchen", "--name", "Cooking")
    assert again.exit_code == 1 and "exists already" in again.output
    bad = cli("categories", "create", "Not A Slug", "--name", "X")
    assert bad.exit_code == 1 and "slug" in bad.output
    nameless = cli("categories", "create", "tools", "--name", "  ")
    assert nameless.exit_code == 1
    assert [c.slug for c in db.session.scalars(select(Category))] == ["kitchen"]
    assert db.session.scalar(select(Category)).name == "Kitchen"

    path = tmp_path / "a.md"
    path.write_text("Text", encoding="utf-8")
    assert cli("agreements", "publish", "--version", "1", "--title", "T", str(path)).exit_code == 0
    taken = cli("agreements", "publish", "--version", "1", "--title", "T2", str(path))
    assert taken.exit_code == 1 and "already exists" in taken.output
    invalid = cli("agreements", "publish", "--version", "no spaces", "--title", "T", str(path))
    assert invalid.exit_code == 1
    empty = tmp_path / "empty.md"
    empty.write_text("   \n", encoding="utf-8")
    assert cli("agreements", "publish", "--version", "2", "--title", "T", str(empty)).exit_code == 1
    binary = tmp_path / "b.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    assert cli("agreements", "publish", "--version", "3", "--title", "T", str(binary)).exit_code == 1
    assert [a.version for a in db.session.scalars(select(Agreement))] == ["1"]
