"""Test fixtures: an app per test on a database built by the migrations.

Every database test runs twice: on SQLite and on PostgreSQL (TEST_DATABASE_URL). Without
TEST_DATABASE_URL the PostgreSQL half is skipped with a reason; under CI it fails instead.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

_INSTANCE = tempfile.mkdtemp(prefix="kyoso-test-instance-")
os.environ["KYOSO_INSTANCE_PATH"] = _INSTANCE  # before config is imported
for _name in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "SECRET_KEY"):
    os.environ.pop(_name, None)

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config import TestConfig  # noqa: E402

def _memoise_url_builders() -> None:
    """Every test builds a fresh app, and most of create_app's time is Werkzeug compiling one
    URL builder per rule through the ast module (about 400 rules, 0.5-0.8 s). A builder depends
    only on the rule's parsed parts, its defaults and whether unknown arguments are appended,
    so the compiled function is kept per key and bound to each new Rule: the same code
    Werkzeug would compile again, compiled once per worker."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    kept: dict[tuple, object] = {}

    def _compile_builder(self, append_unknown: bool = True):
        defaults = self.defaults or {}
        key = (self.rule, tuple(self._trace), append_unknown,
               tuple((name, type(value), repr(value)) for name, value in defaults.items()),
               tuple((name, type(self._converters[name]).__name__) for name in defaults
                     if name in self._converters))
        builder = kept.get(key)
        if builder is None:
            builder = kept[key] = compile_builder(self, append_unknown)
        return builder

    Rule._compile_builder = _compile_builder

    # Parsing each rule into its parts and converters is the other half of the cost: kept per
    # rule text and map settings (the converters hold no state of their map that they use).
    compile_rule = Rule.compile
    parsed: dict[tuple, tuple] = {}

    def compile(self) -> None:
        key = (self.rule, self.host if self.map.host_matching else self.subdomain,
               self.map.host_matching, self.merge_slashes,
               tuple(sorted((name, id(cls)) for name, cls in self.map.converters.items())))
        kept_parts = parsed.get(key)
        if kept_parts is None:
            compile_rule(self)
            parsed[key] = (list(self._parts), list(self._trace), dict(self._converters))
            return
        parts, trace, converters = kept_parts
        self._parts, self._trace, self._converters = list(parts), list(trace), dict(converters)
        self.arguments.update(converters)  # every variable of the rule has its converter
        self._build = self._compile_builder(False).__get__(self, None)
        self._build_unknown = self._compile_builder(True).__get__(self, None)

    Rule.compile = compile


_memoise_url_builders()

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_BASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def make_config(database_url: str, upload_folder: str, **overrides) -> TestConfig:
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.UPLOAD_FOLDER = upload_folder
    if database_url.startswith("sqlite"):
        config.SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"timeout": 30}}
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def _migrate(database_url: str) -> None:
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(make_config(database_url, tempfile.mkdtemp()))
    with app.app_context():
        upgrade()
        from app.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    """A SQLite file migrated once per test session; each test gets a copy."""
    folder = Path(tempfile.mkdtemp(prefix="kyoso-sqlite-"))
    path = folder / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


