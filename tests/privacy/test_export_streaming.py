"""A data export of a large account keeps memory bounded (issue 13): the zip is built in a
temporary file and copied to storage in chunks (a multipart upload on S3), on the local disk
and on S3 alike; the download link still expires."""
from __future__ import annotations

import io
import json
import os
import secrets
import tracemalloc
import zipfile

import pytest
from sqlalchemy import insert

from app import storage
from app.models import Comment, DataExport
from app.services import exports
from tests import factories as f

MIB = 1024 * 1024


@pytest.fixture
def config_overrides(storage_overrides):
    return storage_overrides


class _Chunks(io.RawIOBase):
    """`size` random-looking bytes made as they are read: never all of them in memory."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.seed = secrets.token_bytes(64 * 1024)
        self.made = bytearray()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left, len(self.seed))
        buffer[:n] = self.seed[:n]
        self.left -= n
        return n


def test_put_file_stores_a_large_stream_whole(app, db):
    backend = storage.get()
    size = 20 * MIB + 123  # over S3's multipart threshold (8 MiB): uploaded in parts
    tracemalloc.start()
    try:
        backend.put_file("exports/big.zip", io.BufferedReader(_Chunks(size)), "application/zip")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with backend.open("exports/big.zip") as stream:
        total = 0
        while chunk := stream.read(MIB):
            total += len(chunk)
    assert total == size
    if isinstance(backend, storage.LocalStorage):  # S3's test server runs in this process
        assert peak < 2 * MIB, peak
        assert not [name for name in os.listdir(backend.root / "exports")
                    if name.startswith(backend.TEMP_PREFIX)]


def test_the_export_job_streams_to_storage_and_never_holds_the_zip(app, db, monkeypatch):
    member = f.user(name="Large Account")
    idea = f.idea(title="A busy idea")
    # Many long comments that do not compress: data.json of several MiB (a few MiB are enough
    # to tell a streamed archive from one held whole; tracemalloc makes each MiB slow).
    bodies = [secrets.token_hex(2048) for _ in range(2000)]
    db.session.execute(insert(Comment), [{"idea_id": idea.id, "author_id": member.id,
                                          "body": body} for body in bodies])
    db.session.commit()
    export = DataExport(user_id=member.id, status="queued")
    db.session.add(export)
    db.session.commit()
    backend = storage.get()

    def whole_file(*_args, **_kwargs):
        raise AssertionError("the archive must be streamed, not passed as bytes")

    monkeypatch.setattr(type(backend), "put", whole_file)
    monkeypatch.setattr(exports, "BATCH", 50)  # 40 batches of rows
    measured = isinstance(backend, storage.LocalStorage)  # S3's test server runs in this process
    if measured:
        tracemalloc.start()
    try:
        assert exports.build_export(export.id) is True
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    db.session.expire_all()
    done = db.session.get(DataExport, export.id)
    assert done.status == "ready" and done.expires_at is not None
    archive = zipfile.ZipFile(io.BytesIO(backend.read(done.storage_key)))
    data_json = archive.read("data.json")
    assert len(data_json) > 8 * MIB
    assert len(json.loads(data_json)["comments"]) == 2000
    if measured:
        # Rows are read a batch at a time and written out: what is held depends on the batch,
        # not on the account (an archive held whole, even compressed, would be over half of it).
        assert peak < len(data_json) / 3, (peak, len(data_json))
