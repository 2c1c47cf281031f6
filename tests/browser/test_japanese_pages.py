"""Every main page in Japanese, as every role sees it, on the demo's data: no English left.

The page's own words (text, titles, placeholders, labels, button values, the document title and
what its scripts write) must not hold a run of two or more English words; what members and staff
wrote (read from the database), names, numbers, e-mail addresses, URLs and codes may be in any
language (tests/browser/english_runs.py). Issue 17, item 1.
"""
from __future__ import annotations

import random
import shutil

import pytest

from tests.browser.english_runs import PAGE_TEXT_JS, UserContent, english_runs

pytestmark = pytest.mark.browser

MILESTONES = [5, 10, 15, 20]
PASSWORD = "kyoso-demo"


@pytest.fixture(scope="session")
def demo_template(sqlite_template, tmp_path_factory):
    """The demo's data (flask seed-demo, small) in a SQLite file made once per session."""
    from app import create_app
    from app.demo.seed import seed
    from app.extensions import db
    from tests.conftest import make_config

    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.db"
    shutil.copy(sqlite_template, path)
    app = create_app(make_config(f"sqlite:///{path}", str(folder / "uploads"),
                                 SUPPORT_MILESTONES=MILESTONES))
    with app.app_context():
        seed(idea_count=24, supporters=30, max_supports=300, images=False,
             rng=random.Random(2024))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return path


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path, demo_template):
    path = tmp_path / "test.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def config_overrides():
    return {"SUPPORT_MILESTONES": MILESTONES}


#: The columns that hold what members and staff wrote (in whatever language they wrote it).
USER_WRITTEN = {
    "users": ("display_name", "email", "bio"), "ideas": (
        "title", "pitch", "description", "insight_situation", "insight_emotion",
        "insight_purpose", "insight_scene", "insight_conflict", "insight_own_words",
        "insight_success", "insight_judged_by", "insight_why_1", "insight_why_2",
        "insight_why_3", "insight_core", "hidden_reason", "status_reason"),
    "comments": ("body",), "comment_revisions": ("body",), "supports": ("reason", "my_situation"),
    "reviews": ("customer_value_rationale", "uniqueness_rationale", "feasibility_rationale",
                "marketability_rationale"),
    "review_batches": ("name",), "review_items": ("decision_message",),
    "products": ("name",), "product_posts": ("body",), "tags": ("name",),
    "agreements": ("title",), "idea_revisions": ("note",), "reports": ("reason",),
    "staff_picks": ("reason",), "campaigns": ("title", "brief", "prize"),
    "forum_threads": ("title", "body"), "forum_replies": ("body",), "thanks": ("message",),
    "idea_polls": ("question",), "poll_options": ("label",), "surveys": ("title",),
    "segments": ("name",), "payouts": ("reference",), "sales": ("external_ref",),
    "audit_log": ("reason",), "payout_requests": ("reason",),
}


def _user_content(app) -> UserContent:
    from sqlalchemy import text

    from app.extensions import db

    values = []
    with app.app_context():
        for table, columns in USER_WRITTEN.items():
            for column in columns:
                values += db.session.scalars(text(f"SELECT {column} FROM {table}")).all()
    return UserContent.of(values)


