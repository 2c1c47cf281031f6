"""flask backup: an online backup taken while members keep supporting restores into a new database
with every committed row and a ledger that verifies."""
from __future__ import annotations

import itertools
import tarfile
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url

from app import backup, create_app
from app.models import Idea, Support, User
from app.models.ledger import LedgerTransaction, Payout, Sale
from app.services.ledger import verify_ledger
from tests import factories as f
from tests.conftest import PG_BASE_URL, _pg_url, make_config
from tests.ledger_factories import payout, product, sale

_emails = itertools.count(1)


class SupportWriter(threading.Thread):
    """Another process's connection, supporting an idea as fast as it can: each support is a new
    member, their support row and the idea's count, in one transaction."""

    def __init__(self, database_url: str, idea_id: int) -> None:
        super().__init__(daemon=True)
        options = {"connect_args": {"timeout": 30}} if database_url.startswith("sqlite") else {}
        self.engine = create_engine(database_url, **options)
        self.idea_id = idea_id
        self.committed = 0
        self.stop = threading.Event()
        self.progress = threading.Condition()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.engine.begin() as connection:
                    user_id = connection.execute(insert(User.__table__).values(
                        email=f"writer{next(_emails)}@example.com", password_hash="x",
                        display_name="Writer", bio="")).inserted_primary_key[0]
                    connection.execute(insert(Support.__table__).values(
                        idea_id=self.idea_id, user_id=user_id))
                    connection.execute(update(Idea.__table__).where(Idea.id == self.idea_id)
                                       .values(support_count=Idea.support_count + 1))
                with self.progress:
                    self.committed += 1
                    self.progress.notify_all()
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.error = error
        finally:
            self.engine.dispose()

    def wait_for(self, committed: int) -> None:
        with self.progress:
            assert self.progress.wait_for(lambda: self.committed >= committed or self.error,
                                          timeout=60), "the writer stalled"
        assert self.error is None, self.error


@pytest.fixture
def restore_target(backend, tmp_path):
    """An empty database to restore into, of the same kind as the test's."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"kyoso_restore_{Path(tmp_path).name}"[:60].replace("-", "_")
    admin = create_engine(_pg_url(make_url(PG_BASE_URL).database or "postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield _pg_url(name)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _ledger() -> None:
    finance, owner, partner = f.user("finance"), f.user(), f.user()
    item = product(owner, partner, shares=(7_000, 3_000))
    for month, net in (("2026-01", 120_000), ("2026-02", 95_000), ("2026-03", 101_000)):
        sale(finance, item, net, period=month)
    payout(finance, owner, 500)


def _run(app, *args: str):
    return app.test_cli_runner().invoke(args=["backup", *args])


def test_backup_taken_while_supports_are_written_restores_everything_committed(
        app, db, database_url, tmp_path, restore_target):
    _ledger()
    idea = f.idea()
    for _ in range(5):
        f.support(idea)
    image = Path(app.config["UPLOAD_FOLDER"]) / "ab" / "abcdef-card.webp"
    image.parent.mkdir(parents=True)
    image.write_bytes(b"RIFF....WEBPVP8 image bytes")
    ledger_rows = db.session.scalar(select(func.count()).select_from(LedgerTransaction))

    writer = SupportWriter(database_url, idea.id)
    writer.start()
    try:
        writer.wait_for(20)
        committed_before = writer.committed
        result = _run(app, "create", "--output", str(tmp_path / "backups"))
        writer.wait_for(writer.committed + 20)  # still writing after the backup
    finally:
        writer.stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    [archive] = (tmp_path / "backups").glob("kyoso-*.tar.gz")
    assert f"backup: {archive}" in result.output
    manifest = backup.read_manifest(archive)
    # Nothing committed before the backup started is missing (a copy of a live SQLite file
    # loses what is still in its write-ahead log).
    assert manifest.counts["supports"] >= 5 + committed_before
    assert manifest.counts["supports"] < 5 + writer.committed
    assert manifest.counts["ledger_transactions"] == ledger_rows
    assert manifest.uploads == {"files": 1, "bytes": image.stat().st_size}

    restored = create_app(make_config(restore_target, str(tmp_path / "restored-uploads")))
    with restored.app_context():  # the CLI runs in the current app context
        result = _run(restored, "restore", str(archive))
        assert result.exit_code == 0, result.output
        assert "row counts match the backup; ledger verify: OK" in result.output
        from app.extensions import db as restored_db

        assert verify_ledger() == []
        session = restored_db.session
        assert session.scalar(select(func.count()).select_from(LedgerTransaction)) == ledger_rows
        assert session.scalar(select(func.count()).select_from(Sale)) == 3
        assert session.scalar(select(func.count()).select_from(Payout)) == 1
        supports = session.scalar(select(func.count()).select_from(Support)
                                  .where(Support.idea_id == idea.id))
        # One snapshot: each support arrived with its count, none without.
        assert session.scalar(select(Idea.support_count).where(Idea.id == idea.id)) == supports
        assert supports == manifest.counts["supports"]
        restored_db.session.remove()
        restored_db.engine.dispose()
    copy = Path(restored.config["UPLOAD_FOLDER"]) / "ab" / "abcdef-card.webp"
    assert copy.read_bytes() == image.read_bytes()


def test_restore_refuses_a_database_that_is_not_empty(app, tmp_path):
    result = _run(app, "create", "--output", str(tmp_path / "backups"))
    assert result.exit_code == 0, result.output
    [archive] = (tmp_path / "backups").glob("kyoso-*.tar.gz")
    result = _run(app, "restore", str(archive))
    assert result.exit_code != 0
    assert "not empty" in result.output and "--force" in result.output


def test_restore_with_force_replaces_the_database(app, db, tmp_path):
    f.user(email="kept@example.com")
    assert _run(app, "create", "--output", str(tmp_path / "backups")).exit_code == 0
    [archive] = (tmp_path / "backups").glob("kyoso-*.tar.gz")
    f.user(email="after-the-backup@example.com")
    db.session.remove()
    result = _run(app, "restore", "--force", str(archive))
    assert result.exit_code == 0, result.output
    emails = set(db.session.scalars(select(User.email)))
    assert "kept@example.com" in emails and "after-the-backup@example.com" not in emails


def test_keep_prunes_old_archives_and_show_prints_the_manifest(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (folder / f"kyoso-{stamp}.tar.gz").write_bytes(b"old")
    result = _run(app, "create", "--output", str(folder), "--keep", "2")
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in folder.glob("kyoso-*.tar.gz"))
    assert len(names) == 2 and names[0] == "kyoso-20260103T000000Z.tar.gz"
    shown = _run(app, "show", str(folder / names[1]))
    assert shown.exit_code == 0 and '"alembic_revision"' in shown.output


def test_an_archive_that_is_not_a_backup_is_refused(app, tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        archive.add(__file__, arcname="something.py")
    result = _run(app, "restore", str(bogus))
    assert result.exit_code != 0 and "not a Kyoso backup" in result.output
    (tmp_path / "garbage.tar.gz").write_bytes(b"not a tar file")
    assert "not a readable backup" in _run(app, "restore", str(tmp_path / "garbage.tar.gz")).output


def test_backup_archive_is_readable_only_by_its_owner(app, tmp_path):
    path, _manifest = backup.create_backup(app.config["SQLALCHEMY_DATABASE_URI"],
                                           app.config["UPLOAD_FOLDER"], tmp_path / "out")
    assert path.stat().st_mode & 0o077 == 0
    assert [p.name for p in (tmp_path / "out").iterdir()] == [path.name]  # no work files left
