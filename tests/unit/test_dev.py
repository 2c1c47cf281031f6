"""dev.py demo: links in mails point where the demo listens (HOST/PORT) unless
PUBLIC_BASE_URL is set."""
from __future__ import annotations

import importlib.util

import pytest

from config import BASE_DIR


@pytest.fixture
def dev(monkeypatch):
    spec = importlib.util.spec_from_file_location("dev", BASE_DIR / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen: list[dict] = []
    monkeypatch.setattr(module, "flask", lambda *args, env: seen.append(env))
    monkeypatch.setattr(module.subprocess, "call", lambda *a, env, **k: seen.append(env) or 0)
    module.seen = seen
    return module


def test_demo_derives_public_base_url_from_host_and_port(dev, monkeypatch):
    monkeypatch.setenv("PORT", "5100")
    monkeypatch.delenv("HOST", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    assert dev.demo([]) == 0
    assert {env["PUBLIC_BASE_URL"] for env in dev.seen} == {"http://127.0.0.1:5100"}


def test_a_set_public_base_url_wins(dev, monkeypatch):
    monkeypatch.setenv("PORT", "5100")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://ideas.example.com")
    dev.demo([])
    assert {env["PUBLIC_BASE_URL"] for env in dev.seen} == {"https://ideas.example.com"}


def test_wildcard_and_ipv6_hosts(dev):
    assert dev.public_base_url("0.0.0.0", "8000") == "http://127.0.0.1:8000"
    assert dev.public_base_url("::1", "5000") == "http://[::1]:5000"
    assert dev.public_base_url("kyoso.test", "80") == "http://kyoso.test:80"


def test_the_suite_says_in_one_line_which_halves_ran(tmp_path):
    """Without TEST_DATABASE_URL the PostgreSQL half is skipped, and the last lines say so."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "CI")}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist",
                          "tests/test_migrations.py::test_migrations_reach_the_single_head"],
                         cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300).stdout
    line = next(line for line in out.splitlines() if line.startswith("Kyoso suite:"))
    assert line.startswith("Kyoso suite: ran on SQLite; not run: the PostgreSQL half (set TEST_DATABASE_URL): 1 skipped")
