"""A support that reaches a milestone tells the followers through a job, in batches: the request
costs the same with 10,000 followers as with 10, and the mails go one SMTP connection and one
job per batch."""
from __future__ import annotations

import smtplib

import pytest
from sqlalchemy import func, insert, select

from app import jobs
from app.models import IdeaFollow, Notification, OutboundMail, User
from app.models.base import utcnow
from app.services import fan_out, supports
from tests import factories as f
from tests.smtp import smtp_server  # noqa: F401

BIG = 10_000


MILESTONE = {"title": "Lamp", "count": 100, "next": 1000}


@pytest.fixture
def config_overrides():
    return {"SUPPORT_MILESTONES": [2, 4, 6], "SUPPORT_WINDOWS_DAYS": [10, 20, 30]}


def _followers(db, idea, n: int, **fields) -> None:
    """n confirmed members following the idea, inserted in two multi-row statements."""
    now = utcnow()
    tag = f.user().id  # a fresh number for unique e-mail addresses
    ids = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"email": f"follower{tag}-{i}@example.com", "password_hash": "x",
         "display_name": f"Follower {i}", "bio": "", "email_confirmed_at": now,
         "security_stamp": 0, "created_at": now, **fields}
        for i in range(n)]).scalars().all()
    db.session.execute(insert(IdeaFollow), [
        {"idea_id": idea.id, "user_id": user_id, "created_at": now} for user_id in ids])
    db.session.commit()


@pytest.fixture
def queued(monkeypatch):
    """Jobs queued after commit, recorded instead of run (run them with jobs.run_now)."""
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kwargs: calls.append((name, kwargs)))
    return calls


def _reach_milestone(db, count_queries, idea) -> int:
    """Support the idea up to its first milestone (2); the statements of the last support."""
    supports.support_idea(f.user(), idea.id)
    db.session.commit()
    supporter = f.user()
    with count_queries() as queries:
        supports.support_idea(supporter, idea.id)
        db.session.commit()
    return queries.count


def test_the_milestone_support_costs_the_same_with_10_000_followers(db, count_queries, queued):
    small, big = f.idea(), f.idea()
    _followers(db, small, 10)
    _followers(db, big, BIG)
    few = _reach_milestone(db, count_queries, small)
    queued.clear()
    many = _reach_milestone(db, count_queries, big)
    assert many == few
    fanouts = [kwargs for name, kwargs in queued if name == "notifications.fan_out"]
    assert len(fanouts) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.idea_id == big.id, Notification.kind == "idea_milestone")) == 1  # the owner
    queued.clear()

    followers = BIG + 2  # and the two supporters, who follow what they support
    assert jobs.run_now("notifications.fan_out", **fanouts[0]) == followers
    told = db.session.scalar(select(func.count(func.distinct(Notification.user_id))).where(
        Notification.idea_id == big.id, Notification.kind == "idea_milestone"))
    assert told == followers + 1
    batches = [kwargs["mail_ids"] for name, kwargs in queued if name == "mail.send_batch"]
    assert [len(ids) for ids in batches] == [500] * 20 + [2]
    assert not [name for name, _ in queued if name == "mail.send"]  # no job per mail
    mailed = db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.idea_id == big.id, Notification.kind == "idea_milestone",
        Notification.mail_id.is_not(None)))
    assert mailed == followers + 1
    # Run again (a redelivered job): nobody is told twice.
    assert jobs.run_now("notifications.fan_out", **fanouts[0]) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.idea_id == big.id, Notification.kind == "idea_milestone")) == followers + 1


def test_fan_out_tells_each_follower_once_never_creators_nor_blocked(app, db, queued):
    app.config["NOTIFY_FANOUT_BATCH"] = 3
    owner = f.user()
    idea = f.idea(owner)
    _followers(db, idea, 7)
    blocked = f.user()
    blocked.blocked_at = utcnow()
    db.session.add_all([IdeaFollow(idea_id=idea.id, user_id=blocked.id),
                        IdeaFollow(idea_id=idea.id, user_id=owner.id)])
    db.session.commit()
    fanout = fan_out.tell_followers(idea, "idea_milestone", MILESTONE)
    db.session.commit()
    assert fan_out.tell_next_batch(fanout.id) == 3  # a job that died after one batch ...
    assert fan_out.sweep(older_than=0) == 1  # ... is finished by the sweep
    assert fan_out.fan_out(fanout.id) == 0
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.idea_id == idea.id)).all()
    assert len(told) == len(set(told)) == 7
    assert owner.id not in told and blocked.id not in told


def test_a_batch_of_mails_goes_over_one_smtp_connection(app, db, smtp_server,  # noqa: F811
                                                         monkeypatch):
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port,
                      NOTIFY_FANOUT_BATCH=4)
    connections = []

    class CountingSMTP(smtplib.SMTP):
        def __init__(self, *args, **kwargs):
            connections.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(smtplib, "SMTP", CountingSMTP)
    owner = f.user()
    f.deliver(owner, "daily")
    idea = f.idea(owner)
    _followers(db, idea, 10)
    fan_out.tell_followers(idea, "idea_milestone", MILESTONE)
    db.session.commit()  # JOBS_SYNC: the fan-out and its mail batches run now
    assert len(smtp_server.wait_for(10)) == 10
    assert len(connections) == 3  # batches of 4, 4 and 2
    assert db.session.scalar(select(func.count()).select_from(OutboundMail).where(
        OutboundMail.status == "sent")) == 10
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.emailed_at.is_not(None))) == 10
