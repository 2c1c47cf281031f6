"""The member's home page costs the same number of queries for a little or a lot of news: their
ideas, the ideas they support near a deadline and the nudges to share them, For you and the
"since your last visit" panel."""
from __future__ import annotations

from datetime import timedelta

from app import notification_kinds as kinds
from app.extensions import db
from app.models import Comment
from app.models.base import utcnow
from app.services import events
from tests import factories
from tests.helpers import login
from tests.test_query_counts_lists import queries_for, quick_user


def add_news(member, n):
    """n of everything: own ideas, supported ideas closing soon that reached a milestone, moved
    and got an update, results, and new ideas in the member's category."""
    now = utcnow()
    for i in range(n):
        creator = quick_user()
        factories.idea(member, title=f"Mine {i}")
        closing = factories.idea(creator, title=f"Closing {i}", deadline=now + timedelta(days=2))
        factories.support(closing, member)
        events.record(None, "milestone_reached", closing, reason="100 supporters")
        events.notify([member], "support_nudge", {"title": closing.title, "count": 5,
                                                  "date": kinds.local_day(closing.deadline)},
                      idea=closing)
        db.session.add(Comment(idea_id=closing.id, author_id=creator.id, body=f"Update {i}",
                               is_update=True))
        result = factories.idea(creator, title=f"Result {i}", status="approved")
        factories.support(result, member)
        events.record(None, "review_decision", result, from_status="in_review",
                      to_status="approved")
        factories.idea(creator, title=f"New {i}")
        db.session.commit()


def test_member_home_costs_the_same_for_3_or_30_of_everything(client, count_queries):
    member = quick_user()
    member.previous_seen_at = utcnow() - timedelta(days=1)
    db.session.commit()
    login(client, member)
    add_news(member, 3)
    few = queries_for(count_queries, client, "/")
    add_news(member, 27)
    many = queries_for(count_queries, client, "/")
    assert few == many, f"{few} queries for 3 of everything, {many} for 30"
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="since-last-visit"' in html and 'data-testid="closing-soon"' in html
    assert 'data-testid="home-nudges"' in html
