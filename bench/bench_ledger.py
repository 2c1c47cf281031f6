"""Time the ledger at scale: post N sale lines through the batch service, verify the ledger, and
measure the ceilings in the same run (plain psycopg COPY of rows of the same shape; a plain
stream of the chain; a plain recomputation of every hash with canonical_transaction).

    .venv/bin/python bench/bench_ledger.py --sales 1000000
    .venv/bin/python bench/bench_ledger.py --sales 200000 --database kyoso_bench_ledger

PostgreSQL only (the server at --server; the database is dropped and created again, since the
ledger's tables refuse DELETE and TRUNCATE; --drop removes it at the end). Prints one line per
measurement and a Markdown table for bench/README.md. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
CURRENCIES = (("JPY", 70), ("USD", 25), ("EUR", 5))


def recreate(server: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def drop(server: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def seed(creators: int, products: int, rng: random.Random):
    """A finance user, creators, and products (on approved ideas) split among 1-3 creators."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models import (Idea, IdeaCreator, NotificationPreference, Product, ProductSplit,
                            User, UserRole)
    from app.models.base import utcnow

    now = utcnow()
    base = {"password_hash": "x", "bio": "", "email_confirmed_at": now, "created_at": now,
            "security_stamp": 0}
    db.session.execute(insert(User), [{"email": "finance@bench.invalid",
                                       "display_name": "Finance", **base}])
    finance = db.session.scalar(select(User).where(User.email == "finance@bench.invalid"))
    db.session.add(UserRole(user_id=finance.id, role="finance"))
    db.session.execute(insert(User), [{"email": f"c{n}@bench.invalid",
                                       "display_name": f"Creator {n}", **base}
                                      for n in range(creators)])
    creator_ids = list(db.session.scalars(select(User.id).where(User.id != finance.id)))
    db.session.execute(insert(Idea), [{
        "owner_id": rng.choice(creator_ids), "title": f"Product idea {n}", "pitch": "bench",
        "description": "bench", "insight_situation": "bench", "insight_emotion": "bench",
        "insight_purpose": "bench", "status": "on_sale", "hidden": False, "support_count": 0,
        "trending_score": 0, "created_at": now, "updated_at": now, "published_at": now}
        for n in range(products)])
    ideas = db.session.execute(select(Idea.id, Idea.owner_id)).all()
    db.session.execute(insert(IdeaCreator), [
        {"idea_id": idea.id, "user_id": idea.owner_id, "is_owner": True, "share_bps": 10_000,
         "invited_at": now} for idea in ideas])
    db.session.execute(insert(Product), [
        {"idea_id": idea.id, "name": f"Product {n}", "royalty_rate_bps": rng.choice(
            (100, 250, 500, 800)), "created_at": now} for n, idea in enumerate(ideas)])
    splits = []
    for product_id, owner_id in db.session.execute(
            select(Product.id, Idea.owner_id).join(Idea, Idea.id == Product.idea_id)):
        people = [owner_id] + rng.sample(creator_ids, rng.choice((0, 0, 1, 2)))
        people = list(dict.fromkeys(people))
        each = 10_000 // len(people)
        shares = [10_000 - each * (len(people) - 1)] + [each] * (len(people) - 1)
        splits += [{"product_id": product_id, "user_id": person, "share_bps": share}
                   for person, share in zip(people, shares)]
    db.session.execute(insert(ProductSplit), splits)
    # Royalty statements are listed in the app but not mailed (as before: no mail in the bench).
    db.session.execute(insert(NotificationPreference), [
        {"user_id": user_id, "category": "royalties", "delivery": "app"} for user_id in creator_ids])
    db.session.commit()
    return finance, list(db.session.scalars(select(Product.id)))


def sale_rows(count: int, product_ids: list[int], rng: random.Random, returns: float,
              size: int = 1000):
    """SaleRows in batches: Zipf-like product popularity, ~`returns` of them small returns of a
    product sold before in the same currency."""
    from app.services.ledger import SaleRow

    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(product_ids))]
    currencies, currency_weights = zip(*CURRENCIES)
    sold: dict[tuple[int, str], int] = {}
    line = 1
    while line <= count:
        products = rng.choices(product_ids, weights, k=size)
        picks = rng.choices(currencies, currency_weights, k=size)
        batch = []
        for product_id, currency in zip(products, picks):
            if line > count:
                break
            line += 1
            earned = sold.get((product_id, currency), 0)
            if earned > 20_000 and rng.random() < returns:
                net, units = -rng.randint(100, 10_000), -1
            else:
                units = rng.randint(1, 50)
                net = units * rng.randint(500, 20_000)
            sold[(product_id, currency)] = earned + net
            batch.append(SaleRow(line, product_id, f"2026-{rng.randint(1, 12):02d}", units, net,
                                 currency, f"INV-{line:08d}"))
        yield batch


