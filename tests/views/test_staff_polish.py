"""Staff pages read like the product: the audit log names its targets with links and shows
before/after as fields, the Moderation link counts what waits (capped), a sales file's header
problem is said as such, every problem of every row is reported at once, and the sale form
preselects no product."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from app.models import Sale
from app.services import comments, events, moderation
from tests import factories as f
from tests.helpers import csrf_token, login
from tests.ledger_factories import product


def test_audit_log_shows_labels_target_titles_with_links_and_readable_changes(client, db):
    admin, moderator = f.user("admin"), f.user("moderator", name="Mo Derator")
    idea = f.idea(title="Folding umbrella stand")
    comment = comments.post_comment(f.user(), idea.id, "spam")
    events.audit(moderator, "idea.hidden", idea, before={"hidden": False, "status": "published"},
                 after={"hidden": True, "status": "published"}, reason="Spam")
    events.audit(moderator, "comment.remove", comment, before={"deleted": False},
                 after={"deleted": True})
    events.audit(admin, "user.role_granted", moderator, before={"roles": ["member"]},
                 after={"roles": ["member", "moderator"]})
    db.session.commit()
    login(client, admin)
    html = client.get("/admin/audit?lang=ja").get_data(as_text=True)
    table = html.split('data-testid="audit-entries"', 1)[1]
    assert "アイデアを非表示" in table or "非表示" in table
    assert f'href="/ideas/{idea.id}">Folding umbrella stand</a>' in table
    assert f'href="/ideas/{idea.id}#comment-{comment.id}">Folding umbrella stand</a>' in table
    assert f'href="/admin/users/{moderator.id}">Mo Derator</a>' in table
    assert "{&#34;" not in table and '{"' not in table  # no raw JSON
    changed = re.findall(r'<tr class="changed"><th scope="row">([^<]+)</th><td>([^<]+)</td>'
                         r'<td>([^<]+)</td>', table)
    assert ("ロール", "メンバー", "メンバー, モデレーター") in changed
    assert len(changed) == 3  # hidden, deleted, roles; the unchanged status is not marked


def test_audit_page_costs_the_same_queries_for_few_or_many_targets(client, db, count_queries):
    admin = f.user("admin")
    login(client, admin)

    def entries(n):
        for _ in range(n):
            idea = f.idea()
            events.audit(admin, "idea.hidden", idea, after={"hidden": True})
            events.audit(admin, "user.blocked", f.user(), after={"blocked": True})
        db.session.commit()

    entries(1)
    client.get("/admin/audit")
    with count_queries() as few:
        client.get("/admin/audit")
    entries(6)
    with count_queries() as many:
        client.get("/admin/audit")
    assert many.count == few.count, many


def _pending_badge(client):
    html = client.get("/").get_data(as_text=True)
    found = re.search(r'data-testid="moderation-pending"[^>]*>(?:<span[^>]*>[^<]*</span>)?([^<]+)<',
                      html)
    return found.group(1) if found else None


def test_moderation_link_counts_what_waits(client, db):
    moderator = f.user("moderator")
    login(client, moderator)
    assert _pending_badge(client) is None
    f.idea(status="pending_moderation")
    f.idea(status="pending_moderation")
    reported = comments.post_comment(f.user(), f.idea().id, "spam")
    comments.report_comment(f.established(), reported.id, "spam")
    comments.report_comment(f.established(), reported.id, "spam")  # one comment, counted once
    db.session.commit()
    assert _pending_badge(client) == "3"
    assert moderation.pending_count(cap=2) == 3  # each kind counted up to cap + 1
    member = f.user()
    login(client, member)
    assert _pending_badge(client) is None  # members see no count


def test_moderation_count_is_capped_on_the_page(client, db, monkeypatch):
    monkeypatch.setattr("app.services.moderation.PENDING_CAP", 2)
    login(client, f.user("moderator"))
    for _ in range(4):
        f.idea(status="pending_moderation")
    db.session.commit()
    assert _pending_badge(client) == "2+"


def _upload(client, data: bytes):
    return client.post("/finance/sales/import", data={
        "csrf_token": csrf_token(client, "/finance/sales/import"),
        "file": (io.BytesIO(data), "sales.csv")}, content_type="multipart/form-data")


def test_a_header_problem_is_said_as_one_not_as_a_row(client, db):
    login(client, f.user("finance"))
    response = _upload(client, b"product,period,units\n1,2026-04,1\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-testid="file-problem"' in html and "missing: product_id, net_sales" in html
    assert "row has a problem" not in html and 'data-testid="row-errors"' not in html


def test_every_problem_of_every_row_is_reported_at_once(client, db):
    item = product(f.user())
    login(client, f.user("finance"))
    lines = ["product_id,period,units,net_sales,currency,external_ref",
             f"{item.id},2026-04,1,10.00,USD,ok-1",
             "999999,2026-13,1,10.00,USD,bad-1",  # unknown product AND a bad period
             "999998,2026-04,1,10.00,USD,bad-2"]  # unknown product only
    html = _upload(client, ("\n".join(lines) + "\n").encode()).get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="row-error"><td class="num">(\d+)</td><td>([^<]+)</td>',
                      html)
    assert [line for line, _ in rows] == ["3", "4"]
    assert "no such product (999999)" in rows[0][1] and "period" in rows[0][1]
    assert "no such product (999998)" in rows[1][1]


def test_sale_form_preselects_no_product_and_asks_for_one(client, db):
    item = product(f.user())
    login(client, f.user("finance"))
    page = client.get("/finance/sales/new").get_data(as_text=True)
    select_html = page.split('name="product_id"', 1)[1].split("</select>", 1)[0]
    assert re.search(r'<option (selected )?value="">Choose a product</option>', select_html)
    assert "selected" not in select_html
    response = client.post("/finance/sales/new", data={
        "csrf_token": csrf_token(client, "/finance/sales/new"), "product_id": "",
        "period": "2026-04", "units": "3", "net_sales": "10.00", "currency": "USD",
        "external_ref": "form-9"})
    assert "Choose a product." in response.get_data(as_text=True)
    assert db.session.scalar(select(Sale)) is None
    chosen = client.get(f"/finance/sales/new?product_id={item.id}").get_data(as_text=True)
    assert f'selected value="{item.id}"' in chosen or f'value="{item.id}" selected' in chosen
