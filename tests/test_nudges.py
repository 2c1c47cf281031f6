"""Nudges: supporters of an idea near its deadline or its next milestone are asked to share it,
in their language, at most once per idea per NUDGE_INTERVAL_DAYS, only with marketing consent,
respecting their preference; the daily job works in batches and sends nothing twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app import jobs
from app.i18n import speaking_to
from app.jobs.schedule import entries
from app.models import IdeaNudge, Notification, Support, User
from app.models.base import utcnow
from app.services import nudges
from tests import factories as f


@pytest.fixture
def config_overrides():
    return {"NUDGE_DEADLINE_DAYS": 3, "NUDGE_MILESTONE_PERCENT": 10, "NUDGE_INTERVAL_DAYS": 7}


def _supporter(idea, *, marketing=True, time_zone=None, **fields):
    person = f.user(**fields)
    person.marketing_mail = marketing
    person.time_zone = time_zone
    f.support(idea, person)
    return person


def _near_deadline(**fields):
    """An idea 12 supporters short of its goal of 100, two days before its deadline."""
    values = dict(title="Folding stool", next_milestone=100, support_count=88,
                  deadline=utcnow() + timedelta(days=2))
    values.update(fields)
    return f.idea(**values)


def _nudged(db, kind=None):
    query = select(Notification.user_id).where(Notification.kind.in_(
        [kind] if kind else ["support_nudge", "support_nudge_one"]))
    return sorted(db.session.scalars(query))


def test_a_supporter_near_the_deadline_is_asked_to_share(db):
    idea = _near_deadline()
    supporter = _supporter(idea)  # the 89th: 11 to go
    assert nudges.send_nudges() == 1
    row = db.session.scalar(select(Notification).where(Notification.kind == "support_nudge"))
    assert row.user_id == supporter.id and row.idea_id == idea.id
    assert row.message.startswith("“Folding stool” needs 11 more supporters by ")
    assert row.message.endswith(": share it!")


def test_the_nudge_is_in_the_reader_s_language(db):
    idea = _near_deadline()
    supporter = _supporter(idea, locale="ja")
    nudges.send_nudges()
    row = db.session.scalar(select(Notification).where(Notification.kind == "support_nudge"))
    with speaking_to(supporter):
        assert "あと11人のサポーターが必要です" in row.message


def test_one_supporter_short_reads_one_more(db):
    idea = _near_deadline(support_count=98)
    _supporter(idea)
    nudges.send_nudges()
    assert len(_nudged(db, "support_nudge_one")) == 1


def test_close_to_the_milestone_with_time_left_is_nudged_too(db):
    idea = _near_deadline(support_count=93, deadline=utcnow() + timedelta(days=40))
    supporter = _supporter(idea)  # 94 of 100: within 10%
    nudges.send_nudges()
    assert _nudged(db) == [supporter.id]


def test_an_idea_far_from_both_is_left_alone(db):
    idea = _near_deadline(support_count=20, deadline=utcnow() + timedelta(days=40))
    _supporter(idea)
    assert nudges.send_nudges() == 0
    assert _nudged(db) == []


@pytest.mark.parametrize("fields", [{"status": "expired"}, {"hidden": True},
                                    {"deadline_passed": True}])
def test_ideas_not_gathering_are_left_alone(db, fields):
    if fields.pop("deadline_passed", False):
        fields["deadline"] = utcnow() - timedelta(hours=1)
    idea = _near_deadline(**fields)
    _supporter(idea)
    nudges.send_nudges()
    assert _nudged(db) == []


def test_at_most_one_nudge_per_idea_per_week(db):
    idea = _near_deadline()
    supporter = _supporter(idea)
    now = utcnow()
    assert nudges.send_nudges(now) == 1
    assert nudges.send_nudges(now) == 0  # the job again the same day
    assert nudges.send_nudges(now + timedelta(days=1)) == 0
    assert nudges.send_nudges(now + timedelta(days=6)) == 0
    idea.deadline = now + timedelta(days=9)
    db.session.commit()
    assert nudges.send_nudges(now + timedelta(days=7)) == 1
    assert _nudged(db) == [supporter.id, supporter.id]


def test_each_idea_gets_its_own_nudge(db):
    first, second = _near_deadline(), _near_deadline(title="Second")
    supporter = _supporter(first)
    f.support(second, supporter)
    assert nudges.send_nudges() == 2


def test_without_marketing_consent_there_is_no_nudge(db):
    idea = _near_deadline()
    _supporter(idea, marketing=False)
    assert nudges.send_nudges() == 0
    assert _nudged(db) == []


def test_a_supporter_who_turned_nudges_off_gets_none(db):
    idea = _near_deadline()
    quiet = _supporter(idea)
    f.deliver(quiet, "off", "nudges")
    keen = _supporter(idea)
    nudges.send_nudges()
    assert _nudged(db) == [keen.id]


def test_blocked_supporters_get_none(db):
    idea = _near_deadline()
    blocked = _supporter(idea)
    blocked.blocked_at = utcnow()
    db.session.commit()
    nudges.send_nudges()
    assert _nudged(db) == []


def test_a_mail_goes_to_who_wants_mail_at_once(db):
    from app.models import OutboundMail

    idea = _near_deadline()
    supporter = _supporter(idea)
    f.deliver(supporter, "immediately", "nudges")
    nudges.send_nudges()
    mail = db.session.scalar(select(OutboundMail).where(OutboundMail.to_address == supporter.email))
    assert mail is not None and "Folding stool" in mail.subject + mail.body


def test_supporters_are_nudged_in_batches_each_once(db, app):
    app.config["NUDGE_BATCH"] = 3
    idea = _near_deadline()
    now = utcnow()
    ids = db.session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"email": f"s{i}@example.com", "password_hash": "x", "display_name": f"S {i}", "bio": "",
         "email_confirmed_at": now, "security_stamp": 0, "created_at": now, "marketing_mail": True}
        for i in range(10)]).scalars().all()
    db.session.execute(insert(Support), [{"idea_id": idea.id, "user_id": user_id, "created_at": now}
                                         for user_id in ids])
    db.session.commit()
    assert nudges.send_nudges() == 10
    assert _nudged(db) == sorted(ids)


def test_a_retried_job_sends_nothing_twice(db):
    """A run that died after recording some nudges: the retry tells only the others."""
    idea = _near_deadline()
    first, second = _supporter(idea), _supporter(idea)
    db.session.add(IdeaNudge(idea_id=idea.id, user_id=first.id, sent_on=utcnow().date()))
    db.session.commit()
    assert nudges.send_nudges() == 1
    assert _nudged(db) == [second.id]


def test_the_unique_key_refuses_a_second_nudge_the_same_day(db):
    from sqlalchemy.exc import IntegrityError

    idea = _near_deadline()
    supporter = _supporter(idea)
    today = utcnow().date()
    db.session.add(IdeaNudge(idea_id=idea.id, user_id=supporter.id, sent_on=today))
    db.session.commit()
    db.session.add(IdeaNudge(idea_id=idea.id, user_id=supporter.id, sent_on=today))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_daily_job_is_scheduled_and_runs(db, app):
    assert entries(app)["nudges"][0] == "nudges.send"
    idea = _near_deadline()
    _supporter(idea)
    assert jobs.run_now("nudges.send") == 1
    assert db.session.scalar(select(func.count()).select_from(IdeaNudge)) == 1


# --- the date in the reader's time zone ------------------------------------------------------

def _late_evening_deadline():
    """A deadline at 20:00 UTC two days from now: the next morning in Tokyo."""
    deadline = (utcnow() + timedelta(days=2)).replace(hour=20, minute=0, second=0, microsecond=0)
    return _near_deadline(deadline=deadline), deadline


def _day(value, locale="en"):
    from babel.dates import format_date

    return format_date(value, "medium", locale=locale)


def test_the_nudge_date_is_the_deadline_s_day_in_the_member_s_time_zone(db):
    idea, deadline = _late_evening_deadline()
    tokyo = _supporter(idea, time_zone="Asia/Tokyo")
    london = _supporter(idea, time_zone="UTC")
    nudges.send_nudges()
    rows = {row.user_id: row for row in db.session.scalars(
        select(Notification).where(Notification.kind == "support_nudge"))}
    with speaking_to(tokyo):
        assert f"by {_day(deadline.date() + timedelta(days=1))}:" in rows[tokyo.id].message
    with speaking_to(london):
        assert f"by {_day(deadline.date())}:" in rows[london.id].message


def test_the_nudge_mail_has_the_day_in_the_member_s_time_zone(db):
    from app.models import OutboundMail

    idea, deadline = _late_evening_deadline()
    supporter = _supporter(idea, locale="ja", time_zone="Asia/Tokyo")
    f.deliver(supporter, "immediately", "nudges")
    nudges.send_nudges()
    mail = db.session.scalar(select(OutboundMail).where(OutboundMail.to_address == supporter.email))
    assert _day(deadline.date() + timedelta(days=1), "ja") in mail.body
    assert _day(deadline.date(), "ja") not in mail.body


def test_the_nudge_on_the_page_follows_the_browser_s_time_zone(db, client):
    """A member who never chose a time zone reads it in their browser's (the tz cookie)."""
    from tests.helpers import login

    idea, deadline = _late_evening_deadline()
    supporter = _supporter(idea, time_zone=None)
    nudges.send_nudges()
    login(client, supporter)
    client.set_cookie("tz", "Asia/Tokyo")
    page = client.get("/notifications").get_data(as_text=True)
    assert f"by {_day(deadline.date() + timedelta(days=1))}:" in page
    client.set_cookie("tz", "America/Los_Angeles")
    page = client.get("/notifications").get_data(as_text=True)
    assert f"by {_day(deadline.date())}:" in page


