"""API: moving a product approved -> in_production -> on_sale, its refusals, the notifications
(one each, by a batched job), the products list and the public results of a review batch."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import AuditLog, IdeaEvent, IdeaFollow, Notification, ProductPost
from tests import factories
from tests.helpers import bearer
from tests.product_factories import approved_product, idea_of, staged

IN_PRODUCTION = {"stage": "in_production", "message": "Tooling has started.",
                 "expected_on": "2031-04-01"}
ON_SALE = {"stage": "on_sale", "message": "In the shop now.",
           "shop_url": "https://shop.example.com/quiet-stroller",
           "price": {"amount": 2980, "currency": "JPY"}}


def _stage(client, product, user, body):
    return client.post(f"/api/v1/products/{product.id}/stage", json=body, headers=bearer(user))


def test_admin_moves_a_product_to_production_then_on_sale(client, db):
    product = approved_product()
    admin = factories.user("admin")
    assert client.get(f"/api/v1/products/{product.id}").json["stage"] == "approved"

    response = _stage(client, product, admin, IN_PRODUCTION)
    assert response.status_code == 200, response.json
    assert response.json["stage"] == "in_production"
    assert response.json["expected_on"] == "2031-04-01"
    assert client.get(f"/api/v1/ideas/{product.idea_id}").json["status"] == "in_production"

    response = _stage(client, product, admin, ON_SALE)
    assert response.status_code == 200, response.json
    body = client.get(f"/api/v1/products/{product.id}").json
    assert body["stage"] == "on_sale"
    assert body["shop_url"] == "https://shop.example.com/quiet-stroller"
    assert body["price"] == {"amount": 2980, "currency": "JPY"}
    assert client.get(f"/api/v1/ideas/{product.idea_id}").json["status"] == "on_sale"

    history = db.session.scalars(select(IdeaEvent).where(
        IdeaEvent.idea_id == product.idea_id, IdeaEvent.kind == "product_stage")
        .order_by(IdeaEvent.id)).all()
    assert [(e.from_status, e.to_status, e.reason) for e in history] == [
        ("approved", "in_production", "Tooling has started."),
        ("in_production", "on_sale", "In the shop now.")]
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "product.stage")
                                .order_by(AuditLog.id)).all()
    assert [a.after["stage"] for a in audits] == ["in_production", "on_sale"]
    assert audits[1].before["stage"] == "in_production" and audits[1].actor_id == admin.id


def test_a_product_manager_may_move_it_and_others_may_not(client, db):
    product = approved_product()
    assert _stage(client, product, factories.user("product_manager"),
                  IN_PRODUCTION).status_code == 200
    for roles in ((), ("moderator",), ("finance",), ("reviewer",)):
        response = _stage(client, product, factories.user(*roles), ON_SALE)
        assert response.status_code == 403, roles
        assert response.json["error"]["code"] == "product_managers_only"
    response = client.post(f"/api/v1/products/{product.id}/stage", json=ON_SALE)
    assert response.status_code == 401
    assert idea_of(product).status == "in_production"


def test_stages_out_of_order_are_refused_with_409(client, db):
    product = approved_product()
    admin = factories.user("admin")
    response = _stage(client, product, admin, ON_SALE)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "wrong_stage"
    assert idea_of(product).status == "approved"
    staged(product, "in_production", "on_sale")
    for body in (IN_PRODUCTION, ON_SALE):
        response = _stage(client, product, admin, body)
        assert response.status_code == 409, body
        assert response.json["error"]["code"] == "wrong_stage"
        # on sale is the last stage: the message names no next one ("only to “—”" before)
        assert response.json["error"]["message"].startswith(
            "A product that is “On sale” has no further stage"), response.json
    assert db.session.scalar(select(func.count()).select_from(ProductPost)) == 2


def test_on_sale_needs_a_valid_http_shop_link(client, db):
    product = staged(approved_product(), "in_production")
    admin = factories.user("admin")
    for url in (None, "", "shop.example.com", "javascript:alert(1)", "ftp://shop.example.com/x",
                "https://", "https://exa mple.com/x", "x" * 600):
        response = _stage(client, product, admin, {**ON_SALE, "shop_url": url})
        assert response.status_code == 422, url
        assert "shop_url" in response.json["error"]["fields"], url
    assert idea_of(product).status == "in_production"
    assert _stage(client, product, admin, {**ON_SALE, "shop_url": "http://shop.example.com/x",
                                           "price": None}).status_code == 200


def test_bad_messages_dates_and_prices_are_field_errors(client, db):
    product = approved_product()
    admin = factories.user("admin")
    cases = [({**IN_PRODUCTION, "message": " "}, "message"),
             ({**IN_PRODUCTION, "expected_on": "2031-02-30"}, "expected_on"),
             ({**IN_PRODUCTION, "expected_on": 20310401}, "expected_on"),
             ({**IN_PRODUCTION, "stage": "approved"}, "stage"),
             ({**IN_PRODUCTION, "stage": "shipped"}, "stage"),
             ({**ON_SALE, "price": {"amount": 29.8, "currency": "JPY"}}, "price"),
             ({**ON_SALE, "price": {"amount": -1, "currency": "JPY"}}, "price"),
             ({**ON_SALE, "price": {"amount": 100, "currency": "YEN"}}, "price")]
    for body, name in cases:
        response = _stage(client, product, admin, body)
        assert response.status_code == 422, body
        assert name in response.json["error"]["fields"], (body, response.json)
    assert client.post(f"/api/v1/products/{product.id}/stage", data="[]",
                       headers={**bearer(admin), "Content-Type": "application/json"}
                       ).status_code == 400
    assert _stage(client, product, admin, {**IN_PRODUCTION, "expected_on": None}).status_code == 200


def test_a_hidden_ideas_product_is_404_to_the_public(client, db):
    product = approved_product()
    factories.hidden(idea_of(product))
    assert client.get(f"/api/v1/products/{product.id}").status_code == 404
    assert client.get(f"/products/{product.id}").status_code == 404
    assert client.get("/api/v1/products").json["total"] == 0
    assert client.get("/api/v1/products/999999").status_code == 404


def test_each_step_tells_creators_supporters_and_followers_once(client, db, app):
    co_creator = factories.user()
    owner = factories.user()
    product = approved_product(owner=owner, supports=7, co_creators=(co_creator,))
    idea = idea_of(product)
    follower, both = factories.user(), factories.user()
    factories.support(idea, both)
    for user in (follower, both):
        db.session.add(IdeaFollow(idea_id=idea.id, user_id=user.id))
    db.session.commit()
    db.session.execute(Notification.__table__.delete())
    db.session.commit()
    from app.services import products

    products.AUDIENCE_BATCH, batch = 3, products.AUDIENCE_BATCH  # several batches
    try:
        response = _stage(client, product, factories.user("admin"), IN_PRODUCTION)
    finally:
        products.AUDIENCE_BATCH = batch
    assert response.status_code == 200
    rows = db.session.scalars(select(Notification)).all()
    told = [row.user_id for row in rows]
    assert len(told) == len(set(told)) == 2 + 7 + 2
    assert {owner.id, co_creator.id, follower.id, both.id} <= set(told)
    assert {row.kind for row in rows} == {"product_stage"}
    assert {row.url for row in rows} == {f"/products/{product.id}"}
    assert "in production" in rows[0].message and "Apr 1, 2031" in rows[0].message
    post = db.session.scalar(select(ProductPost))
    assert post.notified_at is not None and post.notified_through == max(told)


def test_each_supporter_is_told_as_their_status_preference_says(client, db):
    """Issue 11: a product step reaches each member as they chose for status news: nothing
    (off), in the app only, in the digest (no mail now), or by mail at once."""
    from app.models import OutboundMail

    product = approved_product(supports=0)
    idea = idea_of(product)
    chosen = {}
    for mode in ("off", "app", "daily", "immediately"):
        member = factories.user()
        factories.support(idea, member)
        assert client.patch("/api/v1/me", headers=bearer(member), json={
            "notification_preferences": {"status": mode}}).status_code == 200
        chosen[mode] = member
    db.session.execute(Notification.__table__.delete())
    db.session.execute(OutboundMail.__table__.delete())
    db.session.commit()
    assert _stage(client, product, factories.user("admin"), IN_PRODUCTION).status_code == 200
    rows = {row.user_id: row for row in db.session.scalars(
        select(Notification).where(Notification.kind == "product_stage"))}
    assert chosen["off"].id not in rows
    assert {chosen[m].id for m in ("app", "daily", "immediately")} <= set(rows)
    mailed = {mail.to_address for mail in db.session.scalars(select(OutboundMail))}
    assert chosen["immediately"].email in mailed
    assert not mailed & {chosen[m].email for m in ("off", "app", "daily")}


def test_the_fan_out_job_run_again_tells_no_one_twice(client, db):
    product = approved_product(supports=4)
    staged(product, "in_production")
    from app.services import products

    post = db.session.scalar(select(ProductPost))
    before = db.session.scalar(select(func.count()).select_from(Notification))
    post.notified_at = None  # as if the worker died after the last batch, before marking it
    db.session.commit()
    products.tell_audience(post.id, batch_size=2)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == before


def test_development_updates_are_official_and_told(client, db):
    product = approved_product(supports=2)
    manager = factories.user("product_manager")
    response = client.post(f"/api/v1/products/{product.id}/updates",
                           json={"body": "We chose **recycled** fabric."}, headers=bearer(manager))
    assert response.status_code == 201, response.json
    assert response.json["official"] is True and response.json["kind"] == "update"
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "product_update")).all()
    assert len(told) == 3  # the owner and the two supporters
    listed = client.get(f"/api/v1/products/{product.id}/updates").json
    assert [item["body"] for item in listed["items"]] == ["We chose **recycled** fabric."]
    assert client.post(f"/api/v1/products/{product.id}/updates", json={"body": "x"},
                       headers=bearer(factories.user())).status_code == 403
    response = client.post(f"/api/v1/products/{product.id}/updates", json={"body": ""},
                           headers=bearer(manager))
    assert response.status_code == 422 and "body" in response.json["error"]["fields"]


def test_the_products_list_pages_by_number_and_by_cursor(client, db):
    made = [approved_product(title=f"Product {n}") for n in range(3)]
    staged(made[0], "in_production", "on_sale")
    body = client.get("/api/v1/products?per_page=2").json
    assert body["total"] == 3 and body["page"] == 1 and body["per_page"] == 2
    assert [item["name"] for item in body["items"]] == ["Product 2", "Product 1"]
    assert set(body["items"][0]) >= {"id", "idea_id", "name", "stage", "expected_on", "shop_url",
                                     "price"}
    rest = client.get(f"/api/v1/products?per_page=2&after={body['next']}").json
    assert [item["name"] for item in rest["items"]] == ["Product 0"]
    assert rest["items"][0]["stage"] == "on_sale" and "next" not in rest
    assert client.get("/api/v1/products?page=2&per_page=2").json["items"][0]["name"] == "Product 0"
    assert client.get("/api/v1/products?stage=on_sale").json["total"] == 1
    assert client.get("/api/v1/products?stage=shipped").status_code == 422
    assert client.get("/api/v1/products?after=abc").status_code == 400


def test_review_batch_results_are_public_once_published(client, db):
    approved = factories.in_review(title="Approved one")
    declined = factories.in_review(title="Declined one")
    for idea in (approved, declined):
        factories.scored(idea, 2, 2)
    factories.approved(approved, "We will make it with recycled fabric.")
    factories.decided(declined, "not_approved", "Too close to an existing product.")
    from app.services import review

    batch = review.current_open_batch()
    assert client.get(f"/api/v1/review-batches/{batch.id}/results").status_code == 404
    assert client.get(f"/review/batches/{batch.id}/results").status_code == 404
    factories.published(batch)
    body = client.get(f"/api/v1/review-batches/{batch.id}/results").json
    assert body["id"] == batch.id and body["name"] == "Spring review" and body["published_at"]
    assert [(d["title"], d["decision"], d["message"]) for d in body["decisions"]] == [
        ("Approved one", "approved", "We will make it with recycled fabric."),
        ("Declined one", "not_approved", "Too close to an existing product.")]
    assert body["decisions"][0]["product_id"] is not None
    assert client.get("/api/v1/review-batches/999999/results").status_code == 404


def test_openapi_describes_the_product_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "409" in paths["/products/{id}/stage"]["post"]["responses"]
    assert "422" in paths["/products/{id}/stage"]["post"]["responses"]
    assert "get" in paths["/products"] and "get" in paths["/review-batches/{id}/results"]
    assert "post" in paths["/products/{id}/updates"]


def test_the_sweep_finishes_a_fan_out_whose_job_was_lost(client, db):
    from datetime import timedelta

    from app.models import Product
    from app.models.base import utcnow
    from app.services import products

    product = approved_product(supports=3)
    post = ProductPost(product_id=product.id, kind="update", body="Lost job",
                       created_at=utcnow() - timedelta(minutes=5))
    db.session.add(post)
    db.session.commit()
    assert products.sweep() == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "product_update")) == 4  # the owner and three supporters
    assert db.session.get(ProductPost, post.id).notified_at is not None
    assert products.sweep() == 0
    assert db.session.get(Product, product.id) is not None
