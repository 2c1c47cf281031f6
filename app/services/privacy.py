"""Retention: personal data kept only as long as the privacy policy says (`flask privacy purge`,
the daily job `privacy.purge`). Idempotent: a second run changes nothing; batched, so a large
table is never rewritten in one statement.

| what | setting | done |
|---|---|---|
| IP address and user agent of sign-in sessions | RETENTION_SESSION_DAYS | blanked on sessions started before; sessions ended before are deleted |
| IP address and user agent of consent events, policy acceptances, creator-agreement consents | RETENTION_CONSENT_DAYS | nulled (blanked); the records themselves stay as proof |
| sign-in throttle rows (e-mail address and failures) | RETENTION_THROTTLE_DAYS | deleted unless locked now |
| network hashes of supports and comment reports | RETENTION_NETWORK_HASH_DAYS | nulled |

Rate-limit counters (Flask-Limiter, in Redis or memory) expire on their own within their window
(an hour at most); request logs are the operator's (rotate them within the same period).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update

from app.extensions import db
from app.models import (Consent, ConsentEvent, PolicyAcceptance, Report, SignInThrottle, Support,
                        UserSession)
from app.models.base import utcnow

BATCH = 5000


def _days(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _in_batches(model: Any, condition: Any, values: dict[str, Any], batch: int) -> int:
    """UPDATE model SET values WHERE condition, `batch` rows a statement (by id); returns rows."""
    total = 0
    while True:
        ids = list(db.session.scalars(select(model.id).where(condition).order_by(model.id)
                                      .limit(batch)))
        if not ids:
            return total
        db.session.execute(update(model).where(model.id.in_(ids)).values(**values)
                           .execution_options(synchronize_session=False))
        total += len(ids)
        if len(ids) < batch:
            return total


def purge(now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Apply every retention period; returns what was changed, by kind. Does not commit."""
    now = now or utcnow()
    session_cut = now - timedelta(days=_days("RETENTION_SESSION_DAYS", 90))
    consent_cut = now - timedelta(days=_days("RETENTION_CONSENT_DAYS", 1095))
    throttle_cut = now - timedelta(days=_days("RETENTION_THROTTLE_DAYS", 30))
    network_cut = now - timedelta(days=_days("RETENTION_NETWORK_HASH_DAYS", 180))
    done: dict[str, int] = {}
    done["sessions_deleted"] = db.session.execute(delete(UserSession).where(
        or_(UserSession.revoked_at < session_cut, UserSession.expires_at < session_cut))
        .execution_options(synchronize_session=False)).rowcount or 0
    done["session_addresses"] = _in_batches(
        UserSession, (UserSession.created_at < session_cut)
        & or_(UserSession.ip != "", UserSession.user_agent != ""), {"ip": "", "user_agent": ""},
        batch)
    for key, model in (("consent_event_addresses", ConsentEvent),
                       ("acceptance_addresses", PolicyAcceptance)):
        done[key] = _in_batches(
            model, (model.created_at < consent_cut)
            & or_(model.ip_address.is_not(None), model.user_agent.is_not(None)),
            {"ip_address": None, "user_agent": None}, batch)
    done["agreement_consent_addresses"] = _in_batches(
        Consent, (Consent.created_at < consent_cut)
        & or_(Consent.ip_address != "", Consent.user_agent != ""),
        {"ip_address": "", "user_agent": ""}, batch)
    done["throttles_deleted"] = db.session.execute(delete(SignInThrottle).where(
        SignInThrottle.window_started_at < throttle_cut,
        or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until < now))
        .execution_options(synchronize_session=False)).rowcount or 0
    for key, model in (("support_network_hashes", Support), ("report_network_hashes", Report)):
        done[key] = _in_batches(model, (model.created_at < network_cut)
                                & model.network_hash.is_not(None), {"network_hash": None}, batch)
    return done
