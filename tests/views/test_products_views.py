"""HTML: the product page and its staff forms (each step and each refusal), the "Made with the
community" list, the review batch results page, and their query counts."""
from __future__ import annotations

from sqlalchemy import select

from app.models import IdeaEvent, Notification, ProductPost
from tests import factories
from tests.helpers import csrf_token, login
from tests.product_factories import approved_product, idea_of, staged


def _post_stage(client, product, **form):
    token = csrf_token(client, f"/products/{product.id}")
    return client.post(f"/products/{product.id}/stage", data={"csrf_token": token, **form})


def test_the_public_product_page_shows_idea_insight_creators_and_stage(client, db):
    co = factories.user(name="Aiko Co")
    product = approved_product(title="Quiet stroller", owner=factories.user(name="Bob Owner"),
                               supports=3, co_creators=(co,))
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Quiet stroller" in html and "Bob Owner" in html and "Aiko Co" in html
    assert "A parent on a crowded morning train with a toddler" in html  # the N=1 insight
    assert f'href="/ideas/{product.idea_id}"' in html
    assert 'data-testid="support-count">3<' in html
    assert 'data-testid="product-stage">Approved<' in html
    assert 'data-testid="stage-form"' not in html  # the public sees no staff form
    assert 'data-testid="batch-results"' in html  # approved in a batch: its results linked
    assert "Approved in the review batch “Spring review”." in html


def test_an_admin_moves_the_product_with_the_forms(client, db):
    product = approved_product(supports=2)
    admin = factories.user("admin")
    login(client, admin)
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert 'data-testid="stage-form"' in page and 'value="in_production"' in page
    response = _post_stage(client, product, stage="in_production",
                           message="Tooling has *started*.", expected_on="2031-04-01")
    assert response.status_code == 302
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Tooling has <em>started</em>." in html
    assert 'data-testid="expected-on">Expected on sale: Apr 1, 2031<' in html
    assert 'value="on_sale"' in html

    response = _post_stage(client, product, stage="on_sale", message="In the shop.",
                           shop_url="https://shop.example.com/x", price="2,980", currency="JPY")
    assert response.status_code == 302
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert 'href="https://shop.example.com/x"' in html and 'data-testid="shop-link"' in html
    assert "¥2,980" in html
    assert idea_of(product).status == "on_sale"
    assert 'data-testid="stage-form"' not in html  # nothing after on sale
    assert db.session.scalar(select(IdeaEvent.reason).where(
        IdeaEvent.kind == "product_stage", IdeaEvent.to_status == "on_sale")) == "In the shop."


def test_the_forms_refuse_bad_input_and_wrong_order(client, db):
    product = approved_product()
    login(client, factories.user("product_manager"))
    assert 'href="/products">Products</a>' in client.get("/").get_data(as_text=True)  # nav
    response = _post_stage(client, product, stage="on_sale", message="Too early.",
                           shop_url="https://shop.example.com/x")
    assert response.status_code == 409
    assert "cannot go to" in response.get_data(as_text=True)
    response = _post_stage(client, product, stage="in_production", message="")
    assert response.status_code == 422
    staged(product, "in_production")
    response = _post_stage(client, product, stage="on_sale", message="Now.",
                           shop_url="javascript:alert(1)")
    assert response.status_code == 422
    assert "http:// or https://" in response.get_data(as_text=True)
    response = _post_stage(client, product, stage="on_sale", message="Now.",
                           shop_url="https://shop.example.com/x", price="12.5", currency="JPY")
    assert response.status_code == 422
    assert "Write the price as a number" in response.get_data(as_text=True)
    assert idea_of(product).status == "in_production"
    assert db.session.query(ProductPost).count() == 1


def test_members_and_other_staff_get_403_from_the_forms(client, db):
    product = approved_product()
    for roles in ((), ("moderator",), ("finance",)):
        login(client, factories.user(*roles))
        response = _post_stage(client, product, stage="in_production", message="No.")
        assert response.status_code == 403, roles
        token = csrf_token(client, f"/products/{product.id}")
        assert client.post(f"/products/{product.id}/updates",
                           data={"csrf_token": token, "body": "No."}).status_code == 403
    assert idea_of(product).status == "approved"


def test_a_development_update_is_shown_as_official_and_tells_followers(client, db):
    product = approved_product(supports=1)
    login(client, factories.user("admin", name="Staff Sato"))
    token = csrf_token(client, f"/products/{product.id}")
    response = client.post(f"/products/{product.id}/updates",
                           data={"csrf_token": token, "body": "Prototype **two** is ready."})
    assert response.status_code == 302
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Prototype <strong>two</strong> is ready." in html
    assert '<span class="official">Official</span>' in html and "Staff Sato" in html
    assert db.session.query(Notification).filter_by(kind="product_update").count() == 2


def test_the_product_page_in_japanese(client, db):
    product = staged(approved_product(), "in_production")
    html = client.get(f"/products/{product.id}?lang=ja").get_data(as_text=True)
    assert "製品化中" in html and "コミュニティと作ったもの" in html


def test_made_with_the_community_lists_products_with_stage_and_shop(client, db):
    on_sale = staged(approved_product(title="Sold thing"), "in_production", "on_sale")
    approved_product(title="Approved thing")
    factories.hidden(idea_of(approved_product(title="Hidden thing")))
    html = client.get("/products").get_data(as_text=True)
    assert "Sold thing" in html and "Approved thing" in html and "Hidden thing" not in html
    assert f'href="/products/{on_sale.id}"' in html
    assert 'href="https://shop.example.com/p/1"' in html


def test_the_batch_results_page_lists_every_decision_and_is_linked(client, db):
    yes = factories.in_review(title="Yes idea")
    no = factories.in_review(title="No idea")
    follower = factories.user()
    factories.support(yes, follower)
    for idea in (yes, no):
        factories.scored(idea, 2, 2)
    factories.approved(yes, "We will make it.")
    factories.decided(no, "not_approved", "Too costly to make.")
    batch = factories.published()
    html = client.get(f"/review/batches/{batch.id}/results").get_data(as_text=True)
    assert "Yes idea" in html and "We will make it." in html
    assert "No idea" in html and "Too costly to make." in html
    assert "See the product" in html
    criteria = client.get("/review/criteria").get_data(as_text=True)
    assert f'href="/review/batches/{batch.id}/results"' in criteria
    url = db.session.scalar(select(Notification.url).where(
        Notification.user_id == follower.id, Notification.kind == "idea_reviewed"))
    assert url == f"/review/batches/{batch.id}/results"


def test_product_page_and_list_cost_the_same_queries_for_more_data(client, db, count_queries):
    from app.services import products

    small = approved_product(title="Small")
    products.post_update(factories.user("admin"), small.id, "First update")
    db.session.commit()
    client.get(f"/products/{small.id}")
    client.get("/products")
    with count_queries() as few_page:
        client.get(f"/products/{small.id}")
    with count_queries() as few_list:
        client.get("/products")
    big = approved_product(title="Big", supports=5,
                           co_creators=(factories.user(), factories.user(), factories.user()))
    staged(big, "in_production", "on_sale")
    admin = factories.user("admin")
    for n in range(4):
        products.post_update(admin, big.id, f"Update {n}")
    db.session.commit()
    for n in range(4):
        staged(approved_product(title=f"More {n}"), "in_production")
    client.get(f"/products/{big.id}")
    with count_queries() as many_page:
        client.get(f"/products/{big.id}")
    with count_queries() as many_list:
        client.get("/products")
    assert many_page.count == few_page.count, many_page
    assert many_list.count == few_list.count, many_list
