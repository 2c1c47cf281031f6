"""Community integrity: who once supported an idea (a lasting conflict of interest in review),
how much a report counts, and bursts of supports and reports from new accounts on one network.

Reports from accounts younger than REPORT_NEW_ACCOUNT_DAYS, or that never did anything (no
support, comment or idea), weigh REPORT_NEW_ACCOUNT_WEIGHT_PCT percent of a report toward the
COMMENT_REPORT_THRESHOLD that hides a comment; an official staff comment is never hidden by
reports. A burst: at least BURST_MIN_ACCOUNTS new accounts supporting one idea (or reporting one
comment) from one network (app.origin: a keyed hash of the /24, never the address) in one clock
hour, within the last BURST_WINDOW_DAYS. Moderators see bursts and may void one: its supports
are removed and the idea's count goes down by exactly as many (the withdrawal's counter path),
or its reports are closed; audited either way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, exists, select, update

from app import labels, lifecycle, permissions
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import (Comment, FormerSupporter, Idea, IdeaCreator, Report, Support, User)
from app.models.base import is_row_id, utcnow
from app.permissions import Action
from app.services import events

#: At most this many recent rows from new accounts are scanned per kind (the view stays bounded).
BURST_SCAN_MAX = 5_000
BURST_KINDS = ("support", "report")


def remember_former_supporter(idea_id: int, user_id: int) -> None:
    """Keep that this member supported the idea, after they withdraw (called under the idea's
    row lock by supports.withdraw_support, so one row per pair without a race)."""
    row = db.session.get(FormerSupporter, (idea_id, user_id))
    if row is None:
        db.session.add(FormerSupporter(idea_id=idea_id, user_id=user_id))
    else:
        row.withdrawn_at = utcnow()


# --- how much a report counts ---------------------------------------------------------------

def _new_since() -> datetime:
    return utcnow() - timedelta(days=current_app.config["REPORT_NEW_ACCOUNT_DAYS"])


def report_weight(user: User) -> int:
    """100 for an established member; REPORT_NEW_ACCOUNT_WEIGHT_PCT for an account younger than
    REPORT_NEW_ACCOUNT_DAYS or one that never supported, commented or created an idea."""
    light = current_app.config["REPORT_NEW_ACCOUNT_WEIGHT_PCT"]
    if user.created_at is None or user.created_at >= _new_since():
        return light
    active = db.session.scalar(select(
        exists().where(Support.user_id == user.id)
        | exists().where(Comment.author_id == user.id)
        | exists().where(IdeaCreator.user_id == user.id)))
    return 100 if active else light


def reports_hide(comment: Comment) -> bool:
    """Whether the comment's open reports, weighed, reach the threshold (never for an official
    staff comment)."""
    if comment.is_official:
        return False
    weights = db.session.scalars(select(Report.weight_pct).where(
        Report.comment_id == comment.id, Report.resolved_at.is_(None)))
    return weights_hide(weights)


def weights_hide(weights) -> bool:
    """Whether these open reports' weights (percent) reach COMMENT_REPORT_THRESHOLD: the one
    threshold of comments and forum posts (app.services.forum)."""
    return sum(weights) >= current_app.config["COMMENT_REPORT_THRESHOLD"] * 100


# --- bursts ---------------------------------------------------------------------------------

@dataclass
class Burst:
    """New accounts acting on one target from one network in one hour."""

    kind: str  # support | report
    target_id: int  # the idea (supports) or the comment (reports)
    idea_id: int
    network: str  # the network's keyed hash (never an address)
    hour: datetime
    members: list[tuple[int, str, datetime]] = field(default_factory=list)  # id, name, joined

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.target_id}:{self.network}:{self.hour:%Y%m%d%H}"


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _rows(kind: str, since: datetime, until: datetime | None = None):
    """(row id, target id, idea id, network, created, user id, name, joined) of recent rows by
    accounts that were new when they acted."""
    days = timedelta(days=current_app.config["REPORT_NEW_ACCOUNT_DAYS"])
    if kind == "support":
        stmt = select(Support.id, Support.idea_id, Support.idea_id, Support.network_hash,
                      Support.created_at, User.id, User.display_name, User.created_at) \
            .join(User, User.id == Support.user_id) \
            .where(Support.created_at >= since, Support.network_hash.is_not(None),
                   User.created_at >= since - days)
        created = Support.created_at
    else:
        stmt = select(Report.id, Report.comment_id, Comment.idea_id, Report.network_hash,
                      Report.created_at, User.id, User.display_name, User.created_at) \
            .join(User, User.id == Report.reporter_id) \
            .join(Comment, Comment.id == Report.comment_id) \
            .where(Report.created_at >= since, Report.network_hash.is_not(None),
                   Report.resolved_at.is_(None), User.created_at >= since - days)
        created = Report.created_at
    if until is not None:
        stmt = stmt.where(created < until)
    for row in db.session.execute(stmt.order_by(created.desc()).limit(BURST_SCAN_MAX)):
        if row[4] - row[7] < days:  # new when they acted
            yield row


def _group(kind: str, since: datetime,
           until: datetime | None = None) -> dict[tuple, tuple[Burst, list[int]]]:
    groups: dict[tuple, tuple[Burst, list[int]]] = {}
    for row_id, target, idea_id, network, created, user_id, name, joined in \
            _rows(kind, since, until):
        key = (target, network, _hour(created))
        burst, ids = groups.setdefault(key, (Burst(kind, target, idea_id, network,
                                                   _hour(created)), []))
        burst.members.append((user_id, name, joined))
        ids.append(row_id)
    minimum = current_app.config["BURST_MIN_ACCOUNTS"]
    return {key: value for key, value in groups.items() if len(value[0].members) >= minimum}


def bursts(moderator: User) -> list[Burst]:
    """Recent bursts of supports and reports from new accounts, newest first."""
    permissions.require(moderator, Action.MODERATE)
    since = utcnow() - timedelta(days=current_app.config["BURST_WINDOW_DAYS"])
    found = [burst for kind in BURST_KINDS for burst, _ids in _group(kind, since).values()]
    return sorted(found, key=lambda b: (b.hour, b.kind, b.target_id), reverse=True)


def _find(kind: Any, target_id: Any, network: Any, hour: Any) -> tuple[Burst, list[int]]:
    if kind not in BURST_KINDS:
        raise Invalid({"kind": _("One of: support, report.")})
    if not is_row_id(target_id):
        raise Invalid({"target_id": _("Name the burst to void.")})
    if not isinstance(network, str) or not isinstance(hour, str):
        raise Invalid({"burst": _("Name the burst to void.")})
    if not (len(hour) == 10 and hour.isascii() and hour.isdigit()):
        raise Invalid({"hour": _("Name the burst to void.")})
    try:
        moment = datetime.strptime(hour, "%Y%m%d%H").replace(tzinfo=utcnow().tzinfo)
    except ValueError:  # YYYYMMDDHH, but no such hour (2026023025): no burst then
        raise NotFound("burst_not_found", _("No such burst (it may have been voided).")) from None
    group = _group(kind, moment, moment + timedelta(hours=1)).get((target_id, network, moment))
    if group is None:
        raise NotFound("burst_not_found", _("No such burst (it may have been voided)."))
    return group


def void_burst(moderator: User, kind: Any, target_id: Any, network: Any, hour: Any,
               reason: Any = None) -> Burst:
    """Void a burst: its supports are removed and the idea recounted exactly, or its reports
    closed (a comment they hid shows again unless other reports still hide it). Audited."""
    permissions.require(moderator, Action.MODERATE)
    reason = reason.strip()[:2000] if isinstance(reason, str) and reason.strip() else None
    burst, ids = _find(kind, target_id, network, hour)
    user_ids = [member[0] for member in burst.members]
    if kind == "support":
        after = _void_supports(moderator, burst, ids)
        events.audit(moderator, "supports.burst_voided", db.session.get(Idea, burst.idea_id),
                     before={"support_count": after["before"]},
                     after={"support_count": after["count"], "removed": after["removed"],
                            "user_ids": user_ids, "hour": burst.hour.isoformat()},
                     reason=reason)
    else:
        comment = db.session.get(Comment, burst.target_id)
        permissions.require(moderator, Action.MODERATE, db.session.get(Idea, comment.idea_id))
        closed = db.session.execute(
            update(Report).where(Report.id.in_(ids), Report.resolved_at.is_(None))
            .values(resolved_at=utcnow(), resolution="voided")
            .execution_options(synchronize_session=False)).rowcount
        was_hidden = comment.hidden
        comment.report_count = max(0, comment.report_count - closed)
        if comment.hidden and not reports_hide(comment):
            comment.hidden = False
            if comment.deleted_at is None:  # shown again: the idea's kept count (comments)
                from app.services.comments import keep_count

                keep_count(comment.idea_id, 1)
        events.audit(moderator, "reports.burst_voided", comment,
                     before={"hidden": was_hidden},
                     after={"hidden": comment.hidden, "closed": closed, "user_ids": user_ids,
                            "hour": burst.hour.isoformat()}, reason=reason)
    return burst


def _void_supports(moderator: User, burst: Burst, ids: list[int]) -> dict[str, int]:
    from app.services import counters, milestones, support_days
    from app.services.ideas import lock_idea

    idea = lock_idea(burst.idea_id)
    if idea is None:
        raise NotFound("idea_not_found", _("No such idea."))
    permissions.require(moderator, Action.MODERATE, idea)  # not on their own idea
    if idea.status in lifecycle.FROZEN:
        raise Conflict("supporters_final", _("This idea's supporter list is final: its supports "
                                             "can no longer be voided."))
    before = counters.show_exact(idea)
    gone = db.session.execute(delete(Support).where(Support.id.in_(ids), Support.idea_id
                                                    == idea.id)
                              .returning(Support.created_at, Support.user_id)).all()
    removed = len(gone)
    support_days.removed(idea.id, [(row.created_at, row.user_id) for row in gone])
    # The withdrawal's counter path (app.services.counters), by as many as were removed.
    counters.bump(idea, -removed, milestones.trending_score_for(idea.id))
    events.record(moderator, "supports_voided", idea,
                  reason=labels.system_reason("supports_voided", n=removed))
    return {"before": before, "count": idea.support_count, "removed": removed}


