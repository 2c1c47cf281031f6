"""Where uploaded files live: the local disk (the default) or S3-compatible object storage.

One interface, two backends, chosen by ``STORAGE_URL``:

    store = storage.get()                     # the app's backend
    store.put(key, data, "image/jpeg")        # whole file or nothing
    store.put_file(key, stream, "application/zip")  # the same from a stream, in chunks
    store.open(key) / store.read(key)         # FileNotFoundError when absent
    store.exists(key), store.delete(key)      # delete ignores a file already gone
    store.list(prefix)                        # every file, for the orphan sweep
    storage.send(key, mimetype, public=...)   # a response that streams the file

Keys are relative names such as ``i3f2..._thumb.jpg`` or ``avatars/avatar-..._small.jpg``;
a LocalStorage keeps them as files under UPLOAD_FOLDER, an S3Storage as objects under the
bucket's prefix. Files are always served through the app (which checks who may see them),
never by redirecting to the object store: the pages' CSP allows images from the site only.

Failures to write or read (disk full, over quota, object store down or refusing) raise
StorageUnavailable (HTTP 507), logged with their cause; a missing file is FileNotFoundError.

Files and rows: a use case writes its files first, then adds the rows that name them, and
calls ``keep_if_committed(keys)``: if the transaction does not commit (an error, a rollback,
a session closed without commit), the files are deleted again. Files that a committed change
no longer needs are removed with ``delete_after_commit(keys)``. A crash between writing and
committing can still leave files without rows: ``flask media orphans --delete`` finds and
removes them (app/media).
"""
from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, send_file
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.errors import StorageUnavailable

log = logging.getLogger(__name__)

#: Cache-Control of files anyone may see (their keys are random and the files never change).
PUBLIC_CACHE = "public, max-age=31536000, immutable"
#: Cache-Control of files only some viewers may see: never kept by browsers or proxies.
PRIVATE_CACHE = "private, no-store"

# Messages (English here; translated on the error page, listed in app.labels).
FULL_MESSAGE = "There is no room left to store this file. Nothing was saved: please try again later."
WRITE_MESSAGE = "The file could not be stored right now. Nothing was saved: please try again later."
READ_MESSAGE = "This file cannot be loaded right now. Please try again later."

_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]+")
_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG})
_CHUNK = 64 * 1024


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative name: "/"-separated segments of letters,
    digits, ".", "_" and "-", none empty, "." or ".." (so it never leaves the root)."""
    if not isinstance(key, str) or ".." in key or not all(
            _SEGMENT_RE.fullmatch(part) and part != "." for part in key.split("/")):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


@dataclass(frozen=True)
class StoredFile:
    """One file in a storage listing."""

    key: str
    size: int
    modified: datetime  # UTC


class Storage(ABC):
    """A place for uploaded files. Implementations are safe to share between threads."""

    #: Shown by `flask media orphans` and in logs.
    description: str = ""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` whole (a reader never sees half a file), replacing any
        file of that key. Raises StorageUnavailable."""

    @abstractmethod
    def put_file(self, key: str, stream: IO[bytes], content_type: str) -> None:
        """As put, reading ``stream`` (a binary file object, from its current position) in
        chunks: memory stays bounded however large the file (data exports)."""

    @abstractmethod
    def open(self, key: str) -> IO[bytes]:
        """A binary stream of the file (close it). FileNotFoundError if absent,
        StorageUnavailable if it cannot be read."""

    def read(self, key: str) -> bytes:
        with contextlib.closing(self.open(key)) as stream:
            return stream.read()

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a file is stored under ``key``. Raises StorageUnavailable."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file; one already gone is no error. Raises StorageUnavailable."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        """Every stored file whose key starts with ``prefix``, temporary files included."""

    @abstractmethod
    def response(self, key: str, mimetype: str) -> Response:
        """A response streaming the file, answering conditional requests (ETag).
        FileNotFoundError if absent."""


# --- local disk -----------------------------------------------------------------------------

