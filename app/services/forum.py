"""The forum: an always-on discussion area per category. Members start threads and reply
(Markdown, stored rendered); lists are keyset pages. Reports and moderation are those of
comments: once per member, never one's own, weighed by app.services.integrity and hidden at the
same COMMENT_REPORT_THRESHOLD until a moderator restores or removes the post (audited)."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from app import permissions
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import Category, User
from app.models.base import is_row_id, utcnow
from app.models.forum import ForumReply, ForumReport, ForumThread
from app.permissions import Action
from app.services import events, integrity
from app.services.comments import BODY_MAX_LENGTH, _clean_body, report_reason

TITLE_MAX = 120
PER_PAGE = 20
KINDS = ("thread", "reply")


class BadCursor(ValueError):
    """An `after` cursor this list did not hand out."""


@dataclass
class Page:
    items: list
    next_cursor: str | None


def _is_moderator(user: Any) -> bool:
    return permissions.has_role(user, "moderator") or permissions.has_role(user, "admin")


def _shown(model, viewer: Any):
    """What a viewer sees in lists: moderators everything not removed, others what is neither
    hidden nor removed (and their own hidden posts)."""
    condition = model.deleted_at.is_(None)
    if _is_moderator(viewer):
        return condition
    if viewer is not None and getattr(viewer, "is_authenticated", False):
        return condition & ((model.hidden.is_(False)) | (model.author_id == viewer.id))
    return condition & model.hidden.is_(False)


def category_named(slug: Any) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug)) \
        if isinstance(slug, str) else None
    if category is None:
        raise NotFound("category_not_found", _("No such category."))
    return category


# --- cursors ----------------------------------------------------------------------------------

def _encode(*parts: Any) -> str:
    raw = "|".join(p.isoformat() if isinstance(p, datetime) else str(p) for p in parts)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> list[str]:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("not a cursor") from None


# --- reading ------------------------------------------------------------------------------------

def threads_page(viewer: Any, category: Category, after: str | None = None,
                 per_page: int = PER_PAGE) -> Page:
    """A category's threads, the latest activity first, one keyset page (one query plus the
    authors, whatever the depth)."""
    stmt = (select(ForumThread).where(ForumThread.category_id == category.id,
                                      _shown(ForumThread, viewer))
            .options(joinedload(ForumThread.author).lazyload(User.role_rows)))
    if after:
        parts = _decode(after)
        try:
            moment, last_id = datetime.fromisoformat(parts[0]), int(parts[1])
        except (ValueError, IndexError):
            raise BadCursor("a damaged cursor") from None
        if moment.tzinfo is None or len(parts) != 2:
            raise BadCursor("a damaged cursor")
        stmt = stmt.where(tuple_(ForumThread.last_activity_at, ForumThread.id)
                          < tuple_(moment, last_id))
    rows = list(db.session.scalars(stmt.order_by(ForumThread.last_activity_at.desc(),
                                                 ForumThread.id.desc()).limit(per_page + 1)))
    items = rows[:per_page]
    more = len(rows) > per_page
    return Page(items, _encode(items[-1].last_activity_at, items[-1].id) if more else None)


def get_thread(viewer: Any, thread_id: Any) -> ForumThread:
    """The thread, or NotFound when absent, removed, or hidden from this viewer."""
    thread = db.session.scalar(
        select(ForumThread).where(ForumThread.id == thread_id, _shown(ForumThread, viewer))
        .options(joinedload(ForumThread.author).lazyload(User.role_rows),
                 joinedload(ForumThread.category))) if is_row_id(thread_id) else None
    if thread is None:
        raise NotFound("thread_not_found", _("No such thread."))
    return thread


def replies_page(viewer: Any, thread: ForumThread, after: str | None = None,
                 per_page: int = PER_PAGE) -> Page:
    """A thread's replies, oldest first, one keyset page."""
    stmt = (select(ForumReply).where(ForumReply.thread_id == thread.id, _shown(ForumReply, viewer))
            .options(joinedload(ForumReply.author).lazyload(User.role_rows)))
    if after:
        try:
            last_id = int(_decode(after)[0])
        except ValueError:
            raise BadCursor("a damaged cursor") from None
        stmt = stmt.where(ForumReply.id > last_id)
    rows = list(db.session.scalars(stmt.order_by(ForumReply.id).limit(per_page + 1)))
    items = rows[:per_page]
    return Page(items, _encode(items[-1].id) if len(rows) > per_page else None)


