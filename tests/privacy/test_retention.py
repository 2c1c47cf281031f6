"""Retention (issue 13): `flask privacy purge` (and the daily job privacy.purge) blanks or deletes
IP addresses, user agents, throttle rows and network hashes older than the RETENTION_* settings,
keeps what is younger, and changes nothing when run again."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (Consent, ConsentEvent, PolicyAcceptance, SignInThrottle, Support,
                        UserSession)
from app.models.base import utcnow
from app.services import consents, policies, privacy
from tests import factories as f


@pytest.fixture
def config_overrides():
    return {"RETENTION_SESSION_DAYS": 90, "RETENTION_CONSENT_DAYS": 365,
            "RETENTION_THROTTLE_DAYS": 30, "RETENTION_NETWORK_HASH_DAYS": 180}


def _world():
    now = utcnow()
    member = f.user()
    old, new = now - timedelta(days=400), now - timedelta(days=5)
    sessions = {}
    for name, created, expires, revoked in (
            ("ended_long_ago", old, old + timedelta(days=30), None),
            ("old_but_live", old, now + timedelta(days=10), None),
            ("recent", new, now + timedelta(days=25), None)):
        row = UserSession(user_id=member.id, created_at=created, last_seen_at=created,
                          expires_at=expires, revoked_at=revoked, ip="203.0.113.9",
                          user_agent="Browser/1")
        db.session.add(row)
        sessions[name] = row
    for created in (old, new):
        db.session.add(ConsentEvent(user_id=member.id, kind="marketing_mail", granted=True,
                                    created_at=created, ip_address="203.0.113.9",
                                    user_agent="Browser/1"))
    policy = policies.publish(None, "terms", "1", "en", "ja")
    db.session.add(PolicyAcceptance(user_id=member.id, policy_id=policy.id, kind="terms",
                                    version="1", sha256=policy.sha256_en, locale="en",
                                    created_at=old, ip_address="203.0.113.9", user_agent="B/1"))
    db.session.add(SignInThrottle(email="old@example.com", failures=3,
                                  window_started_at=now - timedelta(days=40)))
    db.session.add(SignInThrottle(email="locked@example.com", failures=10,
                                  window_started_at=now - timedelta(days=40),
                                  locked_until=now + timedelta(minutes=5)))
    db.session.add(SignInThrottle(email="new@example.com", failures=1, window_started_at=now))
    idea = f.idea()
    old_support, new_support = f.support(idea), f.support(idea)
    old_support.created_at, old_support.network_hash = now - timedelta(days=200), "a" * 32
    new_support.network_hash = "b" * 32
    agreement = f.current_agreement()
    db.session.add(Consent(idea_id=idea.id, user_id=member.id, agreement_id=agreement.id,
                           agreement_version=agreement.version,
                           agreement_sha256=agreement.sha256, share_bps=10000,
                           ip_address="203.0.113.9", user_agent="Browser/1", created_at=old))
    db.session.commit()
    return member, {k: v.id for k, v in sessions.items()}, old_support.id, new_support.id


def test_purge_removes_what_is_older_than_the_settings_and_keeps_the_rest(db):
    member, sessions, old_support, new_support = _world()
    done = privacy.purge()
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(UserSession, sessions["ended_long_ago"]) is None
    live = db.session.get(UserSession, sessions["old_but_live"])
    assert (live.ip, live.user_agent) == ("", "")
    recent = db.session.get(UserSession, sessions["recent"])
    assert (recent.ip, recent.user_agent) == ("203.0.113.9", "Browser/1")
    events = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.created_at)).all()
    assert [(e.ip_address, e.user_agent) for e in events] == [(None, None),
                                                              ("203.0.113.9", "Browser/1")]
    assert len(events) == 2  # the records stay, only where they came from goes
    acceptance = db.session.scalar(select(PolicyAcceptance))
    assert acceptance.ip_address is None and acceptance.version == "1"
    consent = db.session.scalar(select(Consent))
    assert (consent.ip_address, consent.user_agent) == ("", "")
    assert set(db.session.scalars(select(SignInThrottle.email))) == {"locked@example.com",
                                                                    "new@example.com"}
    assert db.session.get(Support, old_support).network_hash is None
    assert db.session.get(Support, new_support).network_hash == "b" * 32
    assert done["sessions_deleted"] == 1 and done["support_network_hashes"] == 1


def test_purge_is_idempotent(db):
    _world()
    privacy.purge()
    db.session.commit()
    again = privacy.purge()
    db.session.commit()
    assert set(again.values()) == {0}


def test_purge_works_in_batches(db):
    member = f.user()
    old = utcnow() - timedelta(days=800)
    for _ in range(7):
        consents.record(member, "personalisation", True, ip_address="198.51.100.1")
    db.session.flush()
    for row in db.session.scalars(select(ConsentEvent)):
        row.created_at = old
    db.session.commit()
    assert privacy.purge(batch=3)["consent_event_addresses"] == 7
    db.session.commit()
    assert db.session.scalar(select(ConsentEvent.id).where(ConsentEvent.ip_address.is_not(None))) \
        is None


def test_cli_and_job_purge(app, db):
    _world()
    result = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "sessions_deleted\t1" in result.output
    from app import jobs

    assert jobs.JOBS["privacy.purge"]  # registered as the daily job
    beat = app.extensions["celery"].conf.beat_schedule
    assert any(entry["task"] == "privacy.purge" for entry in beat.values())
    again = app.test_cli_runner().invoke(args=["privacy", "purge"])
    assert "sessions_deleted\t0" in again.output
