"""The documented production shape: gunicorn with deploy/gunicorn.conf.py, nginx with
deploy/nginx.conf in front, the systemd units. 200 idle connections (and, behind nginx, 200
slowloris ones) must not stop a normal request being answered. Functional checks with generous
timeouts, not timing targets (bench/bench_idle_connections.py measures)."""
from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.deploy_helpers import (GUNICORN, NGINX, ROOT, GunicornServer, NginxServer, open_idle,
                                  start_slowloris, timed_get)

CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
IDLE = 200
GENEROUS = 60.0
have_nginx = pytest.mark.skipif(shutil.which(NGINX) is None and not Path(NGINX).exists(),
                                reason="nginx is not installed (apt-get install nginx-light)")


@pytest.fixture
def site(sqlite_template, tmp_path) -> tuple[Path, dict[str, str]]:
    """A migrated SQLite database and the environment a deployment would set."""
    database = tmp_path / "kyoso.db"
    shutil.copy(sqlite_template, database)
    env = {"DATABASE_URL": f"sqlite:///{database}", "KYOSO_INSTANCE_PATH": str(tmp_path),
           "UPLOAD_FOLDER": str(tmp_path / "uploads"), "REQUEST_LOG": "false",
           "GUNICORN_WORKERS": "2", "TRUSTED_PROXIES": "1",
           # Several workers need shared limits (REDIS_URL) or none: these tests need none.
           "RATELIMIT_ENABLED": "false"}
    return tmp_path, env


def test_gunicorn_refuses_several_workers_with_in_memory_rate_limits(site):
    work, env = site
    env = {**os.environ, **env, "GUNICORN_BIND": "127.0.0.1:0"}
    env.pop("RATELIMIT_ENABLED")
    env.pop("REDIS_URL", None)
    started = subprocess.run([str(GUNICORN), "--no-control-socket", "-c", str(CONFIG), "wsgi:app"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 1
    assert "without REDIS_URL the rate limits are counted in each worker's memory" \
        in started.stderr


def test_one_worker_or_shared_limits_may_start():
    from app.ratelimits import shared_store_problem

    memory = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}
    assert shared_store_problem(memory, 1) is None
    assert shared_store_problem(memory, 3)
    assert shared_store_problem({**memory, "RATELIMIT_ENABLED": False}, 3) is None
    assert shared_store_problem({**memory, "RATELIMIT_STORAGE_URI": "redis://r:6379/0"}, 3) is None


def test_gunicorn_with_the_deploy_config_answers_with_200_idle_connections_open(site):
    work, env = site
    started = time.monotonic()
    with GunicornServer(work, env, config=CONFIG, start_seconds=20) as server:
        assert time.monotonic() - started < 20
        idle = open_idle(server.port, IDLE)
        try:
            time.sleep(1.0)  # every idle connection has reached a worker
            for _ in range(3):
                assert timed_get(server.port, "/", GENEROUS) is not None, \
                    "a normal request went unanswered while idle connections were open"
        finally:
            for sock in idle:
                sock.close()


def test_metrics_add_up_every_gunicorn_worker(site):
    work, env = site
    folder = work / "metrics"
    env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder), "METRICS_TOKEN": "t0ken",
           "GUNICORN_WORKERS": "3"}
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"left over from an earlier run")
    with GunicornServer(work, env, config=CONFIG, start_seconds=20) as server:
        assert not (folder / "counter_999999.db").exists()  # emptied at start
        for _ in range(30):
            assert timed_get(server.port, "/api/v1/categories", GENEROUS) is not None
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=GENEROUS)
        connection.request("GET", "/metrics", headers={"Authorization": "Bearer t0ken"})
        text = connection.getresponse().read().decode()
        connection.close()
    line = next(line for line in text.splitlines()
                if line.startswith("kyoso_http_requests_total{")
                and 'endpoint="api.categories"' in line and 'status="200"' in line)
    assert float(line.rsplit(" ", 1)[1]) == 30
    assert len(list(folder.glob("counter_*.db"))) >= 2  # more than one worker answered


@have_nginx
def test_the_nginx_config_is_valid(tmp_path):
    result = NginxServer(tmp_path, upstream_port=8000).check()
    assert result.returncode == 0, result.stderr


@have_nginx
def test_behind_nginx_idle_and_slowloris_connections_do_not_stop_others(site):
    work, env = site
    with GunicornServer(work, env, config=CONFIG, start_seconds=20) as app, \
            NginxServer(work, upstream_port=app.port) as proxy:
        stop = threading.Event()
        idle = open_idle(proxy.port, IDLE)
        slow = start_slowloris(proxy.port, IDLE, stop)
        try:
            time.sleep(1.0)
            for path in ("/", "/static/css/app.css", "/api/v1/categories"):
                assert timed_get(proxy.port, path, GENEROUS, tls=True) is not None, path
        finally:
            stop.set()
            for sock in idle:
                sock.close()
            for thread in slow:
                thread.join(timeout=10)


@have_nginx
def test_nginx_passes_the_request_id_and_client_address(site):
    work, env = site
    import http.client
    import ssl

    with GunicornServer(work, env, config=CONFIG, start_seconds=20) as app, \
            NginxServer(work, upstream_port=app.port) as proxy:
        connection = http.client.HTTPSConnection("127.0.0.1", proxy.port, timeout=GENEROUS,
                                                 context=ssl._create_unverified_context())
        connection.request("GET", "/", headers={"Host": "ideas.example.com",
                                                "X-Request-ID": "chosen-by-the-client"})
        response = connection.getresponse()
        response.read()
        connection.close()
        # nginx's own $request_id replaces what the client sent; the app echoes nginx's.
        assert response.status == 200
        assert len(response.getheader("X-Request-ID")) == 32
        assert response.getheader("X-Request-ID") != "chosen-by-the-client"
        assert timed_get(proxy.port, "/", GENEROUS, tls=True, host="other.example.com") is None
        # nginx serves the site's own files: kept a year when linked by digest, else revalidated.
        for path, policy in (("/static/css/app.css?v=0123456789ab", "public, max-age=31536000, immutable"),
                             ("/static/css/app.css", "no-cache")):
            connection = http.client.HTTPSConnection("127.0.0.1", proxy.port, timeout=GENEROUS,
                                                     context=ssl._create_unverified_context())
            connection.request("GET", path, headers={"Host": "ideas.example.com"})
            response = connection.getresponse()
            response.read()
            connection.close()
            assert response.status == 200 and response.getheader("Cache-Control") == policy, path


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read(ROOT / "deploy" / "systemd" / name)
    return parser


def test_the_systemd_units_run_the_documented_commands():
    web, worker, beat = (_unit(f"kyoso-{name}.service") for name in ("web", "worker", "beat"))
    assert "deploy/gunicorn.conf.py wsgi:app" in web["Service"]["ExecStart"]
    assert "PROMETHEUS_MULTIPROC_DIR" in web["Service"]["Environment"]
    assert worker["Service"]["ExecStart"].endswith("flask jobs work")
    assert beat["Service"]["ExecStart"].endswith("flask jobs beat")
    for unit in (web, worker, beat):
        service = unit["Service"]
        assert service["EnvironmentFile"] == "/etc/kyoso.env"
        assert service["User"] == "kyoso" and service["Restart"] in ("always", "on-failure")
        assert unit["Install"]["WantedBy"] == "multi-user.target"
