"""Admin use cases: users and their roles, blocking accounts, and reading the audit log.
Every change is written to the audit log with the values before and after."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, UTC
from typing import Any

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import selectinload

from app import permissions
from app.permissions import Action
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.models import AuditLog, User, UserRole
from app.models.base import is_row_id
from app.models.users import ROLES
from app.services import accounts as account_service, events
from app.i18n import _

GRANTABLE_ROLES = tuple(role for role in ROLES if role != "member")


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found", _("No such user."))
    return user


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def users_query(admin: User, q: str = "", role: str = "") -> Select:
    """Users matching a name or email fragment (and a role), newest first."""
    permissions.require(admin, Action.MANAGE_USERS)
    stmt = select(User).options(selectinload(User.role_rows))
    q = (q or "").strip()
    if q:
        if q.isdigit():
            stmt = stmt.where(or_(User.id == int(q), User.email.ilike(_like(q), escape="\\")))
        else:
            stmt = stmt.where(or_(func.lower(User.display_name).like(_like(q), escape="\\"),
                                  User.email.ilike(_like(q), escape="\\")))
    if role in GRANTABLE_ROLES:
        stmt = stmt.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    return stmt.order_by(User.created_at.desc(), User.id.desc())


def get_user(admin: User, user_id: int) -> User:
    permissions.require(admin, Action.MANAGE_USERS)
    return _user(user_id)


def _roles_of(user: User) -> list[str]:
    return [r for r in user.roles if r != "member"]


def grant_role(admin: User, user_id: int, role: str) -> bool:
    """Give a role; False when the user already had it."""
    permissions.require(admin, Action.MANAGE_USERS)
    if role not in GRANTABLE_ROLES:
        raise Invalid({"role": _("One of: %(roles)s.", roles=", ".join(GRANTABLE_ROLES))})
    user = _user(user_id)
    if user.has_role(role):
        return False
    before = _roles_of(user)
    user.role_rows.append(UserRole(role=role))
    db.session.flush()
    events.audit(admin, "user.role_granted", user, before={"roles": before},
                 after={"roles": _roles_of(user)}, reason=role)
    return True


def revoke_role(admin: User, user_id: int, role: str) -> bool:
    """Take a role away; False when the user did not have it. Admins cannot demote themselves
    (so there is always someone left to manage roles)."""
    permissions.require(admin, Action.MANAGE_USERS)
    if role not in GRANTABLE_ROLES:
        raise Invalid({"role": _("One of: %(roles)s.", roles=", ".join(GRANTABLE_ROLES))})
    user = _user(user_id)
    if role == "admin" and user.id == admin.id:
        raise Conflict("cannot_demote_self", _("You cannot take away your own admin role."))
    rows = [row for row in user.role_rows if row.role == role]
    if not rows:
        return False
    before = _roles_of(user)
    for row in rows:
        user.role_rows.remove(row)
    db.session.flush()
    events.audit(admin, "user.role_revoked", user, before={"roles": before},
                 after={"roles": _roles_of(user)}, reason=role)
    return True


def block_user(admin: User, user_id: int, reason: str | None = None) -> bool:
    """Block an account: it can no longer sign in or use its tokens. False if already blocked."""
    permissions.require(admin, Action.MANAGE_USERS)
    user = _user(user_id)
    if user.id == admin.id:
        raise Conflict("cannot_block_self", _("You cannot block your own account."))
    return account_service.block_user(admin, user, (reason or "").strip() or None)


def reset_two_factor(admin: User, user_id: int, reason: str | None = None) -> bool:
    """Turn off the two-factor sign-in of a staff member who lost the device and the recovery
    codes (app.services.two_factor.reset: audited, the member mailed). False if it was off."""
    from app.services import two_factor

    permissions.require(admin, Action.RESET_TWO_FACTOR)
    return two_factor.reset(admin, _user(user_id), reason)


def unblock_user(admin: User, user_id: int, reason: str | None = None) -> bool:
    permissions.require(admin, Action.MANAGE_USERS)
    user = _user(user_id)
    if not user.is_blocked:
        return False
    user.blocked_at = None
    events.audit(admin, "user.unblocked", user, before={"blocked": True}, after={"blocked": False},
                 reason=(reason or "").strip() or None)
    return True


# --- the audit log ------------------------------------------------------------------------------

def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_query(admin: User, *, actor: str = "", action: str = "", target_type: str = "",
                date_from: date | None = None, date_to: date | None = None,
                target_id: int | None = None) -> Select:
    """Audit entries, newest first, filtered by who (name, email or id), what, on which kind of
    object and when (whole days, inclusive)."""
    permissions.require(admin, Action.VIEW_AUDIT)
    stmt = select(AuditLog).options(selectinload(AuditLog.actor))
    actor = (actor or "").strip()
    if actor:
        people = select(User.id)
        if actor.isdecimal():  # an id (one that no row can have matches nobody)
            people = people.where(User.id == int(actor) if is_row_id(int(actor)) else false())
        else:
            people = people.where(or_(func.lower(User.display_name).like(_like(actor), escape="\\"),
                                      User.email.ilike(_like(actor), escape="\\")))
        stmt = stmt.where(AuditLog.actor_id.in_(people))
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if target_type:
        stmt = stmt.where(AuditLog.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == target_id)
    if date_from:
        stmt = stmt.where(AuditLog.created_at >= _day_start(date_from))
    if date_to and date_to < date.max:  # the last day there is has no day after it
        stmt = stmt.where(AuditLog.created_at < _day_start(date_to + timedelta(days=1)))
    return stmt.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())


def audit_choices() -> tuple[list[str], list[str]]:
    """The actions and target types present in the log, for the filter menus."""
    actions = list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
    targets = list(db.session.scalars(select(AuditLog.target_type).distinct()
                                      .order_by(AuditLog.target_type)))
    return actions, targets


#: The audit log's target types whose rows have a name to show: (model, the name's column).
_TARGET_NAMES: dict[str, tuple[str, str]] = {
    "idea": ("Idea", "title"), "user": ("User", "display_name"), "category": ("Category", "name"),
    "tag": ("Tag", "name"), "campaign": ("Campaign", "title"), "product": ("Product", "name"),
    "reviewbatch": ("ReviewBatch", "name"), "survey": ("Survey", "title"),
    "cosession": ("CoSession", "title"), "producttest": ("ProductTest", "title"),
    "segment": ("Segment", "name"), "announcement": ("Announcement", "title_en"),
    "agreement": ("Agreement", "title"),
}


def audit_targets(entries: list[AuditLog]) -> dict[tuple[str, int], dict[str, Any]]:
    """The names of what a page of audit entries acted on, keyed by (target_type, target_id):
    {"title", "idea_id" (a comment's idea)}. One query per kind of target on the page (a fixed
    number, whatever the page holds); a target since deleted has no entry."""
    import app.models as models

    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.target_id is not None and (entry.target_type in _TARGET_NAMES
                                            or entry.target_type == "comment"):
            wanted.setdefault(entry.target_type, set()).add(entry.target_id)
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for kind, ids in wanted.items():
        if kind == "comment":
            rows = db.session.execute(
                select(models.Comment.id, models.Idea.title, models.Idea.id)
                .join(models.Idea, models.Idea.id == models.Comment.idea_id)
                .where(models.Comment.id.in_(ids))).all()
            found.update({(kind, row[0]): {"title": row[1], "idea_id": row[2]} for row in rows})
            continue
        model_name, column = _TARGET_NAMES[kind]
        model = getattr(models, model_name)
        rows = db.session.execute(select(model.id, getattr(model, column))
                                  .where(model.id.in_(ids))).all()
        found.update({(kind, row[0]): {"title": row[1]} for row in rows})
    return found


def page_of(stmt: Select, page: int, per_page: int) -> tuple[list, int]:
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return rows, total


def overview() -> dict[str, int]:
    """Counts for the admin home page."""
    from app import lifecycle
    from app.lifecycle import IdeaStatus
    from app.models import Idea
    from app.models.review import ReviewBatch

    return {
        "users": db.session.scalar(select(func.count()).select_from(User)) or 0,
        "blocked": db.session.scalar(select(func.count()).select_from(User)
                                     .where(User.blocked_at.is_not(None))) or 0,
        "staff": db.session.scalar(select(func.count(func.distinct(UserRole.user_id)))) or 0,
        "waiting": db.session.scalar(select(func.count()).select_from(Idea).where(
            Idea.status.in_(lifecycle.AWAITING_BATCH), Idea.hidden.is_(False))) or 0,
        "in_review": db.session.scalar(select(func.count()).select_from(Idea)
                                       .where(Idea.status == IdeaStatus.IN_REVIEW)) or 0,
        "open_batches": db.session.scalar(select(func.count()).select_from(ReviewBatch)
                                          .where(ReviewBatch.status != "published")) or 0,
    }
