"""Discussion: comments with one level of replies, edit history, soft delete, reports,
creators' updates, and the moderation of reported comments."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import permissions
from app.permissions import Action
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.models import Comment, CommentRevision, Idea, Report, User
from app.models.base import is_row_id, utcnow
from app import lifecycle
from app.queries import visible_comment, visible_idea
from app.services import events, follows, integrity
from app.i18n import _


BODY_MAX_LENGTH = 5000
REPORT_REASON_MAX_LENGTH = 500


def _clean_body(body: object, name: str = "body") -> str:
    if not isinstance(body, str):
        raise Invalid({name: _("Write some text.")})
    body = body.strip()
    if not body:
        raise Invalid({name: _("Write some text.")})
    if len(body) > BODY_MAX_LENGTH:
        raise Invalid({name: _("At most %(n)s characters.", n=BODY_MAX_LENGTH)})
    return body


def _shown(comment: Comment) -> bool:
    """Whether readers see the comment (and Idea.comment_count counts it)."""
    return comment.deleted_at is None and not comment.hidden


def keep_count(idea_id: int, delta: int) -> None:
    """Keep Idea.comment_count: one atomic statement (the idea's updated_at, a listing's sort
    key, stays as it was)."""
    if delta:
        db.session.execute(update(Idea).where(Idea.id == idea_id)
                           .values(comment_count=Idea.comment_count + delta,
                                   updated_at=Idea.updated_at)
                           .execution_options(synchronize_session=False))


def recount_all() -> int:
    """Set every idea's comment_count from its comments (bulk loads: bench/generate.py); one
    statement. Returns how many ideas it wrote."""
    shown = (select(func.count()).select_from(Comment)
             .where(Comment.idea_id == Idea.id, Comment.deleted_at.is_(None),
                    Comment.hidden.is_(False)).scalar_subquery())
    return db.session.execute(update(Idea).values(comment_count=shown,
                                                  updated_at=Idea.updated_at)
                              .execution_options(synchronize_session=False)).rowcount


def _recount_if_changed(comment: Comment, was_shown: bool) -> None:
    """After a change of deleted_at or hidden: +1 / -1 on the idea when readers' view changed."""
    keep_count(comment.idea_id, int(_shown(comment)) - int(was_shown))


def _discussable_idea(user: User | None, idea_id: int) -> Idea:
    """The idea, if the user may see it and it is public (drafts and ideas awaiting moderation
    have no discussion)."""
    idea = permissions.require_visible(user, visible_idea(user, idea_id))
    if idea.status not in lifecycle.PUBLIC or idea.hidden:
        raise Conflict("discussion_closed", _("This idea is not open for discussion."))
    return idea


def _comment_for(user: User | None, comment_id: int) -> tuple[Comment, Idea]:
    """A comment on an idea the user may see, else NotFound."""
    found = visible_comment(user, comment_id)  # one query, found or not (queries.visible_idea)
    if found is None:
        raise NotFound("comment_not_found", _("No such comment."))
    return found


def post_comment(user: User, idea_id: int, body: str, parent_id: int | None = None) -> Comment:
    """Comment on an idea, or reply to a comment (a reply to a reply joins its thread)."""
    idea = _discussable_idea(user, idea_id)
    permissions.require(user, Action.COMMENT, idea)
    body = _clean_body(body)
    parent = None
    if parent_id is not None:
        if not is_row_id(parent_id):
            raise Invalid({"parent_id": _("Not a comment on this idea.")})
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.idea_id != idea.id:
            raise Invalid({"parent_id": _("Not a comment on this idea.")})
        if parent.parent_id is not None:  # one level of replies
            parent = db.session.get(Comment, parent.parent_id)
        if parent.deleted_at is not None or parent.hidden:
            raise Invalid({"parent_id": _("This comment can no longer be answered.")})
    comment = Comment(idea_id=idea.id, author_id=user.id, body=body,
                      parent_id=parent.id if parent else None,
                      is_official=permissions.is_staff(user))
    db.session.add(comment)
    db.session.flush()
    keep_count(idea.id, 1)
    told = set()
    if parent is not None and parent.author_id != user.id:
        events.notify([parent.author], "reply", {"name": user.display_name, "title": idea.title},
                      idea=idea, url=comment_url(idea, comment))
        told.add(parent.author_id)
    creators = [c for c in events.creators_of(idea) if c.id not in told]
    events.notify(creators, "comment_on_idea", {"name": user.display_name, "title": idea.title},
                  idea=idea, url=comment_url(idea, comment), exclude=user)
    return comment


def post_update(user: User, idea_id: int, body: str) -> Comment:
    """A creator's update on their idea; followers and supporters are told."""
    idea = _discussable_idea(user, idea_id)
    permissions.require(user, Action.COMMENT, idea)
    permissions.require(user, Action.POST_UPDATE, idea)
    comment = Comment(idea_id=idea.id, author_id=user.id, body=_clean_body(body),
                      is_update=True, is_official=permissions.is_staff(user))
    db.session.add(comment)
    db.session.flush()
    keep_count(idea.id, 1)
    creator_ids = {c.user_id for c in idea.creators}
    audience = [u for u in follows.audience_of(idea) if u.id not in creator_ids]
    events.notify(audience, "idea_update", {"title": idea.title, "name": user.display_name},
                  idea=idea, url=comment_url(idea, comment))
    if permissions.is_creator(user, idea):
        from app.services import people

        people.tell_of_update(idea, user, comment, comment_url(idea, comment))
    return comment


