"""Stored XSS: every text a member or staff types (titles, pitches, insight, tags, names, bios,
comments, reasons, review messages, product names, sale references) is shown escaped on every page
that shows it, to its author, to other members and to staff; and the CSV statement neutralises
spreadsheet formulas."""
from __future__ import annotations

from datetime import date

import pytest

from app.extensions import db
from app.models.review import AXES
from app.services import comments as comment_service
from app.services import moderation as moderation_service
from app.services import review as review_service
from app.services import supports as support_service
from tests import factories as f
from tests import ledger_factories as lf
from tests.helpers import login

SCRIPT = "<script>alert('kyoso')</script>"
IMG = "<img src=x onerror=alert('kyoso')>"
PAYLOAD = f"{SCRIPT}{IMG}\"'><svg onload=alert(1)>"
RAW = ("<script>alert", "<img src=x", "<svg onload", "onerror=alert('kyoso')>")


def _assert_escaped(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url} -> {response.status_code}"
    html = response.get_data(as_text=True)
    for raw in RAW:
        assert raw not in html, f"{url} shows {raw!r} unescaped"
    return html


@pytest.fixture
def world(app):
    creator = f.user(name=f"Creator {IMG}")
    creator.bio = f"Bio {PAYLOAD}"
    member = f.user(name=f"Member {SCRIPT}")
    staff = f.user("admin", "moderator", "reviewer", "finance", name=f"Staff {IMG}")
    reviewer = f.user("reviewer", name=f"Reviewer {SCRIPT}")
    published = f.idea(creator, status="published", title=f"Title {PAYLOAD}"[:120],
                       pitch=f"Pitch {PAYLOAD}", description=f"Description {PAYLOAD}",
                       insight_situation=f"Situation {PAYLOAD}",
                       insight_emotion=f"Emotion {PAYLOAD}", insight_purpose=f"Purpose {PAYLOAD}")
    support_service.support_idea(member, published.id, {"would_buy": "yes",
                                                        "reason": f"Reason {PAYLOAD}"})
    comment = comment_service.post_comment(member, published.id, f"Comment {PAYLOAD}")
    comment_service.post_comment(creator, published.id, f"Reply {PAYLOAD}", comment.id)
    comment_service.edit_comment(member, comment.id, f"Edited {PAYLOAD}")
    pending = f.idea(creator, status="pending_moderation", title=f"Pending {SCRIPT}")
    moderation_service.decide(staff, pending.id, "needs_changes", f"Fix it {PAYLOAD}")
    hidden = f.idea(creator, status="published", title=f"Hidden {SCRIPT}")
    moderation_service.hide_idea(staff, hidden.id, f"Hidden because {PAYLOAD}")
    reviewed = f.idea(creator, status="qualified", title=f"Reviewed {IMG}")
    batch = review_service.open_batch(staff, f"Batch {SCRIPT}", date(2030, 3, 31))
    for person in (reviewer, staff):
        review_service.score_idea(person, reviewed.id, {axis: 2 for axis in AXES},
                                  {axis: f"Because {PAYLOAD}" for axis in AXES})
    review_service.decide(staff, reviewed.id, "approved", f"Well done {PAYLOAD}")
    db.session.commit()
    product = lf.product(creator, name=f"=HYPERLINK(\"http://x\") {IMG}"[:120])
    lf.sale(staff, product, 100_000, "JPY", external_ref="<b>ref</b>")
    lf.payout(staff, creator, 1, "JPY", reference="@SUM(1+1)")
    return {"creator": creator, "member": member, "staff": staff, "reviewer": reviewer,
            "published": published, "pending": pending, "hidden": hidden, "reviewed": reviewed,
            "batch": batch, "comment": comment, "product": product}


def test_member_text_is_escaped_for_every_viewer_on_every_page(client, world):
    p, c = world["published"], world["creator"]
    public = ["/", "/ideas", "/ideas?q=Title", f"/ideas/{p.id}", f"/users/{c.id}",
              f"/users/{world['member'].id}", f"/comments/{world['comment'].id}/history",
              "/ideas/similar?title=Title+Pitch+script"]
    for url in public:
        _assert_escaped(client, url)
    page = _assert_escaped(client, f"/ideas/{p.id}")
    assert "&lt;script&gt;alert(" in page and "&lt;img src=x onerror" in page  # shown, as text
    login(client, world["member"])
    for url in [*public, "/me", "/notifications"]:
        _assert_escaped(client, url)
    login(client, c)
    for url in [*public, "/me", "/notifications", f"/ideas/{world['pending'].id}",
                f"/ideas/{world['pending'].id}/edit", f"/ideas/{world['hidden'].id}",
                "/me/royalties"]:
        _assert_escaped(client, url)


def test_staff_pages_escape_member_text(client, world):
    login(client, world["staff"])
    batch = world["batch"].id
    for url in ["/moderation", "/moderation/hidden", "/moderation/reports",
                f"/moderation/ideas/{world['pending'].id}", f"/moderation/ideas/{world['hidden'].id}",
                "/moderation/users", "/review", f"/review/ideas/{world['reviewed'].id}",
                f"/review/batches/{batch}/calibration", "/admin", "/admin/review",
                f"/admin/review/batches/{batch}", "/admin/audit", "/admin/users",
                f"/admin/users/{world['creator'].id}", "/finance", "/finance/creators",
                f"/finance/creators/{world['creator'].id}", "/finance/ledger", "/finance/payouts"]:
        _assert_escaped(client, url)


def test_royalty_statement_csv_neutralises_formulas(client, world):
    login(client, world["creator"])
    response = client.get("/me/royalties.csv")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert "'@SUM(1+1)" in text
