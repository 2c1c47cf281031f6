"""Bulk data generator for scale runs: N members, M ideas, K supports.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyoso_bench \\
        .venv/bin/python bench/generate.py --members 200000 --ideas 100000 --supports 2000000

Works on PostgreSQL and SQLite (DATABASE_URL; the default is the instance SQLite file). The
schema is built by the migrations first (`flask db upgrade` is run for you). Rows go in with
executemany in chunks; support_count is set from the support rows, milestones and deadlines from
the counts, and the trending scores by app.services.milestones.refresh_trending(). Not part of
the test suite.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("folding", "umbrella", "lantern", "bento", "quiet", "travel", "desk", "kids", "camping",
         "light", "bottle", "cable", "pillow", "solar", "pocket", "magnetic", "compact", "warm",
         "rain", "commute", "storage", "kitchen", "garden", "bicycle", "pet", "sleep", "coffee",
         "折りたたみ", "傘", "収納", "弁当", "キャンプ", "充電", "子ども", "通勤", "雨", "ライト")
STATUS_MIX = (("published", 70), ("expired", 12), ("qualified", 2), ("in_review", 2),
              ("approved", 2), ("not_approved", 2), ("on_sale", 2), ("withdrawn", 3),
              ("draft", 3), ("pending_moderation", 2))
CHUNK = 5000
VOCABULARY = 20_000  # synthetic words, so that real words are as selective as in real text


def text(rng: random.Random, count: int) -> str:
    """`count` words: mostly synthetic (Zipf-like), now and then one of WORDS (1 in 300)."""
    words = []
    for _ in range(count):
        if rng.random() < 1 / 300:
            words.append(rng.choice(WORDS))
        else:
            words.append(f"w{int(rng.paretovariate(1.1)) % VOCABULARY}")
    return " ".join(words)


def chunks(rows, size=CHUNK):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--ideas", type=int, default=10_000)
    parser.add_argument("--supports", type=int, default=200_000)
    parser.add_argument("--hidden-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select, update
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.models import Category, Idea, IdeaCreator, Support, Tag, User, idea_tags
    from app.models.base import utcnow

    rng = random.Random(args.seed)
    app = create_app()
    with app.app_context():
        upgrade()
        started = time.monotonic()
        now = utcnow()
        milestones = app.config["SUPPORT_MILESTONES"]
        windows = app.config["SUPPORT_WINDOWS_DAYS"]
        if not db.session.scalar(select(func.count()).select_from(Category)):
            from app.demo.ideas import CATEGORIES

            db.session.execute(insert(Category), [
                {"slug": slug, "name": name, "name_ja": name_ja}
                for slug, name, name_ja in CATEGORIES])
        category_ids = list(db.session.scalars(select(Category.id)))
        run = f"b{int(time.time())}"

        print(f"members: {args.members}")
        password_hash = generate_password_hash("bench-password", method="scrypt")
        for part in chunks([{"email": f"{run}-{n}@bench.invalid", "display_name": f"Member {n}",
                             "password_hash": password_hash, "bio": "",
                             "email_confirmed_at": now, "created_at": now,
                             "notify_mode": "off", "security_stamp": 0}
                            for n in range(args.members)]):
            db.session.execute(insert(User), part)
        user_ids = list(db.session.scalars(select(User.id).where(
            User.email.like(f"{run}-%"))))

        tag_names = [f"tag{n}" for n in range(200)]
        existing = set(db.session.scalars(select(Tag.name)))
        missing = [{"name": name} for name in tag_names if name not in existing]
        if missing:
            db.session.execute(insert(Tag), missing)
        tag_ids = list(db.session.scalars(select(Tag.id).where(Tag.name.in_(tag_names))))

        print(f"ideas: {args.ideas}")
        statuses, weights = zip(*STATUS_MIX)
        idea_rows = []
        for n in range(args.ideas):
            status = rng.choices(statuses, weights)[0]
            age = rng.uniform(1, 500) if status != "published" else rng.uniform(1, windows[0] - 1)
            created = now - timedelta(days=age)
            title = f"{text(rng, 3).capitalize()} {n}"
            idea_rows.append({
                "owner_id": rng.choice(user_ids), "title": title[:120],
                "pitch": text(rng, 12)[:200], "description": text(rng, 80),
                "category_id": rng.choice(category_ids), "insight_situation": run,
                "insight_emotion": "bench", "insight_purpose": "bench", "status": status,
                "hidden": rng.random() < args.hidden_share, "support_count": 0,
                "trending_score": 0, "created_at": created, "updated_at": created,
                "published_at": None if status in ("draft", "pending_moderation")
                else created + timedelta(hours=6),
                "next_milestone": milestones[0] if status == "published" else None,
                "deadline": created + timedelta(days=windows[0]) if status == "published" else None,
            })
        for part in chunks(idea_rows):
            db.session.execute(insert(Idea), part)
        ideas = db.session.execute(select(Idea.id, Idea.owner_id, Idea.status, Idea.published_at)
                                   .where(Idea.insight_situation == run)).all()
        db.session.execute(insert(IdeaCreator), [
            {"idea_id": i.id, "user_id": i.owner_id, "is_owner": True, "share_bps": 10_000,
             "invited_at": now} for i in ideas])
        links = {(i.id, tag) for i in ideas for tag in rng.sample(tag_ids, 2)}
        for part in chunks([{"idea_id": a, "tag_id": b} for a, b in links]):
            db.session.execute(insert(idea_tags), part)

        print(f"supports: {args.supports}")
        supportable = [i for i in ideas if i.published_at is not None]
        # A few ideas get most of the support, as in real life (Zipf-like).
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(supportable))]
        rng.shuffle(weights)
        chosen = rng.choices(range(len(supportable)), weights, k=args.supports)
        seen: set[tuple[int, int]] = set()
        rows = []
        for index in chosen:
            idea = supportable[index]
            user_id = rng.choice(user_ids)
            if user_id == idea.owner_id or (idea.id, user_id) in seen:
                continue
            seen.add((idea.id, user_id))
            span = max((now - idea.published_at).total_seconds(), 60)
            rows.append({"idea_id": idea.id, "user_id": user_id,
                         "created_at": idea.published_at + timedelta(seconds=rng.random() * span),
                         "would_buy": rng.choice(("yes", "maybe", None))})
        for part in chunks(rows):
            db.session.execute(insert(Support), part)
        counted = select(func.count()).select_from(Support).where(Support.idea_id == Idea.id)
        db.session.execute(update(Idea).values(support_count=counted.scalar_subquery(),
                                               updated_at=Idea.updated_at)
                           .execution_options(synchronize_session=False))
        # Published ideas past the first milestone move to the next one (rarely: the support is
        # spread thin), so the data stay consistent with the rules.
        for milestone, window in zip(milestones[1:], windows[1:]):
            previous = milestones[milestones.index(milestone) - 1]
            db.session.execute(update(Idea).where(
                Idea.status == "published", Idea.support_count >= previous,
                Idea.support_count < milestone).values(
                next_milestone=milestone, deadline=now + timedelta(days=window))
                .execution_options(synchronize_session=False))
        from app.services.milestones import refresh_trending

        refresh_trending()
        db.session.commit()
        print(f"done: {len(user_ids)} members, {len(ideas)} ideas, {len(rows)} supports in "
              f"{time.monotonic() - started:.1f} s")
        # Fresh planner statistics, as autovacuum would gather them after a while.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")


if __name__ == "__main__":
    main()
