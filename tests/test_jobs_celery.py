"""With REDIS_URL: real Celery workers (`flask jobs work` in a subprocess) on the real Redis.

A worker killed with SIGKILL in the middle of a mail leaves the job to the next worker, and the
mail is sent exactly once; an SMTP server that is down is retried with backoff until it is back;
a job delivered twice sends once; a worker outlives a Redis outage (a private redis-server). Each test has its own queue and key prefix in a Redis database
of its own (TEST_REDIS_URL's number minus one), apart from the rate-limit tests' flushes.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import select

from app import metrics
from app.extensions import db
from app.jobs import engine
from app.mail import send_mail
from app.models import OutboundMail
from tests.smtp import SMTPServer, smtp_server  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _celery_redis_url() -> str:
    match = re.search(r"/(\d+)$", TEST_REDIS_URL)
    number = int(match.group(1)) if match else 0
    base = TEST_REDIS_URL[:match.start()] if match else TEST_REDIS_URL.rstrip("/")
    return f"{base}/{number - 1 if number > 0 else 1}"


REDIS_URL = _celery_redis_url()
pytestmark = pytest.mark.postgres_only  # Celery and PostgreSQL, as in production


@pytest.fixture
def redis_url():
    client = redis_lib.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis_lib.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL} (set TEST_REDIS_URL)")
    yield REDIS_URL
    client.close()


@pytest.fixture
def engine_settings(redis_url, smtp_server):  # noqa: F811
    name = f"kyoso-test-{uuid.uuid4().hex[:12]}"
    settings = {"REDIS_URL": redis_url, "JOBS_QUEUE": name, "JOBS_KEY_PREFIX": f"{name}:",
                "JOBS_VISIBILITY_TIMEOUT": 2, "JOBS_RESTORE_INTERVAL": 1, "JOBS_RETRY_BACKOFF": 1,
                "JOBS_MAX_RETRIES": 5, "MAIL_SERVER": smtp_server.host,
                "MAIL_PORT": smtp_server.port, "MAIL_TIMEOUT": 2}
    yield settings
    client = redis_lib.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{name}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def config_overrides(engine_settings):
    return dict(engine_settings)


class Worker:
    """`flask jobs work` in its own process group (so SIGKILL takes its pool processes too)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "work", "--concurrency", "1",
             "--without-mingle", "--without-gossip", "--without-heartbeat"],
            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
            start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while " ready." not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)



@pytest.fixture
def start_worker(database_url, engine_settings, tmp_path):
    workers: list[Worker] = []

    def start() -> Worker:
        env = {**os.environ, "DATABASE_URL": database_url,
               "UPLOAD_FOLDER": str(tmp_path / "uploads"),
               **{key: str(value) for key, value in engine_settings.items()}}
        env.pop("FLASK_APP", None)
        worker = Worker(env, tmp_path / f"worker{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start
    for worker in workers:
        worker.kill()  # the test is over: nothing of theirs needs a clean shutdown


def _outbox(mail_id: int) -> OutboundMail:
    db.session.expire_all()
    return db.session.scalars(select(OutboundMail).where(OutboundMail.id == mail_id)).one()


def _wait(condition, timeout: float = 20.0, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)


def test_the_worker_sends_queued_mail_and_a_job_delivered_twice_sends_once(
        app, smtp_server, start_worker):  # noqa: F811
    start_worker()
    mail_id = send_mail("fan@example.com", "Queued", "Body")
    db.session.commit()
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Queued"]
    _wait(lambda: _outbox(mail_id).status == "sent")

    engine.publish(app, "mail.send", {"mail_id": mail_id})  # the same job once more
    time.sleep(1.5)
    assert len(smtp_server.messages) == 1


def test_a_worker_killed_mid_job_leaves_it_to_the_next_one_and_the_mail_goes_once(
        app, smtp_server, start_worker):  # noqa: F811
    first = start_worker()
    smtp_server.hold()  # the worker will be mid-conversation with the SMTP server
    mail_id = send_mail("fan@example.com", "Survivor", "Body")
    db.session.commit()
    assert smtp_server.held.wait(20), first.output()[-3000:]
    first.kill()
    smtp_server.release()
    assert smtp_server.messages == []

    second = start_worker()
    assert [m["Subject"] for m in smtp_server.wait_for(1, timeout=30)] == ["Survivor"], \
        second.output()[-3000:]
    _wait(lambda: _outbox(mail_id).status == "sent")
    time.sleep(1.5)
    assert len(smtp_server.messages) == 1
    assert _outbox(mail_id).attempts == 2  # the killed attempt counts


def test_an_smtp_server_that_is_down_is_retried_with_backoff_until_it_is_back(
        app, engine_settings, start_worker):
    server = SMTPServer()  # its port is chosen, but nothing listens there yet
    app.config.update(MAIL_PORT=server.port)
    engine_settings["MAIL_PORT"] = server.port
    start_worker()
    mail_id = send_mail("fan@example.com", "Patience", "Body")
    db.session.commit()
    _wait(lambda: _outbox(mail_id).attempts >= 1 and _outbox(mail_id).last_error is not None)
    assert _outbox(mail_id).status == "pending"
    server.start()
    try:
        assert [m["Subject"] for m in server.wait_for(1, timeout=30)] == ["Patience"]
        _wait(lambda: _outbox(mail_id).status == "sent")
    finally:
        server.stop()


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own, so that it can be stopped and started again."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = SMTPServer().port  # a free port
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]
    servers: list[subprocess.Popen] = []

    def start() -> None:
        servers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
        client = redis_lib.Redis(port=port)
        _wait(lambda: _pings(client), timeout=10)

    def stop() -> None:
        servers[-1].kill()
        servers[-1].wait(10)

    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    for server in servers:
        if server.poll() is None:
            server.kill()
            server.wait(10)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except redis_lib.ConnectionError:
        return False


def test_the_worker_outlives_a_redis_outage(app, smtp_server, engine_settings, start_worker,  # noqa: F811
                                            private_redis):
    url, start_redis, stop_redis = private_redis
    engine_settings["REDIS_URL"] = url
    worker = start_worker()
    stop_redis()
    time.sleep(4)
    assert worker.process.poll() is None, worker.output()[-3000:]
    start_redis()
    app.config.update(REDIS_URL=url)
    engine.init_app(app)  # this web app publishes to the private Redis too
    unqueued = metrics.value("jobs_broker_unavailable")
    mail_id = send_mail("fan@example.com", "After the outage", "Body")
    db.session.commit()
    assert [m["Subject"] for m in smtp_server.wait_for(1, timeout=40)] == ["After the outage"], \
        worker.output()[-3000:]
    _wait(lambda: _outbox(mail_id).status == "sent")
    assert metrics.value("jobs_broker_unavailable") == unqueued  # the worker sent it
