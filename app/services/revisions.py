"""Refining a published idea: its creators change the description and the insight while it
gathers support; each change is a revision (what changed, before and after), told to the
supporters and followers; a moderator may revert one that turns it into another idea.

Once the idea qualified (or left the gathering stage any other way) it is final: reviewers
judge what the supporters supported (409 `idea_not_refinable`). The title and the pitch are not
refined (a new title is a new idea). A refined insight must meet the submission rules
(app.services.insight): a refinement never makes it weaker.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from app import lifecycle, permissions
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import Idea, IdeaRevision, User
from app.models.base import utcnow
from app.permissions import Action
from app.services import events, fan_out, insight
from app.services import ideas as idea_service

NOTE_MAX = 500
REASON_MAX = 2000
#: The fields a refinement may change, in the order the history shows them.
FIELDS = ("description", *insight.PARTS)
#: Revisions the idea page shows (the revisions page and the API page through them all).
PAGE_REVISIONS = 10
#: Revisions read for the core's history ("what changed after listening").
CORE_HISTORY = 100


def _column(field: str) -> str:
    return field if field == "description" else insight.column(field)


def refine_idea(user: User, idea_id: int, data: Mapping[str, Any]) -> IdeaRevision:
    """Change the description and/or insight parts of an idea gathering support; records the
    revision, an event, and tells the other creators now and the followers and supporters in
    batches (fan_out). Invalid for bad fields or nothing changed; Conflict
    `idea_not_refinable` once it no longer gathers support; Forbidden for non-creators."""
    idea = permissions.require_visible(user, idea_service.lock_idea(idea_id))
    permissions.require(user, Action.REFINE_IDEA, idea)
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise Invalid({"note": _("Must be a string.")})
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise Invalid({"note": _("At most %(n)s characters.", n=NOTE_MAX)})
    fields = {name: data[name] for name in ("description", *insight.PARTS, *insight.LEGACY, "whys")
              if name in data}
    values = idea_service.clean_fields(fields)
    parts = {**insight.read(idea), **{p: values[p] for p in insight.PARTS if p in values}}
    problems = insight.problems(parts)
    if problems:
        raise Invalid(problems, _("A refined insight must still be complete."))
    changes = []
    for field in FIELDS:
        if field in values and (getattr(idea, _column(field)) or "") != values[field]:
            changes.append({"field": field, "before": getattr(idea, _column(field)) or "",
                            "after": values[field]})
    if not changes:
        raise Invalid({"description": _("Nothing changed.")}, _("Nothing changed."),
                      code="nothing_changed")
    for change in changes:
        setattr(idea, _column(change["field"]), change["after"])
    idea.updated_at = utcnow()
    number = (db.session.scalar(select(func.max(IdeaRevision.number))
                                .where(IdeaRevision.idea_id == idea.id)) or 0) + 1
    revision = IdeaRevision(idea_id=idea.id, number=number, author_id=user.id, changes=changes,
                            note=note, state="published")
    db.session.add(revision)
    db.session.flush()
    events.record(user, "refined", idea, reason=note or None)
    params = {"title": idea.title, "name": user.display_name}
    events.notify(events.creators_of(idea), "idea_refined", params, idea=idea, exclude=user)
    if not idea.hidden:  # a hidden idea is told to no one but its creators
        fan_out.tell_followers(idea, "idea_refined", params, audience="followers_and_supporters")
    return revision


def revert_revision(moderator: User, idea_id: int, revision_id: int, reason: Any) -> IdeaRevision:
    """A moderator refuses a refinement that turns the idea into another one: the fields go
    back to what they were before it (only the latest standing revision can be reverted, so
    nothing later is lost), recorded with the reason in the history and the audit log, and the
    creators are told. Conflict `revision_final` once the idea no longer gathers support (what
    the reviewers scored stays what they saw)."""
    idea = permissions.require_visible(moderator, idea_service.lock_idea(idea_id))
    permissions.require(moderator, Action.REVERT_REVISION, idea)
    if not isinstance(reason, str) or not reason.strip():
        raise Invalid({"reason": _("Say why (the creators are told).")})
    reason = reason.strip()[:REASON_MAX]
    revision = db.session.get(IdeaRevision, revision_id)
    if revision is None or revision.idea_id != idea.id:
        raise NotFound("revision_not_found", _("No such revision."))
    if revision.state == "reverted":
        raise Conflict("already_reverted", _("This revision is already reverted."))
    latest = db.session.scalar(select(func.max(IdeaRevision.number)).where(
        IdeaRevision.idea_id == idea.id, IdeaRevision.state == "published"))
    if revision.number != latest:
        raise Conflict("not_latest_revision", _("Only the latest revision can be reverted: "
                                                "revert the later ones first."))
    for change in revision.changes:
        setattr(idea, _column(change["field"]), change["before"])
    revision.state, revision.reverted_by_id = "reverted", moderator.id
    revision.reverted_reason, revision.reverted_at = reason, utcnow()
    events.record(moderator, "revision_reverted", idea, reason=reason)
    events.audit(moderator, "idea.revision_reverted", idea, reason=reason,
                 before={"revision": revision.number,
                         "fields": [c["field"] for c in revision.changes]})
    events.notify(events.creators_of(idea), "idea_revision_reverted",
                  {"title": idea.title, "reason": reason}, idea=idea)
    return revision


def to_moderate(moderator: User, *, before_id: int | None = None,
                limit: int = PAGE_REVISIONS) -> list[tuple[IdeaRevision, Idea]]:
    """The standing refinements of ideas still gathering support, newest first (keyset on the
    revision id: `before_id` = the last one seen), each with its idea: what moderators look at
    to revert a change that turns an idea into another one. One query."""
    permissions.require(moderator, Action.MODERATE)
    now = utcnow()
    stmt = (select(IdeaRevision, Idea).join(Idea, Idea.id == IdeaRevision.idea_id)
            .where(IdeaRevision.state == "published",
                   Idea.status == lifecycle.IdeaStatus.PUBLISHED,
                   or_(Idea.deadline.is_(None), Idea.deadline > now))
            .options(joinedload(IdeaRevision.author).lazyload(User.role_rows))
            .order_by(IdeaRevision.id.desc()).limit(limit))
    if before_id is not None:
        stmt = stmt.where(IdeaRevision.id < before_id)
    return [(revision, idea) for revision, idea in db.session.execute(stmt).unique()]


def revisions_of(idea: Idea, *, limit: int | None = PAGE_REVISIONS, before_number: int | None = None
                 ) -> list[IdeaRevision]:
    """The idea's revisions, newest first, with their authors (one query)."""
    stmt = (select(IdeaRevision).where(IdeaRevision.idea_id == idea.id)
            .options(joinedload(IdeaRevision.author).lazyload(User.role_rows))
            .order_by(IdeaRevision.number.desc()))
    if before_number is not None:
        stmt = stmt.where(IdeaRevision.number < before_number)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def latest_revision_id(idea_id: int) -> int | None:
    """The standing revision a reader sees now (None: the idea as published)."""
    return db.session.scalar(select(IdeaRevision.id).where(
        IdeaRevision.idea_id == idea_id, IdeaRevision.state == "published")
        .order_by(IdeaRevision.number.desc()).limit(1))


