"""HTML: the support box, the discussion and the reported-comments page, as members see them."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import select

from app import permissions
from app.ideas.engagement import idea_page_parts
from app.models import AuditLog, Comment, Idea, IdeaFollow, Support
from app.models.base import utcnow
from app.services import comments, supports
from tests import factories as f
from tests.helpers import csrf_token, login


def render(app, template, user=None, **context):
    """A partial of the idea page, rendered as `user` sees it (with what the page's view passes)."""
    idea = context["idea"]
    with app.test_request_context(f"/ideas/{idea.id}"):
        if user is not None:
            login_user(user)
        is_creator = permissions.is_creator(user, idea)
        return render_template(template, is_creator=is_creator,
                               **idea_page_parts(idea, is_creator), **context)


def support_box(app, idea, user=None):
    return render(app, "ideas/_support.html", user, idea=idea)


def discussion(app, idea, user=None):
    return render(app, "ideas/_comments.html", user, idea=idea)


def signed_in(client, user):
    login(client, user)
    return csrf_token(client)


def flashes(client):
    return client.get("/").get_data(as_text=True)


# --- support box -----------------------------------------------------------------------------

def test_member_sees_count_progress_and_support_form(app, db):
    idea = f.idea(supports=3)
    html = support_box(app, idea, f.user())
    assert 'data-testid="support-total">3<' in html
    assert "<progress" in html and "days left" in html
    assert 'data-testid="support-form"' in html
    assert 'name="would_buy"' in html and 'name="price_currency"' in html


def test_visitor_is_asked_to_sign_in_to_support(app, db):
    html = support_box(app, f.idea())
    assert "Sign in to support" in html and 'data-testid="support-form"' not in html


def test_unconfirmed_member_is_asked_to_confirm_email(app, db):
    html = support_box(app, f.idea(), f.user(confirmed=False))
    assert "Confirm your email address" in html and 'data-testid="support-form"' not in html


def test_creator_sees_why_they_cannot_support(app, db):
    owner = f.user()
    html = support_box(app, f.idea(owner), owner)
    assert "This is your idea" in html and 'data-testid="support-form"' not in html


def test_idea_past_deadline_shows_expired_and_no_form_before_expire_runs(app, db):
    idea = f.idea(deadline=utcnow() - timedelta(minutes=1))
    html = support_box(app, idea, f.user())
    assert "did not reach its goal" in html and 'data-testid="support-form"' not in html


def test_owner_of_expired_idea_sees_resubmit_button(app, db):
    owner = f.user()
    idea = f.idea(owner, status="expired")
    assert "Submit again as a new idea" in support_box(app, idea, owner)
    assert "Submit again as a new idea" not in support_box(app, idea, f.user())


def test_supporter_sees_they_support_and_can_withdraw(app, db):
    member = f.user()
    idea = f.idea()
    f.support(idea, member)
    html = support_box(app, idea, member)
    assert 'data-testid="you-support"' in html and "Withdraw my support" in html


def test_member_supports_through_the_form(client, db):
    idea, member = f.idea(), f.user()
    token = signed_in(client, member)
    response = client.post(f"/ideas/{idea.id}/support", data={
        "csrf_token": token, "would_buy": "yes", "price_amount": "12.50",
        "price_currency": "USD", "reason": "For my commute"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/ideas/{idea.id}#support")
    row = db.session.scalar(select(Support).where(Support.idea_id == idea.id))
    assert (row.would_buy, row.price_minor, row.price_currency, row.reason) == \
        ("yes", 1250, "USD", "For my commute")
    assert "Thank you for supporting" in flashes(client)


def test_support_form_with_bad_price_supports_nothing(client, db):
    idea = f.idea()
    token = signed_in(client, f.user())
    client.post(f"/ideas/{idea.id}/support", data={
        "csrf_token": token, "price_amount": "12.345", "price_currency": "USD"})
    assert db.session.scalar(select(Support).where(Support.idea_id == idea.id)) is None
    assert "Enter an amount" in flashes(client)


def test_support_form_without_csrf_is_refused(client, db):
    idea = f.idea()
    login(client, f.user())
    assert client.post(f"/ideas/{idea.id}/support", data={}).status_code == 400
    assert db.session.scalar(select(Support)) is None


def test_visitor_posting_support_is_sent_to_sign_in(client, db):
    idea = f.idea()
    token = csrf_token(client)
    response = client.post(f"/ideas/{idea.id}/support", data={"csrf_token": token})
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert f"next=/ideas/{idea.id}" in response.headers["Location"].replace("%2F", "/")


def test_supporting_twice_through_the_form_says_so(client, db):
    idea, member = f.idea(), f.user()
    f.support(idea, member)
    token = signed_in(client, member)
    client.post(f"/ideas/{idea.id}/support", data={"csrf_token": token})
    assert "You already support this idea" in flashes(client)
    db.session.refresh(idea)
    assert idea.support_count == 1


def test_member_withdraws_through_the_form(client, db):
    idea, member = f.idea(), f.user()
    supports.support_idea(member, idea.id)
    db.session.commit()
    token = signed_in(client, member)
    client.post(f"/ideas/{idea.id}/support/withdraw", data={"csrf_token": token})
    db.session.refresh(idea)
    assert idea.support_count == 0


def test_member_follows_and_unfollows(client, db):
    idea, member = f.idea(), f.user()
    token = signed_in(client, member)
    client.post(f"/ideas/{idea.id}/follow", data={"csrf_token": token})
    assert db.session.scalar(select(IdeaFollow).where(IdeaFollow.user_id == member.id))
    client.post(f"/ideas/{idea.id}/unfollow", data={"csrf_token": token})
    assert db.session.scalar(select(IdeaFollow).where(IdeaFollow.user_id == member.id)) is None


def test_owner_resubmits_expired_idea_from_the_page(client, db):
    owner = f.user()
    idea = f.idea(owner, status="expired")
    token = signed_in(client, owner)
    response = client.post(f"/ideas/{idea.id}/resubmit", data={"csrf_token": token})
    new = db.session.scalar(select(Idea).where(Idea.resubmitted_from_id == idea.id))
    assert new.status == "draft"
    assert response.headers["Location"].endswith(f"/ideas/{new.id}")


# --- discussion ------------------------------------------------------------------------------

def test_member_comments_through_the_form(client, db):
    idea = f.idea()
    token = signed_in(client, f.user())
    response = client.post(f"/ideas/{idea.id}/comments",
                           data={"csrf_token": token, "body": "Would love this"})
    comment = db.session.scalar(select(Comment))
    assert comment.body == "Would love this"
    assert response.headers["Location"].endswith(f"#comment-{comment.id}")


def test_comment_form_without_csrf_is_refused(client, db):
    idea = f.idea()
    login(client, f.user())
    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "hi"})
    assert response.status_code == 400
    assert db.session.scalar(select(Comment)) is None


def test_empty_comment_is_refused_with_a_message(client, db):
    idea = f.idea()
    token = signed_in(client, f.user())
    client.post(f"/ideas/{idea.id}/comments", data={"csrf_token": token, "body": "  "})
    assert db.session.scalar(select(Comment)) is None


@pytest.mark.parametrize("body", [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
])
def test_xss_in_comments_is_escaped(app, db, body):
    idea = f.idea()
    comments.post_comment(f.user(), idea.id, body)
    db.session.commit()
    html = discussion(app, idea, f.user())
    article = html[html.index('data-testid="comment"'):]
    body_html = article[article.index('class="prose comment-body"'):article.index("</div>")]
    assert "<script" not in body_html and "<img" not in body_html  # shown as text
    assert 'href="javascript:' not in body_html


def test_discussion_shows_threads_official_label_and_update(app, db):
    owner = f.user()
    idea = f.idea(owner)
    top = comments.post_comment(f.user(name="Mika"), idea.id, "Question about size")
    comments.post_comment(f.user("moderator", name="Kyoso team"), idea.id, "We can help",
                          parent_id=top.id)
    comments.post_update(owner, idea.id, "Prototype 2 is ready")
    db.session.commit()
    html = discussion(app, idea)
    assert html.index("Question about size") < html.index("We can help")
    assert 'class="replies"' in html and ">Official<" in html
    assert "comment-update" in html and "Prototype 2 is ready" in html


def test_hidden_comment_shows_a_placeholder_without_its_text(app, db):
    idea = f.idea()
    comment = comments.post_comment(f.user(), idea.id, "RUDE-TEXT")
    for _ in range(3):
        comments.report_comment(f.established(), comment.id, "rude")
    db.session.commit()
    html = discussion(app, idea, f.user("moderator"))
    assert "RUDE-TEXT" not in html
    assert "This comment is hidden pending moderation." in html


def test_deleted_comment_shows_deleted_and_keeps_replies(app, db):
    idea, author = f.idea(), f.user()
    top = comments.post_comment(author, idea.id, "GONE-TEXT")
    comments.post_comment(f.user(), idea.id, "reply stays", parent_id=top.id)
    comments.delete_comment(author, top.id)
    db.session.commit()
    html = discussion(app, idea)
    assert "GONE-TEXT" not in html and "reply stays" in html
    assert html.count("The author deleted this comment.") == 1 and "[deleted]" not in html


def test_edited_comment_is_marked_and_history_shows_old_text(app, client, db):
    idea, author = f.idea(), f.user()
    comment = comments.post_comment(author, idea.id, "first words")
    comments.edit_comment(author, comment.id, "better words")
    db.session.commit()
    html = discussion(app, idea)
    assert ">edited<" in html and f"/comments/{comment.id}/history" in html
    history = client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert "first words" in history and "better words" in history


def test_author_edits_and_deletes_through_forms(client, db):
    idea, author = f.idea(), f.user()
    comment = comments.post_comment(author, idea.id, "typo")
    db.session.commit()
    token = signed_in(client, author)
    client.post(f"/comments/{comment.id}/edit", data={"csrf_token": token, "body": "fixed"})
    db.session.refresh(comment)
    assert comment.body == "fixed"
    client.post(f"/comments/{comment.id}/delete", data={"csrf_token": token})
    db.session.refresh(comment)
    assert comment.deleted_at is not None


def test_other_member_cannot_edit_through_the_form(client, db):
    comment = comments.post_comment(f.user(), f.idea().id, "mine")
    db.session.commit()
    token = signed_in(client, f.user())
    client.post(f"/comments/{comment.id}/edit", data={"csrf_token": token, "body": "hacked"})
    db.session.refresh(comment)
    assert comment.body == "mine"


def test_reply_through_the_form(client, db):
    idea = f.idea()
    top = comments.post_comment(f.user(), idea.id, "top")
    db.session.commit()
    token = signed_in(client, f.user())
    client.post(f"/ideas/{idea.id}/comments",
                data={"csrf_token": token, "body": "answer", "parent_id": str(top.id)})
    reply = db.session.scalar(select(Comment).where(Comment.body == "answer"))
    assert reply.parent_id == top.id


def test_three_reports_through_the_form_hide_the_comment(client, db):
    comment = comments.post_comment(f.user(), f.idea().id, "spam")
    db.session.commit()
    for _ in range(3):
        token = signed_in(client, f.established())
        client.post(f"/comments/{comment.id}/report", data={"csrf_token": token,
                                                            "reason": "spam"})
    db.session.refresh(comment)
    assert comment.hidden and comment.report_count == 3


# --- moderation of reported comments -----------------------------------------------------------

def _hidden(db):
    comment = comments.post_comment(f.user(), f.idea(title="Rain hood").id, "NEEDS-A-LOOK")
    for _ in range(3):
        comments.report_comment(f.established(), comment.id, "off-topic")
    db.session.commit()
    return comment


def test_moderator_sees_hidden_comments_with_reports(client, db):
    comment = _hidden(db)
    login(client, f.user("moderator"))
    html = client.get("/moderation/reports").get_data(as_text=True)
    assert "NEEDS-A-LOOK" in html and "off-topic" in html and "Rain hood" in html
    assert f"/moderation/comments/{comment.id}/restore" in html


def test_member_cannot_open_the_reports_page(client, db):
    _hidden(db)
    login(client, f.user())
    response = client.get("/moderation/reports")
    assert response.status_code == 403
    assert "NEEDS-A-LOOK" not in response.get_data(as_text=True)


def test_moderator_restores_and_it_is_audited(client, db):
    comment = _hidden(db)
    token = signed_in(client, f.user("moderator"))
    client.post(f"/moderation/comments/{comment.id}/restore",
                data={"csrf_token": token, "reason": "fine"})
    db.session.refresh(comment)
    assert not comment.hidden
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "comment.restore"))
    assert 'data-testid="no-reports"' in client.get("/moderation/reports").get_data(as_text=True)


