"""Do idle and slow ("slowloris") connections stop others being served?

Starts gunicorn on a free port, optionally behind nginx (deploy/nginx.conf), opens N connections
that send nothing (idle) and M that send a request's headers one byte at a time (slowloris),
then times plain GET requests from fresh connections. Traffic goes to 127.0.0.1 only and every
loop is bounded.

    .venv/bin/python bench/bench_idle_connections.py --shape sync       # gunicorn's default workers
    .venv/bin/python bench/bench_idle_connections.py --shape gthread    # deploy/gunicorn.conf.py
    .venv/bin/python bench/bench_idle_connections.py --shape nginx      # nginx -> gunicorn.conf.py
    options: --idle 200 --slow 0 --probes 5 --timeout 60 --path /

Uses a fresh SQLite database (migrated) unless DATABASE_URL is set.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.deploy_helpers import (GunicornServer, NginxServer, migrated_sqlite,  # noqa: E402
                                  open_idle, start_slowloris, timed_get)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--shape", choices=("sync", "gthread", "nginx"), default="gthread")
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--slow", type=int, default=0)
    parser.add_argument("--probes", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--path", default="/")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="kyoso-bench-idle-"))
    env = {"KYOSO_INSTANCE_PATH": str(work / "instance"), "REQUEST_LOG": "false"}
    if not os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = migrated_sqlite(work / "bench.db")
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    config = None if args.shape == "sync" else ROOT / "deploy" / "gunicorn.conf.py"
    with GunicornServer(work, env, config=config, sync_workers=args.workers or 5) as app:
        port = app.port
        front = None
        if args.shape == "nginx":
            front = NginxServer(work, upstream_port=app.port).__enter__()
            port = front.port
        try:
            baseline = timed_get(port, args.path, args.timeout, tls=front is not None)
            idle = open_idle(port, args.idle)
            stop = threading.Event()
            slow = start_slowloris(port, args.slow, stop)
            time.sleep(1.0)  # let every connection reach a worker
            times = [timed_get(port, args.path, args.timeout, tls=front is not None)
                     for _ in range(args.probes)]
            stop.set()
            for sock in idle:
                sock.close()
            for thread in slow:
                thread.join(timeout=10)
        finally:
            if front is not None:
                front.__exit__(None, None, None)
    answered = [t for t in times if t is not None]
    print(f"shape={args.shape} idle={args.idle} slow={args.slow} baseline={_ms(baseline)}")
    print(f"  probes answered: {len(answered)}/{len(times)}"
          + (f", median {_ms(statistics.median(answered))}, max {_ms(max(answered))}"
             if answered else f" (each gave up after {args.timeout:.0f} s)"))
    return 0 if len(answered) == len(times) else 1


def _ms(seconds: float | None) -> str:
    return "timeout" if seconds is None else f"{seconds * 1000:.0f} ms"


if __name__ == "__main__":
    socket.setdefaulttimeout(None)
    sys.exit(main())