def latest_revision(idea_id: int) -> IdeaRevision | None:
    return db.session.get(IdeaRevision, latest_revision_id(idea_id) or 0)


def revision_number(revision_id: int | None) -> int:
    """The number of a revision (0: the idea as published)."""
    if revision_id is None:
        return 0
    return db.session.scalar(select(IdeaRevision.number).where(IdeaRevision.id == revision_id)) or 0


def core_history(idea: Idea, revisions: list[IdeaRevision]) -> list[dict[str, Any]]:
    """The core line as it was first published and after each standing revision that changed
    it, oldest first ("what changed after listening")."""
    changed = [r for r in reversed(revisions) if r.state == "published" and r.change("core")]
    if not changed:
        return []
    steps = [{"core": changed[0].change("core")["before"], "revision": None, "note": ""}]
    steps += [{"core": r.change("core")["after"], "revision": r, "note": r.note} for r in changed]
    return [step for step in steps if step["core"]]


_TOKENS = re.compile(r"\s+|[\u3040-\u30ff\u3400-\u9fff]|[^\s\u3040-\u30ff\u3400-\u9fff]+")


def diff_html(before: str, after: str) -> Markup:
    """A word diff (a CJK character is a word) as escaped HTML: <del> removed, <ins> added."""
    a, b = _TOKENS.findall(before or ""), _TOKENS.findall(after or "")
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Markup("<del>%s</del>") % "".join(a[i1:i2]))
        if j2 > j1:
            out.append(Markup("<ins>%s</ins>") % "".join(b[j1:j2]))
    return Markup("").join(out)


def field_label(field: str) -> str:
    return str(_("Description")) if field == "description" else str(insight.LABELS[field])
