"""Discussion rules: comments, one level of replies, edits, soft delete, reports, updates."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import AuditLog, Comment, CommentRevision, IdeaFollow, Notification, Report
from app.services import comments
from tests import factories as f


def _notes(db, user, kind):
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)).all()


def test_member_comments_and_creators_are_told(db):
    owner, member = f.user(), f.user()
    idea = f.idea(owner)
    comment = comments.post_comment(member, idea.id, "  Love it  ")
    db.session.commit()
    assert comment.body == "Love it" and comment.parent_id is None
    assert len(_notes(db, owner, "comment_on_idea")) == 1
    assert not _notes(db, member, "comment_on_idea")


def test_unconfirmed_member_cannot_comment(db):
    with pytest.raises(Forbidden) as error:
        comments.post_comment(f.user(confirmed=False), f.idea().id, "hi")
    assert error.value.code == "email_not_confirmed"


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001, None, 42])
def test_empty_or_too_long_comment_is_refused(db, body):
    with pytest.raises(Invalid) as error:
        comments.post_comment(f.user(), f.idea().id, body)
    assert "body" in error.value.fields


def test_comment_of_5000_characters_is_accepted(db):
    assert comments.post_comment(f.user(), f.idea().id, "x" * 5000).id


@pytest.mark.parametrize("status", ["draft", "pending_moderation"])
def test_unpublished_idea_has_no_discussion(db, status):
    owner = f.user()
    idea = f.idea(owner, status=status)
    with pytest.raises(NotFound):
        comments.post_comment(f.user(), idea.id, "hi")
    with pytest.raises(Conflict):
        comments.post_comment(owner, idea.id, "hi")


@pytest.mark.parametrize("status", ["expired", "qualified", "approved"])
def test_discussion_continues_on_any_public_status(db, status):
    assert comments.post_comment(f.user(), f.idea(status=status).id, "still here").id


def test_reply_tells_the_parent_author(db):
    owner, first, second = f.user(), f.user(), f.user()
    idea = f.idea(owner)
    parent = comments.post_comment(first, idea.id, "question")
    reply = comments.post_comment(second, idea.id, "answer", parent_id=parent.id)
    db.session.commit()
    assert reply.parent_id == parent.id
    assert len(_notes(db, first, "reply")) == 1


def test_reply_to_a_reply_joins_the_top_level_thread(db):
    idea = f.idea()
    top = comments.post_comment(f.user(), idea.id, "top")
    reply = comments.post_comment(f.user(), idea.id, "reply", parent_id=top.id)
    deeper = comments.post_comment(f.user(), idea.id, "deeper", parent_id=reply.id)
    assert deeper.parent_id == top.id


def test_reply_to_a_comment_of_another_idea_is_refused(db):
    other = comments.post_comment(f.user(), f.idea().id, "elsewhere")
    with pytest.raises(Invalid) as error:
        comments.post_comment(f.user(), f.idea().id, "hi", parent_id=other.id)
    assert "parent_id" in error.value.fields


def test_staff_comment_is_official(db):
    staff_comment = comments.post_comment(f.user("moderator"), f.idea().id, "Hello from us")
    member_comment = comments.post_comment(f.user(), f.idea().id, "Hi")
    assert staff_comment.is_official and not member_comment.is_official


def test_author_edits_and_the_old_text_is_kept(db):
    author = f.user()
    comment = comments.post_comment(author, f.idea().id, "first")
    comments.edit_comment(author, comment.id, "second")
    db.session.commit()
    assert comment.body == "second" and comment.edited_at is not None
    _comment, revisions = comments.revisions_of(None, comment.id)
    assert [r.body for r in revisions] == ["first"]


def test_only_the_author_edits(db):
    comment = comments.post_comment(f.user(), f.idea().id, "mine")
    with pytest.raises(Forbidden):
        comments.edit_comment(f.user("moderator"), comment.id, "theirs")


def test_author_deletes_softly_and_replies_stay(db):
    author = f.user()
    idea = f.idea()
    top = comments.post_comment(author, idea.id, "top")
    reply = comments.post_comment(f.user(), idea.id, "reply", parent_id=top.id)
    comments.delete_comment(author, top.id)
    db.session.commit()
    assert top.deleted_at is not None and comments.shown_body(top) is None
    assert db.session.get(Comment, reply.id).body == "reply"


def test_other_member_cannot_delete(db):
    comment = comments.post_comment(f.user(), f.idea().id, "mine")
    with pytest.raises(Forbidden):
        comments.delete_comment(f.user(), comment.id)


def test_moderator_deletion_is_audited(db):
    moderator = f.user("moderator")
    comment = comments.post_comment(f.user(), f.idea().id, "rude")
    comments.delete_comment(moderator, comment.id, "rude")
    db.session.commit()
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "comment.delete",
                                                    AuditLog.target_id == comment.id))


def test_comment_on_a_hidden_idea_is_not_found(db):
    idea = f.idea()
    comment = comments.post_comment(f.user(), idea.id, "hi")
    f.hidden(idea)
    with pytest.raises(NotFound):
        comments.report_comment(f.established(), comment.id, "spam")


def test_member_cannot_report_own_comment(db):
    author = f.user()
    comment = comments.post_comment(author, f.idea().id, "mine")
    with pytest.raises(Forbidden) as error:
        comments.report_comment(author, comment.id)
    assert error.value.code == "own_comment"


def test_member_reports_only_once(db):
    member = f.user()
    comment = comments.post_comment(f.user(), f.idea().id, "spam")
    comments.report_comment(member, comment.id, "spam")
    db.session.commit()
    with pytest.raises(Conflict) as error:
        comments.report_comment(member, comment.id, "again")
    assert error.value.code == "already_reported"


def test_three_reports_hide_the_comment(db):
    comment = comments.post_comment(f.user(), f.idea().id, "spam spam")
    for number in range(3):
        comments.report_comment(f.established(), comment.id, "spam")
        db.session.commit()
        assert comment.hidden is (number == 2)
    assert comments.shown_body(comment) is None


def _hidden_comment(db):
    comment = comments.post_comment(f.user(), f.idea().id, "borderline")
    for _ in range(3):
        comments.report_comment(f.established(), comment.id, "spam")
    db.session.commit()
    return comment


def test_moderator_restores_a_hidden_comment(db):
    moderator = f.user("moderator")
    comment = _hidden_comment(db)
    assert [r.comment.id for r in comments.reported_comments(moderator)] == [comment.id]
    comments.restore_comment(moderator, comment.id, "fine")
    db.session.commit()
    assert not comment.hidden and comment.report_count == 0
    assert {r.resolution for r in db.session.scalars(select(Report))} == {"restored"}
    assert comments.reported_comments(moderator) == []
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "comment.restore"))


def test_moderator_removes_a_hidden_comment(db):
    moderator = f.user("moderator")
    comment = _hidden_comment(db)
    comments.remove_comment(moderator, comment.id, "spam")
    db.session.commit()
    assert comment.deleted_at is not None and comments.shown_body(comment) is None
    assert {r.resolution for r in db.session.scalars(select(Report))} == {"removed"}
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "comment.remove"))


def test_member_cannot_moderate_comments(db):
    comment = _hidden_comment(db)
    with pytest.raises(Forbidden):
        comments.restore_comment(f.user(), comment.id)


def test_creator_update_tells_followers_and_supporters(db):
    owner, follower, supporter = f.user(), f.user(), f.user()
    idea = f.idea(owner)
    db.session.add(IdeaFollow(idea_id=idea.id, user_id=follower.id))
    f.support(idea, supporter)
    update = comments.post_update(owner, idea.id, "New prototype!")
    db.session.commit()
    assert update.is_update
    assert _notes(db, follower, "idea_update") and _notes(db, supporter, "idea_update")
    assert not _notes(db, owner, "idea_update")


def test_only_creators_post_updates(db):
    with pytest.raises(Forbidden):
        comments.post_update(f.user(), f.idea().id, "I am not the creator")


def _queries_for_thread_page(db, count_queries, threads: int) -> int:
    idea_id = f.idea().id
    for n in range(threads):
        top = comments.post_comment(f.user(), idea_id, f"top {n}")
        comments.post_comment(f.user(), idea_id, f"reply {n}", parent_id=top.id)
    db.session.commit()
    db.session.expunge_all()
    with count_queries() as queries:
        page = comments.comment_page(idea_id)
        [(c.author.display_name, [r.author.display_name for r in c.replies])
         for c in page.comments]
    assert page.total == threads
    return queries.count


def test_thread_page_loads_replies_in_constant_queries(db, count_queries):
    assert _queries_for_thread_page(db, count_queries, 2) == \
        _queries_for_thread_page(db, count_queries, 8)


def test_revision_history_of_a_hidden_comment_is_not_shown(db):
    comment = _hidden_comment(db)
    with pytest.raises(NotFound):
        comments.revisions_of(f.user(), comment.id)
    assert comments.revisions_of(f.user("moderator"), comment.id)[0].id == comment.id


def test_edit_revisions_are_stored(db):
    author = f.user()
    comment = comments.post_comment(author, f.idea().id, "v1")
    comments.edit_comment(author, comment.id, "v2")
    comments.edit_comment(author, comment.id, "v3")
    db.session.commit()
    assert [r.body for r in db.session.scalars(select(CommentRevision)
                                               .order_by(CommentRevision.id))] == ["v1", "v2"]
