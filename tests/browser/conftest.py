"""Browser tests: real Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the
app served by a real threaded HTTP server on 127.0.0.1. They run on the embedded SQLite database.
"""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import IN_CI

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "screenshots"))


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path):
    path = tmp_path / "test.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        reason = f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium')"
        if IN_CI:
            pytest.fail(reason + "; CI must never skip them")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open a fresh browser context (its own cookies) and page; several per test are allowed."""
    contexts = []

    def _open(viewport=(1280, 900)):
        context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                      locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.js_errors = errors
        return page

    yield _open
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    """Keep a screenshot of what the user saw (for humans; nothing asserts on pixels)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