class LocalStorage(Storage):
    """Files under a folder of the local disk (or of a shared file system mounted on every
    host). Writes go to a temporary file in the target folder, are flushed to disk, and are
    renamed into place, so a reader never sees half a file."""

    TEMP_PREFIX = ".upload-"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.description = f"local folder {self.root}"

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._write(key, lambda handle: handle.write(data))

    def put_file(self, key: str, stream: IO[bytes], content_type: str) -> None:
        self._write(key, lambda handle: shutil.copyfileobj(stream, handle, _CHUNK))

    def _write(self, key: str, write: Any) -> None:
        path = self.path(key)
        tmp_path = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_path = tempfile.mkstemp(dir=path.parent, prefix=self.TEMP_PREFIX, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                # On disk before the row that names it commits: no rows without files.
                os.fsync(handle.fileno())
            # mkstemp creates 0600; a separate web server may serve these files.
            os.chmod(tmp_path, 0o644)
            os.replace(tmp_path, path)
        except OSError as error:
            if tmp_path:
                with contextlib.suppress(OSError):
                    os.remove(tmp_path)
            raise _write_failure(self, key, error) from error

    def open(self, key: str) -> IO[bytes]:
        try:
            return open(self.path(key), "rb")  # noqa: SIM115 - the caller closes it
        except FileNotFoundError:
            raise
        except OSError as error:
            raise _read_failure(self, key, error) from error

    def exists(self, key: str) -> bool:
        try:
            return self.path(key).is_file()
        except OSError as error:
            raise _read_failure(self, key, error) from error

    def delete(self, key: str) -> None:
        try:
            os.remove(self.path(key))
        except FileNotFoundError:
            pass
        except OSError as error:
            raise _write_failure(self, key, error) from error

    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        if not self.root.is_dir():
            return
        for folder, _dirs, names in os.walk(self.root):
            for name in names:
                path = Path(folder) / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    info = path.stat()
                except FileNotFoundError:  # removed while listing
                    continue
                yield StoredFile(key, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))

    def response(self, key: str, mimetype: str) -> Response:
        path = self.path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return send_file(path, mimetype=mimetype, conditional=True, etag=True)


# --- S3-compatible object storage -----------------------------------------------------------

class S3Storage(Storage):
    """Objects in a bucket of S3 or any S3-compatible store (MinIO, Ceph, R2...), under an
    optional prefix. Credentials come the usual boto3 way (AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY, a profile, an instance role). The client is made on first use in
    each process (never shared across a fork)."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, max_attempts: int = 3,
                 connect_timeout: float = 5, read_timeout: float = 20) -> None:
        if not bucket:
            raise ValueError("S3 storage needs a bucket: STORAGE_URL=s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self.region = region
        self.max_attempts = max_attempts
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.description = f"s3://{bucket}/{self.prefix}" + (f" at {endpoint_url}" if endpoint_url else "")
        self._client: Any = None
        self._client_pid: int | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> S3Storage:
        parts = urlsplit(url)
        return cls(parts.netloc, parts.path, **options)

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None or self._client_pid != os.getpid():
                import boto3
                from botocore.config import Config as BotoConfig

                config = BotoConfig(
                    retries={"max_attempts": self.max_attempts, "mode": "standard"},
                    connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
                    # Self-hosted stores (MinIO, Ceph...) expect bucket names in the path.
                    s3={"addressing_style": "path" if self.endpoint_url else "auto"})
                self._client = boto3.session.Session().client(
                    "s3", endpoint_url=self.endpoint_url, region_name=self.region, config=config)
                self._client_pid = os.getpid()
            return self._client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                                   ContentType=content_type)
        except _boto_errors() as error:
            raise _write_failure(self, key, error) from error

    def put_file(self, key: str, stream: IO[bytes], content_type: str) -> None:
        # boto3's managed upload: a multipart upload of 8 MiB parts above 8 MiB, at most two
        # parts in memory at a time; the object appears only once every part is in.
        from boto3.s3.transfer import TransferConfig

        try:
            self.client.upload_fileobj(stream, self.bucket, self._key(key),
                                       ExtraArgs={"ContentType": content_type},
                                       Config=TransferConfig(max_concurrency=2))
        except (*_boto_errors(), *_upload_errors()) as error:
            raise _write_failure(self, key, error) from error

    def open(self, key: str) -> IO[bytes]:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except _boto_errors() as error:
            if _s3_code(error) in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            raise _read_failure(self, key, error) from error

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except _boto_errors() as error:
            if _s3_code(error) in ("NoSuchKey", "404"):
                return False
            raise _read_failure(self, key, error) from error
        return True

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except _boto_errors() as error:
            if _s3_code(error) in ("NoSuchKey", "404"):
                return
            raise _write_failure(self, key, error) from error

    def list(self, prefix: str = "") -> Iterator[StoredFile]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix)
            for page in pages:
                for item in page.get("Contents", ()):
                    yield StoredFile(item["Key"][len(self.prefix):], item["Size"],
                                     item["LastModified"].astimezone(UTC))
        except _boto_errors() as error:
            raise _read_failure(self, prefix or "/", error) from error

    def response(self, key: str, mimetype: str) -> Response:
        options: dict[str, str] = {}
        if request.if_none_match:
            options["IfNoneMatch"] = request.headers["If-None-Match"]
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **options)
        except _boto_errors() as error:
            code = _s3_code(error)
            if code in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            if code in ("304", "NotModified"):
                response = Response(status=304)
                etag = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("etag")
                if etag:
                    response.headers["ETag"] = etag
                return response
            raise _read_failure(self, key, error) from error
        body = found["Body"]
        response = Response(body.iter_chunks(_CHUNK), mimetype=mimetype, direct_passthrough=True)
        response.call_on_close(body.close)
        response.content_length = found.get("ContentLength")
        if found.get("ETag"):
            response.headers["ETag"] = found["ETag"]
        if found.get("LastModified"):
            response.last_modified = found["LastModified"]
        return response


def _boto_errors() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def _upload_errors() -> tuple[type[BaseException], ...]:
    from boto3.exceptions import S3UploadFailedError

    return (S3UploadFailedError,)


def _s3_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _write_failure(storage: Storage, key: str, error: BaseException) -> StorageUnavailable:
    full = isinstance(error, OSError) and error.errno in _FULL_ERRNOS
    log.error("storage %s: cannot write %s: %r", storage.description, key, error)
    return StorageUnavailable(message=FULL_MESSAGE if full else WRITE_MESSAGE)


def _read_failure(storage: Storage, key: str, error: BaseException) -> StorageUnavailable:
    log.error("storage %s: cannot read %s: %r", storage.description, key, error)
    return StorageUnavailable(message=READ_MESSAGE)


# --- the app's backend ----------------------------------------------------------------------

_EXTENSION = "kyoso_storage"


def from_config(config: Any) -> Storage:
    """The backend ``STORAGE_URL`` names: unset = LocalStorage(UPLOAD_FOLDER),
    ``s3://bucket/prefix`` = S3Storage (S3_ENDPOINT_URL, S3_REGION, S3_MAX_ATTEMPTS)."""
    url = config.get("STORAGE_URL") or ""
    if not url:
        return LocalStorage(config["UPLOAD_FOLDER"])
    scheme = urlsplit(url).scheme
    if scheme == "s3":
        return S3Storage.from_url(url, endpoint_url=config.get("S3_ENDPOINT_URL") or None,
                                  region=config.get("S3_REGION") or None,
                                  max_attempts=config.get("S3_MAX_ATTEMPTS", 3))
    if scheme == "file":
        return LocalStorage(urlsplit(url).path)
    raise ValueError(f"STORAGE_URL must be s3://bucket/prefix or file:///path, not {url!r}")


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = from_config(app.config)


