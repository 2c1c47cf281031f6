"""The ceiling for supports: a minimal correct support write on the same database, served like
the real app (bench/bench_supports.py starts it with the same gunicorn command):

    DATABASE_URL=postgresql+psycopg://... .venv/bin/gunicorn -w 2 --chdir bench minimal_support:app

POST /api/v1/ideas/<id>/supports with a bearer token does what a support must and nothing
else, in plain psycopg on one connection per worker: the token lookup, the idea's row lock
(gathering?), the insert (409 on a second support), the follow, the exact count + 1 on the
narrow counter row, the milestone comparison. No ORM, no permissions table, no notification,
no rate limit, no logging.
"""
from __future__ import annotations

import hashlib
import os

import psycopg
from flask import Flask, jsonify, request

app = Flask(__name__)
_url = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
_conn: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(_url, prepare_threshold=0)
    return _conn


@app.post("/api/v1/ideas/<int:idea_id>/supports")
def support(idea_id: int):
    token = request.headers.get("Authorization", "").removeprefix("Bearer ")
    digest = hashlib.sha256(token.encode()).hexdigest()
    conn = connection()
    with conn.transaction():
        row = conn.execute("SELECT user_id FROM api_tokens WHERE token_hash = %s "
                           "AND revoked_at IS NULL AND expires_at > now()", (digest,)).fetchone()
        if row is None:
            return jsonify(error={"code": "unauthorized"}), 401
        user_id = row[0]
        idea = conn.execute("SELECT status, hidden, support_count, trending_score, next_milestone "
                            "FROM ideas WHERE id = %s FOR UPDATE", (idea_id,)).fetchone()
        if idea is None or idea[0] != "published" or idea[1]:
            return jsonify(error={"code": "not_gathering"}), 409
        inserted = conn.execute(
            "INSERT INTO supports (idea_id, user_id, created_at) VALUES (%s, %s, now()) "
            "ON CONFLICT (idea_id, user_id) DO NOTHING RETURNING id", (idea_id, user_id)).fetchone()
        if inserted is None:
            return jsonify(error={"code": "already_supporting"}), 409
        conn.execute("INSERT INTO idea_follows (idea_id, user_id, created_at) "
                     "VALUES (%s, %s, now()) ON CONFLICT (idea_id, user_id) DO NOTHING",
                     (idea_id, user_id))
        count = conn.execute(
            "INSERT INTO idea_counters (idea_id, support_count, trending_score, changes) "
            "VALUES (%s, %s, %s, 1) ON CONFLICT (idea_id) DO UPDATE SET "
            "support_count = idea_counters.support_count + 1, "
            "trending_score = idea_counters.trending_score + 1000, "
            "changes = idea_counters.changes + 1 RETURNING support_count",
            (idea_id, idea[2] + 1, idea[3] + 1000)).fetchone()[0]
        reached = idea[4] is not None and count >= idea[4]
    return jsonify(id=inserted[0], idea={"id": idea_id, "support_count": count,
                                         "milestone_reached": reached}), 201
