"""A member's consents: to personalisation and to marketing mail, each changeable at any time.

- personalisation (default on): "For you" from what the member supported and created; off, the
  member sees trending ideas and their behaviour feeds no one's recommendations (nor the partner
  pool).
- marketing_mail (default off, opt-in at sign-up): announcements, nudges and re-engagement mail.
  Service mail (confirmation, security, notifications of their own ideas) always goes.

Each change is kept as a ConsentEvent (what, on/off, when, IP address, user agent) for the audit
trail. The SQL twins `personalisation_condition()` / `marketing_condition()` filter a query over
User the same way the Python checks decide for one member.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from app.errors import Invalid
from app.extensions import db
from app.i18n import _
from app.models import ConsentEvent, User
from app.models.base import utcnow
from app.models.privacy import CONSENT_KINDS


def personalisation_allowed(user: Any) -> bool:
    """Whether the member's behaviour may be used to personalise (theirs and others')."""
    return user is not None and bool(getattr(user, "personalisation", False))


def marketing_allowed(user: Any) -> bool:
    """Whether marketing mail (announcements, nudges, re-engagement) may reach the member."""
    return user is not None and bool(getattr(user, "marketing_mail", False))


def personalisation_condition() -> ColumnElement[bool]:
    """personalisation_allowed() in SQL, for a WHERE over User."""
    return User.personalisation.is_(True)


def marketing_condition() -> ColumnElement[bool]:
    """marketing_allowed() in SQL, for a WHERE over User."""
    return User.marketing_mail.is_(True)


def record(user: User, kind: str, granted: bool, *, ip_address: str = "",
           user_agent: str = "") -> ConsentEvent:
    """Keep one consent event (no change of the column; see set_consents)."""
    row = ConsentEvent(user_id=user.id, kind=kind, granted=bool(granted), created_at=utcnow(),
                       ip_address=(ip_address or "")[:45] or None,
                       user_agent=(user_agent or "")[:500] or None)
    db.session.add(row)
    return row


def set_consents(user: User, *, personalisation: Any = None, marketing_mail: Any = None,
                 ip_address: str = "", user_agent: str = "") -> list[ConsentEvent]:
    """Change the member's consents (None = leave as is); each change recorded. 422 for a value
    that is not a boolean; nothing changes then. Returns the events recorded (none when nothing
    changed)."""
    values = {"personalisation": personalisation, "marketing_mail": marketing_mail}
    bad = {name: _("Must be true or false.") for name, value in values.items()
           if value is not None and not isinstance(value, bool)}
    if bad:
        raise Invalid(bad)
    if user.id is None:
        db.session.flush()
    changed = []
    for kind in CONSENT_KINDS:
        value = values[kind]
        if value is None or bool(getattr(user, kind)) == value:
            continue
        setattr(user, kind, value)
        changed.append(record(user, kind, value, ip_address=ip_address, user_agent=user_agent))
    if any(event.kind == "personalisation" for event in changed):
        _personalisation_changed(user)
    return changed


def history(user: User) -> list[ConsentEvent]:
    """The member's consent events, newest first (settings page, export)."""
    from sqlalchemy import select

    return list(db.session.scalars(select(ConsentEvent).where(ConsentEvent.user_id == user.id)
                                   .order_by(ConsentEvent.created_at.desc(),
                                             ConsentEvent.id.desc())))


def _personalisation_changed(user: User) -> None:
    """Switched off: the member's kept "For you" shelf goes (trending from now on); switched
    on: it is computed again on their next visit."""
    from sqlalchemy import delete

    from app.models import Recommendation

    db.session.execute(delete(Recommendation).where(Recommendation.user_id == user.id))