def get(app: Flask | None = None) -> Storage:
    """The current app's storage backend."""
    return (app or current_app).extensions[_EXTENSION]


def send(key: str, mimetype: str, *, public: bool) -> Response:
    """Serve a stored file with the cache policy of its audience: `public` files (anyone may
    see them, and their keys never name other content) are cached for a year as immutable;
    the others are `private, no-store`. FileNotFoundError if absent."""
    response = get().response(key, mimetype)
    # Exactly one policy: send_file's own defaults (no-cache, Expires) must not mix in.
    response.headers["Cache-Control"] = PUBLIC_CACHE if public else PRIVATE_CACHE
    response.headers.pop("Expires", None)
    return response


# --- files and transactions -----------------------------------------------------------------

_WRITTEN = "kyoso_storage_written"  # [(storage, keys)]: delete unless the transaction commits
_DOOMED = "kyoso_storage_doomed"  # [(storage, keys)]: delete once the transaction commits


def _session() -> Session:
    from app.extensions import db

    session = db.session()
    if session.get_transaction() is None:
        session.begin()  # so that a rollback or close before any query still sees the keys
    return session


def keep_if_committed(keys: Iterable[str], store: Storage | None = None) -> None:
    """Files just written for rows of the current transaction: deleted again unless it
    commits (rolled back, failed, or the session closed without commit)."""
    _session().info.setdefault(_WRITTEN, []).append((store or get(), tuple(keys)))


def delete_after_commit(keys: Iterable[str], store: Storage | None = None) -> None:
    """Files that the current transaction stops using: deleted once it commits, kept if not."""
    _session().info.setdefault(_DOOMED, []).append((store or get(), tuple(keys)))


def _delete_quietly(entries: list[tuple[Storage, tuple[str, ...]]], why: str) -> None:
    for store, keys in entries:
        for key in keys:
            try:
                store.delete(key)
            # Cleanup never breaks the request; `flask media orphans` removes what is left.
            except Exception:
                log.warning("storage %s: could not delete %s (%s); the orphan sweep will",
                            store.description, key, why, exc_info=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint's release commits nothing yet
        return
    session.info.pop(_WRITTEN, None)
    _delete_quietly(session.info.pop(_DOOMED, []), "no longer used")


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.nested or transaction.parent is not None:
        return
    # Reached without after_commit: rolled back, failed or closed. Written files go again.
    session.info.pop(_DOOMED, None)
    _delete_quietly(session.info.pop(_WRITTEN, []), "not committed")
