"""Time discovery at scale: browse sorts and filters, search, For you, the pages, and supporting.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyoso_bench \\
        .venv/bin/python bench/bench_browse.py --repeat 20

Run bench/generate.py first. Prints the median and 95th percentile in milliseconds for each case
and the targets of bench/README.md; exits 1 when a p95 misses its target (with --strict).
Supporting writes to the database (the supports are withdrawn again afterwards).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# p95 targets in milliseconds (bench/README.md)
TARGETS = {"browse": 80, "search": 150, "for_you": 150, "page": 250, "support": 50}


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(name: str, kind: str, samples: list[float], failures: list[str]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    target = TARGETS[kind]
    mark = "ok " if p95 <= target else "SLOW"
    if p95 > target:
        failures.append(name)
    print(f"{mark} {name:<42} median {statistics.median(ordered):8.1f} ms   "
          f"p95 {p95:8.1f} ms   target {target} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()

    from flask import g
    from sqlalchemy import func, select

    from app import create_app
    from app.extensions import db
    from app.models import Idea, Support, User
    from app.services import discovery

    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    rng = random.Random(7)
    failures: list[str] = []
    with app.app_context():
        ideas = db.session.scalar(select(func.count()).select_from(Idea))
        supports = db.session.scalar(select(func.count()).select_from(Support))
        print(f"{db.engine.dialect.name}: {ideas} ideas, {supports} supports\n")
        heavy = db.session.scalar(select(Support.user_id).group_by(Support.user_id)
                                  .order_by(func.count().desc()).limit(1))
        heavy_user = db.session.get(User, heavy) if heavy else None

        def browse(**kwargs):
            return lambda: discovery.browse(None, per_page=24, **kwargs)

        for sort in discovery.SORTS:
            report(f"browse sort={sort}", "browse", timed(browse(sort=sort), args.repeat), failures)
        report("browse sort=trending page=50", "browse",
               timed(browse(sort="trending", page=50), args.repeat), failures)
        report("browse status=published category=kitchen", "browse",
               timed(browse(status="published", category="kitchen"), args.repeat), failures)
        report("browse tag=tag7", "browse", timed(browse(tag="tag7"), args.repeat), failures)
        for q in ("umbrella", "folding lantern", "傘", "折りたたみ", 'AND("*'):
            report(f"search q={q}", "search", timed(browse(q=q), args.repeat), failures)
        if heavy_user is not None:
            report("for you (most active supporter)", "for_you",
                   timed(lambda: discovery.recommended_for(heavy_user), args.repeat), failures)
            db.session.rollback()

        client = app.test_client()
        for url in ("/", "/ideas", "/ideas?q=umbrella", "/api/v1/ideas?sort=supported"):
            report(f"GET {url}", "page", timed(lambda url=url: client.get(url), args.repeat),
                   failures)

        # Supporting: the real service, on ideas gathering support, by members who have not.
        from app.services import supports as support_service

        gathering = list(db.session.scalars(select(Idea.id).where(
            Idea.status == "published", Idea.hidden.is_(False)).order_by(Idea.id).limit(200)))
        members = list(db.session.scalars(select(User).where(User.email_confirmed_at.is_not(None))
                                          .order_by(func.random()).limit(args.repeat * 3)))
        done: list[tuple[User, int]] = []
        samples = []
        for member in members:
            if len(samples) >= args.repeat or not gathering:
                break
            idea_id = rng.choice(gathering)
            started = time.perf_counter()
            try:
                support_service.support_idea(member, idea_id)
                db.session.commit()
            except Exception:  # own idea, already supporting...: not what we time
                db.session.rollback()
                continue
            samples.append((time.perf_counter() - started) * 1000)
            done.append((member, idea_id))
        if samples:
            report("support an idea (service + commit)", "support", samples, failures)
        for member, idea_id in done:
            support_service.withdraw_support(member, idea_id)
            db.session.commit()
        g.pop("api_user", None)
    if failures and args.strict:
        sys.exit(1)


if __name__ == "__main__":
    main()
