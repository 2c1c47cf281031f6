"""Idempotency-Key on the API's creating POSTs: a retry gets the first answer, never a duplicate."""
from __future__ import annotations

import http.client
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from app import idempotency
from app.services import counters
from app.models import Comment, Idea, IdempotencyKey, Support, Tag
from app.models.base import utcnow
from app.models.ledger import Payout, Sale
from app.transaction import transaction
from tests import factories as f
from tests.helpers import bearer
from tests.ledger_factories import product, sale

DRAFT = {"title": "A bottle that folds flat", "pitch": "For commuters",
         "insight": {"situation": "A packed bag", "emotion": "annoyed", "purpose": "space"}}


def _count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def _post(client, path, body, headers, key=None):
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    return client.post(f"/api/v1{path}", json=body, headers=headers)


# --- the retry gets the first answer ------------------------------------------------------------

def test_retried_idea_creation_returns_the_first_draft_instead_of_a_second(client, db):
    headers = bearer(f.user())
    first = _post(client, "/ideas", DRAFT, headers, key="9b2f6c1e-retry-1")
    again = _post(client, "/ideas", DRAFT, headers, key="9b2f6c1e-retry-1")
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Content-Type"] == "application/json"
    assert _count(db, Idea) == 1


def test_without_a_key_every_request_creates(client, db):
    headers = bearer(f.user())
    assert _post(client, "/ideas", DRAFT, headers).status_code == 201
    assert _post(client, "/ideas", DRAFT, headers).status_code == 201
    assert _count(db, Idea) == 2


def test_the_same_body_in_another_key_order_is_the_same_request(client, db):
    headers = bearer(f.user())
    _post(client, "/ideas", DRAFT, headers, key="order-1")
    reordered = client.post("/api/v1/ideas", data=json.dumps(dict(reversed(list(DRAFT.items())))),
                            headers={**headers, "Idempotency-Key": "order-1",
                                     "Content-Type": "application/json"})
    assert reordered.status_code == 201 and reordered.headers["Idempotent-Replayed"] == "true"
    assert _count(db, Idea) == 1


def test_a_key_reused_for_a_different_body_is_refused(client, db):
    headers = bearer(f.user())
    _post(client, "/ideas", DRAFT, headers, key="reused-1")
    response = _post(client, "/ideas", {**DRAFT, "title": "Something else"}, headers,
                     key="reused-1")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _count(db, Idea) == 1


def test_a_key_reused_on_another_endpoint_is_refused(client, db):
    user = f.user()
    idea = f.idea()
    headers = bearer(user)
    assert _post(client, f"/ideas/{idea.id}/comments", {"body": "hi"}, headers,
                 key="k-1").status_code == 201
    response = _post(client, f"/ideas/{idea.id}/supports", {}, headers, key="k-1")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert _count(db, Support) == 0


def test_keys_belong_to_their_caller(client, db):
    _post(client, "/ideas", DRAFT, bearer(f.user()), key="shared-key")
    other = _post(client, "/ideas", DRAFT, bearer(f.user()), key="shared-key")
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert _count(db, Idea) == 2


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "semi;colon", "ключ"])
def test_a_malformed_key_is_400_and_creates_nothing(client, db, key):
    response = client.post("/api/v1/ideas", json=DRAFT,
                           headers={**bearer(f.user()), "Idempotency-Key": key})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "idempotency_key_invalid"
    assert _count(db, Idea) == 0


def test_a_refusal_is_not_remembered(client, db):
    idea = f.idea()
    headers = bearer(f.user())
    refused = _post(client, f"/ideas/{idea.id}/comments", {"body": ""}, headers, key="c-1")
    assert refused.status_code == 422
    assert _count(db, IdempotencyKey) == 0
    # Nothing was created, so the retry (fixed or not) runs again.
    assert _post(client, f"/ideas/{idea.id}/comments", {"body": "hello"}, headers,
                 key="c-1").status_code == 201


