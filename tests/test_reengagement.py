"""Re-engagement: one "what happened since your last visit" mail to a member away
REENGAGE_AFTER_DAYS, in their language, then none until they come back; idempotent, batched,
respecting preferences (and marketing consent), with an unsubscribe link and headers."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.jobs import schedule
from app.models import OutboundMail, ReengagementMail, User
from app.models.base import utcnow
from app.services import events, notifications, reengagement
from tests import factories as f


@pytest.fixture
def config_overrides():
    return {"REENGAGE_AFTER_DAYS": 30}


def consenting(member: User) -> User:
    """Marketing mail allowed (app.services.consents; off by default)."""
    member.marketing_mail = True
    db.session.commit()
    return member


def away(days: int, **kwargs) -> User:
    member = consenting(f.user(**kwargs))
    member.last_seen_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return member


def news_for(member: User, title: str = "Rain shelf") -> None:
    """An idea the member supports reached a milestone just now."""
    idea = f.idea(title=title)
    f.support(idea, member)
    events.record(None, "milestone_reached", idea, reason="100 supporters")
    db.session.commit()


def mails_to(member: User) -> list[OutboundMail]:
    return db.session.query(OutboundMail).filter_by(to_address=member.email).all()


def test_a_member_away_for_30_days_gets_one_mail_of_what_happened(app):
    member = away(31, name="Mio")
    news_for(member)
    counts = reengagement.run()
    assert counts == {"sent": 1}
    [mail] = mails_to(member)
    assert mail.subject == "Kyoso: what happened since your last visit"
    assert "Hello Mio," in mail.body and "“Rain shelf” reached 100 supporters" in mail.body
    assert "/unsubscribe/" in mail.body
    assert mail.headers["List-Unsubscribe"].startswith("<") and "/unsubscribe/" in \
        mail.headers["List-Unsubscribe"]
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_mail_is_in_the_members_language(app):
    member = away(40, locale="ja")
    news_for(member)
    reengagement.run()
    [mail] = mails_to(member)
    assert mail.subject == "Kyoso：前回の訪問以降の出来事"
    assert "「Rain shelf」が100人のサポーターに到達" in mail.body


def test_a_member_seen_recently_gets_nothing(app):
    member = away(29)
    news_for(member)
    assert reengagement.run() == {}
    assert mails_to(member) == []


def test_a_run_again_sends_nothing_more_until_the_member_comes_back(app):
    member = away(31)
    news_for(member)
    reengagement.run()
    assert reengagement.run() == {}
    assert len(mails_to(member)) == 1
    # They come back, then stay away again for a month: a new lapse, one new mail.
    member.last_seen_at = utcnow() - timedelta(days=31)
    db.session.commit()
    news_for(member, "Quiet kettle")
    assert reengagement.run() == {"sent": 1}
    assert len(mails_to(member)) == 2
    assert db.session.query(ReengagementMail).filter_by(user_id=member.id).count() == 2


def test_a_lapse_already_claimed_by_another_run_is_not_mailed_twice(app):
    member = away(31)
    news_for(member)
    members = reengagement.due_batch(0, utcnow() - timedelta(days=30), 10)
    reengagement.run()  # the other run
    assert reengagement._tell(members[0], "immediately") == "taken"
    assert len(mails_to(member)) == 1


def test_members_who_turned_these_mails_off_or_to_the_app_get_none(app):
    off, in_app = away(31), away(31)
    for member, delivery in ((off, "off"), (in_app, "app")):
        notifications.set_preferences(member, {"reengagement": delivery})
        news_for(member)
    db.session.commit()
    assert reengagement.run() == {"turned_off": 2}
    assert mails_to(off) == [] and mails_to(in_app) == []


def test_unconfirmed_blocked_and_members_with_nothing_new_get_no_mail(app):
    unconfirmed = away(31, confirmed=False)
    news_for(unconfirmed)
    blocked = away(31)
    blocked.blocked_at = utcnow()
    db.session.commit()
    news_for(blocked)
    quiet = away(31)
    assert reengagement.run() == {"nothing_new": 1}
    assert mails_to(unconfirmed) == mails_to(blocked) == mails_to(quiet) == []


def test_members_without_marketing_consent_get_none(app):
    member = away(31)
    member.marketing_mail = False
    db.session.commit()
    news_for(member)
    assert reengagement.run() == {}


def test_a_member_who_never_came_back_after_signing_up_counts_from_sign_up(app):
    member = consenting(f.user())
    member.created_at = utcnow() - timedelta(days=45)
    db.session.commit()
    news_for(member)
    assert reengagement.run() == {"sent": 1}


def test_members_are_walked_in_batches(app):
    members = [away(31) for _ in range(5)]
    for member in members:
        news_for(member)
    assert reengagement.run(batch=2) == {"sent": 5}
    assert all(len(mails_to(member)) == 1 for member in members)


def test_the_unsubscribe_link_stops_these_mails(app, client):
    member = away(31)
    news_for(member)
    reengagement.run()
    [mail] = mails_to(member)
    link = mail.headers["List-Unsubscribe"].strip("<>")
    path = link[link.index("/unsubscribe/"):]
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert notifications.preferences(member)["reengagement"] == "app"


def test_the_job_is_scheduled_daily_and_runs(app):
    task, _when, _kwargs = schedule.entries(app)["reengage"]
    assert task == "users.reengage"
    member = away(31)
    news_for(member)
    from app import jobs

    assert jobs.JOBS["users.reengage"].func() == {"sent": 1}
    assert len(mails_to(member)) == 1


# --- flask users reengage [--dry-run] --------------------------------------------------------

def _away_with_news(days: int = 31, **kwargs) -> User:
    member = away(days, **kwargs)
    news_for(member)
    return member


def test_the_dry_run_says_how_many_would_get_a_mail_and_sends_nothing(app):
    first, second = _away_with_news(), _away_with_news()
    quiet = away(40)  # nothing new: no mail
    f.deliver(_away_with_news(), "app", reengagement.CATEGORY)  # wants none by mail
    result = app.test_cli_runner().invoke(args=["users", "reengage", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("2 member(s) would get a mail (1 with nothing new, "
                                    "1 who want no such mail; nothing was sent).")
    assert db.session.query(ReengagementMail).count() == 0
    assert mails_to(first) == [] and mails_to(second) == [] and mails_to(quiet) == []


def test_the_command_mails_them_once(app):
    first, second = _away_with_news(), _away_with_news()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "reengage"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Mailed 2 member(s)")
    assert len(mails_to(first)) == 1 and len(mails_to(second)) == 1
    again = runner.invoke(args=["users", "reengage", "--dry-run"])
    assert again.output.startswith("0 member(s) would get a mail")
    assert runner.invoke(args=["users", "reengage"]).output.startswith("Mailed 0 member(s)")
    assert len(mails_to(first)) == 1
