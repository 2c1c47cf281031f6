"""The road to market in a real browser: a product manager moves an approved product into
production and on sale from its page; visitors see it in English and Japanese, on a desktop and
a phone (screenshots kept in SCREENSHOT_DIR)."""

import pytest

from tests import factories as f
from tests.browser.conftest import screenshot
from tests.browser.test_review_journey import sign_in
from tests.product_factories import approved_product

pytestmark = pytest.mark.browser


def test_a_product_manager_takes_a_product_to_the_shop(live_server, new_page):
    product = approved_product(title="Quiet stroller clip", supports=3)
    manager = f.user("product_manager")
    page = new_page()
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/products/{product.id}")
    page.fill("textarea[name=message]", "Tooling has started.")
    page.fill("input[name=expected_on]", "2031-04-01")
    page.locator("[data-testid=stage-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=product-stage]").inner_text().lower() == "in production"
    page.fill("[data-testid=stage-form] textarea[name=message]", "In the shop now.")
    page.fill("input[name=shop_url]", "https://shop.example.com/quiet-stroller-clip")
    page.fill("input[name=price]", "2980")
    page.select_option("select[name=currency]", "JPY")
    page.locator("[data-testid=stage-form] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=shop-link]").get_attribute("href") == \
        "https://shop.example.com/quiet-stroller-clip"
    assert not page.js_errors, page.js_errors

    for lang in ("en", "ja"):
        for name, viewport in (("desktop", (1280, 900)), ("phone", (390, 844))):
            visitor = new_page(viewport)
            visitor.goto(f"{live_server}/products/{product.id}?lang={lang}")
            assert visitor.locator("[data-testid=product-price]").is_visible()
            assert visitor.locator("[data-testid=shop-link]").is_visible()
            width = visitor.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport[0], f"{lang} {name}: the page scrolls sideways ({width}px)"
            screenshot(visitor, f"product-page-{lang}-{name}")
