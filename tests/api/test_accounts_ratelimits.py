"""Rate limits on signing in, signing up and asking for tokens (RATELIMIT_ENABLED on here)."""
from __future__ import annotations

import pytest

from app.extensions import limiter
from tests.helpers import csrf_token


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_ENABLED": True}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    limiter.reset()
    yield
    limiter.reset()


def test_token_requests_are_rate_limited_with_retry_after(client):
    statuses = [client.post("/api/v1/tokens", json={"email": "x@example.com", "password": "y"})
                .status_code for _ in range(10)]
    assert statuses == [401] * 10
    limited = client.post("/api/v1/tokens", json={"email": "x@example.com", "password": "y"})
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0


def test_api_sign_up_is_rate_limited(client):
    statuses = [client.post("/api/v1/users", json={"email": f"a{n}@example.com", "password": "short",
                                                   "display_name": "A"}).status_code
                for n in range(6)]
    assert statuses == [422] * 5 + [429]


def test_sign_in_form_posts_are_limited_but_the_page_is_not(client):
    token = csrf_token(client, "/login")
    statuses = [client.post("/login", data={"csrf_token": token, "email": "x@example.com",
                                            "password": "wrong password"}).status_code
                for _ in range(11)]
    assert statuses[:10] == [422] * 10 and statuses[10] == 429
    assert all(client.get("/login").status_code == 200 for _ in range(15))