def test_retried_comment_support_and_update_are_created_once(client, db):
    owner, member = f.user(), f.user()
    idea = f.idea(owner)
    for path, body, headers in ((f"/ideas/{idea.id}/comments", {"body": "Nice"}, bearer(member)),
                                (f"/ideas/{idea.id}/supports", {"would_buy": "yes"},
                                 bearer(member)),
                                (f"/ideas/{idea.id}/updates", {"body": "Prototype"},
                                 bearer(owner))):
        first = _post(client, path, body, headers, key=f"retry-{path}")
        again = _post(client, path, body, headers, key=f"retry-{path}")
        assert (first.status_code, again.status_code) == (201, 201), again.get_json()
        assert again.get_json() == first.get_json()
    assert _count(db, Comment) == 2
    assert _count(db, Support) == 1
    db.session.expire_all()
    assert counters.exact_counts([db.session.get(Idea, idea.id)])[idea.id] == 1


def test_retried_sale_and_payout_post_once(client, db):
    finance, creator = f.user("finance"), f.user()
    item = product(creator)
    headers = bearer(finance)
    body = {"product_id": item.id, "period": "2026-04", "units": 3,
            "net_sales": {"amount": 500_000, "currency": "USD"}, "external_ref": "pos-77"}
    first = _post(client, "/sales", body, headers, key="sale-77")
    again = _post(client, "/sales", body, headers, key="sale-77")
    # The replay is the first answer (201, created), not the "already recorded" 200.
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    payout = {"user_id": creator.id, "amount": {"amount": 3_000, "currency": "USD"},
              "reference": "bank-1"}
    paid = _post(client, "/payouts", payout, headers, key="payout-1")
    repaid = _post(client, "/payouts", payout, headers, key="payout-1")
    assert (paid.status_code, repaid.status_code) == (201, 201)
    assert repaid.get_json() == paid.get_json()  # the balance as it was after the one payout
    assert (_count(db, Sale), _count(db, Payout)) == (1, 1)
    verified = client.get("/api/v1/ledger/verify", headers=headers).get_json()
    assert verified["ok"] is True


# --- one commit: the answer and what it describes ------------------------------------------------

def test_a_failure_after_the_endpoint_leaves_neither_the_draft_nor_the_key(client, db, monkeypatch):
    def crash(_record, _response):
        raise RuntimeError("the process died before the commit")

    monkeypatch.setattr(idempotency, "_keep", crash)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    response = _post(client, "/ideas", DRAFT, bearer(f.user()), key="crash-1")
    assert response.status_code == 500
    assert (_count(db, Idea), _count(db, IdempotencyKey)) == (0, 0)


def test_the_key_is_stored_with_the_answer_in_the_same_commit(client, db):
    user = f.user()
    response = _post(client, "/ideas", DRAFT, bearer(user), key="stored-1")
    db.session.expire_all()
    record = db.session.scalar(select(IdempotencyKey))
    assert (record.user_id, record.key, record.method, record.path) == \
        (user.id, "stored-1", "POST", "/api/v1/ideas")
    assert record.status_code == 201
    assert json.loads(record.response_body) == response.get_json()


def test_nested_transactions_commit_once_at_the_outermost(app, db):
    with pytest.raises(RuntimeError), transaction():
        with transaction():
            db.session.add(Tag(name="inner"))
        assert not db.session.new  # flushed by the inner block, not committed
        raise RuntimeError("the outer block fails after the inner one finished")
    assert _count(db, Tag) == 0
    with transaction():
        with transaction():
            db.session.add(Tag(name="kept"))
    db.session.rollback()  # nothing pending: the outermost block committed
    assert db.session.scalars(select(Tag.name)).all() == ["kept"]


# --- expiry -------------------------------------------------------------------------------------