def edit_comment(user: User, comment_id: int, body: str) -> Comment:
    """The author edits their comment; the previous text is kept as a revision."""
    comment, _idea = _comment_for(user, comment_id)
    permissions.require(user, Action.EDIT_COMMENT, comment)
    if comment.deleted_at is not None:
        raise Conflict("comment_deleted", _("This comment was deleted."))
    if comment.hidden:
        raise Conflict("comment_hidden", _("This comment is hidden pending moderation."))
    body = _clean_body(body)
    if body == comment.body:
        return comment
    db.session.add(CommentRevision(comment_id=comment.id, body=comment.body))
    comment.body = body
    comment.edited_at = utcnow()
    return comment


def delete_comment(user: User, comment_id: int, reason: str | None = None) -> Comment:
    """Soft delete by the author or a moderator (the placeholder says which), replies stay."""
    comment, _idea = _comment_for(user, comment_id)
    permissions.require(user, Action.DELETE_COMMENT, comment)
    if comment.deleted_at is not None:
        return comment
    was_shown = _shown(comment)
    comment.deleted_at = utcnow()
    _recount_if_changed(comment, was_shown)
    if comment.author_id != user.id:
        comment.removed_by_moderator = True
        events.audit(user, "comment.delete", comment, before={"hidden": comment.hidden},
                     after={"deleted": True}, reason=reason)
        _resolve_reports(comment, "removed")
    return comment


def revisions_of(user: User | None, comment_id: int) -> tuple[Comment, list[CommentRevision]]:
    """A visible comment's earlier texts, newest first (none for hidden or deleted ones,
    except for moderators)."""
    comment, _idea = _comment_for(user, comment_id)
    if (comment.hidden or comment.deleted_at is not None) and not permissions.can(
            user, Action.MODERATE):
        raise NotFound("comment_not_found", _("No such comment."))
    revisions = list(db.session.scalars(
        select(CommentRevision).where(CommentRevision.comment_id == comment.id)
        .order_by(CommentRevision.created_at.desc(), CommentRevision.id.desc())))
    return comment, revisions


# --- reports and moderation -----------------------------------------------------------------

def report_reason(reason: Any) -> str:
    """A report's optional reason (forum posts, ideas, members): text, trimmed, bounded."""
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise Invalid({"reason": _("The reason must be text.")})
    reason = reason.strip()
    if len(reason) > REPORT_REASON_MAX_LENGTH:
        raise Invalid({"reason": _("At most %(n)s characters.", n=REPORT_REASON_MAX_LENGTH)})
    return reason


def report_comment(user: User, comment_id: int, reason: str = "") -> Report:
    """Report a comment, once per member, never one's own. At COMMENT_REPORT_THRESHOLD
    different members (reports from new or inactive accounts count less: app.services.integrity)
    the comment is hidden until a moderator decides; an official staff comment never is."""
    comment, _idea = _comment_for(user, comment_id)
    permissions.require(user, Action.REPORT, comment)
    if comment.deleted_at is not None:
        raise Conflict("comment_deleted", _("This comment was deleted."))
    if not isinstance(reason, str):
        raise Invalid({"reason": _("The reason must be text.")})
    reason = reason.strip()
    if len(reason) > REPORT_REASON_MAX_LENGTH:
        raise Invalid({"reason": _("At most %(n)s characters.", n=REPORT_REASON_MAX_LENGTH)})
    if db.session.scalar(select(func.count()).select_from(Report).where(
            Report.comment_id == comment.id, Report.reporter_id == user.id)):
        raise Conflict("already_reported", _("You already reported this comment."))
    report = Report(comment_id=comment.id, reporter_id=user.id, reason=reason,
                    weight_pct=integrity.report_weight(user))
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:
        raise Conflict("already_reported", _("You already reported this comment.")) from None
    db.session.execute(update(Comment).where(Comment.id == comment.id)
                       .values(report_count=Comment.report_count + 1)
                       .execution_options(synchronize_session=False))
    db.session.refresh(comment)
    if not comment.hidden and integrity.reports_hide(comment):  # weighted; never official ones
        comment.hidden = True
        _recount_if_changed(comment, True)
    return report


def _resolve_reports(comment: Comment, resolution: str) -> int:
    result = db.session.execute(
        update(Report).where(Report.comment_id == comment.id, Report.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=resolution)
        .execution_options(synchronize_session=False))
    comment.report_count = 0
    return result.rowcount


def _moderated_comment(moderator: User, comment_id: int) -> Comment:
    permissions.require(moderator, Action.MODERATE)
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("comment_not_found", _("No such comment."))
    # Separation of duties: not on the discussion of an idea they (co-)created.
    permissions.require(moderator, Action.MODERATE, db.session.get(Idea, comment.idea_id))
    return comment


