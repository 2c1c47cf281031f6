"""Backups: the database and the uploaded images in one archive, taken while the site runs.

    flask backup create [--output DIR] [--keep N]   ->  DIR/kyoso-20261202T031500Z.tar.gz
    flask backup restore FILE [--force]               (then the ledger is verified)

An archive holds `manifest.json` (when, which database and schema revision, row counts of the
snapshot), the database and `uploads/`:

- SQLite: `database.sqlite3`, made with SQLite's online backup API (`sqlite3.Connection.backup`):
  one consistent snapshot that includes what is still only in the write-ahead log, taken while
  other connections go on writing. Never copy a live SQLite file: the most recent transactions
  live in `kyoso.db-wal` until a checkpoint, and a copy of `kyoso.db` alone loses them.
- PostgreSQL: `database.pgdump`, `pg_dump --format=custom` run on a snapshot exported by a
  REPEATABLE READ transaction, so the manifest's counts are the dump's counts. Restore it with
  `pg_restore` (`flask backup restore` calls it; see the README's restore drill).

The database is dumped before the uploads are archived: an image uploaded meanwhile is only an
extra file, while the other order could leave a restored row without its image.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
UPLOADS = "uploads"
PREFIX = "kyoso-"
SUFFIX = ".tar.gz"
#: Rows counted into the manifest and compared after a restore.
COUNTED_TABLES = ("users", "ideas", "supports", "comments", "idea_images", "products",
                  "ledger_transactions", "ledger_entries", "sales", "payouts")


class BackupError(Exception):
    """A backup or restore that cannot be done as asked (the message says why)."""


@dataclass
class Manifest:
    database: str
    created_at: str
    alembic_revision: str | None
    counts: dict[str, int]
    uploads: dict[str, int] = field(default_factory=dict)
    format: int = FORMAT

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "created_at": self.created_at, "database": self.database,
                "alembic_revision": self.alembic_revision, "counts": self.counts,
                "uploads": self.uploads}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != FORMAT:
            raise BackupError(f"unknown backup format {data.get('format')!r} (expected {FORMAT})")
        return cls(database=data["database"], created_at=data["created_at"],
                   alembic_revision=data.get("alembic_revision"), counts=data.get("counts", {}),
                   uploads=data.get("uploads", {}))


def backend_of(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def counts(connection: Connection | sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    """(schema revision, {table: rows}) as this connection sees the database."""
    def scalar(sql: str):
        if isinstance(connection, sqlite3.Connection):
            row = connection.execute(sql).fetchone()
            return row[0] if row else None
        return connection.execute(text(sql)).scalar()

    revision = scalar("SELECT version_num FROM alembic_version")
    return revision, {table: int(scalar(f"SELECT count(*) FROM {table}"))  # noqa: S608 - fixed names
                      for table in COUNTED_TABLES}


# --- SQLite ---------------------------------------------------------------------------------------

def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy a SQLite database with the online backup API, in one step (so one read transaction:
    a consistent snapshot however busy the source is). The copy is a self-contained file."""
    source_connection = sqlite3.connect(source, timeout=30)
    target_connection = sqlite3.connect(target, timeout=30)
    try:
        source_connection.backup(target_connection)
        target_connection.execute("PRAGMA journal_mode=DELETE")
        problem = target_connection.execute("PRAGMA integrity_check").fetchone()[0]
        if problem != "ok":
            raise BackupError(f"the copy of {source} fails SQLite's integrity check: {problem}")
    finally:
        target_connection.close()
        source_connection.close()


def _dump_sqlite(database_url: str, work: Path) -> tuple[Path, str | None, dict[str, int]]:
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"no SQLite database at {source}")
    target = work / SQLITE_MEMBER
    sqlite_copy(source, target)
    snapshot = sqlite3.connect(target)
    try:
        revision, rows = counts(snapshot)
    finally:
        snapshot.close()
    return target, revision, rows


def _sqlite_target_in_use(database_url: str) -> bool:
    target = sqlite_path(database_url)
    return target.exists() and target.stat().st_size > 0


def _restore_sqlite(dump: Path, database_url: str) -> None:
    target = sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API as well: connections that have the file open see the restored
    # database, never a half-written file.
    sqlite_copy(dump, target)


# --- PostgreSQL -----------------------------------------------------------------------------------

def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI for pg_dump / pg_restore and their environment (the password goes in
    PGPASSWORD, never on a command line that `ps` shows)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed ({result.returncode}): "
                          f"{result.stderr.strip() or result.stdout.strip()}")


def _dump_postgres(database_url: str, work: Path) -> tuple[Path, str | None, dict[str, int]]:
    target = work / POSTGRES_MEMBER
    uri, env = _libpq(database_url)
    pg_dump = _tool("pg_dump")
    engine = create_engine(database_url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as connection, connection.begin():
            # The dump and the counts read the same snapshot, exported by this transaction
            # (which must stay open until pg_dump has started reading).
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar()
            revision, rows = counts(connection)
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}", f"--dbname={uri}"], env)
    finally:
        engine.dispose()
    return target, revision, rows


def _postgres_target_in_use(database_url: str) -> bool:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).scalar())
    finally:
        engine.dispose()