def _ids(app):
    """Ids of the pages to open: an idea with a history, a batch, a member, a product..."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Idea, IdeaEvent, Product, ReviewBatch, User

    with app.app_context():
        def idea_in(status):
            return db.session.scalar(select(Idea.id).where(Idea.status == status)
                                     .order_by(Idea.id))

        with_history = db.session.scalar(
            select(IdeaEvent.idea_id).join(Idea, Idea.id == IdeaEvent.idea_id)
            .where(Idea.status == "on_sale").order_by(IdeaEvent.idea_id))
        bob = db.session.scalar(select(User.id).where(User.email == "bob@kyoso.local"))
        return {
            "idea": with_history, "published": idea_in("published"),
            "in_review": idea_in("in_review"), "pending": idea_in("pending_moderation"),
            "draft": idea_in("draft"),
            "batch": db.session.scalar(select(ReviewBatch.id)
                                       .order_by(ReviewBatch.id.desc())),
            "old_batch": db.session.scalar(select(ReviewBatch.id).order_by(ReviewBatch.id)),
            "product": db.session.scalar(select(Product.id).order_by(Product.id)),
            "bob": bob,
        }


def _pages(ids):
    """(account, [paths]) for every role; the paths each role's main pages."""
    member = ["/", "/ideas", "/ideas?category=kitchen", f"/ideas/{ids['idea']}", f"/ideas/{ids['published']}",
              "/ideas/new", "/me", "/notifications", "/account/settings", "/me/royalties",
              f"/users/{ids['bob']}", "/products", f"/products/{ids['product']}", "/campaigns",
              "/forum", "/leaderboard", "/me/recognition"]
    return [
        ("visitor", ["/", "/ideas", f"/ideas/{ids['idea']}", "/login", "/signup"]),
        ("bob", member),
        ("hana", member),
        ("moderator", ["/moderation", "/moderation/reports", "/moderation/refinements",
                       "/moderation/hidden",
                       "/moderation/users", f"/moderation/ideas/{ids['pending']}",
                       f"/ideas/{ids['pending']}"]),
        ("reviewer1", ["/review", f"/review/ideas/{ids['in_review']}", "/review/criteria",
                       f"/review/batches/{ids['batch']}/calibration"]),
        ("finance", ["/finance", "/finance/ledger", "/finance/creators",
                     f"/finance/creators/{ids['bob']}", "/finance/payouts",
                     "/finance/payout-requests", "/finance/sales/new", "/finance/sales/import",
                     "/finance/ledger/verify"]),
        ("products", ["/products", f"/products/{ids['product']}"]),
        ("admin", ["/admin", "/admin/users", f"/admin/users/{ids['bob']}", "/admin/review",
                   f"/admin/review/batches/{ids['batch']}",
                   f"/admin/review/batches/{ids['old_batch']}", "/admin/categories",
                   "/admin/tags", "/admin/agreements", "/admin/programme", "/admin/audit",
                   f"/review/ideas/{ids['in_review']}",
                   f"/review/batches/{ids['old_batch']}/results", f"/ideas/{ids['idea']}",
                   f"/moderation/ideas/{ids['idea']}", "/admin/analytics", "/surveys",
                   "/outreach/announcements", "/staff/sessions", "/staff/product-tests",
                   "/staff/partners"]),
    ]


def _sign_in(page, base, account):
    page.goto(base + "/login?lang=ja")
    page.fill("input[name=email]", f"{account}@kyoso.local")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def test_every_main_page_reads_in_japanese_for_every_role(app, live_server, new_page):
    from pytz import all_timezones_set

    ids = _ids(app)
    corpus = _user_content(app)
    zones = frozenset(all_timezones_set)
    problems: list[str] = []
    for account, paths in _pages(ids):
        page = new_page()
        if account == "visitor":
            page.goto(live_server + "/?lang=ja")
        else:
            _sign_in(page, live_server, account)
        for path in paths:
            response = page.goto(live_server + path)
            assert response.status < 400, (account, path, response.status)
            assert page.locator("html").get_attribute("lang") == "ja", (account, path)
            for where, text in page.evaluate(PAGE_TEXT_JS):
                for run in english_runs(text, corpus, zones):
                    problems.append(f"{account} {path}: {where}: {run}")
        if account == "hana":  # the live counter under a comment, written by engagement.js
            page.goto(f"{live_server}/ideas/{ids['published']}")
            page.fill("#new-comment", "あ" * 4321)
            counter = page.locator("#new-comment + .char-count")
            assert counter.inner_text() == "残り679文字", counter.inner_text()
        assert not page.js_errors, (account, page.js_errors)
    assert not problems, "English on Japanese pages:\n" + "\n".join(sorted(set(problems)))
