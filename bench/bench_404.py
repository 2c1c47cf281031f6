"""Time the 404 for an idea that exists but is private (draft, pending, hidden) against the 404
for an id no idea has (issue 10, item 12: 33-50 ms against 3-11 ms said which ids exist).

    .venv/bin/python bench/bench_404.py --repeat 200            # a fresh SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyoso_404 \\
        .venv/bin/python bench/bench_404.py --repeat 200        # an empty PostgreSQL database

Each private idea is made as expensive as a member can make it: a 20,000-character description
of `[`, 30 comments of pathological Markdown and a second of history. Every case is one GET
through the app's test client, in process, the cases interleaved (so load on the machine falls
on all alike), after a warm-up; anonymous visitors and a signed-in member (session for pages,
bearer token for the API). The page cache is off (PAGE_CACHE_TTL=0): a 404 is never kept
anyway, and the point is the work the request does. Prints p50 / p95 in ms per case and, per
path, the largest difference of a private idea's p50 from the missing id's: once in wall-clock
time and once in this process's CPU time (on SQLite all the work is in the process, and CPU time
is what other load on the machine disturbs least).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PATHS = ("/ideas/{}", "/api/v1/ideas/{}", "/api/v1/ideas/{}/comments", "/ideas/{}/edit")
ATTACKS = ["[" * 2_000, "[a" * 1_000, "*a" * 1_000, "_a" * 1_000, "[a](" * 500]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="kyoso-404-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.db"
        os.environ.setdefault("KYOSO_INSTANCE_PATH", folder)
    os.environ["PAGE_CACHE_TTL"] = "0"
    os.environ["RATELIMIT_ENABLED"] = "false"
    os.environ["REQUEST_LOG"] = "false"

    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Comment, Idea
    from config import Config
    from tests import factories as f

    app = create_app(Config())
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Idea)):
            sys.exit("DATABASE_URL must name an empty database")
        f.seed_basics()
        owner, viewer = f.user(), f.user()
        commenter = f.user()
        private = {
            "draft": f.idea(owner, status="draft", description="[" * 20_000),
            "pending": f.idea(owner, status="pending_moderation", description="[" * 20_000),
            "hidden": f.idea(owner, status="published", hidden=True, description="[" * 20_000),
        }
        for idea in private.values():
            for n in range(30):
                db.session.add(Comment(idea_id=idea.id, author_id=commenter.id,
                                       body=ATTACKS[n % len(ATTACKS)]))
        db.session.commit()
        missing = db.session.scalar(select(func.max(Idea.id))) + 1000
        viewer_email = viewer.email
        ids = {**{name: idea.id for name, idea in private.items()}, "missing": missing}

    anonymous = app.test_client()
    member = app.test_client()
    signed_in = member.post("/api/v1/tokens", json={"email": viewer_email,
                                                    "password": f.PASSWORD})
    token = signed_in.get_json()["token"]
    page = member.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    member.post("/login", data={"csrf_token": csrf, "email": viewer_email,
                                "password": f.PASSWORD})
    assert member.get("/me").status_code == 200, "the member could not sign in"

    cases = []
    for who, client, headers in (("anonymous", anonymous, {}),
                                 ("member", member, {"Authorization": f"Bearer {token}"})):
        for path in PATHS:
            for name, idea_id in ids.items():
                url = path.format(idea_id)
                extra = headers if url.startswith("/api/") else {}
                cases.append((who, path, name, client, url, extra))
    samples: dict[tuple[str, str, str], list[float]] = {c[:3]: [] for c in cases}
    cpu: dict[tuple[str, str, str], list[float]] = {c[:3]: [] for c in cases}
    for _ in range(5):  # warm-up
        for who, _path, _name, client, url, extra in cases:
            assert client.get(url, headers=extra).status_code == 404, (who, url)
    for _ in range(args.repeat):
        for who, path, name, client, url, extra in cases:
            started, started_cpu = time.perf_counter(), time.process_time()
            status = client.get(url, headers=extra).status_code
            samples[(who, path, name)].append((time.perf_counter() - started) * 1000)
            cpu[(who, path, name)].append((time.process_time() - started_cpu) * 1000)
            assert status == 404, (who, url, status)

    for title, table in (("wall clock", samples), ("CPU time of this process", cpu)):
        print(f"\n{title}: p50 / p95 ms; last column: largest |p50(private) - p50(missing)|")
        print(f"{'who':10} {'path':28} " + " ".join(f"{name:>15}" for name in ids)
              + f" {'max |diff|':>11}")
        for who in ("anonymous", "member"):
            for path in PATHS:
                p50 = {name: statistics.median(table[(who, path, name)]) for name in ids}
                cells = " ".join(f"{p50[name]:6.2f} / {percentile(table[(who, path, name)], 0.95):6.2f}"
                                 for name in ids)
                worst = max(abs(p50[name] - p50["missing"]) for name in private)
                print(f"{who:10} {path:28} {cells} {worst:11.2f}")

if __name__ == "__main__":
    main()
