"""Moderation: deciding on submitted ideas, hiding ideas, blocking accounts, merging duplicates.

Each function checks the moderator's permission, changes the data, records the idea event and
the staff audit entry, and tells the people concerned. The caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import labels, lifecycle, permissions
from app.permissions import Action
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.models import ContentReport, Idea, IdeaCreator, Report, Support, User
from app.models.base import is_row_id, utcnow
from app.services import (accounts as account_service, counters, events, integrity, resonance,
                          support_days)
from app.services.comments import report_reason
from app.services.ideas import lock_idea
from app.i18n import _

DECISIONS = ("publish", "needs_changes", "reject")
REASON_MAX = 2_000
_TO_STATUS = {"publish": lifecycle.IdeaStatus.PUBLISHED,
              "needs_changes": lifecycle.IdeaStatus.NEEDS_CHANGES,
              "reject": lifecycle.IdeaStatus.REJECTED}


def _reason(reason: Any, *, required: bool) -> str | None:
    if reason is not None and not isinstance(reason, str):
        raise Invalid({"reason": _("Must be a string.")})
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise Invalid({"reason": _("At most %(n)s characters.", n=REASON_MAX)})
    if required and not reason:
        raise Invalid({"reason": _("Give a reason: the creators will read it.")})
    return reason or None


def _idea_for(moderator: User, idea_id: int, action: Action = Action.MODERATE) -> Idea:
    """The idea, locked; 404 when absent or not visible, 403 for non-moderators (409 when the
    rule of `action` wants another state)."""
    idea = permissions.require_visible(moderator, lock_idea(idea_id))
    permissions.require(moderator, action, idea)
    return idea


def queue(moderator: User) -> list[Idea]:
    """Ideas waiting for moderation, oldest submission first, with what the page shows."""
    permissions.require(moderator, Action.MODERATE)
    return list(db.session.scalars(
        select(Idea).where(Idea.status == lifecycle.IdeaStatus.PENDING_MODERATION)
        .options(selectinload(Idea.images), selectinload(Idea.tags), selectinload(Idea.category),
                 selectinload(Idea.owner),
                 selectinload(Idea.creators).selectinload(IdeaCreator.user))
        .order_by(Idea.submitted_at.asc().nulls_first(), Idea.id)))


#: The moderation link's count stops here ("99+"): it is read on every staff page.
PENDING_CAP = 99


def pending_count(cap: int | None = None) -> int:
    """What waits for a moderator (ideas to moderate, comments and forum posts with open
    reports), counting each kind up to `cap` + 1: one query of bounded cost whatever the data
    (partial indexes on the open reports). More than `cap` reads as "cap+"."""
    from app.models import ForumReport, Report

    cap = PENDING_CAP if cap is None else cap

    def capped(stmt):
        return select(func.count()).select_from(stmt.limit(cap + 1).subquery()).scalar_subquery()

    ideas = capped(select(Idea.id).where(Idea.status == lifecycle.IdeaStatus.PENDING_MODERATION))
    comments = capped(select(Report.comment_id).where(Report.resolved_at.is_(None)).distinct())
    posts = capped(select(ForumReport.kind, ForumReport.target_id)
                   .where(ForumReport.resolved_at.is_(None)).distinct())
    return db.session.scalar(select(ideas + comments + posts)) or 0


def decide(moderator: User, idea_id: int, decision: Any, reason: Any = None) -> Idea:
    """Publish a submitted idea (it starts gathering support), send it back for changes, or
    reject it. A reason is required for needs_changes and reject; creators are told."""
    if decision not in DECISIONS:
        raise Invalid({"decision": _("Choose publish, needs_changes or reject.")})
    reason = _reason(reason, required=decision != "publish")
    idea = _idea_for(moderator, idea_id, Action.MODERATE_SUBMISSION)  # while it is pending
    before = {"status": idea.status}
    to_status = _TO_STATUS[decision]
    if decision == "publish":
        from app.services import milestones

        now = utcnow()
        idea.published_at = now
        milestones.start_gathering(idea, now)
    idea.status_reason = reason
    events.transition(moderator, idea, to_status, to_status, reason=reason)
    events.audit(moderator, f"idea.{decision}", idea, before=before,
                 after={"status": to_status.value}, reason=reason)
    kind = {"publish": "idea_published_note" if reason else "idea_published",
            "needs_changes": "idea_needs_changes", "reject": "idea_rejected"}[decision]
    events.notify(events.creators_of(idea), kind, {"title": idea.title, "reason": reason or ""},
                  idea=idea)
    if decision == "publish":
        from app.services import people

        people.tell_of_new_idea(idea)  # the creators' followers, in batches by a job
    return idea


def hide_idea(moderator: User, idea_id: int, reason: Any) -> Idea:
    """Hide an idea from every public listing and page (its creators and staff still see it)."""
    reason = _reason(reason, required=True)
    idea = _idea_for(moderator, idea_id, Action.HIDE_CONTENT)
    if idea.hidden:
        raise Conflict("already_hidden", _("This idea is already hidden."))
    idea.hidden = True
    idea.hidden_reason = reason
    events.record(moderator, "hidden", idea, reason=reason)
    events.audit(moderator, "idea.hide", idea, before={"hidden": False}, after={"hidden": True},
                 reason=reason)
    events.notify(events.creators_of(idea), "idea_hidden",
                  {"title": idea.title, "reason": reason}, idea=idea)
    return idea


def unhide_idea(moderator: User, idea_id: int, reason: Any = None) -> Idea:
    reason = _reason(reason, required=False)
    idea = _idea_for(moderator, idea_id, Action.HIDE_CONTENT)
    if not idea.hidden:
        raise Conflict("not_hidden", _("This idea is not hidden."))
    idea.hidden = False
    idea.hidden_reason = None
    events.record(moderator, "unhidden", idea, reason=reason)
    events.audit(moderator, "idea.unhide", idea, before={"hidden": True},
                 after={"hidden": False}, reason=reason)
    events.notify(events.creators_of(idea), "idea_unhidden", {"title": idea.title}, idea=idea)
    return idea


def hidden_ideas(moderator: User) -> list[Idea]:
    permissions.require(moderator, Action.HIDE_CONTENT)
    return list(db.session.scalars(
        select(Idea).where(Idea.hidden.is_(True))
        .options(selectinload(Idea.owner), selectinload(Idea.category))
        .order_by(Idea.updated_at.desc(), Idea.id.desc()).limit(200)))


def _user_for(moderator: User, user_id: int) -> User:
    permissions.require(moderator, Action.BLOCK_USER)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", _("No such user."))
    return user


def block_user(moderator: User, user_id: int, reason: Any) -> User:
    """Block an account: it can no longer sign in, use tokens or act. Only admins block staff."""
    reason = _reason(reason, required=True)
    user = _user_for(moderator, user_id)
    if user.id == moderator.id:
        raise Conflict("cannot_block_self", _("You cannot block your own account."))
    if user.is_staff and not permissions.has_role(moderator, "admin"):
        raise Forbidden("admins_only", _("Only admins may block staff accounts."))
    if not account_service.block_user(moderator, user, reason, audit_action="user.block"):
        raise Conflict("already_blocked", _("This account is already blocked."))
    return user


def unblock_user(moderator: User, user_id: int, reason: Any = None) -> User:
    reason = _reason(reason, required=False)
    user = _user_for(moderator, user_id)
    if not user.is_blocked:
        raise Conflict("not_blocked", _("This account is not blocked."))
    user.blocked_at = None
    events.audit(moderator, "user.unblock", user, before={"blocked": True},
                 after={"blocked": False}, reason=reason)
    return user


def find_user(moderator: User, email: str) -> User | None:
    permissions.require(moderator, Action.BLOCK_USER)
    email = (email or "").strip().lower()[:254]
    return db.session.scalar(select(User).where(User.email == email)) if email else None


def blocked_users(moderator: User) -> list[User]:
    permissions.require(moderator, Action.BLOCK_USER)
    return list(db.session.scalars(select(User).where(User.blocked_at.is_not(None))
                                   .order_by(User.blocked_at.desc()).limit(200)))


def merge_ideas(moderator: User, source_id: int, target_id: int, reason: Any = None) -> Idea:
    """Merge a duplicate (source) into target: the source's supporters support the target,
    without counting anyone twice (people already supporting the target, and its creators, are
    skipped); the target's count is recomputed from rows; the source is closed and points at
    the target. Returns the target."""
    reason = _reason(reason, required=False)
    if isinstance(target_id, bool) or not isinstance(target_id, int):
        raise Invalid({"target_id": _("Give the id of the idea to merge into.")})
    if not is_row_id(target_id):
        raise Invalid({"target_id": _("No such idea.")}, code="target_not_found")
    if source_id == target_id:
        raise Conflict("merge_into_itself", _("An idea cannot be merged into itself."))
    permissions.require(moderator, Action.MERGE_IDEAS)
    # Lock in id order, so two merges of the same pair cannot deadlock.
    locked = {i: lock_idea(i) for i in sorted((source_id, target_id))}
    source, target = locked[source_id], locked[target_id]
    if source is None:
        raise NotFound("idea_not_found", _("No such idea."))
    if target is None:
        raise Invalid({"target_id": _("No such idea.")}, code="target_not_found")
    permissions.require(moderator, Action.MERGE_IDEAS, source)
    permissions.require(moderator, Action.MERGE_IDEAS, target)  # nor into their own idea
    if source.merged_into_id is not None:
        raise Conflict("already_merged", _("This idea was already merged."))
    if source.status in lifecycle.FROZEN:  # past the support phase: supporters stay
        raise Conflict("source_frozen", _("This idea's supporter list is final: it cannot be "
                                          "merged."))
    if target.merged_into_id is not None or target.hidden:
        raise Conflict("target_not_open", _("The target idea is merged or hidden."))
    if not target.is_gathering:
        raise Conflict("target_not_gathering",
                       _("Only an idea that is gathering support can receive supporters."))
    already = select(Support.user_id).where(Support.idea_id == target.id)
    creators = select(IdeaCreator.user_id).where(IdeaCreator.idea_id == target.id)
    moved = db.session.execute(
        update(Support).where(Support.idea_id == source.id, Support.user_id.not_in(already),
                              Support.user_id.not_in(creators))
        .values(idea_id=target.id).execution_options(synchronize_session=False)).rowcount
    dropped = db.session.execute(delete(Support).where(Support.idea_id == source.id)
                                 .execution_options(synchronize_session=False)).rowcount
    count = db.session.scalar(select(func.count()).select_from(Support)
                              .where(Support.idea_id == target.id))
    before = {"source": {"status": source.status, "support_count": source.support_count,
                         "hidden": source.hidden},
              "target": {"support_count": target.support_count}}
    source_was_public = source.status in lifecycle.PUBLIC and not source.hidden
    target.support_count = count
    source.support_count = 0
    counters.put(target, count)  # the exact numbers, too
    counters.put(source, 0)
    resonance.recount(target.id)  # the moved supporters' answers count on the target now
    resonance.recount(source.id)
    support_days.rebuild([target.id, source.id], also_referred_to=[source.id])
    source.merged_into_id = target.id
    note = reason or f"Merged into idea #{target.id}"
    if source.status == lifecycle.IdeaStatus.PUBLISHED:
        events.transition(moderator, source, lifecycle.IdeaStatus.WITHDRAWN, "merged", reason=note)
    else:
        if source.status in lifecycle.UNPUBLISHED:  # never public: keep it out of sight
            source.hidden = True
            source.hidden_reason = note
        events.record(moderator, "merged", source, reason=note)
    events.record(moderator, "merged_from", target,
                  reason=labels.system_reason("merged_from", id=source.id, n=moved))
    events.audit(moderator, "idea.merge", source, before=before,
                 after={"merged_into_id": target.id, "moved": moved,
                        "skipped": dropped, "target_support_count": count}, reason=reason)
    from app.services import milestones

    milestones.advance(target, moderator)  # the merge may pass one or more milestones
    events.notify(events.creators_of(source), "idea_merged",
                  {"title": source.title, "target": target.title}, idea=source)
    if source_was_public:
        events.notify(events.creators_of(target), "idea_merged_into",
                      {"title": source.title, "target": target.title, "count": moved}, idea=target)
    else:  # an idea never published (or hidden) keeps its title from other members
        events.notify(events.creators_of(target), "idea_merged_into_private",
                      {"target": target.title, "count": moved}, idea=target)
    return target


# --- members' reports of ideas and members ---------------------------------------------------
# The same rules as comment reports (app.services.comments.report_comment): once per member,
# never one's own, weighed by app.services.integrity, and at COMMENT_REPORT_THRESHOLD an idea is
# hidden until a moderator decides. A member is never blocked by reports alone: at the
# threshold they lead the queue, and a moderator decides.

REPORT_KINDS = ("idea", "user")


def _report_reason(reason: Any) -> str:
    return report_reason(reason)


def _add_report(user: User, kind: str, target_id: int, reason: str) -> ContentReport:
    report = ContentReport(kind=kind, target_id=target_id, reporter_id=user.id, reason=reason,
                           weight_pct=integrity.report_weight(user))
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:
        raise Conflict("already_reported", _("You already reported this.")) from None
    return report


def _open_weights(kind: str, target_id: int):
    return db.session.scalars(select(ContentReport.weight_pct).where(
        ContentReport.kind == kind, ContentReport.target_id == target_id,
        ContentReport.resolved_at.is_(None)))


def report_idea(user: User, idea_id: int, reason: Any = "") -> ContentReport:
    """Report a public idea (not one's own). At the comments' threshold, weighed, the idea is
    hidden until a moderator decides; its creators are told."""
    idea = permissions.require_visible(user, lock_idea(idea_id))
    permissions.require(user, Action.REPORT_IDEA, idea)
    if idea.status not in lifecycle.PUBLIC or idea.hidden:
        raise Conflict("not_reportable", _("Only a public idea can be reported."))
    report = _add_report(user, "idea", idea.id, _report_reason(reason))
    if integrity.weights_hide(_open_weights("idea", idea.id)):
        idea.hidden = True
        idea.hidden_reason = labels.system_reason("hidden")
        events.record(None, "hidden", idea, reason=idea.hidden_reason)
        events.notify(events.creators_of(idea), "idea_hidden",
                      {"title": idea.title, "reason": idea.hidden_reason},
                      idea=idea)
    return report


def report_member(user: User, member_id: int, reason: Any = "") -> ContentReport:
    """Report another member (their profile, names or behaviour)."""
    member = db.session.get(User, member_id) if is_row_id(member_id) else None
    if member is None or member.is_blocked or member.deleted_at is not None:
        raise NotFound("user_not_found", _("No such user."))
    permissions.require(user, Action.REPORT_MEMBER, member)
    return _add_report(user, "user", member.id, _report_reason(reason))


def reported_by(user: User | None, kind: str, target_ids: list[int]) -> set[int]:
    """Which of these ideas or members the user has reported already (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not target_ids:
        return set()
    return set(db.session.scalars(select(ContentReport.target_id).where(
        ContentReport.kind == kind, ContentReport.reporter_id == user.id,
        ContentReport.target_id.in_(target_ids))))


def viewer_reports(user: User | None, idea_id: int,
                   comment_ids: list[int]) -> tuple[bool, set[int]]:
    """What the viewer reported already on an idea's page: the idea, and which of its shown
    comments (one query for both; none for visitors)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False, set()
    stmt = select(literal("idea").label("kind"), ContentReport.target_id.label("id")).where(
        ContentReport.kind == "idea", ContentReport.target_id == idea_id,
        ContentReport.reporter_id == user.id)
    if comment_ids:
        stmt = stmt.union_all(select(literal("comment"), Report.comment_id).where(
            Report.reporter_id == user.id, Report.comment_id.in_(comment_ids)))
    rows = db.session.execute(stmt).all()
    return (any(kind == "idea" for kind, _id in rows),
            {target for kind, target in rows if kind == "comment"})


@dataclass
class ReportedTarget:
    kind: str  # idea | user
    target: Idea | User
    reports: list[tuple[ContentReport, User | None]] = field(default_factory=list)

    @property
    def over_threshold(self) -> bool:
        return integrity.weights_hide(r.weight_pct for r, _reporter in self.reports)


def reported_targets(moderator: User) -> list[ReportedTarget]:
    """Ideas and members with open reports, the most reported first (a fixed number of queries:
    the reports, the ideas, the members and the reporters)."""
    permissions.require(moderator, Action.MODERATE)
    reports = list(db.session.scalars(select(ContentReport).where(
        ContentReport.resolved_at.is_(None)).order_by(ContentReport.id).limit(1000)))
    if not reports:
        return []
    wanted = {kind: {r.target_id for r in reports if r.kind == kind} for kind in REPORT_KINDS}
    ideas = {i.id: i for i in db.session.scalars(
        select(Idea).where(Idea.id.in_(wanted["idea"])).options(selectinload(Idea.owner)))} \
        if wanted["idea"] else {}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        wanted["user"] | {r.reporter_id for r in reports})))}
    grouped: dict[tuple[str, int], ReportedTarget] = {}
    for report in reports:
        target = (ideas if report.kind == "idea" else people).get(report.target_id)
        if target is None:
            continue
        entry = grouped.setdefault((report.kind, report.target_id),
                                   ReportedTarget(report.kind, target))
        entry.reports.append((report, people.get(report.reporter_id)))
    return sorted(grouped.values(), key=lambda t: (not t.over_threshold, -len(t.reports),
                                                   t.kind, t.target.id))


def _resolve(kind: str, target_id: int, resolution: str) -> int:
    return db.session.execute(
        update(ContentReport).where(ContentReport.kind == kind,
                                    ContentReport.target_id == target_id,
                                    ContentReport.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolution=resolution)
        .execution_options(synchronize_session=False)).rowcount


def decide_idea_reports(moderator: User, idea_id: int, uphold: bool, reason: Any = None) -> Idea:
    """Uphold the reports (the idea is hidden, with the reason) or find them unfounded (an idea
    hidden by them shows again). Never on one's own idea (separation of duties)."""
    idea = _idea_for(moderator, idea_id, Action.HIDE_CONTENT)
    if uphold:
        reason = _reason(reason, required=True)
        if not idea.hidden:
            hide_idea(moderator, idea.id, reason)
        else:  # hidden by the reports: the moderator's reason replaces the system's
            idea.hidden_reason = reason
    else:
        reason = _reason(reason, required=False)
        if idea.hidden and idea.hidden_reason == labels.system_reason("hidden"):
            unhide_idea(moderator, idea.id, reason)
    closed = _resolve("idea", idea.id, "removed" if uphold else "restored")
    events.audit(moderator, "idea.reports_upheld" if uphold else "idea.reports_dismissed", idea,
                 after={"reports_closed": closed, "hidden": idea.hidden}, reason=reason)
    return idea


def decide_member_reports(moderator: User, member_id: int, uphold: bool,
                          reason: Any = None) -> User:
    """Uphold the reports (the account is blocked: block_user's rules) or dismiss them. Never on
    reports about oneself."""
    member = _user_for(moderator, member_id)
    if member.id == moderator.id:
        raise Forbidden("separation_of_duties",
                        _("Reports about you are decided by another moderator."))
    if uphold:
        reason = _reason(reason, required=True)
        if not member.is_blocked:
            block_user(moderator, member.id, reason)
    else:
        reason = _reason(reason, required=False)
    closed = _resolve("user", member.id, "removed" if uphold else "restored")
    events.audit(moderator, "user.reports_upheld" if uphold else "user.reports_dismissed",
                 member, after={"reports_closed": closed, "blocked": member.is_blocked},
                 reason=reason)
    return member
