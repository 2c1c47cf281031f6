"""The forum: threads and replies per category (Markdown stored rendered, keyset pages), the
same reports and moderation as comments (threshold, weights, restore / remove, audited)."""
from __future__ import annotations

from sqlalchemy import func, select

from app.models import AuditLog, Notification
from app.models.forum import ForumReply, ForumThread
from app.services import forum as service
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _thread(client, user, category="home", title="Rain covers", body="Any **tips**?"):
    response = client.post("/api/v1/forum/threads", headers=bearer(user),
                           json={"category": category, "title": title, "body": body})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_members_start_threads_and_reply_and_the_author_is_told(client, db):
    author, other = f.established(), f.established()
    thread = _thread(client, author)
    assert thread["category"] == "home" and "<strong>tips</strong>" in thread["body_html"]
    response = client.post(f"/api/v1/forum/threads/{thread['id']}/replies",
                           headers=bearer(other), json={"body": "Use *wax*."})
    assert response.status_code == 201 and "<em>wax</em>" in response.get_json()["body_html"]
    assert client.get(f"/api/v1/forum/threads/{thread['id']}").get_json()["reply_count"] == 1
    replies = client.get(f"/api/v1/forum/threads/{thread['id']}/replies").get_json()
    assert [r["body"] for r in replies["items"]] == ["Use *wax*."]
    listed = client.get("/api/v1/forum/threads?category=home").get_json()
    assert [t["id"] for t in listed["items"]] == [thread["id"]]
    assert client.get("/api/v1/forum/threads?category=kids").get_json()["items"] == []
    note = db.session.scalar(select(Notification).where(Notification.kind == "forum_reply"))
    assert note.user_id == author.id


def test_posting_needs_a_confirmed_member_and_text(client):
    unconfirmed = f.user(confirmed=False)
    response = client.post("/api/v1/forum/threads", headers=bearer(unconfirmed),
                           json={"category": "home", "title": "T", "body": "B"})
    assert response.status_code == 403
    assert client.post("/api/v1/forum/threads", json={"category": "home", "title": "T",
                                                      "body": "B"}).status_code == 401
    blank = client.post("/api/v1/forum/threads", headers=bearer(f.user()),
                        json={"category": "home", "title": " ", "body": " "})
    assert blank.status_code == 422 and {"title", "body"} <= set(blank.get_json()["error"]["fields"])
    missing = client.post("/api/v1/forum/threads", headers=bearer(f.user()),
                          json={"category": "nowhere", "title": "T", "body": "B"})
    assert missing.status_code == 404


def test_threads_come_in_keyset_pages_latest_activity_first(client, app, db):
    author = f.user()
    ids = [_thread(client, author, title=f"Thread {n}")["id"] for n in range(service.PER_PAGE + 3)]
    first = client.get("/api/v1/forum/threads?category=home").get_json()
    assert len(first["items"]) == service.PER_PAGE and "next" in first
    assert first["items"][0]["id"] == ids[-1]
    second = client.get(f"/api/v1/forum/threads?category=home&after={first['next']}").get_json()
    assert [t["id"] for t in second["items"]] == list(reversed(ids[:3])) and "next" not in second
    bad = client.get("/api/v1/forum/threads?category=home&after=nonsense")
    assert bad.status_code == 400
    # a reply moves its thread to the top
    client.post(f"/api/v1/forum/threads/{ids[0]}/replies", headers=bearer(f.user()),
                json={"body": "Bump"})
    assert client.get("/api/v1/forum/threads?category=home").get_json()["items"][0]["id"] == ids[0]