def post(finance, product_ids, args, rng) -> tuple[float, int]:
    from app.extensions import db
    from app.services import ledger
    from app.services.ledger.batch import PostingRun

    run = PostingRun()
    spent = 0.0
    posted = 0
    report_every = max(args.sales // 10, 1)
    for batch in sale_rows(args.sales, product_ids, rng, args.returns, args.batch_size):
        started = time.perf_counter()
        result = ledger.post_sales(finance, batch, run=run)
        db.session.commit()
        spent += time.perf_counter() - started
        assert not result.errors, result.errors[:3]
        before = posted
        posted += result.created
        if posted // report_every != before // report_every:
            print(f"  posted {posted:,} in {spent:.1f} s ({posted / spent:,.0f} rows/s)",
                  flush=True)
    return spent, posted


#: The ledger tables' foreign keys, for the ceiling with the same constraints (LIKE ... INCLUDING
#: ALL copies indexes and checks, not foreign keys).
FOREIGN_KEYS = (
    "ALTER TABLE plain_ledger_transactions ADD FOREIGN KEY (created_by_id) REFERENCES users(id),"
    " ADD FOREIGN KEY (reverses_id) REFERENCES plain_ledger_transactions(id)",
    "ALTER TABLE plain_ledger_entries ADD FOREIGN KEY (transaction_id) REFERENCES "
    "plain_ledger_transactions(id), ADD FOREIGN KEY (account_id) REFERENCES ledger_accounts(id)",
    "ALTER TABLE plain_sales ADD FOREIGN KEY (transaction_id) REFERENCES "
    "plain_ledger_transactions(id), ADD FOREIGN KEY (product_id) REFERENCES products(id),"
    " ADD FOREIGN KEY (recorded_by_id) REFERENCES users(id)",
)


def copy_ceiling(url: str, sales: int, size: int,
                 foreign_keys: bool = False) -> tuple[float, float, float, int]:
    """Plain psycopg COPY of the same shapes of rows (a transaction, its 2-3 entries and its
    sale per line, values made up, no hashing, no checks) into copies of the ledger tables
    (their indexes; with foreign_keys, their foreign keys too)."""
    import psycopg

    with psycopg.connect(url) as connection:
        for table in ("ledger_transactions", "ledger_entries", "sales"):
            connection.execute(f"CREATE TABLE plain_{table} (LIKE {table} INCLUDING ALL)")
        if foreign_keys:
            for statement in FOREIGN_KEYS:
                connection.execute(statement)
        connection.commit()
        with measured(connection) as spent:
            _copy_rows(connection, sales, size)
        for table in ("ledger_entries", "sales", "ledger_transactions"):
            connection.execute(f"DROP TABLE plain_{table}")
        connection.commit()
    return (*spent, sales)


def _copy_rows(connection, sales: int, size: int) -> None:
    now = datetime.now(UTC)
    for start in range(0, sales, size):
        with connection.cursor() as cursor:
            ids = range(start + 1, min(start + size, sales) + 1)
            with cursor.copy("COPY plain_ledger_transactions (id, sequence, kind, memo, "
                             "created_by_id, created_at, prev_hash, hash) FROM STDIN") as copy:
                for n in ids:
                    copy.write_row((n, n, "sale", f"Sale INV-{n:08d}: Product 1 2026-04",
                                    1, now, "0" * 64, f"{n:064x}"))
            with cursor.copy("COPY plain_ledger_entries (transaction_id, account_id, "
                             "amount_minor, currency) FROM STDIN") as copy:
                for n in ids:
                    copy.write_row((n, 1, 500, "JPY"))
                    copy.write_row((n, 2, -250, "JPY"))
                    if n % 2:
                        copy.write_row((n, 3, -250, "JPY"))
            with cursor.copy("COPY plain_sales (external_ref, product_id, period, units, "
                             "net_sales_minor, currency, royalty_rate_bps, royalty_minor, "
                             "transaction_id, recorded_by_id, created_at) FROM STDIN") as copy:
                for n in ids:
                    copy.write_row((f"INV-{n:08d}", 1, "2026-04", 3, 50_000, "JPY", 100,
                                    500, n, 1, now))
        connection.commit()


def insert_ceiling(url: str, count: int) -> tuple[float, float, float, int]:
    """Plain psycopg executemany INSERT, one row per sale line into a copy of `sales`."""
    import psycopg

    now = datetime.now(UTC)
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE plain_insert_sales (LIKE sales INCLUDING ALL)")
        with measured(connection) as spent, connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO plain_insert_sales (external_ref, product_id, period, units, "
                "net_sales_minor, currency, royalty_rate_bps, royalty_minor, transaction_id, "
                "recorded_by_id, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [(f"X-{n}", 1, "2026-04", 3, 50_000, "JPY", 100, 500, n, 1, now)
                 for n in range(count)])
            connection.commit()
        connection.execute("DROP TABLE plain_insert_sales")
        connection.commit()
    return (*spent, count)


