"""Sales files between preview and posting: the checked rows are kept server-side in the
instance folder under a random id (only the uploader may use it), with a small status file the
import page polls while the rows are posted."""
from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from flask import current_app

from app.services.ledger import SaleRow

_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
MAX_AGE_SECONDS = 24 * 60 * 60


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "ledger_imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(token: str, suffix: str) -> Path | None:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return _folder() / f"{token}.{suffix}.json"


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write atomically: readers see the old or the new file, never half of one."""
    temporary = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    temporary.write_text(json.dumps(data), encoding="utf-8")
    os.replace(temporary, path)


def _read(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _clean_old() -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in _folder().glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            pass


def stash(user_id: int, filename: str, rows: list[SaleRow]) -> str:
    """Keep checked rows for the preview; return the id that names them."""
    _clean_old()
    token = secrets.token_urlsafe(24)
    _write(_path(token, "rows"), {"user_id": user_id, "filename": filename[:200],
                                  "created": time.time(),
                                  "rows": [row.as_dict() for row in rows]})
    set_status(token, "ready", 0, len(rows), user_id=user_id)
    return token


def load(token: str, user_id: int) -> tuple[str, list[SaleRow]] | None:
    """(filename, rows) of this user's stashed file, or None (absent, expired or not theirs)."""
    data = _read(_path(token, "rows"))
    if data is None or data.get("user_id") != user_id:
        return None
    return data.get("filename", ""), [SaleRow.from_dict(row) for row in data["rows"]]


def discard(token: str) -> None:
    path = _path(token, "rows")
    if path is not None and path.exists():
        path.unlink()


def set_status(token: str, state: str, done: int, total: int, *, user_id: int) -> None:
    path = _path(token, "status")
    if path is not None:
        _write(path, {"state": state, "done": done, "total": total, "user_id": user_id})


def status(token: str, user_id: int) -> dict[str, Any] | None:
    """The posting progress of this user's import: {state, done, total}."""
    data = _read(_path(token, "status"))
    if data is None or data.get("user_id") != user_id:
        return None
    return {key: data[key] for key in ("state", "done", "total") if key in data}


class Progress:
    """A progress callback for import_sales that writes the status about a hundred times."""

    def __init__(self, token: str, user_id: int) -> None:
        self.token = token
        self.user_id = user_id
        self.step = 1

    def __call__(self, done: int, total: int) -> None:
        self.step = max(1, total // 100)
        if done == total or done % self.step == 0:
            set_status(self.token, "posting", done, total, user_id=self.user_id)
