"""Degrade, don't fall over: with Redis unreachable members still sign up, sign in and support
(rate limits count in memory; mail goes out in-process), and with the database unreachable every
page answers 503 with a retry hint and a static page; /healthz and /readyz tell which part is down."""
from __future__ import annotations

import socket
import time

import pytest

from app import create_app, metrics
from app.extensions import db, limiter
from app.models import OutboundMail
from tests import factories
from tests.conftest import make_config
from tests.helpers import bearer, csrf_token
from tests.smtp import smtp_server  # noqa: F401


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.fixture
def dead_redis() -> str:
    return f"redis://127.0.0.1:{_closed_port()}/0"


@pytest.fixture
def config_overrides(smtp_server, dead_redis):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port,
            "RATELIMIT_ENABLED": True, "REDIS_URL": dead_redis, "RATELIMIT_STORAGE_URI": dead_redis}


@pytest.fixture(autouse=True)
def _trust_the_next_storage():
    yield
    limiter._storage_dead = False  # the limiter is one object for all the tests' apps


def test_with_redis_down_members_sign_up_sign_in_and_support(app, client, smtp_server):  # noqa: F811
    fallbacks, unqueued = metrics.value("ratelimit_fallbacks"), metrics.value("jobs_broker_unavailable")
    started = time.monotonic()
    signed_up = client.post("/signup", data={
        "csrf_token": csrf_token(client, "/signup"), "email": "new.fan@example.com",
        "password": "river stones 42", "display_name": "New Fan"})
    assert signed_up.status_code == 302 and time.monotonic() - started < 5
    [message] = smtp_server.wait_for(1)  # the mail job ran in-process instead of via Redis
    assert message["To"] == "new.fan@example.com" and "/confirm/" in smtp_server.body(message)
    assert db.session.query(OutboundMail).one().status == "sent"
    assert metrics.value("ratelimit_fallbacks") > fallbacks
    assert metrics.value("jobs_broker_unavailable") > unqueued

    member = factories.user(email="member@example.com")
    other = app.test_client()
    signed_in = other.post("/login", data={"csrf_token": csrf_token(other, "/login"),
                                           "email": member.email, "password": factories.PASSWORD})
    assert signed_in.status_code == 302

    idea = factories.idea()
    supported = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(member), json={})
    assert supported.status_code == 201


def test_with_redis_down_rate_limits_still_hold_in_memory(client):
    body = {"email": "nobody@example.com", "password": "wrong"}
    statuses = [client.post("/api/v1/tokens", json=body).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]


def test_readyz_names_what_is_down_and_healthz_stays_up(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"]
    checks = ready.get_json()["checks"]
    assert checks["database"] == "ok" and checks["storage"] == "ok"
    assert checks["redis"].startswith("unavailable")


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_with_the_database_down_pages_answer_503_with_a_static_page(tmp_path, kind):
    url = (f"sqlite:///{tmp_path}/missing/folder/kyoso.db" if kind == "sqlite"
           else f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/kyoso")
    app = create_app(make_config(url, str(tmp_path / "uploads")))
    client = app.test_client()

    page = client.get("/")
    assert page.status_code == 503 and int(page.headers["Retry-After"]) > 0
    html = page.get_data(as_text=True)
    assert "briefly unavailable" in html and "一時的にご利用いただけません" in html

    api = client.get("/api/v1/ideas")
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert api.get_json()["error"]["code"] == "unavailable"

    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"].startswith("unavailable")
    assert ready.get_json()["checks"]["storage"] == "ok"
    with app.app_context():
        db.engine.dispose()
