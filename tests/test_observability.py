"""Request ids, the JSON request log, /metrics and the job queue on the admin home."""
from __future__ import annotations

import json
import logging
import re

import pytest

from app import jobs, mail, observability
from tests import factories as f
from tests.helpers import bearer, login

TOKEN = "s3cret-metrics-token"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def request_lines():
    handler = Lines()
    observability.request_log.addHandler(handler)
    yield handler.records
    observability.request_log.removeHandler(handler)


def _lines(records) -> list[dict]:
    return [json.loads(record.getMessage()) for record in records]


# --- request ids and the request log ------------------------------------------------------------

def test_each_request_gets_an_id_and_one_json_log_line(client, request_lines):
    response = client.get("/?q=secret@example.com")
    ident = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", ident)
    [line] = _lines(request_lines)
    assert line["request_id"] == ident
    assert (line["method"], line["path"], line["endpoint"], line["status"]) == \
        ("GET", "/", "main.home", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert "secret@example.com" not in request_lines[0].getMessage()  # no query strings
    assert client.get("/").headers["X-Request-ID"] != ident


def test_the_log_line_names_the_caller(client, request_lines):
    user = f.user()
    client.get("/api/v1/me", headers=bearer(user))
    login(client, user)
    client.get("/")
    assert [line["user_id"] for line in _lines(request_lines)] == [user.id, user.id]


def test_refused_and_unknown_requests_are_logged_too(client, request_lines):
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    lines = _lines(request_lines)
    assert [(line["endpoint"], line["status"]) for line in lines] == \
        [("unmatched", 404), ("api.me", 401)]


def test_a_client_cannot_choose_its_request_id_without_a_trusted_proxy(client):
    response = client.get("/", headers={"X-Request-ID": "forged-id-1"})
    assert response.headers["X-Request-ID"] != "forged-id-1"


@pytest.mark.parametrize("config_overrides", [{"TRUSTED_PROXIES": 1}])
def test_the_proxys_request_id_is_kept(client, request_lines):
    assert client.get("/", headers={"X-Request-ID": "a1b2c3d4e5"}).headers["X-Request-ID"] \
        == "a1b2c3d4e5"
    bad = client.get("/", headers={"X-Request-ID": "no spaces\tor tabs"}).headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", bad)
    assert _lines(request_lines)[0]["request_id"] == "a1b2c3d4e5"


def test_other_log_records_of_the_request_carry_its_id(app, client, caplog):
    @app.get("/_test/log")
    def _log_something():
        logging.getLogger("kyoso.test").warning("something happened")
        return "ok"

    with caplog.at_level(logging.WARNING, logger="kyoso.test"):
        response = client.get("/_test/log")
    [record] = [r for r in caplog.records if r.name == "kyoso.test"]
    assert record.request_id == response.headers["X-Request-ID"]
    assert logging.getLogger().makeRecord("x", logging.INFO, "f", 1, "m", (), None).request_id == "-"


@pytest.mark.parametrize("config_overrides", [{"REQUEST_LOG": False}])
def test_the_request_log_can_be_turned_off(client, request_lines):
    assert "X-Request-ID" in client.get("/").headers
    assert request_lines == []


# --- /metrics -----------------------------------------------------------------------------------

def test_metrics_do_not_exist_without_a_token_setting(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize("config_overrides", [{"METRICS_TOKEN": TOKEN}])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}])
def test_metrics_need_the_token(client, headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert b"kyoso_" not in response.data


def _value(text: str, name: str, **labels) -> float:
    """The sample's value in a Prometheus exposition (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        sample, _, label_text = metric.partition("{")
        if sample == name and ",".join(sorted(label_text.rstrip("}").split(","))) == wanted:
            return float(value)
    return 0.0


@pytest.mark.parametrize("config_overrides", [{"METRICS_TOKEN": TOKEN}])
def test_metrics_count_requests_latency_jobs_and_mail(client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/metrics", headers=auth).get_data(as_text=True)
    client.get("/")
    client.get("/no/such/page")
    mail.send_mail("someone@example.com", "Hello", "Body")  # queued: runs at the commit
    from app.extensions import db

    db.session.commit()
    response = client.get("/metrics", headers=auth)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    after = response.get_data(as_text=True)

    def grew(name: str, **labels) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew("kyoso_http_requests_total", endpoint="main.home", method="GET", status="200") == 1
    assert grew("kyoso_http_requests_total", endpoint="unmatched", method="GET", status="404") == 1
    assert grew("kyoso_http_request_duration_seconds_count", endpoint="main.home") == 1
    assert _value(after, "kyoso_http_request_duration_seconds_bucket", endpoint="main.home",
                  le="+Inf") >= 1
    assert grew("kyoso_jobs_queued_total", job="mail.send") == 1
    assert grew("kyoso_mails_sent_total") == 1
    assert _value(after, "kyoso_jobs_waiting") == 0  # in-process: nothing waits


@pytest.mark.parametrize("config_overrides", [{"METRICS_TOKEN": TOKEN,
                                               "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 9}])
def test_a_mail_that_cannot_be_sent_is_counted_as_failed(app, client, db):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/metrics", headers=auth).get_data(as_text=True)
    mail.send_mail("someone@example.com", "Hello", "Body")
    db.session.commit()  # the job runs after the commit, finds no SMTP server, keeps the mail
    after = client.get("/metrics", headers=auth).get_data(as_text=True)
    assert _value(after, "kyoso_mails_failed_total") - _value(before, "kyoso_mails_failed_total") == 1
    assert observability.queue_depth().waiting == 1  # the outbox keeps it for the sweep


@jobs.job("test.metrics_explode")
def _explode() -> None:
    raise ZeroDivisionError("boom")


@pytest.mark.parametrize("config_overrides", [{"METRICS_TOKEN": TOKEN}])
def test_a_failing_job_is_counted(app, client, db):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/metrics", headers=auth).get_data(as_text=True)
    jobs.enqueue("test.metrics_explode")
    db.session.commit()  # the failure goes to the dead-letter list, the commit stands
    after = client.get("/metrics", headers=auth).get_data(as_text=True)
    assert _value(after, "kyoso_jobs_failed_total", job="test.metrics_explode") \
        - _value(before, "kyoso_jobs_failed_total", job="test.metrics_explode") == 1


# --- the job queue on the admin home ------------------------------------------------------------

class FakeRedis:
    def __init__(self, lengths: dict[str, int]) -> None:
        self.lengths = lengths

    def llen(self, name: str) -> int:
        return self.lengths.get(name, 0)


def _admin_home(client) -> str:
    login(client, f.user("admin"))
    response = client.get("/admin")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_admin_home_says_jobs_run_in_process_without_redis(client):
    html = _admin_home(client)
    assert re.search(r'id="job-queue"><div class="value">0<', html)
    assert "run in the web process" in html


@pytest.mark.parametrize("config_overrides", [{"REDIS_URL": "redis://127.0.0.1:1/0",
                                               "RATELIMIT_STORAGE_URI": "memory://",
                                               "METRICS_TOKEN": TOKEN}])
def test_admin_home_shows_the_redis_queue_depth(app, client, db, monkeypatch):
    import redis

    from app.models import FailedJob

    key = app.config["JOBS_KEY_PREFIX"] + app.config["JOBS_QUEUE"]
    monkeypatch.setattr(redis.Redis, "from_url", staticmethod(lambda *a, **k: FakeRedis({key: 1234})))
    for n in range(3):
        db.session.add(FailedJob(name="mail.send", args={"mail_id": n}, error="SMTPDataError"))
    db.session.commit()
    html = _admin_home(client)
    assert re.search(r'id="job-queue"><div class="value">1,234<', html)
    assert "failed jobs" in html
    text = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True)
    assert (_value(text, "kyoso_jobs_waiting"), _value(text, "kyoso_jobs_dead")) == (1234, 3)


@pytest.mark.parametrize("config_overrides", [{"REDIS_URL": "redis://127.0.0.1:1/0",
                                               "RATELIMIT_STORAGE_URI": "memory://"}])
def test_admin_home_says_when_the_queue_cannot_be_read(client):
    html = _admin_home(client)
    assert re.search(r'id="job-queue"><div class="value">\?<', html)
    assert "Redis does not answer" in html
    assert observability.queue_depth().waiting is None
