"""Issue 17, items 4, 8, 9 and 13 in a real browser: the discussion heading counts replies;
several pictures upload at once (chosen or dropped) with progress and thumbnails, and reorder
with buttons on a phone, with and without JavaScript; Markdown previews while writing, with and
without JavaScript; staff tables on a phone say they scroll; the audit log reads as sentences;
the Moderation link counts what waits. Screenshots in English and Japanese, desktop and phone."""
from __future__ import annotations

import re

import pytest
from PIL import Image

from app.services import comments, events
from tests import factories as f
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

PHONE = (390, 844)


def sign_in(page, base, user):
    page.goto(base + "/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()


def pngs(tmp_path, n):
    paths = []
    for i in range(n):
        path = tmp_path / f"picture-{i + 1}.png"
        Image.new("RGB", (120, 80), (40 * i, 120, 200 - 40 * i)).save(path, "PNG")
        paths.append(str(path))
    return paths


def thumbs(page) -> list[str]:
    return page.locator("[data-testid=image-list] img").evaluate_all(
        "els => els.map(e => e.getAttribute('src'))")


DROP = """async () => {
  const canvas = document.createElement("canvas"); canvas.width = 90; canvas.height = 60;
  const g = canvas.getContext("2d"); g.fillStyle = "#c4461f"; g.fillRect(0, 0, 90, 60);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const data = new DataTransfer();
  data.items.add(new File([blob], "dropped.png", { type: "image/png" }));
  const zone = document.querySelector(".drop-zone");
  zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
}"""


def test_pictures_upload_several_at_once_with_thumbnails_and_reorder_on_a_phone(
        app, live_server, new_page, tmp_path):
    owner = f.user(name="Mika Maker")
    idea = f.idea(owner, status="draft", title="Quiet umbrella stand")
    from app.extensions import db
    db.session.commit()
    page = new_page(PHONE)
    sign_in(page, live_server, owner)
    page.goto(f"{live_server}/ideas/{idea.id}/edit#images")
    page.set_input_files("input[name=file]", pngs(tmp_path, 3))
    progress = page.locator("[data-testid=upload-progress] .upload-row")
    progress.nth(2).locator("img").wait_for(state="visible")
    assert progress.count() == 3
    assert all("/media/" in src for src in progress.locator("img").evaluate_all(
        "els => els.map(e => e.src)"))
    page.locator("[data-testid=image-list] [data-testid=idea-image]").nth(2).wait_for()
    screenshot(page, "polish-uploads-phone-en")
    before = thumbs(page)
    assert len(before) == 3
    # Reordering with a thumb-sized button, not by dragging.
    later = page.locator("[data-testid=move-later]").first
    assert later.bounding_box()["height"] >= 44
    later.click()
    page.wait_for_load_state()
    assert thumbs(page) == [before[1], before[0], before[2]]
    page.locator("[data-testid=move-earlier]").last.click()
    page.wait_for_load_state()
    assert thumbs(page) == [before[1], before[2], before[0]]
    # Dropped onto the form: uploaded the same way.
    page.evaluate(DROP)
    page.locator("[data-testid=image-list] [data-testid=idea-image]").nth(3).wait_for()
    assert len(thumbs(page)) == 4
    page.goto(f"{live_server}/ideas/{idea.id}/edit?lang=ja#images")
    screenshot(page, "polish-uploads-phone-ja")
    assert not page.js_errors, page.js_errors


def test_pictures_upload_several_at_once_without_javascript(app, browser, live_server, tmp_path):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    from app.extensions import db
    db.session.commit()
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, live_server, owner)
        page.goto(f"{live_server}/ideas/{idea.id}/edit")
        page.set_input_files("input[name=file]", pngs(tmp_path, 2))
        page.locator(".upload-button").click()
        page.wait_for_load_state()
        assert "2 pictures were added" in page.locator(".flashes").inner_text()
        assert len(thumbs(page)) == 2
    finally:
        context.close()