def test_reports_hide_a_post_at_the_comments_threshold_until_a_moderator_decides(client, app, db):
    author = f.established()
    thread = _thread(client, author)
    reply = client.post(f"/api/v1/forum/threads/{thread['id']}/replies", headers=bearer(author),
                        json={"body": "Spam spam"}).get_json()
    threshold = app.config["COMMENT_REPORT_THRESHOLD"]
    reporters = [f.established() for _ in range(threshold)]
    own = client.post(f"/api/v1/forum/replies/{reply['id']}/reports", headers=bearer(author),
                      json={"reason": "mine"})
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "own_post"
    for n, reporter in enumerate(reporters, start=1):
        response = client.post(f"/api/v1/forum/replies/{reply['id']}/reports",
                               headers=bearer(reporter), json={"reason": "spam"})
        assert response.status_code == 201
        assert db.session.get(ForumReply, reply["id"]).hidden is (n >= threshold)
    twice = client.post(f"/api/v1/forum/replies/{reply['id']}/reports",
                        headers=bearer(reporters[0]), json={})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "already_reported"
    anonymous = client.get(f"/api/v1/forum/threads/{thread['id']}/replies").get_json()
    assert anonymous["items"] == []
    moderator = f.user("moderator")
    assert client.post(f"/api/v1/forum/replies/{reply['id']}/restore",
                       headers=bearer(f.user())).status_code == 403
    restored = client.post(f"/api/v1/forum/replies/{reply['id']}/restore",
                           headers=bearer(moderator))
    assert restored.status_code == 200 and restored.get_json()["hidden"] is False
    assert len(client.get(f"/api/v1/forum/threads/{thread['id']}/replies").get_json()["items"]) == 1
    removed = client.post(f"/api/v1/forum/replies/{reply['id']}/remove", headers=bearer(moderator))
    assert removed.get_json()["removed"] is True
    assert client.get(f"/api/v1/forum/threads/{thread['id']}/replies").get_json()["items"] == []
    assert client.get(f"/api/v1/forum/threads/{thread['id']}").get_json()["reply_count"] == 0
    actions = set(db.session.scalars(select(AuditLog.action).where(
        AuditLog.action.like("forum_reply.%"))))
    assert actions == {"forum_reply.restore", "forum_reply.remove"}
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "forum_post_removed", Notification.user_id == author.id)) == 1


def test_new_accounts_reports_weigh_less(client, app, db):
    thread = _thread(client, f.established())
    for _ in range(app.config["COMMENT_REPORT_THRESHOLD"]):
        client.post(f"/api/v1/forum/threads/{thread['id']}/reports", headers=bearer(f.user()),
                    json={})
    assert db.session.get(ForumThread, thread["id"]).hidden is False