# --- on the member's home page ---------------------------------------------------------------

def test_the_member_home_shows_the_nudge_until_it_is_read(db, client):
    from tests.helpers import login

    idea, deadline = _late_evening_deadline()
    supporter = _supporter(idea, time_zone="Asia/Tokyo")
    nudges.send_nudges()
    login(client, supporter)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="home-nudges"' in page
    assert f"“Folding stool” needs 11 more supporters by " \
           f"{_day(deadline.date() + timedelta(days=1))}: share it!" in page
    assert f'href="/ideas/{idea.id}#share"' in page
    row = db.session.scalar(select(Notification).where(Notification.kind == "support_nudge"))
    row.read_at = utcnow()
    db.session.commit()
    assert 'data-testid="home-nudges"' not in client.get("/").get_data(as_text=True)


def test_the_home_nudge_is_in_japanese_for_a_japanese_member(db, client):
    from tests.helpers import login

    idea = _near_deadline()
    supporter = _supporter(idea, locale="ja")
    nudges.send_nudges()
    login(client, supporter)
    page = client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "あと11人のサポーターが必要です" in page


def test_a_nudge_for_an_idea_no_longer_gathering_is_not_shown(db, client):
    from tests.helpers import login

    idea = _near_deadline()
    supporter = _supporter(idea)
    nudges.send_nudges()
    idea.hidden = True
    db.session.commit()
    login(client, supporter)
    assert 'data-testid="home-nudges"' not in client.get("/").get_data(as_text=True)
