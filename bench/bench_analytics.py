"""Time the KPI dashboard at scale: analytics.kpis() and /admin/analytics (issue 16).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_kpi \\
        nice -n 19 .venv/bin/python bench/bench_analytics.py --fill --repeat 5

Run bench/generate.py first. `--fill` (once) adds what generate.py does not write, so that
every figure has rows to count: a resonance answer on every third support, a revision on every
tenth idea, co-creation sessions with invitations (two thirds attended) and feedback, a product
test with reports, and a survey with responses, spread over the last 60 days.

For each case (a period and a filter) it prints the p50 and the maximum of `kpis()` in ms, the
number of SQL statements and the slowest three with their time; then the same for the page
through the test client (signed in as an analyst, created if missing); `--explain` prints
EXPLAIN (ANALYZE, BUFFERS) of the slowest statement of each case. Then the kept results
(app.services.kpi_results): the time of `analytics.compute` for each case (kept, so the page
timed next serves it), and with `--refresh` one run of `analytics.refresh` over the standard
scopes (the scheduled job's cost every KPI_REFRESH_MINUTES).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def fill(db) -> None:
    """Learning and session rows, written with INSERT ... SELECT (PostgreSQL)."""
    from sqlalchemy import text

    started = time.monotonic()
    statements = [
        "UPDATE supports SET resonance = (ARRAY['me_too', 'someone_i_know', 'not_me'])[1 + id % 3] "
        "WHERE id % 3 = 0",
        "INSERT INTO idea_revisions (idea_id, number, changes, note, state, created_at) "
        "SELECT id, 1, CAST('[{\"field\": \"core\", \"before\": \"a\", \"after\": \"b\"}]' AS json), '', "
        "'published', now() - (id % 60) * interval '1 day' FROM ideas WHERE id % 10 = 0 "
        "AND published_at IS NOT NULL",
        "INSERT INTO cocreation_sessions (title, purpose, mode, place_or_url, starts_at, "
        "duration_minutes, capacity, agenda, created_by_id, idea_id, created_at) "
        "SELECT 'Session ' || n, '', 'online', 'https://meet.example.com/' || n, "
        "now() - n * interval '1 day', 60, 50, CAST('[]' AS json), 1, n, now() "
        "FROM generate_series(1, 60) AS n",
        "INSERT INTO session_invitations (session_id, user_id, status, invited_at, attended_at) "
        "SELECT s.id, (s.id * 37 + k) % (SELECT max(id) FROM users) + 1, 'accepted', s.created_at, "
        "CASE WHEN k % 3 <> 0 THEN s.starts_at END FROM cocreation_sessions s, "
        "generate_series(1, 40) AS k",
        "INSERT INTO session_feedback (session_id, user_id, satisfaction, comment, created_at) "
        "SELECT session_id, user_id, 1 + user_id % 5, '', now() FROM session_invitations "
        "WHERE attended_at IS NOT NULL AND user_id % 2 = 0",
        "INSERT INTO product_tests (idea_id, title, brief, brief_html, testers, opens_on, closes_on, "
        "selected_count, created_at) SELECT 1, 'Bench test', '', '', 100, current_date - 60, "
        "current_date, 0, now()",
        "INSERT INTO product_test_reports (test_id, user_id, customer_value, uniqueness, feasibility, "
        "marketability, rationale, comment, created_at) SELECT (SELECT max(id) FROM product_tests), "
        "n, 2, 2, 2, 2, '', '', now() - (n % 60) * interval '1 day' FROM generate_series(1, 500) AS n",
        "INSERT INTO surveys (title, questions, public, created_at, response_count) "
        "VALUES ('Bench survey', CAST('[]' AS json), false, now(), 0)",
        "INSERT INTO survey_responses (survey_id, user_id, answers, created_at) "
        "SELECT (SELECT max(id) FROM surveys), n, CAST('{}' AS json), "
        "now() - (n % 60) * interval '1 day' FROM generate_series(1, 5000) AS n",
        "ANALYZE",
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    print(f"filled in {time.monotonic() - started:.1f} s\n")


def main() -> None:  # noqa: C901 (one straight script)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fill", action="store_true", help="add learning and session rows first")
    parser.add_argument("--explain", action="store_true",
                        help="EXPLAIN (ANALYZE, BUFFERS) the slowest statement of each case")
    parser.add_argument("--no-page", action="store_true", help="time kpis() only")
    parser.add_argument("--refresh", action="store_true",
                        help="time analytics.refresh: every standard scope recomputed (the job's cost)")
    parser.add_argument("--top", type=int, default=3, help="how many of the slowest statements to show")
    args = parser.parse_args()

    import logging

    from sqlalchemy import event, func, select

    from app import create_app
    from app.extensions import db
    from app.models import Category, Idea, Support, User, UserRole
    from app.services import analytics

    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    logging.getLogger("kyoso.request").setLevel(logging.WARNING)
    with app.app_context():
        if args.fill:
            fill(db)
        ideas = db.session.scalar(select(func.count()).select_from(Idea))
        supports = db.session.scalar(select(func.count()).select_from(Support))
        members = db.session.scalar(select(func.count()).select_from(User))
        print(f"{db.engine.dialect.name}: {ideas:,} ideas, {members:,} members, {supports:,} supports\n")
        category = db.session.scalar(select(Category.slug).order_by(Category.id).limit(1))
        today = datetime.now(UTC).date()
        cases = [
            ("last 30 days", (today - timedelta(days=29)).isoformat(), today.isoformat(), None),
            ("last 365 days", (today - timedelta(days=364)).isoformat(), today.isoformat(), None),
            (f"last 30 days, category {category}", (today - timedelta(days=29)).isoformat(),
             today.isoformat(), category),
        ]

        timings: list[tuple[float, str, object]] = []

        def before(conn, _cursor, statement, parameters, *_rest) -> None:
            conn.info.setdefault("kpi_started", []).append(time.perf_counter())

        def after(conn, _cursor, statement, parameters, *_rest) -> None:
            started = conn.info["kpi_started"].pop()
            timings.append(((time.perf_counter() - started) * 1000, statement, parameters))

        raw = db.engine.raw_connection()
        cursor = raw.cursor()
        print(f"{'kpis()':<40} {'p50 ms':>8} {'max ms':>8} {'q':>4}  slowest statements (ms)")
        for label, start, end, cat in cases:
            sc = analytics.scope(start, end, cat)
            analytics.kpis(sc)  # warm up: plans, caches
            db.session.remove()
            samples = []
            for _ in range(args.repeat):
                timings.clear()
                event.listen(db.engine, "before_cursor_execute", before)
                event.listen(db.engine, "after_cursor_execute", after)
                started = time.perf_counter()
                try:
                    analytics.kpis(analytics.scope(start, end, cat))
                finally:
                    event.remove(db.engine, "before_cursor_execute", before)
                    event.remove(db.engine, "after_cursor_execute", after)
                samples.append((time.perf_counter() - started) * 1000)
                db.session.remove()
            slowest = sorted(timings, key=lambda t: -t[0])[:args.top]
            print(f"{label:<40} {statistics.median(samples):8.0f} {max(samples):8.0f} {len(timings):4d}",
                  flush=True)
            for ms, statement, _p in slowest:
                print(f"    {ms:7.0f}  {' '.join(statement.split())[:150]}")
            if args.explain and slowest:
                _ms, statement, parameters = slowest[0]
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("\n".join("    " + row[0] for row in cursor.fetchall()))
                raw.rollback()
        raw.close()

        # Kept results (app.services.kpi_results): what a refresh costs, then the page serving them.
        from app.services import kpi_results

        print(f"\n{'analytics.compute (keep one scope)':<40} {'ms':>8}")
        for label, start, end, cat in cases:
            sc = analytics.scope(start, end, cat)
            db.session.remove()
            started = time.perf_counter()
            kpi_results._compute_in_snapshot(sc)
            print(f"{label:<40} {(time.perf_counter() - started) * 1000:8.0f}", flush=True)
            db.session.remove()
        if args.no_page:
            return
        analyst = db.session.scalar(select(User).join(UserRole).where(UserRole.role == "analyst").limit(1))
        if analyst is None:
            analyst = User(email="analyst@bench.invalid", display_name="Bench analyst", bio="",
                           email_confirmed_at=datetime.now(UTC))
            analyst.set_password("bench-password")
            analyst.role_rows.append(UserRole(role="analyst"))
            db.session.add(analyst)
            db.session.commit()
        from app.security import SESSION_ID_KEY
        from app.services import sign_ins

        client = app.test_client()
        session_row = sign_ins.start_session(analyst, user_agent="bench")
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = analyst.get_id()
            session[SESSION_ID_KEY] = session_row.row.id
            session["_fresh"] = True
        analyst_id = analyst.id
        db.session.remove()
        print(f"\n{'page (analyst ' + str(analyst_id) + ')':<40} {'p50 ms':>8} {'max ms':>8} {'q':>4}")
        for label, start, end, cat in cases:
            url = f"/admin/analytics?from={start}&to={end}" + (f"&category={cat}" if cat else "")
            first = client.get(url)
            assert first.status_code == 200, (url, first.status_code, first.headers.get("Location"))
            samples = []
            for _ in range(args.repeat):
                timings.clear()
                event.listen(db.engine, "before_cursor_execute", before)
                event.listen(db.engine, "after_cursor_execute", after)
                started = time.perf_counter()
                try:
                    client.get(url)
                finally:
                    event.remove(db.engine, "before_cursor_execute", before)
                    event.remove(db.engine, "after_cursor_execute", after)
                samples.append((time.perf_counter() - started) * 1000)
            print(f"{label:<40} {statistics.median(samples):8.0f} {max(samples):8.0f} {len(timings):4d}",
                  flush=True)

        if args.refresh:
            scopes = kpi_results.standard_scopes(today)
            db.session.remove()
            app.config["KPI_REFRESH_MINUTES"] = 0  # recompute every standard scope
            started = time.perf_counter()
            count = kpi_results.refresh_job()
            app.config["KPI_REFRESH_MINUTES"] = 10
            print(f"analytics.refresh: {count} of {len(scopes)} standard scopes in "
                  f"{(time.perf_counter() - started):.1f} s", flush=True)
            db.session.remove()

if __name__ == "__main__":
    main()