def _restore_postgres(dump: Path, database_url: str, replace: bool) -> None:
    """pg_restore in one transaction: a failed restore leaves the database as it was."""
    uri, env = _libpq(database_url)
    args = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
            "--single-transaction", f"--dbname={uri}"]
    if replace:
        args[1:1] = ["--clean", "--if-exists"]
    _run([*args, str(dump)], env)


# --- uploads --------------------------------------------------------------------------------------

def _uploads_summary(folder: Path) -> dict[str, int]:
    files = [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files)}


def _folder_in_use(folder: Path) -> bool:
    return folder.exists() and any(folder.iterdir())


def _restore_uploads(archive: tarfile.TarFile, upload_folder: Path) -> int:
    members = [m for m in archive.getmembers()
               if m.name == UPLOADS or m.name.startswith(UPLOADS + "/")]
    with tempfile.TemporaryDirectory(prefix="kyoso-restore-") as work:
        archive.extractall(work, members=members, filter="data")  # no links out, no ../
        extracted = Path(work) / UPLOADS
        upload_folder.mkdir(parents=True, exist_ok=True)
        if extracted.exists():
            shutil.copytree(extracted, upload_folder, dirs_exist_ok=True)
    return sum(1 for m in members if m.isfile())


# --- the archive ----------------------------------------------------------------------------------

def archive_name(now: datetime) -> str:
    return f"{PREFIX}{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}{SUFFIX}"


def create_backup(database_url: str, upload_folder: str | Path, output_dir: str | Path, *,
                  now: datetime | None = None) -> tuple[Path, Manifest]:
    """Write one archive into output_dir and return its path and manifest. The archive appears
    under its final name only when complete."""
    backend = backend_of(database_url)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    final = output / archive_name(now)
    with tempfile.TemporaryDirectory(prefix=".kyoso-backup-", dir=output) as work_dir:
        work = Path(work_dir)
        dump = _dump_sqlite if backend == "sqlite" else _dump_postgres
        database, revision, rows = dump(database_url, work)
        uploads = Path(upload_folder)
        manifest = Manifest(database=backend, created_at=now.isoformat(timespec="seconds"),
                            alembic_revision=revision, counts=rows,
                            uploads=_uploads_summary(uploads))
        (work / MANIFEST).write_text(json.dumps(manifest.as_dict(), indent=2) + "\n")
        partial = work / final.name
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / MANIFEST, arcname=MANIFEST)
            archive.add(database, arcname=database.name)
            if uploads.exists():
                archive.add(uploads, arcname=UPLOADS)
        os.replace(partial, final)
    final.chmod(0o600)  # it holds every member's e-mail address and password hash
    return final, manifest


@contextmanager
def _open(path: str | Path) -> Iterator[tuple[tarfile.TarFile, Manifest]]:
    try:
        archive = tarfile.open(path, "r:*")
    except (OSError, tarfile.TarError) as error:
        raise BackupError(f"{path} is not a readable backup archive: {error}") from None
    with archive:
        try:
            raw = archive.extractfile(MANIFEST)
        except KeyError:
            raw = None
        if raw is None:
            raise BackupError(f"{path} has no {MANIFEST}: not a Kyoso backup")
        yield archive, Manifest.from_dict(json.loads(raw.read()))


def read_manifest(path: str | Path) -> Manifest:
    with _open(path) as (_archive, manifest):
        return manifest


def restore_backup(path: str | Path, database_url: str, upload_folder: str | Path, *,
                   force: bool = False) -> tuple[Manifest, int]:
    """Restore the database and the uploads of an archive; returns its manifest and the number
    of upload files restored. The database must be of the archive's kind. Stop the web and job
    processes first."""
    backend = backend_of(database_url)
    uploads = Path(upload_folder)
    with _open(path) as (archive, manifest):
        if manifest.database != backend:
            raise BackupError(f"this is a {manifest.database} backup; DATABASE_URL is {backend}")
        # Refuse before anything is written, never halfway.
        in_use = _sqlite_target_in_use(database_url) if backend == "sqlite" \
            else _postgres_target_in_use(database_url)
        if in_use and not force:
            raise BackupError("the target database is not empty; restore into a new one, or "
                              "pass --force to replace its contents")
        if _folder_in_use(uploads) and not force:
            raise BackupError(f"{uploads} is not empty; pass --force to add the backup's files "
                              "to it (files of the same name are replaced)")
        member = SQLITE_MEMBER if backend == "sqlite" else POSTGRES_MEMBER
        with tempfile.TemporaryDirectory(prefix="kyoso-restore-") as work:
            try:
                archive.extract(member, work, filter="data")
            except KeyError:
                raise BackupError(f"{path} has no {member}") from None
            dump = Path(work) / member
            if backend == "sqlite":
                _restore_sqlite(dump, database_url)
            else:
                _restore_postgres(dump, database_url, replace=in_use)
        restored = _restore_uploads(archive, uploads)
    return manifest, restored


def prune(output_dir: str | Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives in output_dir; returns what was deleted."""
    archives = sorted(Path(output_dir).glob(f"{PREFIX}*{SUFFIX}"))
    doomed = archives[:-keep] if keep > 0 else []
    for path in doomed:
        path.unlink()
    return doomed
