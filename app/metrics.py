"""Process-local counters of things worth watching (a metrics endpoint can read `snapshot()`).

    metrics.increment("ratelimit_fallbacks")
"""
from __future__ import annotations

import threading
from collections import Counter

_counts: Counter[str] = Counter()
_lock = threading.Lock()


def increment(name: str, by: int = 1) -> None:
    with _lock:
        _counts[name] += by


def value(name: str) -> int:
    with _lock:
        return _counts[name]


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)
