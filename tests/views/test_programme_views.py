"""The admin pages that set up a programme (categories, tags, the programme page, the
first-run checklist) and the public "How review works" page that shows the programme."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.models import Agreement, AuditLog, Category, Tag
from app.models.base import utcnow
from tests import factories
from tests.helpers import csrf_token, login


def post(client, path, data=None):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(path, data=data)


@pytest.fixture
def admin(client):
    account = factories.user("admin")
    login(client, account)
    return account


def test_admin_creates_renames_orders_and_archives_categories(client, admin):
    page = client.get("/admin/categories")
    assert page.status_code == 200
    response = post(client, "/admin/categories", {"slug": "kitchen", "name": "Kitchen",
                                                  "name_ja": "キッチン"})
    assert response.status_code == 302
    kitchen = db.session.scalar(select(Category).where(Category.slug == "kitchen"))
    assert (kitchen.name, kitchen.name_ja) == ("Kitchen", "キッチン")

    taken = post(client, "/admin/categories", {"slug": "kitchen", "name": "Again"})
    assert taken.status_code == 409
    assert "exists already" in taken.get_data(as_text=True)
    bad = post(client, "/admin/categories", {"slug": "Not ok", "name": "X"})
    assert bad.status_code == 422
    assert db.session.scalar(select(Category).where(Category.name == "Again")) is None

    assert post(client, f"/admin/categories/{kitchen.id}",
                {"name": "Kitchen tools", "name_ja": "台所道具"}).status_code == 302
    assert post(client, f"/admin/categories/{kitchen.id}/move",
                {"direction": "up"}).status_code == 302
    db.session.expire_all()
    order = [c.slug for c in db.session.scalars(select(Category).order_by(
        Category.position, Category.name))]
    assert order.index("kitchen") == len(order) - 2  # moved up by one
    assert db.session.get(Category, kitchen.id).name_ja == "台所道具"

    assert post(client, f"/admin/categories/{kitchen.id}/archive",
                {"archived": "1"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, kitchen.id).is_archived
    # not offered for a new idea any more
    assert 'value="kitchen"' not in client.get("/ideas/new").get_data(as_text=True)
    listed = client.get("/admin/categories").get_data(as_text=True)
    assert "kitchen" in listed and "Offer again" in listed
    assert post(client, f"/admin/categories/{kitchen.id}/archive",
                {"archived": "0"}).status_code == 302
    assert 'value="kitchen"' in client.get("/ideas/new").get_data(as_text=True)
    assert {"category.created", "category.updated", "category.moved"} <= set(
        db.session.scalars(select(AuditLog.action)))


def test_an_idea_keeps_its_archived_category_in_the_edit_form(client, admin):
    owner = factories.user()
    idea = factories.idea(owner, status="draft", category_slug="outdoor")
    outdoor = factories.category("outdoor")
    post(client, f"/admin/categories/{outdoor.id}/archive", {"archived": "1"})
    login(client, owner)
    edit = client.get(f"/ideas/{idea.id}/edit").get_data(as_text=True)
    assert re.search(r'<option[^>]*selected[^>]*value="outdoor"|<option[^>]*value="outdoor"'
                     r'[^>]*selected', edit)
    assert 'value="outdoor"' not in client.get("/ideas/new").get_data(as_text=True)
    refused = post(client, "/ideas/new", {"title": "New", "category": "outdoor"})
    assert refused.status_code == 422


def test_non_admins_get_403_on_every_setup_page(client):
    login(client, factories.user("finance", "moderator"))
    for path in ("/admin/categories", "/admin/tags", "/admin/programme"):
        assert client.get(path).status_code == 403, path
    home = factories.category("home")
    assert post(client, "/admin/categories", {"slug": "x", "name": "X"}).status_code == 403
    assert post(client, f"/admin/categories/{home.id}/archive", {"archived": "1"}).status_code \
        == 403
    assert post(client, "/admin/programme", {"name": "Mine"}).status_code == 403
    db.session.expire_all()
    assert not factories.category("home").is_archived


def test_admin_renames_and_merges_tags(client, admin):
    owner = factories.user()
    from app.services import ideas as idea_service

    first = idea_service.create_draft(owner, {"title": "A", "tags": "umbrella"})
    second = idea_service.create_draft(owner, {"title": "B", "tags": "umbrela, rain"})
    db.session.commit()
    ids = {t.name: t.id for t in db.session.scalars(select(Tag))}
    page = client.get("/admin/tags?q=umb").get_data(as_text=True)
    assert "umbrela" in page and "rain" not in page
    assert post(client, f"/admin/tags/{ids['rain']}/rename", {"name": "Rainy"}).status_code == 302
    assert post(client, f"/admin/tags/{ids['umbrela']}/merge",
                {"into": "umbrella"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Tag, ids["umbrela"]) is None
    assert [t.name for t in db.session.get(type(second), second.id).tags] == ["rainy", "umbrella"]
    assert [t.name for t in db.session.get(type(first), first.id).tags] == ["umbrella"]
    unknown = post(client, f"/admin/tags/{ids['rain']}/merge", {"into": "nothing-like-it"})
    assert unknown.status_code == 302
    assert db.session.get(Tag, ids["rain"]) is not None


def test_programme_page_is_saved_and_shown_on_the_criteria_page(client, admin, app):
    public = client.get("/review/criteria").get_data(as_text=True)
    assert "We do not promise" in public  # the default text until one is written
    assert "has not been announced" in public
    soon = (utcnow() + timedelta(days=20)).date()
    saved = post(client, "/admin/programme", {
        "name": "Acme Ideas", "purpose": "Things people need.",
        "not_promised": "No promise of a product or a date.",
        "payout_minimums": "JPY 3000\nUSD 25.00"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert post(client, "/admin/programme/calendar", {
        "closes_on": soon.isoformat(), "batch_name": "Autumn review"}).status_code == 302
    bad = post(client, "/admin/programme", {"payout_minimums": "JPY lots"})
    assert bad.status_code == 422
    public = client.get("/review/criteria").get_data(as_text=True)
    assert "Acme Ideas" in public and "Things people need." in public
    assert "No promise of a product or a date." in public and "Autumn review" in public
    assert f"{app.config['SUPPORT_MILESTONES'][-1]:,}" in public
    api = client.get("/api/v1/programme").get_json()
    assert api["payout_minimums"] == [{"amount": 3000, "currency": "JPY"},
                                      {"amount": 2500, "currency": "USD"}]
    assert api["review_calendar"] == [{"batch_name": "Autumn review",
                                       "closes_on": soon.isoformat()}]
    japanese = client.get("/review/criteria?lang=ja").get_data(as_text=True)
    assert "Acme Ideas" in japanese


def _publish_policies(client):
    """Publishes both policies through the admin page, accepting each as the admin is asked to."""
    for kind in ("terms", "privacy"):
        token = csrf_token(client, "/admin/policies")
        response = client.post("/admin/policies", data={
            "csrf_token": token, "kind": kind, "version": "1", "text_en": f"# {kind}",
            "text_ja": f"# {kind}（日本語）"})
        assert response.status_code == 302
        token = csrf_token(client, "/policies/accept")
        response = client.post("/policies/accept", data={
            "csrf_token": token, f"accept_{kind}": "y", f"{kind}_version": "1"})
        assert response.status_code == 302


def test_first_run_checklist_lists_what_is_missing_with_links(client, admin):
    db.session.execute(delete(Category))
    db.session.execute(delete(Agreement))
    db.session.commit()
    page = client.get("/admin").get_data(as_text=True)
    assert 'data-testid="first-run-checklist"' in page
    items = dict(re.findall(r'data-item="(\w+)"><a href="([^"]+)"', page))
    assert items["category"] == "/admin/categories"
    assert items["agreement"] == "/admin/agreements"
    assert items["mail"] == "/admin/programme#mail"
    assert items["public_url"] == "/admin/programme#mail"  # the default: http://127.0.0.1:5000
    assert items["programme"] == "/admin/programme"
    assert items["calendar"] == "/admin/programme#calendar"
    assert items["privacy"] == "/admin/policies"
    for href in set(items.values()):
        assert client.get(href.split("#")[0]).status_code == 200

    post(client, "/admin/categories", {"slug": "kitchen", "name": "Kitchen"})
    post(client, "/admin/agreements", {"version": "1", "title": "Agreement", "text": "Text"})
    post(client, "/admin/programme", {"name": "Acme"})
    post(client, "/admin/programme/calendar",
         {"closes_on": (utcnow() + timedelta(days=5)).date().isoformat()})
    _publish_policies(client)
    page = client.get("/admin").get_data(as_text=True)
    assert set(re.findall(r'data-item="(\w+)"', page)) == {"mail", "public_url"}


def test_checklist_disappears_when_everything_is_set(client, app):
    app.config["MAIL_SERVER"] = "smtp.example.com"
    app.config["PUBLIC_BASE_URL"] = "https://ideas.example.com"
    login(client, factories.user("admin"))
    post(client, "/admin/programme", {"name": "Acme"})
    post(client, "/admin/programme/calendar",
         {"closes_on": (utcnow() + timedelta(days=5)).date().isoformat()})
    _publish_policies(client)
    assert 'first-run-checklist' not in client.get("/admin").get_data(as_text=True)


@pytest.mark.parametrize("url, local", [
    ("http://127.0.0.1:5000", True), ("http://localhost:8000", True), ("", True),
    ("http://0.0.0.0:5100", True), ("http://[::1]:5000", True), ("http://kyoso.localhost", True),
    ("https://ideas.example.com", False), ("http://10.0.0.5:8000", False)])
def test_the_checklist_asks_for_a_public_address_for_the_links_in_mails(client, admin, app,
                                                                         url, local):
    """A fresh install left at the default PUBLIC_BASE_URL mails links to 127.0.0.1:5000
    (issue 11, tried on a fresh install): the checklist and the programme page say so."""
    app.config["PUBLIC_BASE_URL"] = url
    page = client.get("/admin").get_data(as_text=True)
    assert ('data-item="public_url"' in page) is local
    programme = client.get("/admin/programme").get_data(as_text=True)
    assert ('data-testid="local-address"' in programme) is local
    if not local:
        assert f"Links in mails point to {url}" in programme
