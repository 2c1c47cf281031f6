"""The idea page, the reviewer's scoring page and queue: a fixed number of queries (at most 12)
whatever the number of supporters, comments, replies, images, revisions and polls."""
from __future__ import annotations

import pytest
from sqlalchemy import insert

from app.models import Comment, IdeaImage, Support, User
from app.models.base import utcnow
from tests import factories as f
from tests.helpers import login

#: 10 before issue 14; its revisions (the core's history) and polls with their options add one
#: query each (the kept resonance comes with the idea).
MOST = 13  # and one reads the versions of the terms and privacy policy in force (footer)
#: Issue 17: a signed-in member's page also asks what they reported already (the idea and its
#: shown comments, in one query).
MOST_SIGNED_IN = MOST + 1


def _grow(db, idea, *, supporters: int, comments: int, replies: int, images: int) -> None:
    now = utcnow()
    people = [f.user() for _ in range(max(supporters, 2))]
    db.session.execute(insert(Support), [
        {"idea_id": idea.id, "user_id": person.id, "created_at": now, "would_buy": "yes",
         "price_minor": 1000 + i, "price_currency": "JPY", "reason": f"Reason {i}"}
        for i, person in enumerate(people[:supporters])])
    idea.support_count = supporters
    for n in range(comments):
        top = Comment(idea_id=idea.id, author_id=people[n % len(people)].id, body=f"Comment {n}")
        db.session.add(top)
        db.session.flush()
        db.session.add_all([Comment(idea_id=idea.id, author_id=people[(n + r) % len(people)].id,
                                    parent_id=top.id, body=f"Reply {r}")
                            for r in range(replies)])
    db.session.add_all([IdeaImage(idea_id=idea.id, position=i, key=f"k{idea.id}-{i}",
                                  width=640, height=480) for i in range(images)])
    db.session.commit()


def _refine_and_poll(db, idea) -> None:
    from app.services import polls, revisions

    owner = db.session.get(type(idea.owner), idea.owner_id)
    for n in range(3):
        revisions.refine_idea(owner, idea.id, {"core": f"{f.GUIDED_INSIGHT['insight_core']} ({n})",
                                                 "note": f"Listening {n}"})
        polls.pin_poll(owner, idea.id, f"Which colour {n}?", ["Red", "Blue", "Green"])
    db.session.commit()


@pytest.mark.parametrize("signed_in", [False, True])
def test_the_idea_page_costs_the_same_whatever_it_holds(db, client, count_queries, signed_in):
    small, big = f.idea(), f.idea()
    _grow(db, small, supporters=1, comments=1, replies=0, images=1)
    _grow(db, big, supporters=60, comments=25, replies=4, images=6)
    _refine_and_poll(db, big)
    if signed_in:
        login(client, f.user())
    counts = []
    for url in (f"/ideas/{small.id}", f"/ideas/{big.id}"):
        client.get(url)  # warm: the first request of a client loads the agreement etc.
        db.session.expunge_all()  # as in production: nothing known before the request
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts.append(queries)
    assert b"Reply 3" in response.data
    assert counts[0].count == counts[1].count, counts[1]
    assert counts[1].count <= (MOST_SIGNED_IN if signed_in else MOST), counts[1]


def _spread_over_days(db, idea, days: int) -> None:
    """The idea's supports given over `days` days, as the kept days say."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.services import support_days

    ids = list(db.session.scalars(select(Support.id).where(Support.idea_id == idea.id)))
    for n, support_id in enumerate(ids):
        support = db.session.get(Support, support_id)
        support.created_at = utcnow() - timedelta(days=n % days)
    db.session.flush()
    support_days.rebuild([idea.id])
    db.session.commit()


#: Its creators' page also reads the idea's history, the creator agreement in force (three
#: reads, for the consent status), whether it is in a review batch, the comments they thanked
#: and their unread notifications; as every signed-in member, what they reported.
CREATOR_MOST = 19


def test_the_idea_page_costs_its_creator_the_same_whatever_it_holds(db, client, count_queries):
    """Its creators also see the refine and evidence links and the poll form."""
    small, big = f.idea(), f.idea()
    _grow(db, small, supporters=1, comments=1, replies=0, images=1)
    _grow(db, big, supporters=60, comments=25, replies=4, images=6)
    _refine_and_poll(db, big)
    counts = []
    for owner_id, url in [(idea.owner_id, f"/ideas/{idea.id}") for idea in (small, big)]:
        login(client, db.session.get(User, owner_id))
        client.get(url)
        db.session.expunge_all()
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200 and b'data-testid="evidence-link"' in response.data
        counts.append(queries)
    assert counts[0].count == counts[1].count, counts[1]
    assert counts[1].count <= CREATOR_MOST, counts[1]


def test_the_evidence_dashboard_costs_the_same_whatever_it_holds(db, client, count_queries):
    small, big = f.idea(), f.idea()
    _grow(db, small, supporters=1, comments=0, replies=0, images=0)
    _grow(db, big, supporters=60, comments=0, replies=0, images=0)
    _spread_over_days(db, small, 1)
    _spread_over_days(db, big, 30)
    counts = []
    for owner_id, url in [(idea.owner_id, f"/ideas/{idea.id}/evidence") for idea in (small, big)]:
        login(client, db.session.get(User, owner_id))
        client.get(url)  # the answers' aggregate is kept once per change
        db.session.expunge_all()
        with count_queries() as queries:
            response = client.get(url)
        assert response.status_code == 200 and b'data-testid="supporters-chart"' in response.data
        assert not [s for s in queries.statements if "FROM supports" in s], queries
        counts.append(queries)
    assert counts[0].count == counts[1].count, counts[1]
    assert counts[1].count <= 10, counts[1]