def test_markdown_preview_with_and_without_javascript(app, browser, live_server, new_page):
    owner, member = f.user(), f.user(name="Kai Reader")
    idea = f.idea(owner, title="Quiet umbrella stand")
    top = comments.post_comment(member, idea.id, "Where does the water go?")
    comments.post_comment(owner, idea.id, "Into a tray.", parent_id=top.id)
    from app.extensions import db
    db.session.commit()
    page = new_page()
    sign_in(page, live_server, member)
    page.goto(f"{live_server}/ideas/{idea.id}")
    heading = page.locator("#comments-heading").inner_text()
    assert re.search(r"\(2\)", heading), heading  # the reply counts too
    form = page.locator("[data-testid=comment-form]")
    form.locator("textarea").fill("**Really** nice <script>x()</script>")
    form.get_by_role("button", name="Preview").click()
    shown = form.locator("[data-testid=markdown-preview] .prose")
    shown.locator("strong").wait_for()
    assert shown.locator("strong").inner_text() == "Really"
    assert shown.locator("script").count() == 0
    assert page.url.endswith(f"/ideas/{idea.id}")  # nothing was posted
    screenshot(page, "polish-preview-desktop-en")
    assert not page.js_errors, page.js_errors

    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        plain = context.new_page()
        sign_in(plain, live_server, member)
        plain.goto(f"{live_server}/ideas/{idea.id}?lang=ja")
        plain.locator("[data-testid=comment-form] textarea").fill("_とても_ 良い")
        plain.locator("[data-testid=comment-form] button[name=preview]").click()
        plain.wait_for_load_state()
        assert plain.locator("[data-testid=markdown-preview] em").inner_text() == "とても"
        assert plain.locator("textarea[name=body]").input_value() == "_とても_ 良い"
        screenshot(plain, "polish-preview-nojs-ja")
        plain.locator("[data-testid=preview-form] button.button:not([name=preview])").click()
        plain.wait_for_load_state()
        assert "とても" in plain.locator("#comments").inner_text()
    finally:
        context.close()


STAFF_PAGES = ["/admin/audit", "/admin/users", "/moderation/hidden", "/finance"]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_staff_pages_on_a_phone_say_their_tables_scroll_and_read_as_sentences(
        app, live_server, new_page, lang):
    admin = f.user("admin", "moderator", "finance", name="Ada Admin")
    idea = f.idea(title="Quiet umbrella stand")
    f.idea(status="pending_moderation")
    events.audit(admin, "idea.hidden", idea, before={"hidden": False}, after={"hidden": True},
                 reason="Spam and a long reason that makes the table wider than a phone")
    events.audit(admin, "user.role_granted", admin, before={"roles": ["member"]},
                 after={"roles": ["member", "moderator"]})
    from app.extensions import db
    db.session.commit()
    for viewport, name in ((PHONE, "phone"), ((1280, 900), "desktop")):
        page = new_page(viewport)
        sign_in(page, live_server, admin)
        for path in STAFF_PAGES:
            page.goto(f"{live_server}{path}?lang={lang}")
            for box in page.locator(".table-scroll").all():
                if box.evaluate("b => b.scrollWidth > b.clientWidth + 1"):
                    hint = box.locator("xpath=preceding-sibling::*[1]")
                    assert hint.get_attribute("class") == "scroll-hint", path
                    assert hint.is_visible(), path
        page.goto(f"{live_server}/admin/audit?lang={lang}")
        badge = page.locator("[data-testid=moderation-pending]")
        if name == "desktop":
            assert badge.is_visible() and badge.inner_text().strip().endswith("1")
        table = page.locator("[data-testid=audit-entries]")
        assert table.get_by_role("link", name="Quiet umbrella stand").count() == 1
        assert "idea.hidden" not in table.inner_text()  # a label, not the code
        assert '{"' not in table.inner_text()
        page.locator("[data-testid=audit-entries] details summary").first.click()
        screenshot(page, f"polish-audit-{name}-{lang}")
        assert not page.js_errors, page.js_errors


def test_sales_file_with_a_bad_header_says_so(app, live_server, new_page, tmp_path):
    finance = f.user("finance")
    from app.extensions import db
    db.session.commit()
    bad = tmp_path / "sales.csv"
    bad.write_text("product,period,units\n1,2026-04,1\n")
    for lang, viewport, name in (("en", (1280, 900), "desktop"), ("ja", PHONE, "phone")):
        page = new_page(viewport)
        sign_in(page, live_server, finance)
        page.goto(f"{live_server}/finance/sales/import?lang={lang}")
        page.set_input_files("input[name=file]", str(bad))
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
        assert page.locator("[data-testid=file-problem]").is_visible()
        assert page.locator("[data-testid=row-errors]").count() == 0
        screenshot(page, f"polish-import-header-{name}-{lang}")
        page.goto(f"{live_server}/finance/sales/new?lang={lang}")
        assert page.locator("select[name=product_id]").input_value() == ""