def test_a_key_older_than_a_day_is_forgotten(client, db):
    headers = bearer(f.user())
    _post(client, "/ideas", DRAFT, headers, key="old-key")
    db.session.execute(IdempotencyKey.__table__.update().values(
        created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    response = _post(client, "/ideas", DRAFT, headers, key="old-key")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert (_count(db, Idea), _count(db, IdempotencyKey)) == (2, 1)


def test_purge_deletes_only_expired_keys(app, db):
    headers = bearer(f.user())
    client = app.test_client()
    for key in ("a-1", "a-2", "a-3"):
        _post(client, "/ideas", {**DRAFT, "title": key}, headers, key=key)
    db.session.execute(IdempotencyKey.__table__.update().where(IdempotencyKey.key != "a-3")
                       .values(created_at=utcnow() - timedelta(hours=24, seconds=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["api", "purge-idempotency-keys"])
    assert result.exit_code == 0 and "purged 2 idempotency keys" in result.output
    assert db.session.scalars(select(IdempotencyKey.key)).all() == ["a-3"]
    assert idempotency.run_purge_idempotency_keys() == 0


# --- the OpenAPI document -----------------------------------------------------------------------

def test_openapi_declares_the_optional_header_on_the_creating_endpoints(client):
    document = client.get("/api/v1/openapi.json").get_json()
    header = document["components"]["parameters"]["IdempotencyKey"]
    assert (header["name"], header["in"], header["required"]) == \
        ("Idempotency-Key", "header", False)
    ref = {"$ref": "#/components/parameters/IdempotencyKey"}
    for path in ("/ideas", "/ideas/{idea_id}/comments", "/ideas/{idea_id}/supports", "/sales",
                 "/payouts"):
        key = next(p for p in document["paths"] if p.replace("{id}", "{idea_id}") == path)
        assert ref in document["paths"][key]["post"]["parameters"], path
    assert ref not in document["paths"]["/ideas"]["get"].get("parameters", [])
    comments = next(p for p in document["paths"] if p.endswith("/comments")
                    and p.startswith("/ideas/"))
    assert any(p.get("in") == "path" for p in document["paths"][comments]["post"]["parameters"])


# --- concurrent duplicates ----------------------------------------------------------------------

@pytest.fixture
def live_port(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


def _call(port: int, path: str, body: dict, headers: dict[str, str]) -> tuple[int, dict, dict]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=json.dumps(body),
                           headers={**headers, "Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    return response.status, json.loads(raw), dict(response.getheaders())


def test_concurrent_retries_create_one_draft_and_all_get_its_answer(db, live_port):
    headers = {**bearer(f.user()), "Idempotency-Key": "at-once-1"}
    retries = 6
    results: list = [None] * retries
    barrier = threading.Barrier(retries)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = _call(live_port, "/api/v1/ideas", DRAFT, headers)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(retries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert all(result is not None for result in results), "a request never finished"
    statuses = [status for status, _, _ in results]
    assert statuses == [201] * retries, results
    assert len({json.dumps(body, sort_keys=True) for _, body, _ in results}) == 1
    assert sum(1 for *_, h in results if h.get("Idempotent-Replayed") == "true") == retries - 1
    assert (_count(db, Idea), _count(db, IdempotencyKey)) == (1, 1)


def test_sale_after_a_lost_answer_is_recorded_once(client, db):
    """The sale endpoint already refuses duplicates by external_ref; with a key the retry gets
    the very first answer."""
    finance = f.user("finance")
    item = product(f.user())
    sale(finance, item, 100_000, external_ref="prior")
    body = {"product_id": item.id, "period": "2026-05", "units": 1,
            "net_sales": {"amount": 2_000, "currency": "USD"}, "external_ref": "pos-9"}
    headers = bearer(finance)
    codes = [_post(client, "/sales", body, headers, key="pos-9-k").status_code for _ in range(3)]
    assert codes == [201, 201, 201]
    assert _count(db, Sale) == 2
