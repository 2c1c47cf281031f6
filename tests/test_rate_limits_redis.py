"""With REDIS_URL set, rate limits live in Redis: every worker of a deployment shares them."""
from __future__ import annotations

import os

import pytest
import redis as redis_lib

from app import create_app
from tests.conftest import make_config

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    client = redis_lib.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis_lib.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture
def config_overrides(redis_url):
    return {"RATELIMIT_ENABLED": True, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url}


def test_two_workers_share_one_token_rate_limit_through_redis(app, database_url, tmp_path, redis_url):
    # A second app instance stands for a second gunicorn worker on the same Redis.
    other_worker = create_app(make_config(database_url, str(tmp_path / "uploads2"),
                                          RATELIMIT_ENABLED=True, REDIS_URL=redis_url,
                                          RATELIMIT_STORAGE_URI=redis_url))
    body = {"email": "nobody@example.com", "password": "wrong"}
    first, second = app.test_client(), other_worker.test_client()
    statuses = [(first if n % 2 else second).post("/api/v1/tokens", json=body).status_code
                for n in range(10)]
    assert statuses == [401] * 10
    limited = first.post("/api/v1/tokens", json=body)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert redis_lib.Redis.from_url(redis_url).dbsize() > 0