def _pg_url(database: str) -> str:
    return make_url(PG_BASE_URL).set(drivername="postgresql+psycopg", database=database) \
        .render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A PostgreSQL database for this test worker, migrated once."""
    if not PG_BASE_URL:
        reason = "PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        if IN_CI:
            pytest.fail(reason + "; CI must never skip them")
        pytest.skip(reason)
    name = f"kyoso_test_{_worker()}_{os.getpid()}"
    admin = create_engine(_pg_url(make_url(PG_BASE_URL).database or "postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A test database lives for one run: its commits need not wait for the disk.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    url = _pg_url(name)
    _migrate(url)
    yield url
    cleanup = _CLEANUP_ENGINES.pop(url, None)
    if cleanup is not None:
        cleanup.dispose()
    admin = create_engine(_pg_url(make_url(PG_BASE_URL).database or "postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


_CLEANUP_ENGINES: dict[str, object] = {}


def _truncate_postgres(url: str) -> None:
    """Empty every table and restart the id sequences, as TRUNCATE ... RESTART IDENTITY would.

    TRUNCATE of all ~110 tables costs seconds per test (new files for each table), so each
    table is emptied with DELETE (nearly free on the few rows a test writes) in one round
    trip, under `session_replication_role = replica`: no foreign-key or append-only trigger
    fires, so the order does not matter and the ledger tables go too."""
    engine = _CLEANUP_ENGINES.get(url)
    if engine is None:
        engine = _CLEANUP_ENGINES[url] = create_engine(url, pool_size=1)
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'")).scalars().all()
        conn.exec_driver_sql(
            "SET LOCAL session_replication_role = replica; "
            + " ".join(f'DELETE FROM "{table}";' for table in tables)
            + " SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
              " JOIN pg_namespace n ON n.oid = c.relnamespace"
              " WHERE c.relkind = 'S' AND n.nspname = 'public'")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        yield url
        _truncate_postgres(url)


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change settings for its tests."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, config_overrides):
    from app import create_app
    from app.extensions import db

    app = create_app(make_config(database_url, str(tmp_path / "uploads"), **config_overrides))
    ctx = app.app_context()
    ctx.push()
    from tests import factories

    factories.seed_basics()
    yield app
    db.session.remove()
    db.engine.dispose()
    ctx.pop()


@pytest.fixture
def db(app):
    from app.extensions import db

    return db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def backend(database_url) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


class QueryCount:
    """The SQL statements run inside a `count_queries()` block; shows them when printed, for
    failure messages: `assert many.count == few.count, many`."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __repr__(self) -> str:
        return f"{self.count} queries:\n" + "\n".join(self.statements)


@pytest.fixture
def count_queries(db):
    """A context manager counting the SQL statements sent on db.engine inside it:

        with count_queries() as queries:
            client.get("/ideas")
        assert queries.count == 4, queries
    """
    from sqlalchemy import event

    @contextmanager
    def counting() -> Iterator[QueryCount]:
        counted = QueryCount()

        def before(_conn, _cursor, statement, *_args) -> None:
            counted.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counted
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting
# --- storage backends: the local disk and S3 (moto's server, started in this process) -------

@pytest.fixture(scope="session")
def s3_endpoint() -> str:
    """An S3-compatible server for this test worker: moto's, on a random loopback port."""
    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ.setdefault(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_bucket(endpoint: str) -> str:
    """A new empty bucket on the test S3 server."""
    import uuid

    import boto3

    name = f"kyoso-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["local", "s3"])
def storage_overrides(request) -> dict:
    """Settings for each storage backend; a module's `config_overrides` can return these to
    run its tests against both."""
    if request.param == "local":
        return {}
    endpoint = request.getfixturevalue("s3_endpoint")
    return {"STORAGE_URL": f"s3://{s3_bucket(endpoint)}/uploads", "S3_ENDPOINT_URL": endpoint,
            "S3_REGION": "us-east-1"}




def pytest_collection_modifyitems(config, items):
    """Tests marked postgres_only (TRUNCATE, row locks...) have no SQLite variant."""
    dropped = [item for item in items
               if item.get_closest_marker("postgres_only") and "[sqlite" in item.nodeid]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]


#: What a skip reason says about which part of the suite did not run (dev.py test's last line).
_SKIPPED_PARTS = (
    ("TEST_DATABASE_URL", "the PostgreSQL half (set TEST_DATABASE_URL)"),
    ("Chromium", "the browser tests (no Chromium at /usr/bin/chromium)"),
    ("Redis", "the Redis tests (no Redis at TEST_REDIS_URL)"),
    ("nginx", "the nginx deployment tests (no nginx)"),
)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One line saying which halves ran and why the others did not."""
    skipped = terminalreporter.stats.get("skipped", [])
    counts: dict[str, int] = {}
    for report in skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        part = next((label for key, label in _SKIPPED_PARTS if key in reason), "variants that do not apply (by design)")
        counts[part] = counts.get(part, 0) + 1
    ran = "SQLite" + (" and PostgreSQL" if PG_BASE_URL else "")
    if counts:
        not_run = "; ".join(f"{part}: {n} skipped" for part, n in counts.items())
        terminalreporter.write_line(f"Kyoso suite: ran on {ran}; not run: {not_run}.")
    else:
        terminalreporter.write_line(f"Kyoso suite: ran on {ran}; nothing skipped.")


def pytest_collection_finish(session):
    """Everything imported and collected so far lives for the whole run: keep it out of the
    collector's generations (each test builds an app, and every full collection would walk
    these objects again), and collect the young generation less often."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
