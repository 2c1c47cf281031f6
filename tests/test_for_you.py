""""For you" is precomputed per member: the home page reads the kept shelf in a fixed number
of queries and never aggregates supports; the scheduled job refreshes recent supporters."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.models import Recommendation
from app.services import for_you
from tests import factories as f
from tests.helpers import login


def _community(peers: int, picks: int):
    me, creator = f.user(name="Me"), f.user()
    liked = f.idea(creator, title="Lantern hook")
    f.support(liked, me)
    people = [f.user() for _ in range(peers)]
    for person in people:
        f.support(liked, person)
    for n in range(picks):
        pick = f.idea(creator, title=f"Peer pick {n}")
        for person in people:
            f.support(pick, person)
    return me, liked


def _aggregates_supports(statements: list[str]) -> list[str]:
    return [s for s in statements if re.search(r"FROM supports", s) and "GROUP BY" in s]


def test_the_home_page_reads_the_kept_shelf_whatever_the_supports(db, client, count_queries):
    me, liked = _community(peers=3, picks=3)
    me_id, liked_id = me.id, liked.id
    login(client, me)
    assert b"Because you supported" in client.get("/").data  # first visit: shelf computed
    assert db.session.scalar(select(func.count()).select_from(Recommendation)
                             .where(Recommendation.user_id == me_id)) == 3
    db.session.expunge_all()  # as in production: nothing known before the request
    with count_queries() as few:
        client.get("/")
    people = [f.user() for _ in range(12)]  # more like-minded members, more ideas, more supports
    from app.models import Idea
    liked = db.session.get(Idea, liked_id)
    for person in people:
        f.support(liked, person)
    for n in range(10):
        pick = f.idea(title=f"More {n}")
        for person in people:
            f.support(pick, person)
    for_you.refresh_member(me_id)
    db.session.commit()
    client.get("/")  # the cached shelves (not For you) fill again after the new ideas
    db.session.expunge_all()
    with count_queries() as many:
        client.get("/")
    assert few.count == many.count, many
    assert not _aggregates_supports(many.statements), many


def test_the_scheduled_job_refreshes_the_members_who_supported_since(app, db):
    me, liked = _community(peers=2, picks=1)
    other, _ = _community(peers=1, picks=1)
    assert for_you.refresh_recent_supporters() == 0  # first run: starts from now
    new = f.idea(title="Brand new")
    f.support(new, me)
    assert for_you.refresh_recent_supporters() == 1  # only me supported since
    titles = {row.reason_subject for row in db.session.scalars(
        select(Recommendation).where(Recommendation.user_id == me.id))}
    assert "Lantern hook" in titles
    assert not db.session.scalars(select(Recommendation)
                                  .where(Recommendation.user_id == other.id)).all()
    assert for_you.refresh_recent_supporters() == 0  # nothing new


def test_a_shelf_never_shows_an_idea_supported_or_hidden_since(app, db):
    me, liked = _community(peers=2, picks=2)
    for_you.refresh_member(me.id)
    db.session.commit()
    with app.test_request_context("/"):
        before = [idea.title for idea, _ in for_you.shelf(me)]
    assert "Peer pick 0" in before
    from app.models import Idea
    f.support(db.session.scalar(select(Idea).where(Idea.title == "Peer pick 0")), me)
    f.hidden(liked)  # the reason "Because you supported Lantern hook" names it
    with app.test_request_context("/"):
        after = [(idea.title, str(reason)) for idea, reason in for_you.shelf(me)]
    assert "Peer pick 0" not in [title for title, _ in after]
    assert all("Lantern hook" not in reason for _, reason in after)
