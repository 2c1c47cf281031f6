"""Time the list pages at scale: p50/p95, SQL queries, and the ratio to two ceilings measured in
the same run.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyoso_bench \\
        .venv/bin/python bench/bench_pages.py --repeat 50

Run bench/generate.py first. Each case is one GET through the app's test client, in process
(no network), after a warm-up. The ceilings:

- hello: the bare Flask app of bench/hello.py through its own test client (what a request costs
  at least in this process);
- sql: the same page's SQL statements, replayed with their parameters on a plain DBAPI
  connection (what the database needs for the page, without the ORM and the templates).

Columns: p50 and p95 in ms, the number of SQL statements, the p50 of the SQL replay, then
p50 / hello and p50 / sql. `--strict` exits 1 when a p95 exceeds --target (25 ms) or a page
runs more than 10 queries.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MAX_QUERIES = 10


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:  # noqa: C901 (one straight script)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--target", type=float, default=25.0, help="p95 goal in ms")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--only", help="run the cases whose URL contains this")
    parser.add_argument("--signed-in", action="store_true",
                        help="also time the pages for the member with the most supports")
    parser.add_argument("--only-rendered", action="store_true",
                        help="skip the kept-page (anonymous page cache) cases")
    parser.add_argument("--explain", action="store_true",
                        help="print, per case, the indexes and scans the PostgreSQL plans use")
    args = parser.parse_args()

    from sqlalchemy import event, func, select

    from app import create_app
    from app.extensions import db
    from app.models import Idea, Support, User
    from hello import app as hello_app

    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    import logging

    logging.getLogger("kyoso.request").setLevel(logging.WARNING)  # one JSON line per request
    failures: list[str] = []
    with app.app_context():
        ideas = db.session.scalar(select(func.count()).select_from(Idea))
        supports = db.session.scalar(select(func.count()).select_from(Support))
        members = db.session.scalar(select(func.count()).select_from(User))
        print(f"{db.engine.dialect.name}: {ideas:,} ideas, {members:,} members, "
              f"{supports:,} supports\n")
        client = app.test_client()

        # Deep cursors: follow `next` from the API far down each sort (the URLs of those pages).
        def deep_cursor(sort: str, depth_pages: int) -> str | None:
            url = f"/api/v1/ideas?sort={sort}&per_page=100"
            body = client.get(url).get_json()
            for page in range(2, depth_pages + 1):
                if not body.get("next"):
                    return None
                if page * 100 <= 10_000:
                    body = client.get(f"{url}&page={page}").get_json()
                else:
                    body = client.get(f"{url}&after={body['next']}").get_json()
            return body.get("next")

        deep = deep_cursor("trending", 120)  # past the 12,000th idea
        # Idea pages: the most supported idea, and one near 10,000 supporters.
        top = db.session.scalar(select(Idea.id).where(Idea.status.in_(("published", "qualified")),
                                                      Idea.hidden.is_(False))
                                .order_by(Idea.support_count.desc()).limit(1))
        near = db.session.scalar(select(Idea.id).where(Idea.status.in_(("published", "qualified")),
                                                       Idea.hidden.is_(False),
                                                       Idea.support_count <= 10_000)
                                 .order_by(Idea.support_count.desc()).limit(1))
        # The member with the most supports, for the signed-in cases ("For you").
        heavy = db.session.scalar(select(Support.user_id).group_by(Support.user_id)
                                  .order_by(func.count().desc()).limit(1)) \
            if args.signed_in else None
        db.session.remove()

        cases = [
            "/",
            "/ideas", "/ideas?sort=supported", "/ideas?sort=newest", "/ideas?sort=expiring",
            "/ideas?sort=approved",
            "/ideas?status=published", "/ideas?status=expired", "/ideas?status=qualified",
            "/ideas?status=on_sale&sort=newest", "/ideas?category=kitchen",
            "/ideas?category=outdoor&sort=supported", "/ideas?category=kids&status=published",
            "/ideas?tag=tag7", "/ideas?tag=tag7&sort=newest",
            "/ideas?page=20", "/ideas?page=400", "/ideas?page=2000",
            "/ideas?q=umbrella", "/ideas?q=folding+lantern", "/ideas?q=折りたたみ",
            "/ideas?q=傘", "/ideas?q=収納", "/ideas?q=umbrela", "/ideas?q=w1",
            "/api/v1/ideas", "/api/v1/ideas?sort=supported", "/api/v1/ideas?sort=newest",
            "/api/v1/ideas?sort=expiring", "/api/v1/ideas?status=expired&category=kitchen",
            "/api/v1/ideas?tag=tag7", "/api/v1/ideas?q=umbrella", "/api/v1/ideas?q=傘",
            "/api/v1/ideas?per_page=100",
        ]
        if deep:
            cases.append(f"/api/v1/ideas?sort=trending&per_page=24&after={deep}")
            cases.append(f"/ideas?after={deep}")
        cases += [f"/ideas/{idea_id}" for idea_id in (top, near) if idea_id]
        if args.only:
            cases = [url for url in cases if args.only in url]

        hello = hello_app.test_client()
        hello.get("/")
        raw = db.engine.raw_connection()
        cursor = raw.cursor()

        def capture(url: str, who=None) -> list[tuple[str, object]]:
            who = who or client
            statements: list[tuple[str, object]] = []

            def before(_conn, _cursor, statement, parameters, *_rest) -> None:
                statements.append((statement, parameters))

            event.listen(db.engine, "before_cursor_execute", before)
            try:
                response = who.get(url)
            finally:
                event.remove(db.engine, "before_cursor_execute", before)
            assert response.status_code == 200, (url, response.status_code)
            return statements

        def replay(statements) -> None:
            for statement, parameters in statements:
                try:
                    cursor.execute(statement, parameters)
                except Exception:  # a statement the DBAPI cannot replay as captured: skipped
                    raw.rollback()
                    continue
                if cursor.description is not None:
                    cursor.fetchall()
            raw.rollback()

        hello_samples = timed(lambda: hello.get("/"), max(args.repeat, 200))
        hello_p50 = statistics.median(hello_samples)
        print(f"ceiling hello: p50 {hello_p50:.3f} ms  p95 {percentile(hello_samples, .95):.3f}"
              f" ms\n")
        print(f"{'case':<58} {'p50':>7} {'p95':>7} {'q':>3} {'sql':>7} {'x hello':>8} "
              f"{'x sql':>6}")
        if args.explain:
            for url in cases:
                client.get(url)
                print(url)
                for statement, parameters in capture(url):
                    cursor.execute("EXPLAIN " + statement, parameters)
                    plan = [row[0] for row in cursor.fetchall()]
                    scans = [line.strip().split("  (")[0].lstrip("-> ") for line in plan
                             if " Scan" in line and " on " in line]
                    print(f"   {statement.split()[0]:<6} {'; '.join(scans)[:150]}")
                raw.rollback()
            raw.close()
            return
        def run(url: str, who) -> None:
            who.get(url)  # warm up: caches, plans, the kept page
            statements = capture(url, who)
            samples = timed(lambda url=url: who.get(url), args.repeat)
            db.session.remove()
            sql_samples = timed(lambda statements=statements: replay(statements), args.repeat)
            p50, p95 = statistics.median(samples), percentile(samples, .95)
            sql_p50 = statistics.median(sql_samples) if statements else 0.0
            flag = ""
            if p95 > args.target or len(statements) > MAX_QUERIES:
                flag = "  MISS"
                failures.append(url)
            label = url if len(url) <= 58 else url[:55] + "..."
            x_sql = f"{p50 / sql_p50:6.1f}" if sql_p50 else f"{'-':>6}"
            print(f"{label:<58} {p50:7.1f} {p95:7.1f} {len(statements):3d} {sql_p50:7.2f} "
                  f"{p50 / hello_p50:8.0f} {x_sql}{flag}", flush=True)

        kept_ttl = app.config["PAGE_CACHE_TTL"]
        app.config["PAGE_CACHE_TTL"] = 0
        print("-- rendered (page cache off: what a miss, a search or a member costs)")
        for url in cases:
            run(url, client)
        if kept_ttl and not args.only_rendered:
            app.config["PAGE_CACHE_TTL"] = kept_ttl
            print(f"-- kept: anonymous visitor, PAGE_CACHE_TTL={kept_ttl} (after one miss)")
            visitor = app.test_client()  # a new visitor: nothing flashed by the cases above
            for url in cases:
                response = visitor.get(url)
                if response.headers.get("X-Kyoso-Page-Cache") in ("hit", "miss"):
                    run(url, visitor)
            app.config["PAGE_CACHE_TTL"] = 0
        if heavy:
            from app.security import SESSION_ID_KEY
            from app.services import sign_ins

            member = app.test_client()
            started = sign_ins.start_session(db.session.get(User, heavy), user_agent="bench")
            db.session.commit()
            with member.session_transaction() as session:
                session["_user_id"] = str(heavy)
                session[SESSION_ID_KEY] = started.row.id
                session["_fresh"] = True
            print(f"-- signed in: member {heavy} (the most supports: For you)")
            for url in ["/", "/ideas", "/ideas?sort=newest"] + \
                    [f"/ideas/{idea_id}" for idea_id in (top, near) if idea_id]:
                run(url, member)
        raw.close()
    if failures:
        print(f"\n{len(failures)} case(s) over {args.target} ms p95 or {MAX_QUERIES} queries")
        if args.strict:
            sys.exit(1)


if __name__ == "__main__":
    main()
