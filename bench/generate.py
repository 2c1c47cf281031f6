"""Bulk data generator for scale runs: members, ideas, supports, comments and products.

    createdb -h 127.0.0.1 -U postgres kyoso_bench
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kyoso_bench \\
        .venv/bin/python bench/generate.py --ideas 100000 --members 1000000 \\
        --supports 10000000 --comments 100000 --products 1000

Needs an empty database (the migrations are run for you). PostgreSQL: rows go in with COPY
(psycopg), foreign-key triggers off while loading (session_replication_role = replica: the
generator's rows are consistent by construction), the supports' secondary indexes built after
the load; then VACUUM ANALYZE, as autovacuum would after a while. SQLite (DATABASE_URL=sqlite:///
..., smaller scales): executemany inserts.

The data keep the rules: support_count is the number of support rows; trending_score is
app.services.milestones' decayed weight of the last days' supports; a published idea past a
milestone has the next milestone and its deadline, one past the last is qualified; the rolled-up
site_stats and tags.listed_count are counted at the end (app.services.stats).
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ("folding", "umbrella", "lantern", "bento", "quiet", "travel", "desk", "kids", "camping",
         "light", "bottle", "cable", "pillow", "solar", "pocket", "magnetic", "compact", "warm",
         "rain", "commute", "storage", "kitchen", "garden", "bicycle", "pet", "sleep", "coffee",
         "折りたたみ", "傘", "収納", "弁当", "キャンプ", "充電", "子ども", "通勤", "雨", "ライト")
STATUS_MIX = (("published", 70), ("expired", 12), ("qualified", 2), ("in_review", 2),
              ("approved", 2), ("not_approved", 2), ("on_sale", 2), ("withdrawn", 3),
              ("draft", 3), ("pending_moderation", 2))
UNPUBLISHED = ("draft", "pending_moderation")
TAGS = 500
VOCABULARY = 20_000  # synthetic words, so that real words are as selective as in real text
DAY = 86_400.0
IDEA_COLUMNS = ("id", "owner_id", "title", "pitch", "description", "category_id",
                "insight_situation", "insight_emotion", "insight_purpose", "status", "hidden",
                "support_count", "next_milestone", "deadline", "trending_score", "created_at",
                "updated_at", "published_at", "qualified_at")


def text(rng: random.Random, count: int) -> str:
    """`count` words: mostly synthetic (Zipf-like), now and then one of WORDS (1 in 300)."""
    words = []
    for _ in range(count):
        if rng.random() < 1 / 300:
            words.append(rng.choice(WORDS))
        else:
            words.append(f"w{int(rng.paretovariate(1.1)) % VOCABULARY}")
    return " ".join(words)


def at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class Loader:
    """Bulk rows into a table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, db) -> None:
        self.db = db
        self.postgres = db.engine.dialect.name == "postgresql"
        if self.postgres:
            self.raw = db.engine.raw_connection()
            self.pg = self.raw.driver_connection
            with self.pg.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
                cursor.execute("SET synchronous_commit = off")
                cursor.execute("SET maintenance_work_mem = '1GB'")

    def load(self, table: str, columns: tuple[str, ...], rows) -> int:
        started, count = time.monotonic(), 0
        if self.postgres:
            with self.pg.cursor() as cursor:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            self.pg.commit()
        else:
            from sqlalchemy import insert

            target = self.db.metadata.tables[table]
            batch = []
            for row in rows:
                batch.append(dict(zip(columns, row)))
                count += 1
                if len(batch) == 5000:
                    self.db.session.execute(insert(target), batch)
                    batch = []
            if batch:
                self.db.session.execute(insert(target), batch)
            self.db.session.commit()
        print(f"  {table}: {count:,} rows in {time.monotonic() - started:.1f} s", flush=True)
        return count

    def sql(self, *statements: str) -> None:
        if self.postgres:
            with self.pg.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
            self.pg.commit()

    def without_indexes(self, table: str):
        """Drop `table`'s secondary indexes and unique constraints (not the primary key) and
        return the statements that build them again."""
        if not self.postgres:
            return []
        with self.pg.cursor() as cursor:
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = %s::regclass AND contype = 'u'", (table,))
            constraints = cursor.fetchall()
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                           "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE "
                           "conrelid = %s::regclass)", (table, table))
            indexes = cursor.fetchall()
            for name, _definition in constraints:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {name}")
        self.pg.commit()
        return [f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"
                for name, definition in constraints] + [definition for _n, definition in indexes]

    def reset_sequences(self, *tables: str) -> None:
        self.sql(*(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)" for table in tables))

    def close(self) -> None:
        if self.postgres:
            self.raw.close()


def main() -> None:  # noqa: C901 (one straight script)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--ideas", type=int, default=10_000)
    parser.add_argument("--supports", type=int, default=200_000)
    parser.add_argument("--comments", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=100)
    parser.add_argument("--hidden-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select
    from werkzeug.security import generate_password_hash

    from app import create_app
    from app.extensions import db
    from app.models import Category, Idea
    from app.services.milestones import TRENDING_DAY_WEIGHTS

    rng = random.Random(args.seed)
    app = create_app()
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Idea)):
            sys.exit("generate.py needs an empty database (drop and create it, then run again)")
        started = time.monotonic()
        now = time.time()
        milestones = app.config["SUPPORT_MILESTONES"]
        windows = app.config["SUPPORT_WINDOWS_DAYS"]
        if not db.session.scalar(select(func.count()).select_from(Category)):
            from app.demo.ideas import CATEGORIES

            db.session.execute(insert(Category), [
                {"slug": slug, "name": name, "name_ja": name_ja}
                for slug, name, name_ja in CATEGORIES])
            db.session.commit()
        category_ids = list(db.session.scalars(select(Category.id)))
        loader = Loader(db)

        print(f"members: {args.members:,}", flush=True)
        password_hash = generate_password_hash("bench-password", method="scrypt")
        joined = at(now - 600 * DAY)
        loader.load("users", ("id", "email", "display_name", "password_hash", "bio",
                              "email_confirmed_at", "created_at", "security_stamp"),
                    ((n, f"m{n}@bench.invalid", f"Member {n}", password_hash, "", joined, joined,
                      0) for n in range(1, args.members + 1)))
        loader.load("tags", ("id", "name", "listed_count"),
                    ((n, f"tag{n}", 0) for n in range(1, TAGS + 1)))

        print(f"ideas: {args.ideas:,}", flush=True)
        statuses, weights = zip(*STATUS_MIX)
        ideas = []  # (id, owner, status, published_at timestamp or None)
        for n in range(1, args.ideas + 1):
            status = rng.choices(statuses, weights)[0]
            age = rng.uniform(1, windows[0] - 1) if status == "published" else rng.uniform(1, 500)
            published = None if status in UNPUBLISHED else now - age * DAY + 6 * 3600
            ideas.append((n, rng.randint(1, args.members), status, published))

        # Supports: a few ideas get most of them (Zipf-like), each from distinct members.
        supportable = [i for i in ideas if i[3] is not None]
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(supportable))]
        rng.shuffle(weights)
        scale = args.supports / sum(weights)
        counts: dict[int, int] = {}
        trending: dict[int, int] = {}
        window = len(TRENDING_DAY_WEIGHTS)

        def supports():
            support_id = 0
            for (idea_id, owner, _status, published), weight in zip(supportable, weights):
                wanted = min(args.members - 1, int(weight * scale + rng.random()))
                if not wanted:
                    continue
                span = max(now - published, 60.0)
                score = 0
                members = rng.sample(range(1, args.members + 1), wanted + 1)
                members = [m for m in members if m != owner][:wanted]
                for member in members:
                    created = published + rng.random() * span
                    days = int((now - created) // DAY)
                    if days < window:
                        score += TRENDING_DAY_WEIGHTS[days]
                    support_id += 1
                    yield (support_id, idea_id, member, at(created),
                           ("yes", "maybe", None)[support_id % 3])
                counts[idea_id] = len(members)
                trending[idea_id] = score

        def idea_rows():
            for idea_id, owner, status, published in ideas:
                count = counts.get(idea_id, 0)
                next_milestone = deadline = qualified = None
                if status == "published":
                    level = sum(count >= m for m in milestones)
                    if level == len(milestones):
                        status, qualified = "qualified", at(now - DAY)
                    else:
                        next_milestone = milestones[level]
                        deadline = at(published + windows[0] * DAY) if level == 0 \
                            else at(now + windows[level] * DAY * rng.random())
                created = at((published or now - rng.uniform(1, 30) * DAY) - 6 * 3600)
                yield (idea_id, owner, f"{text(rng, 3).capitalize()} {idea_id}"[:120],
                       text(rng, 12)[:200], text(rng, 80), rng.choice(category_ids), "bench",
                       "bench", "bench", status, rng.random() < args.hidden_share, count,
                       next_milestone, deadline, trending.get(idea_id, 0), created, created,
                       at(published) if published else None, qualified)

        support_columns = ("id", "idea_id", "user_id", "created_at", "would_buy")
        if loader.postgres:  # streamed (foreign keys unchecked while loading), indexes after
            rebuild = loader.without_indexes("supports")
            print(f"supports: {args.supports:,}", flush=True)
            loader.load("supports", support_columns, supports())
            print("  building the supports' indexes", flush=True)
            build_started = time.monotonic()
            loader.sql(*rebuild)
            print(f"  ... in {time.monotonic() - build_started:.1f} s", flush=True)
            support_rows = None
        else:  # the counts first, the rows after their ideas (SQLite checks foreign keys)
            support_rows = list(supports())

        loader.load("ideas", IDEA_COLUMNS, idea_rows())
        if support_rows is not None:
            print(f"supports: {args.supports:,}", flush=True)
            loader.load("supports", support_columns, support_rows)
        loader.load("idea_creators", ("idea_id", "user_id", "is_owner", "share_bps",
                                      "invited_at"),
                    ((i[0], i[1], True, 10_000, at(now)) for i in ideas))
        loader.load("idea_images", ("idea_id", "position", "key", "width", "height", "alt",
                                    "created_at"),
                    ((i[0], 0, f"bench{i[0]:08d}", 1200, 800, "", at(now)) for i in ideas))
        loader.load("idea_tags", ("idea_id", "tag_id"),
                    ((i[0], tag) for i in ideas
                     for tag in rng.sample(range(1, TAGS + 1), 2)))

        public = [i[0] for i in supportable]
        print(f"comments: {args.comments:,}", flush=True)
        loader.load("comments", ("idea_id", "author_id", "body", "is_official", "is_update",
                                 "hidden", "report_count", "created_at"),
                    ((rng.choice(public), rng.randint(1, args.members), text(rng, 20), False,
                      False, False, 0, at(now - rng.uniform(0, 50) * DAY))
                     for _ in range(args.comments)))
        made = [i[0] for i in ideas if i[2] in ("on_sale", "in_production", "approved")]
        loader.load("products", ("idea_id", "name", "royalty_rate_bps", "created_at"),
                    ((idea_id, f"Product {idea_id}", 100, at(now))
                     for idea_id in made[:args.products]))
        loader.reset_sequences("users", "tags", "ideas", "supports", "idea_creators",
                               "idea_images", "comments", "products")
        loader.close()
        from app.services.comments import recount_all

        recount_all()  # the kept "Discussion (N)" of every idea
        db.session.commit()
        print(f"loaded in {time.monotonic() - started:.1f} s", flush=True)

        db.session.remove()
        # Fresh planner statistics and visibility map, as autovacuum would after a while.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if db.engine.dialect.name == "postgresql":
                connection.exec_driver_sql("VACUUM ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")
        from app.services.stats import refresh_site_stats

        stats_started = time.monotonic()
        print(f"site stats: {refresh_site_stats()} "
              f"({time.monotonic() - stats_started:.1f} s)", flush=True)
        print(f"done in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
