"""Idempotent creation for the JSON API: a retried POST that carries the same `Idempotency-Key`
header gets the first request's answer instead of creating the thing twice.

A client that got no answer (a timeout, a dropped connection) cannot know whether its request
was carried out. It sends a unique key with the request (a UUID) and, on retry, the same key:

    @bp.post("/ideas")
    @limiter.limit(ratelimits.POSTING)
    @idempotent
    def create_idea(): ...

===========================================  ===================================================
the caller's key was ...                      answer
===========================================  ===================================================
not used yet (or more than                    the endpoint runs; its answer is stored with the key
IDEMPOTENCY_KEY_HOURS ago)                    in the same commit as what it created
used with the same method, path and body      the stored answer: same status and body, with
                                              `Idempotent-Replayed: true`
used with another method, path or body        422 `idempotency_key_reused`
used by a request that is still running       the retry waits for it (the unique index on
                                              (user_id, key) serialises them) and gets its answer
not 1-255 of ``A-Za-z0-9._~:+/=-``            400 `idempotency_key_invalid`
===========================================  ===================================================

Keys belong to the calling user: two callers' keys never collide, and anonymous requests ignore
the header (they are refused by the endpoint anyway). A refusal (a DomainError: 4xx) rolls back
with everything else, so nothing is stored and a retry runs again. Without the header the
endpoint behaves exactly as before. Old keys are deleted by `purge_expired` (the scheduler's
`run_purge_idempotency_keys`, or `flask api purge-idempotency-keys`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import delete, inspect, select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Invalid, Malformed
from app.extensions import db
from app.models.base import utcnow
from app.models.idempotency import KEY_MAX_LENGTH, IdempotencyKey
from app.transaction import transaction

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(rf"[A-Za-z0-9._~:+/=-]{{1,{KEY_MAX_LENGTH}}}")
#: Headers of the first answer that a replay repeats.
KEPT_HEADERS = ("Content-Type", "Location")


def _valid_key(raw: str) -> str:
    if not KEY_PATTERN.fullmatch(raw):
        raise Malformed("idempotency_key_invalid",
                        f"{HEADER} must be 1-{KEY_MAX_LENGTH} characters of letters, digits "
                        "and . _ ~ : + / = - (a UUID will do).")
    return raw


def request_fingerprint() -> str:
    """SHA-256 of the method, path and body; a JSON body in canonical form (key order and
    spacing do not matter)."""
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()
    except (ValueError, RecursionError):
        body = raw
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}?{request.query_string.decode()}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _lifetime() -> timedelta:
    return timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"])


def _stored(user_id: int, key: str) -> IdempotencyKey | None:
    """The caller's live record of this key (an expired one counts as none)."""
    record = db.session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))
    if record is not None and record.created_at <= utcnow() - _lifetime():
        return None
    return record


def _replay(record: IdempotencyKey, fingerprint: str) -> Response:
    if record.request_hash != fingerprint:
        raise Invalid({HEADER: "This key was used for a different request."},
                      f"This {HEADER} was already used for a different request; use a new key "
                      "for a new request.", "idempotency_key_reused")
    if record.status_code is None:  # the first request has not finished (and not committed)
        raise Conflict("idempotency_in_progress",
                       f"A request with this {HEADER} is still being processed; retry later.")
    headers = dict(record.response_headers or {})
    headers[REPLAYED_HEADER] = "true"
    return Response(record.response_body or "", status=record.status_code, headers=headers)


def _reserve(user_id: int, key: str, fingerprint: str) -> IdempotencyKey:
    """Claim the key for this request: a concurrent request with the same key blocks on the
    unique index until this transaction ends, then fails with an IntegrityError."""
    db.session.execute(delete(IdempotencyKey).where(  # an expired use of the same key
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
        IdempotencyKey.created_at <= utcnow() - _lifetime()))
    record = IdempotencyKey(user_id=user_id, key=key, method=request.method,
                            path=request.path[:500], request_hash=fingerprint)
    db.session.add(record)
    db.session.flush()
    return record


def _keep(record: IdempotencyKey, response: Response) -> None:
    """Store the answer on the record, in the transaction that created what it describes."""
    if response.status_code >= 500:
        db.session.delete(record)
        return
    if inspect(record).transient:  # a refusal the endpoint handled rolled back the reservation
        record = IdempotencyKey(user_id=record.user_id, key=record.key, method=record.method,
                                path=record.path, request_hash=record.request_hash)
        db.session.add(record)
    record.status_code = response.status_code
    record.response_body = response.get_data(as_text=True)
    record.response_headers = {name: response.headers[name] for name in KEPT_HEADERS
                               if name in response.headers}


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Make an API endpoint that creates something answer a retry (same `Idempotency-Key`,
    same request) with its first answer. Apply it closest to the function; the endpoint's own
    `transaction()` blocks then commit together with the stored answer."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        raw_key = request.headers.get(HEADER)
        if raw_key is None:
            return view(*args, **kwargs)
        key = _valid_key(raw_key.strip())
        from app.api.core import caller

        user = caller()
        if user is None:
            return view(*args, **kwargs)
        fingerprint = request_fingerprint()
        record = _stored(user.id, key)
        if record is not None:
            return _replay(record, fingerprint)
        try:
            with transaction():
                record = _reserve(user.id, key, fingerprint)
                response = current_app.make_response(view(*args, **kwargs))
                _keep(record, response)
        except IntegrityError:
            record = _stored(user.id, key)
            if record is None:  # not a concurrent use of the key: a real error
                raise
            return _replay(record, fingerprint)
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]  (read by app.api.openapi)
    return wrapper


def purge_expired(now: datetime | None = None) -> int:
    """Delete the records older than IDEMPOTENCY_KEY_HOURS; returns how many. The caller
    commits."""
    cutoff = (now or utcnow()) - _lifetime()
    result = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at <= cutoff))
    return result.rowcount or 0


def run_purge_idempotency_keys(**_kwargs: Any) -> int:
    """The periodic job (hourly is plenty): purge_expired in its own transaction."""
    with transaction():
        return purge_expired()
