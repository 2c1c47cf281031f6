"""Milestones, deadlines, qualification, expiry, resubmission and the trending score."""
from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, NotFound
from app.models import Idea, IdeaEvent, IdeaFollow, Notification, Support
from app.models.base import utcnow
from app.services import milestones, supports
from tests import factories as f


@pytest.fixture
def config_overrides():
    return {"SUPPORT_MILESTONES": [2, 4, 6], "SUPPORT_WINDOWS_DAYS": [10, 20, 30]}


def _events(db, idea, kind):
    return db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == idea.id,
                                                      IdeaEvent.kind == kind)
                              .order_by(IdeaEvent.id)).all()


def _support(db, idea, n=1):
    for _ in range(n):
        supports.support_idea(f.user(), idea.id)
        db.session.commit()
    db.session.refresh(idea)


def test_published_idea_starts_with_the_first_milestone_and_window(app):
    idea = f.idea(status="draft")
    now = utcnow()
    milestones.start_gathering(idea, now)
    assert idea.next_milestone == 2
    assert idea.deadline == now + timedelta(days=10)


def test_reaching_a_milestone_sets_the_next_goal_and_deadline(db):
    idea = f.idea()
    before = utcnow()
    _support(db, idea, 2)
    assert idea.status == "published"
    assert idea.next_milestone == 4
    assert before + timedelta(days=20) <= idea.deadline <= utcnow() + timedelta(days=20)
    assert [e.reason for e in _events(db, idea, "milestone_reached")] == ["2 supporters"]


def test_milestone_notifies_creators_and_followers(db):
    owner, follower = f.user(), f.user()
    idea = f.idea(owner)
    db.session.add(IdeaFollow(idea_id=idea.id, user_id=follower.id))
    db.session.commit()
    _support(db, idea, 2)
    told = set(db.session.scalars(select(Notification.user_id)
                                  .where(Notification.kind == "idea_milestone")))
    assert {owner.id, follower.id} <= told


def test_reaching_last_milestone_qualifies_idea(db):
    idea = f.idea()
    _support(db, idea, 6)
    assert idea.status == "qualified"
    assert idea.qualified_at is not None
    assert idea.next_milestone is None and idea.deadline is None
    [event] = _events(db, idea, "qualified")
    assert (event.from_status, event.to_status) == ("published", "qualified")


def test_qualified_idea_takes_no_more_support(db):
    idea = f.idea()
    _support(db, idea, 6)
    with pytest.raises(Conflict):
        supports.support_idea(f.user(), idea.id)


def test_jump_over_several_milestones_records_each_and_qualifies_once(db):
    idea = f.idea()
    for _ in range(7):  # e.g. supports combined by a merge
        db.session.add(Support(idea_id=idea.id, user_id=f.user().id))
    idea.support_count = 7
    db.session.commit()
    reached = milestones.advance(idea)
    db.session.commit()
    assert reached == [2, 4, 6]
    assert idea.status == "qualified"
    assert len(_events(db, idea, "qualified")) == 1
    assert milestones.advance(idea) == []


def test_qualification_hands_the_idea_to_the_review_service(db, monkeypatch):
    seen = []
    monkeypatch.setattr(milestones.review, "on_idea_qualified", seen.append)
    idea = f.idea()
    _support(db, idea, 6)
    assert [i.id for i in seen] == [idea.id]


def test_idea_past_its_deadline_shows_as_expired_before_expire_runs(db):
    idea = f.idea(deadline=utcnow() - timedelta(seconds=1))
    assert idea.status == "published"
    assert idea.effective_status == "expired"
    assert not idea.is_gathering


def test_expire_stores_expired_and_tells_creators(db):
    owner = f.user()
    late = f.idea(owner, deadline=utcnow() - timedelta(hours=1))
    on_time = f.idea(deadline=utcnow() + timedelta(hours=1))
    assert milestones.expire_ideas() == 1
    db.session.commit()
    db.session.refresh(late)
    db.session.refresh(on_time)
    assert late.status == "expired" and late.closed_at is not None
    assert on_time.status == "published"
    [event] = _events(db, late, "expired")
    assert (event.from_status, event.to_status) == ("published", "expired")
    assert db.session.scalar(select(Notification).where(Notification.user_id == owner.id,
                                                        Notification.kind == "idea_expired"))


def test_expire_is_idempotent(db):
    idea = f.idea(deadline=utcnow() - timedelta(hours=1))
    assert milestones.expire_ideas() == 1
    db.session.commit()
    assert milestones.expire_ideas() == 0
    db.session.commit()
    assert len(_events(db, idea, "expired")) == 1


def test_expire_command_prints_how_many_expired(app, db):
    f.idea(deadline=utcnow() - timedelta(hours=1))
    f.idea(deadline=utcnow() - timedelta(hours=2))
    result = CliRunner().invoke(app.cli, ["ideas", "expire"], obj=_script_info(app))
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Idea)
                             .where(Idea.status == "expired")) == 2


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)


def test_owner_resubmits_expired_idea_as_new_draft(db):
    owner = f.user()
    old = f.idea(owner, status="expired", support_count=1)
    new = milestones.resubmit_expired(owner, old.id)
    db.session.commit()
    assert new.id != old.id and new.resubmitted_from_id == old.id
    assert (new.status, new.support_count, new.title) == ("draft", 0, old.title)
    assert new.insight == old.insight
    assert [c.user_id for c in new.creators] == [owner.id]


def test_resubmitting_an_idea_past_its_deadline_expires_it_first(db):
    owner = f.user()
    old = f.idea(owner, deadline=utcnow() - timedelta(minutes=5))
    milestones.resubmit_expired(owner, old.id)
    db.session.commit()
    db.session.refresh(old)
    assert old.status == "expired"


def test_only_the_owner_resubmits(db):
    owner, partner = f.user(), f.user()
    old = f.idea(owner, status="expired", co_creators=(partner,))
    with pytest.raises(Forbidden):
        milestones.resubmit_expired(partner, old.id)
    with pytest.raises(NotFound):
        milestones.resubmit_expired(f.user(), f.idea(status="draft").id)


def test_gathering_idea_cannot_be_resubmitted(db):
    owner = f.user()
    with pytest.raises(Conflict) as error:
        milestones.resubmit_expired(owner, f.idea(owner).id)
    assert error.value.code == "not_expired"


def test_expired_idea_is_resubmitted_only_once(db):
    owner = f.user()
    old = f.idea(owner, status="expired")
    milestones.resubmit_expired(owner, old.id)
    db.session.commit()
    with pytest.raises(Conflict) as error:
        milestones.resubmit_expired(owner, old.id)
    assert error.value.code == "already_resubmitted"


def test_trending_decays_with_the_age_of_supports(db):
    fresh, older = f.idea(), f.idea()
    now = utcnow()
    for _ in range(2):
        f.support(fresh, created_at=now - timedelta(hours=2))
        f.support(older, created_at=now - timedelta(days=3))
    f.support(older, created_at=now - timedelta(days=8))  # outside the window
    assert milestones.refresh_trending(now) == 2
    db.session.commit()
    db.session.refresh(fresh)
    db.session.refresh(older)
    assert fresh.trending_score == 2 * milestones.TRENDING_DAY_WEIGHTS[0]
    assert older.trending_score == 2 * milestones.TRENDING_DAY_WEIGHTS[3]
    assert milestones.refresh_trending(now) == 0


def test_trending_of_an_idea_without_recent_support_falls_to_zero(db):
    idea = f.idea(trending_score=5000)
    milestones.refresh_trending()
    db.session.commit()
    db.session.refresh(idea)
    assert idea.trending_score == 0
