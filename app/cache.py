"""A small key-value cache with expiry: Redis when REDIS_URL is set (shared by every worker),
else a dict in this process (one per app). Values are JSON. Callers cache what is cheap to
check again (idea ids), and delete their key when the data changes. Bytes (the rendered pages
of app.page_cache) go through get_bytes/set_bytes: in this process at most `max_bytes_entries`
of them are kept, the least recently used dropped first.

    cache().get("home:shelves")            # None when absent or expired
    cache().set("home:shelves", ids, 60)
    cache().delete("home:shelves")
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)
PREFIX = "kyoso:cache:"


class MemoryCache:
    def __init__(self, max_bytes_entries: int = 500) -> None:
        self._values: dict[str, tuple[float, str]] = {}
        self._bytes: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_bytes = max_bytes_entries
        self._lock = threading.Lock()

    def get_bytes(self, key: str) -> bytes | None:
        with self._lock:
            entry = self._bytes.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._bytes[key]
                return None
            self._bytes.move_to_end(key)
            return entry[1]

    def set_bytes(self, key: str, value: bytes, ttl: float) -> None:
        with self._lock:
            self._bytes[key] = (time.monotonic() + ttl, value)
            self._bytes.move_to_end(key)
            while len(self._bytes) > self._max_bytes:
                self._bytes.popitem(last=False)

    def get(self, key: str) -> Any:
        with self._lock:
            entry = self._values.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return json.loads(entry[1])

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            self._values[key] = (time.monotonic() + ttl, json.dumps(value))

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)


class RedisCache:
    """Redis-backed; a Redis that is down makes every read a miss, never an error page."""

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> Any:
        try:
            raw = self._redis.get(PREFIX + key)
        except Exception:  # redis.RedisError, OSError: serve from the database instead
            log.warning("cache read failed for %s", key, exc_info=True)
            return None
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: float) -> None:
        try:
            self._redis.set(PREFIX + key, json.dumps(value), px=max(1, int(ttl * 1000)))
        except Exception:
            log.warning("cache write failed for %s", key, exc_info=True)

    def get_bytes(self, key: str) -> bytes | None:
        try:
            return self._redis.get(PREFIX + key)
        except Exception:
            log.warning("cache read failed for %s", key, exc_info=True)
            return None

    def set_bytes(self, key: str, value: bytes, ttl: float) -> None:
        try:
            self._redis.set(PREFIX + key, value, px=max(1, int(ttl * 1000)))
        except Exception:
            log.warning("cache write failed for %s", key, exc_info=True)

    def delete(self, key: str) -> None:
        try:
            self._redis.delete(PREFIX + key)
        except Exception:
            log.warning("cache delete failed for %s", key, exc_info=True)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["kyoso_cache"] = RedisCache(url) if url else MemoryCache(
        app.config.get("PAGE_CACHE_ENTRIES", 500))


def cache() -> MemoryCache | RedisCache:
    return current_app.extensions["kyoso_cache"]
