"""The site's own stylesheet, scripts and images, addressed by content: every
`url_for('static', filename=...)` carries `?v=<digest of the file>`, and an answer for the
current digest may be kept a year (`immutable`); any other (no digest, an old one) must be
revalidated. A changed file gets a new URL, so nobody keeps yesterday's stylesheet.

deploy/nginx.conf serves /static/ itself with the same rule.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request

#: Cache-Control of a static file asked for by its current digest.
YEAR = "public, max-age=31536000, immutable"
#: Cache-Control of a static file asked for without it (or by an old one).
REVALIDATE = "no-cache"

_digests: dict[str, tuple[float, str]] = {}


def digest(app: Flask, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (None when there is no such file); read
    again only when the file's modification time changes."""
    folder = Path(app.static_folder).resolve()
    path = (folder / filename).resolve()
    if folder not in path.parents or not path.is_file():
        return None
    mtime = path.stat().st_mtime
    known = _digests.get(str(path))
    if known and known[0] == mtime:
        return known[1]
    value = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _digests[str(path)] = (mtime, value)
    return value


def init_app(app: Flask) -> None:
    @app.url_defaults
    def _add_digest(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and values.get("filename"):
            value = digest(app, values["filename"])
            if value:
                values["v"] = value

    @app.after_request
    def _cache_policy(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            current = digest(app, (request.view_args or {}).get("filename", ""))
            response.headers["Cache-Control"] = YEAR if current and request.args.get("v") == current \
                else REVALIDATE
            response.headers.pop("Expires", None)
        return response