def stream_ceilings(url: str) -> list[tuple[str, float, int, str]]:
    """Plain psycopg, no checks: stream the chain query; stream it and recompute every hash
    with canonical_transaction; the plain recomputation SQL (every account's balance and every
    transaction's sum per currency, set-based)."""
    import psycopg

    from app.services.ledger import canonical_transaction
    from app.services.ledger.verify import CHAIN_SQL

    chain_sql = CHAIN_SQL[("postgresql", "by_id")]
    everything = {"low": 0, "high": 2**62}
    results = []
    with psycopg.connect(url) as connection:
        connection.execute("SET jit = off")
        codes = dict(connection.execute("SELECT id, code FROM ledger_accounts").fetchall())
        with measured(connection) as spent:
            count = sum(1 for _ in connection.cursor(binary=True).stream(chain_sql, everything,
                                                                         size=5000))
        results.append(("ceiling: plain psycopg stream of the chain query", *spent, count,
                        "binary, no Python work per row"))
        with measured(connection) as spent:
            for row in connection.cursor(binary=True).stream(chain_sql, everything, size=5000):
                source = None
                if row[12] is not None:
                    source = {"sale": {"external_ref": row[13], "product_id": row[14],
                                       "period": row[15], "units": row[16],
                                       "net_sales_minor": row[17], "currency": row[18],
                                       "royalty_rate_bps": row[19], "royalty_minor": row[20]}}
                digest = hashlib.sha256(canonical_transaction(
                    sequence=row[1], kind=row[2], memo=row[3], reverses_id=row[4],
                    created_by_id=row[5], created_at=row[6], prev_hash=row[7],
                    entries=[(codes[a], c, m) for a, m, c in zip(row[9], row[10], row[11])],
                    source=source)).hexdigest()
                assert digest == row[8]
        results.append(("ceiling: plain stream + canonical_transaction per row", *spent, count,
                        "json.dumps + SHA-256, no checks"))
        with measured(connection) as spent:
            connection.execute("SELECT account_id, SUM(amount_minor) FROM ledger_entries "
                               "GROUP BY account_id").fetchall()
            connection.execute("SELECT transaction_id, currency FROM ledger_entries "
                               "GROUP BY transaction_id, currency "
                               "HAVING SUM(amount_minor) <> 0").fetchall()
        results.append(("ceiling: plain recomputation SQL", *spent, count,
                        "balances per account + sums per transaction, no chain"))
    return results


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process on this machine has used."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class measured:
    """Wall seconds, this process's CPU seconds and the CPU seconds of the database's server
    processes (every backend connected to the database, read from /proc: the bench runs on
    the database's machine) over a block."""

    def __init__(self, watcher, database: str | None = None) -> None:
        self.watcher, self.database = watcher, database
        self.values = [0.0, 0.0, 0.0]

    def _server(self) -> float:
        pids = [row[0] for row in self.watcher.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = coalesce(%s, current_database())",
            (self.database,)).fetchall()]
        total = 0.0
        for pid in pids:
            try:
                total += cpu_of(pid)
            except OSError:
                pass
        return total

    def __enter__(self) -> list[float]:
        times = os.times()  # with the children waited for (verify's forked half)
        self.start = (time.perf_counter(), times.user + times.system + times.children_user
                      + times.children_system, self._server())
        return self.values

    def __exit__(self, *exc) -> None:
        times = os.times()
        end = (time.perf_counter(), times.user + times.system + times.children_user
               + times.children_system, self._server())
        self.values[:] = [b - a for a, b in zip(self.start, end)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=200_000)
    parser.add_argument("--creators", type=int, default=5_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--returns", type=float, default=0.01)
    parser.add_argument("--batch-size", type=int, default=1000,
                        help="sale lines per post_sales call and commit (imports: 1,000)")
    parser.add_argument("--insert-sample", type=int, default=50_000)
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--database", default="kyoso_bench_ledger")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    url = f"{args.server}/{args.database}"
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    recreate(args.server, args.database)
    os.environ["DATABASE_URL"] = url

    import psycopg
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from app.extensions import db
    from app.services import ledger

    rng = random.Random(args.seed)
    app = create_app()
    results: list[tuple[str, float, float, float, int, str]] = []
    watcher = psycopg.connect(plain_url.rsplit("/", 1)[0] + "/postgres", autocommit=True)
    loads = [os.getloadavg()[0]]
    with app.app_context():
        upgrade()
        finance, product_ids = seed(args.creators, args.products, rng)
        print(f"seeded {args.creators} creators, {len(product_ids)} products", flush=True)

        with measured(watcher, args.database) as spent:
            posted_time, posted = post(finance, product_ids, args, rng)
        entries = db.session.scalar(text("SELECT count(*) FROM ledger_entries"))
        results.append((f"post_sales, batches of {args.batch_size:,}, one commit each", posted_time,
                        spent[1], spent[2], posted, f"{entries:,} entries"))
        print(f"post_sales: {posted:,} sale lines in {posted_time:.1f} s", flush=True)
        loads.append(os.getloadavg()[0])
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))

        for processes in (1, 2):
            app.config["LEDGER_VERIFY_PROCESSES"] = processes
            with measured(watcher, args.database) as spent:
                verification = ledger.run_verification()
            assert not verification.problems, verification.problems[:5]
            results.append((f"run_verification (the whole check, in process), "
                            f"LEDGER_VERIFY_PROCESSES={processes}", *spent,
                            verification.transactions,
                            "no problems" + ("; PostgreSQL CPU without the child's backend"
                                             if processes > 1 else "")))
            print(f"verify ({processes} process(es)): {verification.transactions:,} "
                  f"transactions in {spent[0]:.1f} s", flush=True)
        loads.append(os.getloadavg()[0])
        db.session.remove()

    with measured(watcher, args.database) as spent:
        cli = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "ledger", "verify"],
                             cwd=Path(__file__).resolve().parent.parent, capture_output=True,
                             text=True, env={**os.environ, "DATABASE_URL": url})
    assert cli.returncode == 0, cli.stderr[-2000:]
    # The CLI's own process is not this one: its CPU is in the wall time, not the Python column.
    results.append(("`flask ledger verify` (a new process: app start-up included)", spent[0],
                    float("nan"), float("nan"), verification.transactions,
                    "its CPU is another process's"))
    loads.append(os.getloadavg()[0])

    for name, *figures in stream_ceilings(plain_url):
        results.append((name, *figures))
    results.append(("ceiling: plain psycopg COPY of the same row shapes",
                    *copy_ceiling(plain_url, args.sales, args.batch_size),
                    f"made-up values, no hashing, no checks; a commit per {args.batch_size:,}"))
    results.append(("ceiling: the same COPY with the ledger's foreign keys",
                    *copy_ceiling(plain_url, args.sales, args.batch_size, foreign_keys=True),
                    "about 9 foreign-key checks per line: transaction 1, each entry 2, sale 3"))
    results.append(("reference: plain psycopg executemany INSERT (sales rows only)",
                    *insert_ceiling(plain_url, args.insert_sample), "one row per line"))
    loads.append(os.getloadavg()[0])
    watcher.close()

    print(f"\nload average (1 min) during the run: {', '.join(f'{load:.1f}' for load in loads)}")
    print("\n| measurement | wall s | Python CPU s | PostgreSQL CPU s | rows | rows/s (wall) "
          "| notes |\n|---|---:|---:|---:|---:|---:|---|")
    for name, seconds, python_cpu, server_cpu, rows, notes in results:
        python_text = "" if python_cpu != python_cpu else f"{python_cpu:.1f}"
        server_text = "" if server_cpu != server_cpu else f"{server_cpu:.1f}"
        print(f"| {name} | {seconds:.1f} | {python_text} | {server_text} | {rows:,} "
              f"| {rows / seconds:,.0f} | {notes} |")
    if args.drop:
        drop(args.server, args.database)


if __name__ == "__main__":
    main()
