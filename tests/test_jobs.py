"""Mail waits for the commit; with Redis it goes through the queue and a worker sends it."""
import os

import pytest
import redis as redis_lib

from app import jobs
from app.extensions import db
from app.mail import send_mail
from tests.smtp import smtp_server  # noqa: F401

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_or_skip():
    client = redis_lib.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis_lib.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    client.delete(jobs.QUEUE, jobs.FAILED)
    return client


@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port}


def test_mail_is_sent_only_after_commit(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    assert smtp_server.messages == []
    db.session.commit()
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["fan@example.com"]


def test_mail_of_a_rolled_back_change_is_never_sent(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    db.session.rollback()
    db.session.commit()
    assert smtp_server.messages == []


def test_with_redis_mail_is_queued_and_sent_by_the_worker(app, smtp_server):  # noqa: F811
    client = _redis_or_skip()
    app.config["REDIS_URL"] = REDIS_URL
    send_mail("fan@example.com", "Queued", "Body")
    db.session.commit()
    assert client.llen(jobs.QUEUE) == 1
    assert smtp_server.messages == []
    assert jobs.work(app, once=True, timeout=1) == 1
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Queued"]
    assert client.llen(jobs.QUEUE) == 0


def test_mail_waits_for_the_outer_commit_not_a_savepoint(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    with db.session.begin_nested():
        pass
    assert smtp_server.messages == []
    db.session.commit()
    assert len(smtp_server.wait_for(1)) == 1
