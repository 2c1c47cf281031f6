"""Supports through the API under gunicorn -w 2, against a minimal correct write on the same
server, in the same run (bench/README.md, "Supports").

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyoso_bench \\
        .venv/bin/python bench/bench_supports.py --duration 10 --clients 16

Run bench/generate.py first. For each server (the app: `gunicorn -w 2 wsgi:app`; the ceiling:
`gunicorn -w 2 --chdir bench minimal_support:app`) and each case (`many`: each support on a
random gathering idea; `hot`: every support on one idea), wrk -t2 -c<clients> POSTs supports,
each from a different member with a fresh bearer token. Prints supports/s, latency, the
statuses, then checks that every touched idea's exact count equals its support rows, shows how
many updates of `ideas` and `idea_counters` were HOT (pg_stat_user_tables) and times the
minute's rollup. Afterwards the supports, follows and tokens it made are removed again and the
counts put back.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _members(conn, count: int, avoid_idea: int | None, offset: int) -> list[int]:
    """Confirmed, unblocked members who did not create (nor support, for the hot idea) it."""
    sql = ("SELECT id FROM users u WHERE email_confirmed_at IS NOT NULL AND blocked_at IS NULL "
           "AND NOT EXISTS (SELECT 1 FROM idea_creators c WHERE c.user_id = u.id "
           "AND c.idea_id = ANY(%(ideas)s)) ")
    if avoid_idea is not None:
        sql += ("AND NOT EXISTS (SELECT 1 FROM supports s WHERE s.user_id = u.id "
                "AND s.idea_id = %(hot)s) ")
    sql += "ORDER BY id OFFSET %(offset)s LIMIT %(count)s"
    return [row[0] for row in conn.execute(sql, {"ideas": [avoid_idea or 0], "hot": avoid_idea,
                                                 "offset": offset, "count": count})]


def _tokens(conn, members: list[int]) -> list[str]:
    tokens = [f"bench-{secrets.token_urlsafe(16)}" for _ in members]
    with conn.cursor().copy("COPY api_tokens (user_id, token_hash, created_at, expires_at) "
                            "FROM STDIN") as copy:
        for member, token in zip(members, tokens):
            copy.write_row((member, hashlib.sha256(token.encode()).hexdigest(),
                            "now", "2100-01-01"))
    conn.commit()
    return tokens


def _serve(module: str, port: int, env: dict[str, str], log: Path,
           workers: int = 2) -> subprocess.Popen:
    args = [str(ROOT / ".venv/bin/gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}"]
    if module.startswith("minimal"):
        args += ["--chdir", str(ROOT / "bench")]
    process = subprocess.Popen([*args, module], cwd=ROOT, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT)
    import urllib.request
    for _ in range(300):  # the master listens before the workers have loaded the app
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return process
        except OSError as error:
            if getattr(error, "code", None) == 404:  # the minimal app has no /healthz
                return process
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{module} did not start: see {log}")


def _wrk(port: int, lines: list[str], clients: int, duration: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
    env = {**os.environ, "BENCH_FILE": handle.name, "BENCH_THREADS": "2"}
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "-s",
                          str(ROOT / "bench/supports.lua"), f"http://127.0.0.1:{port}/"],
                         env=env, capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    status = dict(re.findall(r"(\w+)=(\d+)", re.search(r"STATUS (.*)", out).group(1)))
    latency = dict(re.findall(r"(p\d+)=([\d.]+)", re.search(r"LATENCY (.*)", out).group(1)))
    created = int(status["created"])
    return {"per_s": created / duration, "created": created, "refused": int(status["refused"]),
            "other": int(status["other"]), **{k: float(v) for k, v in latency.items()}}


def _hot_stats(conn) -> dict[str, tuple[int, int]]:
    rows = conn.execute("SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                        "WHERE relname IN ('ideas', 'idea_counters')").fetchall()
    conn.commit()
    return {name: (upd, hot) for name, upd, hot in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers of both")
    parser.add_argument("--per-case", type=int, default=30_000,
                        help="members (and tokens) per case: more than it can do in --duration")
    args = parser.parse_args()
    url = os.environ["DATABASE_URL"]
    conn = psycopg.connect(_plain(url))
    started = conn.execute("SELECT now()").fetchone()[0]
    gathering = [row[0] for row in conn.execute(
        "SELECT id FROM ideas WHERE status = 'published' AND hidden IS false "
        "AND merged_into_id IS NULL AND deadline > now() + interval '1 day' ORDER BY id")]
    # The hot idea: the most supported one whose next milestone is not the last (so neither run
    # qualifies it and ends its gathering), a few hundred supports short of it (the app's run
    # crosses it and fans out to the followers).
    hot = conn.execute(
        "SELECT i.id FROM ideas i WHERE i.id = ANY(%s) AND i.next_milestone < "
        "(SELECT max(next_milestone) FROM ideas) AND i.next_milestone - i.support_count >= 200 "
        "ORDER BY i.support_count DESC, i.id LIMIT 1", (gathering,)).fetchone()[0]
    print(f"{len(gathering)} gathering ideas; the hot one: #{hot}")
    rng = random.Random(8)
    cases = {}
    offset = 0
    for server in ("app", "minimal"):
        members = _members(conn, 3000, hot, offset)
        offset += 3000
        cases[(server, "warm-up")] = [f"/api/v1/ideas/{rng.choice(gathering)}/supports {token}"
                                      for token in _tokens(conn, members)]
        for case in ("many", "hot"):
            members = _members(conn, args.per_case, hot if case == "hot" else None, offset)
            offset += args.per_case
            tokens = _tokens(conn, members)
            ideas = [hot] * len(members) if case == "hot" else \
                [rng.choice(gathering) for _ in members]
            cases[(server, case)] = [f"/api/v1/ideas/{idea}/supports {token}"
                                     for idea, token in zip(ideas, tokens)]
    env = {**os.environ, "RATELIMIT_ENABLED": "0", "JOBS_EMBEDDED_SCHEDULER": "1"}
    env.pop("REDIS_URL", None)
    results = {}
    hot_before = _hot_stats(conn)
    for server, module in (("app", "wsgi:app"), ("minimal", "minimal_support:app")):
        port = _free_port()
        process = _serve(module, port, env, Path(tempfile.gettempdir()) / f"bench-{server}.log",
                         args.workers)
        try:
            _wrk(port, cases[(server, "warm-up")], args.clients, 3)  # every statement prepared
            for case in ("many", "hot"):
                results[(server, case)] = _wrk(port, cases[(server, case)], args.clients,
                                               args.duration)
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        if server == "app":
            hot_after = _hot_stats(conn)
    print(f"\ngunicorn -w {args.workers}, wrk -t2 -c{args.clients} -d{args.duration}s, one member per support")
    print(f"{'server':<9}{'case':<6}{'supports/s':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'409':>6}{'other':>7}{'x minimal':>11}")
    for (server, case), r in results.items():
        ratio = r["per_s"] / results[("minimal", case)]["per_s"]
        print(f"{server:<9}{case:<6}{r['per_s']:>11.0f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
              f"{r['p99']:>9.1f}{r['refused']:>6}{r['other']:>7}{ratio:>10.0%}")
    for table in ("ideas", "idea_counters"):
        upd = hot_after[table][0] - hot_before[table][0]
        hot_upd = hot_after[table][1] - hot_before[table][1]
        print(f"app run: {table}: {upd} updates, {hot_upd} HOT")

    touched = [row[0] for row in conn.execute(
        "SELECT DISTINCT idea_id FROM supports WHERE created_at >= %s", (started,))]
    wrong = conn.execute(
        "SELECT count(*) FROM idea_counters c WHERE c.idea_id = ANY(%s) AND c.support_count <> "
        "(SELECT count(*) FROM supports s WHERE s.idea_id = c.idea_id)", (touched,)).fetchone()[0]
    print(f"exact counts: {len(touched) - wrong} of {len(touched)} touched ideas right")
    t0 = time.perf_counter()
    changed = conn.execute(
        "UPDATE ideas SET support_count = c.support_count, trending_score = c.trending_score "
        "FROM idea_counters c WHERE ideas.id = c.idea_id AND (ideas.support_count <> "
        "c.support_count OR ideas.trending_score <> c.trending_score)").rowcount
    conn.commit()
    print(f"rollup (ideas.roll_up_counters): {changed} ideas in "
          f"{(time.perf_counter() - t0) * 1000:.0f} ms")

    # Put everything back.
    conn.execute("DELETE FROM idea_follows WHERE created_at >= %s", (started,))
    conn.execute("DELETE FROM supports WHERE created_at >= %s", (started,))
    conn.execute("DELETE FROM api_tokens WHERE created_at >= %s", (started,))
    conn.execute(
        "UPDATE idea_counters c SET support_count = (SELECT count(*) FROM supports s "
        "WHERE s.idea_id = c.idea_id) WHERE c.idea_id = ANY(%s)", (touched,))
    conn.execute(
        "UPDATE ideas SET support_count = c.support_count FROM idea_counters c "
        "WHERE ideas.id = c.idea_id AND ideas.id = ANY(%s)", (touched,))
    conn.commit()


if __name__ == "__main__":
    sys.exit(main())
