"""The discussion heading's number: every comment readers see (replies and updates too), kept on
the idea by each post, deletion, hiding and restoring, and backfilled by the migration."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import func, select, text

from app.models import Comment, Idea
from app.services import comments, integrity
from tests import factories as f
from datetime import UTC


def _kept(db, idea_id):
    db.session.expire_all()
    return db.session.get(Idea, idea_id).comment_count


def _shown(db, idea_id):
    return db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.idea_id == idea_id, Comment.deleted_at.is_(None), Comment.hidden.is_(False)))


def test_replies_and_updates_count_and_every_change_keeps_the_count(db):
    owner, moderator = f.user(), f.user("moderator")
    idea = f.idea(owner)
    top = comments.post_comment(f.user(), idea.id, "top")
    comments.post_comment(f.user(), idea.id, "reply", parent_id=top.id)
    comments.post_update(owner, idea.id, "news")
    spam = comments.post_comment(f.user(), idea.id, "spam")
    db.session.commit()
    assert _kept(db, idea.id) == 4

    for _ in range(3):  # reports hide it: no longer shown
        comments.report_comment(f.established(), spam.id, "spam")
    db.session.commit()
    assert _kept(db, idea.id) == 3 == _shown(db, idea.id)
    comments.restore_comment(moderator, spam.id, "fine")
    db.session.commit()
    assert _kept(db, idea.id) == 4 == _shown(db, idea.id)
    comments.remove_comment(moderator, spam.id, "spam after all")
    db.session.commit()
    assert _kept(db, idea.id) == 3 == _shown(db, idea.id)
    comments.remove_comment(moderator, spam.id, "twice")  # already gone: no change
    comments.delete_comment(top.author, top.id)
    comments.delete_comment(top.author, top.id)
    db.session.commit()
    assert _kept(db, idea.id) == 2 == _shown(db, idea.id)  # the reply stays


def test_removing_a_hidden_comment_does_not_count_it_twice(db):
    idea = f.idea()
    comment = comments.post_comment(f.user(), idea.id, "borderline")
    for _ in range(3):
        comments.report_comment(f.established(), comment.id, "spam")
    db.session.commit()
    assert _kept(db, idea.id) == 0
    comments.remove_comment(f.user("moderator"), comment.id, "spam")
    comments.delete_comment(f.user("moderator"), comment.id)
    db.session.commit()
    assert _kept(db, idea.id) == 0 == _shown(db, idea.id)


def test_keeping_the_count_leaves_the_ideas_updated_at(db):
    idea = f.idea()
    before = _kept(db, idea.id), db.session.get(Idea, idea.id).updated_at
    comments.post_comment(f.user(), idea.id, "hello")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).updated_at == before[1]


def test_voided_report_burst_shows_the_comment_again_and_counts_it(db, monkeypatch):
    idea = f.idea()
    comment = comments.post_comment(f.user(), idea.id, "fine")
    comment.hidden = True
    comments.keep_count(idea.id, -1)
    db.session.commit()
    monkeypatch.setattr(integrity, "reports_hide", lambda c: False)
    monkeypatch.setattr(integrity, "_find", lambda *a: (_Burst(comment), []))
    integrity.void_burst(f.user("moderator"), "report", comment.id, "n", "h")
    db.session.commit()
    assert _kept(db, idea.id) == 1 == _shown(db, idea.id)


class _Burst:
    def __init__(self, comment):
        from datetime import datetime

        self.target_id, self.members = comment.id, []
        self.hour = datetime(2026, 1, 1, tzinfo=UTC)


def _migration():
    path = Path(__file__).parents[2] / "migrations/versions/0051_comment_counter.py"
    spec = importlib.util.spec_from_file_location("m0051", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_backfill_and_recount_all_count_what_readers_see(db):
    busy, quiet = f.idea(), f.idea()
    top = comments.post_comment(f.user(), busy.id, "top")
    comments.post_comment(f.user(), busy.id, "reply", parent_id=top.id)
    gone = comments.post_comment(f.user(), busy.id, "gone")
    comments.delete_comment(gone.author, gone.id)
    db.session.commit()
    db.session.execute(text("UPDATE ideas SET comment_count = 0"))
    db.session.execute(text(_migration().BACKFILL))
    db.session.commit()
    assert (_kept(db, busy.id), _kept(db, quiet.id)) == (2, 0)
    db.session.execute(text("UPDATE ideas SET comment_count = 7"))
    comments.recount_all()
    db.session.commit()
    assert (_kept(db, busy.id), _kept(db, quiet.id)) == (2, 0)
