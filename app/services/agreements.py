"""The creator agreement: versions published by admins, each with the SHA-256 of its exact text.

Published versions are never edited: a change is a new version, and the latest published one
is in force. Consents keep the version and digest they were given to (app.services.ideas)."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app import permissions
from app.permissions import Action
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.models import Agreement, User
from app.models.agreements import sha256_text
from app.models.base import utcnow
from app.services import events
from app.i18n import _

VERSION_MAX = 20
TITLE_MAX = 200
TEXT_MAX = 200_000
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")


def normalise_text(text: str) -> str:
    """Line endings as "\\n" (browsers send "\\r\\n"), so the digest people compute from the
    text we serve is the digest we show."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def current_agreement() -> Agreement | None:
    """The version in force: the latest published."""
    return db.session.scalar(select(Agreement).order_by(Agreement.published_at.desc(),
                                                        Agreement.id.desc()).limit(1))


def all_versions() -> list[Agreement]:
    """Every published version, newest first."""
    return list(db.session.scalars(select(Agreement).order_by(Agreement.published_at.desc(),
                                                              Agreement.id.desc())))


def get_version(version: str) -> Agreement:
    agreement = db.session.scalar(select(Agreement).where(Agreement.version == version))
    if agreement is None:
        raise NotFound("agreement_not_found", _("No such version of the creator agreement."))
    return agreement


def publish_agreement(admin: User | None, version: Any, title: Any, text: Any) -> Agreement:
    """Publish a new version; it is in force from now on. Ideas already submitted keep the
    consent they were given; submitting after this asks for consent to this version.
    admin None: an operator at the console (`flask agreements publish`)."""
    if admin is not None:
        permissions.require(admin, Action.PUBLISH_AGREEMENT)
    version = version.strip() if isinstance(version, str) else ""
    title = title.strip() if isinstance(title, str) else ""
    text = normalise_text(text) if isinstance(text, str) else ""
    fields: dict[str, str] = {}
    if not version or len(version) > VERSION_MAX or not _VERSION.fullmatch(version):
        fields["version"] = _("Use up to %(n)s letters, digits, dots, dashes or underscores "
                              "(e.g. 2 or 2026-04).", n=VERSION_MAX)
    if not title or len(title) > TITLE_MAX:
        fields["title"] = _("A title of up to %(n)s characters is required.", n=TITLE_MAX)
    if not text.strip():
        fields["text"] = _("The agreement text is required.")
    elif len(text) > TEXT_MAX:
        fields["text"] = _("At most %(n)s characters.", n=TEXT_MAX)
    if fields:
        raise Invalid(fields)
    if db.session.scalar(select(Agreement.id).where(Agreement.version == version)) is not None:
        raise Invalid({"version": _("Version %(v)s already exists; versions are never changed.",
                                    v=version)}, code="version_taken")
    previous = current_agreement()
    now = utcnow()
    if previous is not None and previous.published_at > now:
        raise Conflict("clock_behind", _("The latest version is dated in the future."))
    agreement = Agreement(version=version, title=title, text=text, sha256=sha256_text(text),
                          published_at=now, published_by_id=admin.id if admin else None)
    db.session.add(agreement)
    db.session.flush()
    events.audit(admin, "agreement.published", agreement,
                 before={"version": previous.version} if previous else None,
                 after={"version": version, "title": title, "sha256": agreement.sha256})
    return agreement
