"""Times follow the browser's own time zone on a first visit (issue 17, item 11)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_visitor_in_berlin_sees_berlin_times_from_the_second_page_on(app, live_server, browser):
    context = browser.new_context(locale="en-US", timezone_id="Europe/Berlin")
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        assert cookies.get("tz") == "Europe/Berlin"
        with app.test_request_context("/", headers={"Cookie": "tz=Europe/Berlin"}):
            from app.i18n import select_timezone
            assert select_timezone() == "Europe/Berlin"
    finally:
        context.close()