def test_moderator_removes_the_comment(client, db):
    comment = _hidden(db)
    token = signed_in(client, f.user("moderator"))
    client.post(f"/moderation/comments/{comment.id}/remove", data={"csrf_token": token})
    db.session.refresh(comment)
    assert comment.deleted_at is not None and not comment.hidden


def test_idea_page_shows_support_box_and_discussion(client, db):
    idea = f.idea(supports=2)
    comments.post_comment(f.user(), idea.id, "Nice **idea**")
    db.session.commit()
    login(client, f.user())
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'id="support"' in html and 'data-testid="support-form"' in html
    assert 'id="comments"' in html and "<strong>idea</strong>" in html


def test_discussion_heading_counts_replies_and_updates_not_hidden_or_deleted(app, db, client):
    owner = f.user()
    idea = f.idea(owner)
    top = comments.post_comment(f.user(), idea.id, "top")
    comments.post_comment(f.user(), idea.id, "a reply", parent_id=top.id)
    comments.post_comment(owner, idea.id, "the creator answers", parent_id=top.id)
    comments.post_update(owner, idea.id, "news")
    gone = comments.post_comment(f.user(), idea.id, "gone")
    comments.delete_comment(gone.author, gone.id)
    db.session.commit()
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "(4)" in page.split('id="comments-heading"')[1].split("</h2>")[0]