def test_a_hidden_thread_is_404_to_others_and_takes_no_replies(client, app, db):
    author = f.established()
    thread = _thread(client, author)
    db.session.get(ForumThread, thread["id"]).hidden = True
    db.session.commit()
    assert client.get(f"/api/v1/forum/threads/{thread['id']}").status_code == 404
    assert client.get(f"/api/v1/forum/threads/{thread['id']}",
                      headers=bearer(author)).status_code == 200
    response = client.post(f"/api/v1/forum/threads/{thread['id']}/replies",
                           headers=bearer(author), json={"body": "Hello?"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "thread_hidden"


def test_the_forum_pages_in_english_and_japanese(client, db):
    member = f.user()
    login(client, member)
    assert "Forum" in client.get("/forum").get_data(as_text=True)
    page = client.get("/forum/home")
    assert page.status_code == 200
    response = client.post("/forum/home", data={"csrf_token": csrf_token(client, "/forum/home"),
                                                "title": "Lunch boxes", "body": "Which *size*?"})
    assert response.status_code == 302
    thread = db.session.scalar(select(ForumThread).where(ForumThread.title == "Lunch boxes"))
    response = client.post(f"/forum/threads/{thread.id}", data={
        "csrf_token": csrf_token(client, f"/forum/threads/{thread.id}"), "body": "Big ones"})
    assert response.status_code == 302
    text = client.get(f"/forum/threads/{thread.id}").get_data(as_text=True)
    assert "<em>size</em>" in text and "Big ones" in text
    ja = client.get(f"/forum/threads/{thread.id}", headers={"Accept-Language": "ja"})
    assert "件の返信" in ja.get_data(as_text=True)


def test_the_category_page_costs_the_same_queries_for_3_or_20_threads(client, count_queries):
    author = f.user()

    def queries() -> int:
        client.get("/forum/home")
        with count_queries() as counted:
            assert client.get("/forum/home").status_code == 200
        return counted.count

    for n in range(3):
        _thread(client, f.user(), title=f"T{n}")
    few = queries()
    for n in range(17):
        _thread(client, f.user() if n % 2 else author, title=f"U{n}")
    assert queries() == few


# --- the moderation queue -------------------------------------------------------------------------

def _reported_reply(client, app, body="BUY CHEAP WATCHES", reason="spam"):
    """A reply reported by enough established members to be hidden, in its own thread."""
    thread = _thread(client, f.established(), title="Rain covers")
    reply = client.post(f"/api/v1/forum/threads/{thread['id']}/replies",
                        headers=bearer(f.established()), json={"body": body}).get_json()
    for _ in range(app.config["COMMENT_REPORT_THRESHOLD"]):
        client.post(f"/api/v1/forum/replies/{reply['id']}/reports",
                    headers=bearer(f.established()), json={"reason": reason})
    return thread, reply


def test_reported_forum_posts_are_in_the_moderation_queue_beside_comments(client, app, db):
    thread, reply = _reported_reply(client, app)
    assert db.session.get(ForumReply, reply["id"]).hidden is True
    flagged = _thread(client, f.established(), title="Odd thread", body="ODD-THREAD-BODY")
    client.post(f"/api/v1/forum/threads/{flagged['id']}/reports", headers=bearer(f.user()),
                json={"reason": "off-topic"})  # one report: listed, not hidden
    login(client, f.user())
    assert client.get("/moderation/reports").status_code == 403
    login(client, f.user("moderator"))
    page = client.get("/moderation/reports").get_data(as_text=True)
    assert page.count('data-testid="reported-forum-post"') == 2
    assert "BUY CHEAP WATCHES" in page and "ODD-THREAD-BODY" in page
    assert "spam" in page and "off-topic" in page and "Rain covers" in page
    assert page.index("BUY CHEAP WATCHES") < page.index("ODD-THREAD-BODY")  # hidden first
    assert f"/moderation/forum/reply/{reply['id']}/restore" in page
    ja = client.get("/moderation/reports?lang=ja").get_data(as_text=True)
    assert "フォーラム" in ja


def test_moderators_restore_and_remove_forum_posts_from_the_queue(client, app, db):
    thread, reply = _reported_reply(client, app)
    flagged = _thread(client, f.established(), title="Odd thread")
    client.post(f"/api/v1/forum/threads/{flagged['id']}/reports", headers=bearer(f.user()),
                json={"reason": "off-topic"})
    login(client, f.user("moderator"))
    token = csrf_token(client, "/moderation/reports")
    response = client.post(f"/moderation/forum/reply/{reply['id']}/restore",
                           data={"csrf_token": token, "reason": "It is a real shop tip"},
                           follow_redirects=True)
    assert "The post is visible again; its reports are closed." in response.get_data(as_text=True)
    row = db.session.get(ForumReply, reply["id"])
    assert row.hidden is False and row.report_count == 0
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "forum_reply.restore"))
    assert entry.reason == "It is a real shop tip"
    client.post(f"/moderation/forum/thread/{flagged['id']}/remove",
                data={"csrf_token": token, "reason": ""})
    assert db.session.get(ForumThread, flagged["id"]).deleted_at is not None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "forum_thread.remove"))
    assert 'data-testid="no-forum-reports"' in client.get("/moderation/reports").get_data(
        as_text=True)
    assert client.post(f"/moderation/forum/poll/{reply['id']}/remove",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/moderation/forum/reply/{reply['id']}/remove",
                       data={"reason": "no token"}).status_code == 400
    assert db.session.get(ForumReply, reply["id"]).deleted_at is None


def test_the_queue_costs_the_same_queries_for_one_or_many_forum_posts(client, app, db,
                                                                      count_queries):
    _reported_reply(client, app)
    moderator = f.user("moderator")
    login(client, moderator)

    def queries() -> int:
        client.get("/moderation/reports")
        with count_queries() as counted:
            assert client.get("/moderation/reports").status_code == 200
        return counted.count

    few = queries()
    for n in range(4):
        _reported_reply(client, app, body=f"Spam {n}")
        flagged = _thread(client, f.established(), title=f"Flagged {n}")
        client.post(f"/api/v1/forum/threads/{flagged['id']}/reports", headers=bearer(f.user()),
                    json={"reason": "odd"})
    login(client, moderator)
    assert queries() == few
