"""Jobs and the mail outbox without Redis: mail waits for the commit, is sent once, survives an
SMTP server that is down or hangs (the request never waits), and a job that keeps failing lands
in the dead-letter list, from where `flask jobs retry` runs it again."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import jobs, mail
from app.extensions import db
from app.jobs import schedule
from app.mail import send_mail
from app.models import FailedJob, Notification, OutboundMail
from app.models.base import utcnow
from app.services import events
from tests import factories
from tests.helpers import csrf_token, login
from tests.smtp import SilentSMTPServer, smtp_server  # noqa: F401


@pytest.fixture
def config_overrides(smtp_server):  # noqa: F811
    return {"MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port, "MAIL_TIMEOUT": 1,
            "JOBS_RETRY_BACKOFF": 1, "JOBS_MAX_RETRIES": 2}


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=list(args))


def _mails() -> list[OutboundMail]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMail).order_by(OutboundMail.id)))


def _past_backoff(seconds: float = 1.1) -> None:
    time.sleep(seconds)  # JOBS_RETRY_BACKOFF is 1 s here


def test_mail_is_sent_only_after_commit(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    assert smtp_server.messages == []
    db.session.commit()
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["fan@example.com"]


def test_mail_of_a_rolled_back_change_is_never_sent(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    db.session.rollback()
    db.session.commit()
    assert smtp_server.messages == []
    assert _mails() == []


def test_mail_waits_for_the_outer_commit_not_a_savepoint(app, smtp_server):  # noqa: F811
    send_mail("fan@example.com", "Hello", "Body")
    with db.session.begin_nested():
        pass
    assert smtp_server.messages == []
    db.session.commit()
    assert len(smtp_server.wait_for(1)) == 1


def test_a_notification_mail_is_sent_once_and_emailed_at_means_sent(app, smtp_server):  # noqa: F811
    member = factories.user()
    [row] = events.notify([member], "idea_supported", {"name": "Ann", "title": "Lamp", "count": 2})
    db.session.commit()
    assert len(smtp_server.wait_for(1)) == 1
    [outbox] = _mails()
    notification = db.session.get(Notification, row.id)
    assert outbox.status == "sent" and outbox.attempts == 1
    assert notification.mail_id == outbox.id and notification.emailed_at == outbox.sent_at

    # The job delivered twice (at-least-once): the second run finds it sent.
    assert jobs.run_now("mail.send", mail_id=outbox.id) is False
    time.sleep(0.2)
    assert len(smtp_server.messages) == 1


def test_two_attempts_to_create_the_same_mail_give_one(app, smtp_server):  # noqa: F811
    assert send_mail("fan@example.com", "Digest", "Body", dedupe_key="digest:daily:1:7")
    assert send_mail("fan@example.com", "Digest", "Body", dedupe_key="digest:daily:1:7") is None
    db.session.commit()
    assert len(smtp_server.wait_for(1)) == 1
    time.sleep(0.2)
    assert len(smtp_server.messages) == 1 and len(_mails()) == 1


def test_mail_while_the_smtp_server_is_down_is_kept_and_sent_by_the_sweep(app, smtp_server):  # noqa: F811
    member = factories.user()
    smtp_server.stop()
    started = time.monotonic()
    [row] = events.notify([member], "idea_supported", {"name": "Ann", "title": "Lamp", "count": 2})
    db.session.commit()
    assert time.monotonic() - started < 2
    [outbox] = _mails()
    assert outbox.status == "pending" and outbox.attempts == 1 and outbox.last_error
    assert db.session.get(Notification, row.id).emailed_at is None  # not sent, so not "emailed"

    smtp_server.start()
    _past_backoff()
    assert jobs.run_now("mail.sweep", older_than=0) == 1
    [message] = smtp_server.wait_for(1)
    assert message["To"] == member.email
    [outbox] = _mails()
    assert outbox.status == "sent" and outbox.last_error is None
    assert db.session.get(Notification, row.id).emailed_at == outbox.sent_at


def test_the_sweep_leaves_recent_mail_to_its_own_job(app, smtp_server):  # noqa: F811
    smtp_server.stop()
    send_mail("fan@example.com", "Hello", "Body")
    db.session.commit()
    smtp_server.start()
    assert jobs.run_now("mail.sweep") == 0  # its retry is not a minute overdue yet
    assert smtp_server.messages == []


def test_a_hanging_smtp_server_holds_no_request(app, client, smtp_server):  # noqa: F811
    """A comment that mails two creators answers at once even though the SMTP server accepts
    the connection and never answers; both mails go out once the server is back."""
    app.config.update(JOBS_SYNC=False)  # production's in-process pool, not the tests' shortcut
    silent = SilentSMTPServer()
    app.config.update(MAIL_PORT=silent.port)
    owner, partner, commenter = factories.user(), factories.user(), factories.user()
    idea = factories.idea(owner, co_creators=(partner,))
    login(client, commenter)
    token = csrf_token(client, f"/ideas/{idea.id}")
    try:
        started = time.monotonic()
        response = client.post(f"/ideas/{idea.id}/comments",
                               data={"csrf_token": token, "body": "Love the hinge."})
        elapsed = time.monotonic() - started
        assert response.status_code == 302 and elapsed < 1.0, elapsed
        assert jobs.wait_idle(10)
    finally:
        silent.stop()
    pending = _mails()
    assert sorted(m.to_address for m in pending) == sorted([owner.email, partner.email])
    assert all(m.status == "pending" and "timed out" in (m.last_error or "") for m in pending)

    app.config.update(MAIL_PORT=smtp_server.port, JOBS_SYNC=True)
    _past_backoff()
    assert jobs.run_now("mail.sweep", older_than=0) == 2
    assert sorted(m["To"] for m in smtp_server.wait_for(2)) == sorted([owner.email, partner.email])


def test_mail_that_keeps_failing_is_dead_lettered_and_retried_on_command(app, cli, smtp_server):  # noqa: F811
    smtp_server.stop()
    mail_id = send_mail("fan@example.com", "Hello", "Body")
    db.session.commit()  # attempt 1
    for _ in range(2):  # attempts 2 and 3: JOBS_MAX_RETRIES is 2
        _past_backoff(2.1)
        jobs.run_now("mail.sweep", older_than=0)
    [outbox] = _mails()
    assert outbox.status == "failed" and outbox.attempts == 3
    [dead] = db.session.scalars(select(FailedJob)).all()
    assert dead.name == "mail.send" and dead.args == {"mail_id": mail_id} and dead.attempts == 3
    listed = cli("jobs", "failed")
    assert listed.exit_code == 0 and f"mail.send(mail_id={mail_id})" in listed.output
    assert jobs.run_now("mail.sweep", older_than=0) == 0  # the sweep leaves failed mail alone

    smtp_server.start()
    result = cli("jobs", "retry", "--all")
    assert result.exit_code == 0 and "Queued 1 job" in result.output
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Hello"]
    assert _mails()[0].status == "sent"
    assert db.session.scalar(select(func.count()).select_from(FailedJob)) == 0
    assert cli("jobs", "failed").output.strip() == "No failed jobs."


def test_a_permanent_refusal_is_not_retried(app, smtp_server, monkeypatch):  # noqa: F811
    import smtplib

    def refuse(*_args):
        raise smtplib.SMTPRecipientsRefused({"fan@example.com": (550, b"No such user")})

    monkeypatch.setattr(mail, "send_now", refuse)
    send_mail("fan@example.com", "Hello", "Body")
    db.session.commit()
    [outbox] = _mails()
    assert outbox.status == "failed" and outbox.attempts == 1
    assert db.session.scalar(select(FailedJob.name)) == "mail.send"


def test_retry_refuses_unknown_ids(cli):
    assert cli("jobs", "retry", "999").exit_code != 0
    assert cli("jobs", "retry").exit_code != 0


def test_a_failing_job_without_a_sweep_is_dead_lettered_in_process(app, monkeypatch):
    calls = []

    @jobs.job("test.explode")
    def explode(n: int) -> None:
        calls.append(n)
        raise RuntimeError("boom")

    try:
        jobs.enqueue("test.explode", n=1)
        db.session.commit()
        [dead] = db.session.scalars(select(FailedJob)).all()
        assert calls == [1] and dead.name == "test.explode" and "boom" in dead.error
    finally:
        jobs.JOBS.pop("test.explode")


def test_the_embedded_schedule_runs_what_is_due(app, smtp_server):  # noqa: F811
    smtp_server.stop()
    send_mail("fan@example.com", "Hello", "Body")
    db.session.commit()
    smtp_server.start()
    scheduler = schedule.EmbeddedScheduler(app)
    past = utcnow() - timedelta(days=8)
    scheduler.last_run = dict.fromkeys(scheduler.last_run, past)
    db.session.execute(OutboundMail.__table__.update().values(next_attempt_at=past))
    db.session.commit()
    assert scheduler.tick() >= 1
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["Hello"]
    assert all(last > past for last in scheduler.last_run.values())


def test_the_beat_schedule_has_every_periodic_job(app):
    beat = app.extensions["celery"].conf.beat_schedule
    assert {entry["task"] for entry in beat.values()} == {
        "mail.sweep", "ideas.expire", "ideas.refresh_trending", "notifications.digest",
        "ledger.verify", "notifications.fan_out_sweep", "markdown.rerender",
        "ideas.roll_up_counters", "users.purge_sessions", "products.tell_audience_sweep",
        "discovery.refresh_for_you", "rights.expire_exports", "rights.erase_sweep",
        "users.reengage", "announcements.send_sweep", "recognition.rollup", "nudges.send",
        "sessions.remind", "partners.refresh",
        "privacy.purge", "analytics.refresh"}
    assert {entry["kwargs"].get("mode") for entry in beat.values()} >= {"daily", "weekly"}
    assert set(jobs.JOBS) >= {"mail.send", "mail.sweep", "ideas.expire",
                              "ideas.refresh_trending", "notifications.digest"}


def test_the_periodic_jobs_run_by_hand(app, smtp_server):  # noqa: F811
    daily = factories.user()
    factories.deliver(daily, "daily")
    events.notify([daily], "idea_supported", {"name": "Ann", "title": "Lamp", "count": 2})
    db.session.commit()
    assert jobs.run_now("notifications.digest", mode="daily") == 1
    assert jobs.run_now("notifications.digest", mode="daily") == 0
    assert jobs.run_now("ideas.expire") == 0
    assert jobs.run_now("ideas.refresh_trending") >= 0
    assert jobs.run_now("ledger.verify") == 0
    assert len(smtp_server.wait_for(1)) == 1