# --- writing ------------------------------------------------------------------------------------

def start_thread(user: User, category_slug: Any, title: Any, body: Any) -> ForumThread:
    permissions.require(user, Action.POST_IN_FORUM)
    category = category_named(category_slug)
    errors: dict[str, str] = {}
    if not isinstance(title, str) or not " ".join(title.split()):
        errors["title"] = _("This field is required.")
    elif len(" ".join(title.split())) > TITLE_MAX or "\x00" in title:
        errors["title"] = _("At most %(n)s characters.", n=TITLE_MAX)
    try:
        body = _clean_body(body)
    except Invalid as error:
        errors.update(error.fields)
    if errors:
        raise Invalid(errors)
    if category.is_archived:
        raise Conflict("category_archived", _("This category is archived: choose another one."))
    thread = ForumThread(category_id=category.id, author_id=user.id,
                         title=" ".join(title.split()), body=body)
    db.session.add(thread)
    db.session.flush()
    return thread


def reply(user: User, thread_id: Any, body: Any) -> ForumReply:
    permissions.require(user, Action.POST_IN_FORUM)
    thread = get_thread(user, thread_id)
    if thread.hidden:
        raise Conflict("thread_hidden", _("This thread is hidden while a moderator looks at it."))
    body = _clean_body(body)
    row = ForumReply(thread_id=thread.id, author_id=user.id, body=body)
    db.session.add(row)
    db.session.execute(update(ForumThread).where(ForumThread.id == thread.id).values(
        reply_count=ForumThread.reply_count + 1, last_activity_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.flush()
    if thread.author_id and thread.author_id != user.id:
        author = db.session.get(User, thread.author_id)
        events.notify([author], "forum_reply", {"name": user.display_name, "title": thread.title},
                      url=thread_url(thread))
    return row


def thread_url(thread: ForumThread) -> str:
    from flask import has_request_context, url_for

    if has_request_context():
        return url_for("forum.thread", thread_id=thread.id)
    return f"/forum/threads/{thread.id}"


def _target(kind: str, target_id: Any) -> ForumThread | ForumReply:
    model = ForumThread if kind == "thread" else ForumReply
    row = db.session.get(model, target_id) if is_row_id(target_id) else None
    if row is None or row.deleted_at is not None:
        raise NotFound(f"{kind}_not_found", _("No such post."))
    return row


def report(user: User, kind: str, target_id: Any, reason: Any = "") -> ForumReport:
    """Report a thread or a reply once, never one's own; at the comments' threshold (weighed)
    it is hidden until a moderator decides."""
    permissions.require(user, Action.POST_IN_FORUM)
    row = _target(kind, target_id)
    if kind == "reply":
        get_thread(user, row.thread_id)  # a reply of a thread they may see
    elif row.hidden and not _is_moderator(user) and row.author_id != user.id:
        raise NotFound("thread_not_found", _("No such thread."))
    if row.author_id == user.id:
        raise Forbidden("own_post", _("You cannot report your own post."))
    reason = report_reason(reason)
    entry = ForumReport(kind=kind, target_id=row.id, reporter_id=user.id, reason=reason,
                        weight_pct=integrity.report_weight(user))
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise Conflict("already_reported", _("You already reported this post.")) from None
    row.report_count += 1
    weights = db.session.scalars(select(ForumReport.weight_pct).where(
        ForumReport.kind == kind, ForumReport.target_id == row.id,
        ForumReport.resolved_at.is_(None)))
    if not row.hidden and integrity.weights_hide(weights):
        row.hidden = True
    return entry


def _moderated(moderator: User, kind: str, target_id: Any):
    permissions.require(moderator, Action.MODERATE)
    if kind not in KINDS:
        raise NotFound("not_found", _("No such post."))
    return _target(kind, target_id)


def _resolve(kind: str, row, resolution: str) -> None:
    db.session.execute(update(ForumReport).where(
        ForumReport.kind == kind, ForumReport.target_id == row.id,
        ForumReport.resolved_at.is_(None)).values(resolved_at=utcnow(), resolution=resolution)
        .execution_options(synchronize_session=False))
    row.report_count = 0


def restore(moderator: User, kind: str, target_id: Any, reason: str | None = None):
    """A moderator finds the reports unfounded: the post shows again."""
    row = _moderated(moderator, kind, target_id)
    before = {"hidden": row.hidden, "report_count": row.report_count}
    _resolve(kind, row, "restored")
    row.hidden = False
    events.audit(moderator, f"forum_{kind}.restore", row, before=before,
                 after={"hidden": False}, reason=reason)
    return row


def remove(moderator: User, kind: str, target_id: Any, reason: str | None = None):
    """A moderator removes the post (the author is told)."""
    row = _moderated(moderator, kind, target_id)
    before = {"hidden": row.hidden, "report_count": row.report_count}
    _resolve(kind, row, "removed")
    row.hidden, row.deleted_at = False, utcnow()
    if kind == "reply":
        db.session.execute(update(ForumThread).where(ForumThread.id == row.thread_id).values(
            reply_count=func.max(ForumThread.reply_count - 1, 0)
            if db.session.get_bind().dialect.name == "sqlite"
            else func.greatest(ForumThread.reply_count - 1, 0))
            .execution_options(synchronize_session=False))
    events.audit(moderator, f"forum_{kind}.remove", row, before=before, after={"deleted": True},
                 reason=reason)
    if row.author_id and row.author_id != moderator.id:
        events.notify([db.session.get(User, row.author_id)], "forum_post_removed", {})
    return row


@dataclass
class ReportedPost:
    """A forum post for the moderation queue: the thread (itself, or the reply's) and the open
    reports with their reporters."""

    kind: str
    post: Any
    thread: ForumThread
    reports: list[tuple[ForumReport, User | None]] = field(default_factory=list)


QUEUE_LIMIT = 100


def reported(moderator: User, limit: int = QUEUE_LIMIT) -> list[ReportedPost]:
    """Forum posts that are hidden or have open reports, hidden ones first, then the most
    reported (the moderators' queue, beside the reported comments). A fixed number of queries
    whatever the number of posts: the threads, the replies, the replies' threads, the open
    reports, their reporters."""
    permissions.require(moderator, Action.MODERATE)
    found: list[tuple[str, Any]] = []
    for kind, model in (("thread", ForumThread), ("reply", ForumReply)):
        found += [(kind, row) for row in db.session.scalars(
            select(model).where(model.deleted_at.is_(None),
                                (model.hidden.is_(True)) | (model.report_count > 0))
            .options(joinedload(model.author).lazyload(User.role_rows))
            .order_by(model.hidden.desc(), model.report_count.desc(), model.id).limit(limit))]
    found.sort(key=lambda pair: (not pair[1].hidden, -pair[1].report_count, pair[1].id))
    found = found[:limit]
    if not found:
        return []
    threads = {row.id: row for kind, row in found if kind == "thread"}
    wanted = {row.thread_id for kind, row in found if kind == "reply"} - set(threads)
    if wanted:
        threads.update({row.id: row for row in db.session.scalars(
            select(ForumThread).where(ForumThread.id.in_(wanted)))})
    reports: dict[tuple[str, int], list[ForumReport]] = {}
    ids = {kind: [row.id for k, row in found if k == kind] or [-1] for kind in KINDS}
    for report_row in db.session.scalars(
            select(ForumReport).where(ForumReport.resolved_at.is_(None), or_(*(
                (ForumReport.kind == kind) & ForumReport.target_id.in_(ids[kind])
                for kind in KINDS))).order_by(ForumReport.id)):
        reports.setdefault((report_row.kind, report_row.target_id), []).append(report_row)
    reporter_ids = {r.reporter_id for rows in reports.values() for r in rows}
    reporters = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(reporter_ids)).options(lazyload(User.role_rows)))} \
        if reporter_ids else {}
    return [ReportedPost(kind, row, threads[row.id if kind == "thread" else row.thread_id],
                         [(r, reporters.get(r.reporter_id)) for r in reports.get((kind, row.id),
                                                                                  [])])
            for kind, row in found]


__all__ = ["BODY_MAX_LENGTH"]
