"""The site's own files are linked by content digest and kept a year; without the digest (or
with an old one) a browser must revalidate (issue 17, item 12)."""
from __future__ import annotations

import re

from app import static_files


def _stylesheet_url(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'href="(/static/css/app\.css\?v=[0-9a-f]{12})"', page).group(1)


def test_pages_link_static_files_by_digest_and_they_are_kept_a_year(client, app):
    url = _stylesheet_url(client)
    assert url.endswith("?v=" + static_files.digest(app, "css/app.css"))
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers.getlist("Cache-Control") == [static_files.YEAR]
    assert "Expires" not in response.headers
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.headers.getlist("Cache-Control") == [static_files.YEAR]


def test_without_the_current_digest_a_static_file_is_revalidated(client):
    assert client.get("/static/css/app.css").headers.getlist("Cache-Control") == ["no-cache"]
    old = client.get("/static/css/app.css?v=000000000000")
    assert old.status_code == 200 and old.headers.getlist("Cache-Control") == ["no-cache"]


def test_a_changed_file_gets_a_new_url(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    (tmp_path / "a.css").write_text("body{}")
    first = static_files.digest(app, "a.css")
    (tmp_path / "a.css").write_text("body{color:red}")
    import os
    os.utime(tmp_path / "a.css", (1, 1))  # a different modification time
    assert static_files.digest(app, "a.css") != first
    assert static_files.digest(app, "../etc/passwd") is None
