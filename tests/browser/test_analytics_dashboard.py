"""The KPI dashboard in a real browser, as an analyst: the learning table and its chart, in
English and Japanese, on a desktop and a phone (screenshots kept in SCREENSHOT_DIR)."""
from __future__ import annotations

import pytest

from tests import factories as f
from tests.browser.conftest import screenshot
from tests.browser.test_review_journey import sign_in
from tests.test_analytics import heard, history  # noqa: F401 (fixtures: a known March)

pytestmark = pytest.mark.browser


def test_an_analyst_reads_the_learning_figures_on_a_desktop_and_a_phone(live_server, new_page, heard):  # noqa: F811
    analyst = f.user("analyst")
    url = f"{live_server}/admin/analytics?from=2026-03-01&to=2026-03-31&campaign={heard['campaign'].id}"
    for lang, viewport in (("en", (1280, 900)), ("ja", (1280, 900)), ("en", (390, 844)), ("ja", (390, 844))):
        page = new_page(viewport)
        sign_in(page, live_server, analyst)
        page.goto(f"{url}&lang={lang}")
        if page.locator("[data-testid=kpi-computing]").count():  # the first view queues the job
            assert page.locator('meta[http-equiv="refresh"]').count() == 1
            if viewport[0] < 500:
                screenshot(page, f"kpi-dashboard-computing-{lang}-phone")
            page.reload()
        as_of = page.locator("[data-testid=kpi-as-of]").inner_text()
        assert ("時点の数値" in as_of) if lang == "ja" else as_of.startswith("Figures as of ")
        table = page.locator("[data-testid=kpi-learning]")
        assert table.locator("[data-learning=survey_responses] td").first.inner_text() == "4"
        assert table.locator("[data-learning=resonance_me_too] td").first.inner_text() == "2"
        heading = "メンバーから聞けたこと" if lang == "ja" else "What members told us"
        assert page.locator("#learning-heading").inner_text() == heading
        assert page.locator("select#campaign").input_value() == str(heard["campaign"].id)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]
        assert not page.js_errors
        screenshot(page, f"kpi-dashboard-{lang}-{'phone' if viewport[0] < 500 else 'desktop'}")
