"""The signed-in member's home page: their ideas' progress, ideas they support near a deadline,
For you, and what happened since their last visit (and how a visit is told from the next)."""
from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import Comment, User
from app.models.base import utcnow
from app.models.users import UserSession
from app.services import events, visits
from tests import factories as f
from tests.helpers import csrf_token, login


def home(client, query: str = ""):
    response = client.get("/" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def section(html, testid):
    start = html.index(f'data-testid="{testid}"')
    end = html.find("</section>", start)
    return html[start:end]


def returning(member: User, days: int = 3) -> User:
    """A member whose previous visit ended `days` ago."""
    member.previous_seen_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return member


def test_visitor_sees_the_hero_and_no_member_panels(client):
    html = home(client)
    assert "Your idea, our next product." in html
    assert 'data-testid="member-home"' not in html and 'data-testid="my-ideas"' not in html


def test_member_sees_their_home_not_the_marketing_hero(client):
    member = f.user(name="Aiko")
    login(client, member)
    html = home(client)
    assert "Welcome back, Aiko" in html
    assert "Your idea, our next product." not in html and 'data-testid="stats"' not in html
    assert 'data-testid="for-you"' in html
    assert "You have not posted an idea yet." in section(html, "my-ideas")


def test_my_ideas_show_status_and_supporters_to_the_next_milestone(client, app):
    member = f.user()
    first = app.config["SUPPORT_MILESTONES"][0]
    f.idea(member, title="Folding lantern", supports=2)
    f.idea(member, title="Still a draft", status="draft")
    f.idea(title="Someone else's")
    login(client, member)
    mine = section(home(client), "my-ideas")
    assert "Folding lantern" in mine and "Still a draft" in mine
    assert "Someone else" not in mine
    assert f"{first - 2:,} more supporters to the next milestone ({first:,})." in mine
    assert "Draft" in mine and "Gathering support" in mine


def test_ideas_i_support_near_their_deadline_closest_first(client):
    member = f.user()
    now = utcnow()
    later = f.idea(title="Closes in five days", deadline=now + timedelta(days=5))
    sooner = f.idea(title="Closes tomorrow", deadline=now + timedelta(days=1))
    far = f.idea(title="Closes next month", deadline=now + timedelta(days=30))
    f.idea(title="Not supported", deadline=now + timedelta(days=1))
    for idea in (later, sooner, far):
        f.support(idea, member)
    login(client, member)
    closing = section(home(client), "closing-soon")
    assert closing.index("Closes tomorrow") < closing.index("Closes in five days")
    assert "Closes next month" not in closing and "Not supported" not in closing


def test_no_closing_soon_panel_without_such_ideas(client):
    login(client, f.user())
    assert 'data-testid="closing-soon"' not in home(client)


def test_first_visit_has_no_since_panel(client):
    login(client, f.user())
    assert 'data-testid="since-last-visit"' not in home(client)


def test_since_last_visit_shows_milestones_statuses_updates_and_new_ideas(client):
    member, creator = f.user(), f.user(name="Kenji")
    supported = f.idea(creator, title="Rain shelf")
    f.support(supported, member)
    decided = f.idea(creator, title="Quiet kettle", status="approved")
    f.support(decided, member)
    returning(member)
    events.record(None, "milestone_reached", supported, reason="100 supporters")
    events.record(None, "review_decision", decided, from_status="in_review", to_status="approved")
    db.session.add(Comment(idea_id=supported.id, author_id=creator.id, body="New colours!",
                           is_update=True))
    f.idea(title="Fresh in home", category_slug="home")
    f.idea(title="Fresh outdoors", category_slug="outdoor")
    db.session.commit()
    login(client, member)
    panel = section(home(client), "since-last-visit")
    assert "Rain shelf" in panel and "reached 100 supporters" in panel
    assert "Quiet kettle" in section(panel, "since-results") and "Approved" in panel
    assert "update from Kenji" in section(panel, "since-updates")
    new = panel[panel.index('data-testid="since-new-ideas"'):]
    assert "Fresh in home" in new and "Fresh outdoors" not in new


def test_since_last_visit_leaves_out_older_news_hidden_ideas_and_my_own_doings(client):
    member = f.user()
    old_news = f.idea(title="Old news")
    f.support(old_news, member)
    events.record(None, "milestone_reached", old_news, reason="100 supporters").created_at = \
        utcnow() - timedelta(days=2)
    db.session.commit()
    returning(member, days=1)
    hidden = f.idea(title="Hidden one")
    f.support(hidden, member)
    events.record(None, "milestone_reached", hidden, reason="100 supporters")
    f.hidden(hidden)
    mine = f.idea(member, title="My withdrawn", status="withdrawn")
    events.record(member, "withdrawn", mine, from_status="published", to_status="withdrawn")
    f.idea(title="Hidden new", hidden=True)
    db.session.commit()
    login(client, member)
    panel = section(home(client), "since-last-visit")
    for title in ("Old news", "Hidden one", "My withdrawn", "Hidden new"):
        assert title not in panel
    assert "Nothing new since your last visit." in panel


def test_since_last_visit_in_japanese(client):
    member = f.user(locale="ja")
    supported = f.idea(title="Rain shelf")
    f.support(supported, member)
    returning(member)
    events.record(None, "milestone_reached", supported, reason="100 supporters")
    db.session.commit()
    login(client, member)
    html = home(client, "?lang=ja")
    panel = section(html, "since-last-visit")
    assert "前回の訪問以降" in panel and "100人のサポーターに到達" in panel
    assert "おかえりなさい" in html


# --- visits: the previous one is kept before last_seen_at moves on ----------------------------

def test_signing_in_keeps_the_end_of_the_previous_visit(client):
    member = f.user(email="back@example.com")
    before = utcnow() - timedelta(days=40)
    member.last_seen_at = before
    db.session.commit()
    client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                "email": "back@example.com", "password": f.PASSWORD})
    db.session.expire_all()
    member = db.session.get(User, member.id)
    assert member.previous_seen_at == before
    assert member.last_seen_at > before + timedelta(days=39)


def test_a_request_after_a_pause_starts_a_new_visit_and_a_short_one_does_not(client):
    member = f.user()
    login(client, member)
    long_ago = utcnow() - timedelta(days=10)
    member.last_seen_at = long_ago
    db.session.query(UserSession).update({"last_seen_at": long_ago})
    db.session.commit()
    home(client)
    db.session.expire_all()
    member = db.session.get(User, member.id)
    assert member.previous_seen_at == long_ago
    started = member.last_seen_at
    # Ten minutes later, the same visit: the previous one stays.
    member.last_seen_at = started - timedelta(minutes=10)
    db.session.query(UserSession).update({"last_seen_at": started - timedelta(minutes=10)})
    db.session.commit()
    home(client)
    db.session.expire_all()
    assert db.session.get(User, member.id).previous_seen_at == long_ago


def test_seen_keeps_previous_only_across_a_pause(app):
    member = f.user()
    now = utcnow()
    visits.seen(member, now)
    assert member.previous_seen_at is None and member.last_seen_at == now
    visits.seen(member, now + timedelta(minutes=5))
    assert member.previous_seen_at is None
    visits.seen(member, now + timedelta(hours=5))
    assert member.previous_seen_at == now + timedelta(minutes=5)