def restore_comment(moderator: User, comment_id: int, reason: str | None = None) -> Comment:
    """A moderator finds the reports unfounded: the comment shows again."""
    comment = _moderated_comment(moderator, comment_id)
    before = {"hidden": comment.hidden, "report_count": comment.report_count}
    was_shown = _shown(comment)
    _resolve_reports(comment, "restored")
    comment.hidden = False
    _recount_if_changed(comment, was_shown)
    events.audit(moderator, "comment.restore", comment, before=before,
                 after={"hidden": False, "report_count": 0}, reason=reason)
    return comment


def remove_comment(moderator: User, comment_id: int, reason: str | None = None) -> Comment:
    """A moderator upholds the reports: the comment is deleted (shown as removed by a
    moderator)."""
    comment = _moderated_comment(moderator, comment_id)
    before = {"hidden": comment.hidden, "report_count": comment.report_count,
              "deleted": comment.deleted_at is not None}
    was_shown = _shown(comment)
    _resolve_reports(comment, "removed")
    comment.hidden = False
    if comment.deleted_at is None:
        comment.deleted_at = utcnow()
        comment.removed_by_moderator = True
    _recount_if_changed(comment, was_shown)
    events.audit(moderator, "comment.remove", comment, before=before,
                 after={"deleted": True}, reason=reason)
    if comment.author_id != moderator.id:
        author = db.session.get(User, comment.author_id)
        idea = db.session.get(Idea, comment.idea_id)
        events.notify([author], "comment_removed", {"title": idea.title}, idea=idea)
    return comment


@dataclass
class ReportedComment:
    comment: Comment
    idea: Idea
    reports: list[tuple[Report, User | None]] = field(default_factory=list)  # with reporter


def reported_comments(moderator: User) -> list[ReportedComment]:
    """Comments that are hidden or have unresolved reports, most reported first."""
    permissions.require(moderator, Action.MODERATE)
    open_reports = select(Report.comment_id).where(Report.resolved_at.is_(None))
    comments = list(db.session.scalars(
        select(Comment).where((Comment.hidden.is_(True) & Comment.deleted_at.is_(None))
                              | Comment.id.in_(open_reports))
        .options(selectinload(Comment.author))
        .order_by(Comment.hidden.desc(), Comment.report_count.desc(), Comment.id)))
    if not comments:
        return []
    ideas = {idea.id: idea for idea in db.session.scalars(
        select(Idea).where(Idea.id.in_({c.idea_id for c in comments})))}
    reports: dict[int, list[Report]] = {}
    for report in db.session.scalars(
            select(Report).where(Report.comment_id.in_([c.id for c in comments]),
                                 Report.resolved_at.is_(None)).order_by(Report.id)):
        reports.setdefault(report.comment_id, []).append(report)
    reporters = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({r.reporter_id for rows in reports.values() for r in rows})))} \
        if reports else {}
    return [ReportedComment(c, ideas[c.idea_id],
                            [(r, reporters.get(r.reporter_id)) for r in reports.get(c.id, [])])
            for c in comments]


# --- reading --------------------------------------------------------------------------------

@dataclass
class CommentPage:
    comments: list[Comment]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, (self.total + self.per_page - 1) // self.per_page)


def thread_query(idea_id: int):
    """Top-level comments of an idea, oldest first, with replies and authors eager-loaded."""
    return (select(Comment).where(Comment.idea_id == idea_id, Comment.parent_id.is_(None))
            .options(joinedload(Comment.author).lazyload(User.role_rows),
                     selectinload(Comment.replies).joinedload(Comment.author)
                     .lazyload(User.role_rows))
            .order_by(Comment.created_at, Comment.id))


def comment_page(idea_id: int, page: int = 1, per_page: int = 30) -> CommentPage:
    """One page of threads: two queries whatever the page holds (the threads with their
    authors and the number of threads, then every reply of the page with its author)."""
    page = max(1, page)
    total_threads = (select(func.count()).select_from(Comment)
                     .where(Comment.idea_id == idea_id, Comment.parent_id.is_(None))
                     .scalar_subquery())
    rows = db.session.execute(thread_query(idea_id).add_columns(total_threads.label("total"))
                              .limit(per_page).offset((page - 1) * per_page)).unique().all()
    if rows:
        total = rows[0].total
    else:  # past the last page (or none yet): count on its own
        total = db.session.scalar(select(func.count()).select_from(Comment).where(
            Comment.idea_id == idea_id, Comment.parent_id.is_(None))) or 0
    threads = [row[0] for row in rows]
    for thread in threads:  # one level of replies: a reply has none (no query to say so)
        for reply in thread.replies:
            set_committed_value(reply, "replies", [])
    return CommentPage(threads, total, page, per_page)


def comment_url(idea: Idea, comment: Comment) -> str:
    return f"{events.idea_url(idea)}#comment-{comment.id}"


def shown_body(comment: Comment) -> str | None:
    """The text readers may see: None for deleted or hidden comments."""
    if comment.deleted_at is not None or comment.hidden:
        return None
    return comment.body
