"""Supporting ideas: who may, when, once, and the count that always matches the rows."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from app.models import IdeaFollow, Notification, Support
from app.models.base import utcnow
from app.services import counters, supports
from app.services.supports import SupportAnswers
from tests import factories as f


def _exact(idea) -> int:
    return counters.exact_counts([idea])[idea.id]


def _rows(db, idea):
    return db.session.scalar(select(func.count()).select_from(Support)
                             .where(Support.idea_id == idea.id))


def test_member_supports_published_idea(db):
    idea, member = f.idea(), f.user()
    support = supports.support_idea(member, idea.id)
    db.session.commit()
    db.session.refresh(idea)
    assert support.user_id == member.id
    assert _exact(idea) == 1 == _rows(db, idea)
    assert idea.support_count == 0  # the listing's sort key, until the minute's rollup
    assert counters.roll_up() == 1
    db.session.commit()
    db.session.refresh(idea)
    assert idea.support_count == 1


def test_support_keeps_answers(db):
    idea, member = f.idea(), f.user()
    supports.support_idea(member, idea.id, {"would_buy": "yes",
                                            "price": {"amount": 2500, "currency": "JPY"},
                                            "reason": "  My kids need this  "})
    db.session.commit()
    row = db.session.scalar(select(Support).where(Support.idea_id == idea.id))
    assert (row.would_buy, row.price_minor, row.price_currency, row.reason) == \
        ("yes", 2500, "JPY", "My kids need this")


def test_member_cannot_support_own_idea(db):
    owner = f.user()
    idea = f.idea(owner)
    with pytest.raises(Forbidden) as error:
        supports.support_idea(owner, idea.id)
    assert error.value.code == "own_idea"


def test_co_creator_cannot_support_the_idea(db):
    partner = f.user()
    idea = f.idea(co_creators=(partner,))
    with pytest.raises(Forbidden) as error:
        supports.support_idea(partner, idea.id)
    assert error.value.code == "own_idea"


def test_unconfirmed_member_cannot_support(db):
    idea, member = f.idea(), f.user(confirmed=False)
    with pytest.raises(Forbidden) as error:
        supports.support_idea(member, idea.id)
    assert error.value.code == "email_not_confirmed"


def test_visitor_cannot_support(db):
    idea = f.idea()
    with pytest.raises(Unauthorized):
        supports.support_idea(None, idea.id)


def test_member_cannot_support_twice(db):
    idea, member = f.idea(), f.user()
    supports.support_idea(member, idea.id)
    db.session.commit()
    with pytest.raises(Conflict) as error:
        supports.support_idea(member, idea.id)
    assert error.value.code == "already_supporting"
    db.session.rollback()
    db.session.refresh(idea)
    assert _exact(idea) == 1 == _rows(db, idea)


def test_supporting_expired_idea_is_refused_before_expire_runs(db):
    idea = f.idea(deadline=utcnow() - timedelta(minutes=1))
    assert idea.status == "published"  # `flask ideas expire` has not run
    with pytest.raises(Conflict) as error:
        supports.support_idea(f.user(), idea.id)
    assert error.value.code == "not_gathering"


@pytest.mark.parametrize("status", ["qualified", "expired", "withdrawn", "approved"])
def test_idea_not_gathering_support_cannot_be_supported(db, status):
    idea = f.idea(status=status)
    with pytest.raises(Conflict) as error:
        supports.support_idea(f.user(), idea.id)
    assert error.value.code == "not_gathering"


@pytest.mark.parametrize("status", ["draft", "pending_moderation"])
def test_unpublished_idea_is_not_found_for_supporters(db, status):
    idea = f.idea(status=status)
    with pytest.raises(NotFound):
        supports.support_idea(f.user(), idea.id)


def test_hidden_idea_is_not_found_for_supporters(db):
    idea = f.idea(hidden=True)
    with pytest.raises(NotFound):
        supports.support_idea(f.user(), idea.id)


@pytest.mark.parametrize("answers, field", [
    ({"would_buy": "perhaps"}, "would_buy"),
    ({"would_buy": 1}, "would_buy"),
    ({"price": {"amount": -1, "currency": "JPY"}}, "price"),
    ({"price": {"amount": 10**9 + 1, "currency": "JPY"}}, "price"),
    ({"price": {"amount": 12.5, "currency": "USD"}}, "price"),
    ({"price": {"amount": "1250", "currency": "USD"}}, "price"),
    ({"price": {"amount": True, "currency": "USD"}}, "price"),
    ({"price": {"amount": 100, "currency": "XYZ"}}, "price"),
    ({"price": {"amount": 100, "currency": "usd"}}, "price"),
    ({"price": {"amount": 100}}, "price"),
    ({"price": 100}, "price"),
    ({"reason": "x" * 501}, "reason"),
    ({"reason": ["why"]}, "reason"),
])
def test_bad_answers_are_refused_with_the_field(db, answers, field):
    idea = f.idea()
    with pytest.raises(Invalid) as error:
        supports.support_idea(f.user(), idea.id, answers)
    assert field in error.value.fields
    db.session.refresh(idea)
    assert idea.support_count == 0


def test_answers_from_a_form_are_validated_too(db):
    with pytest.raises(Invalid) as error:
        supports.support_idea(f.user(), f.idea().id,
                              SupportAnswers(price_minor=100, price_currency="???"))
    assert "price" in error.value.fields


def test_supporter_follows_the_idea(db):
    idea, member = f.idea(), f.user()
    supports.support_idea(member, idea.id)
    db.session.commit()
    assert db.session.scalar(select(IdeaFollow).where(IdeaFollow.idea_id == idea.id,
                                                      IdeaFollow.user_id == member.id))


def test_creators_are_told_once_while_unread(db):
    owner = f.user()
    idea = f.idea(owner)
    for _ in range(3):
        supports.support_idea(f.user(), idea.id)
        db.session.commit()
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == owner.id, Notification.category == "supports")).all()
    assert len(notes) == 1
    assert "now 3" in notes[0].message


def test_supporter_withdraws_while_gathering(db):
    idea, member = f.idea(), f.user()
    supports.support_idea(member, idea.id)
    db.session.commit()
    supports.withdraw_support(member, idea.id)
    db.session.commit()
    db.session.refresh(idea)
    assert _exact(idea) == 0 == _rows(db, idea)


def test_withdrawing_without_support_is_a_conflict(db):
    with pytest.raises(Conflict) as error:
        supports.withdraw_support(f.user(), f.idea().id)
    assert error.value.code == "not_supporting"


def test_support_cannot_be_withdrawn_after_qualification(db):
    member = f.user()
    idea = f.idea(status="qualified")
    f.support(idea, member)
    with pytest.raises(Conflict) as error:
        supports.withdraw_support(member, idea.id)
    assert error.value.code == "not_gathering"


def test_support_cannot_be_withdrawn_after_the_deadline(db):
    member = f.user()
    idea = f.idea()
    supports.support_idea(member, idea.id)
    idea.deadline = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(Conflict) as error:
        supports.withdraw_support(member, idea.id)
    assert error.value.code == "not_gathering"


def test_support_raises_the_trending_score(db):
    idea = f.idea()
    supports.support_idea(f.user(), idea.id)
    db.session.commit()
    counters.roll_up()
    db.session.commit()
    db.session.refresh(idea)
    assert idea.trending_score > 0


def test_answers_summary_aggregates_for_reviewers(db):
    idea = f.idea()
    for would_buy, amount in (("yes", 1000), ("yes", 3000), ("maybe", 2000)):
        supports.support_idea(f.user(), idea.id, {"would_buy": would_buy, "reason": "why",
                                                  "price": {"amount": amount, "currency": "JPY"}})
    db.session.commit()
    summary = supports.answers_summary(idea.id)
    assert summary["would_buy"] == {"yes": 2, "maybe": 1, "no": 0}
    assert summary["prices"]["JPY"] == {"count": 3, "min": 1000, "max": 3000, "median": 2000}
    assert summary["reasons"] == ["why"] * 3


def test_staff_who_can_see_a_hidden_idea_cannot_support_it(app):
    hidden = f.idea(hidden=True)
    moderator = f.user("moderator")
    with pytest.raises(Conflict) as refused:
        supports.support_idea(moderator, hidden.id)
    assert refused.value.code == "not_gathering"
