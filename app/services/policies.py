"""The member terms and the privacy policy: versions published by admins (English and Japanese,
the SHA-256 of each exact text kept), and members' acceptances of them.

- The latest published version of each kind is in force. While none of a kind is published
  (a fresh install), nothing is asked for it.
- Sign-up (HTML and API) must accept the versions in force (`check_accepted`); the acceptance is
  recorded with the version, the digest of the text in the member's language, the time, the IP
  address and the user agent (`accept`).
- A member who has not accepted a version in force is `pending`: the pages send them to the
  interstitial page (app.policies) and API writes answer 403 `terms_not_accepted` (app.api.policies)
  until they accept.

The versions in force are read once per request, from the shared cache (app.cache: Redis, or
this process) where they are kept for VERSIONS_TTL seconds, else by one query of at most two
rows (the latest id of each kind, so versions are published in id order). A commit that adds a
version drops the kept one (a session listener), so the next request reads the new one; the
session that added it reads the database until it commits. Each member's accepted versions are
on their row (users.terms_version, users.privacy_version), so the check costs nothing more.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app import permissions
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import Policy, PolicyAcceptance, User
from app.models.base import utcnow
from app.models.privacy import POLICY_KINDS
from app.permissions import Action
from app.services import events

VERSION_MAX = 20
TEXT_MAX = 200_000
_MEMO = "kyoso.policy_versions"
#: the versions in force in app.cache, and how long they are kept there (a version added by
#: other means than a commit of this app, e.g. by hand in SQL, shows after at most this)
VERSIONS_KEY = "policies:in_force"
VERSIONS_TTL = 60
_ADDED = "kyoso_policy_added"
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]*")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_text(text: str) -> str:
    """Line endings as "\\n", so the digest of the text we serve is the digest we show."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def kind_label(kind: str) -> str:
    return _("Terms of use") if kind == "terms" else _("Privacy policy")


# --------------------------------------------------------------------------- versions in force


def current(kind: str) -> Policy | None:
    """The version of this kind in force: the latest published (publishing refuses a clock
    running behind, so the latest id is the latest date)."""
    return db.session.scalar(select(Policy).where(Policy.kind == kind)
                             .order_by(Policy.id.desc()).limit(1))


def current_policies() -> dict[str, Policy | None]:
    return {kind: current(kind) for kind in POLICY_KINDS}


def current_versions() -> dict[str, str | None]:
    """{kind: version in force or None}: one query of at most two rows, once per request (kept
    in the request's environ), whatever the number of versions."""
    from app.cache import cache

    memo = request.environ.get(_MEMO) if has_request_context() else None
    if memo is not None:
        return memo
    added_here = db.session.info.get(_ADDED, False) or any(  # this session's new version counts
        isinstance(obj, Policy) for obj in db.session.new)
    versions = None if added_here else cache().get(VERSIONS_KEY)
    if versions is None:
        latest = select(func.max(Policy.id)).group_by(Policy.kind)
        versions = dict.fromkeys(POLICY_KINDS)
        versions.update(db.session.execute(select(Policy.kind, Policy.version)
                                           .where(Policy.id.in_(latest))).tuples().all())
        if not added_here:
            cache().set(VERSIONS_KEY, versions, VERSIONS_TTL)
    if has_request_context():
        request.environ[_MEMO] = versions
    return versions


def _after_flush(session: Session, _context) -> None:
    if any(isinstance(obj, Policy) for obj in session.new):
        session.info[_ADDED] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_ADDED, False):
        from app.cache import cache

        cache().delete(VERSIONS_KEY)


def _after_rollback(session: Session) -> None:
    session.info.pop(_ADDED, None)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)


def _forget_versions() -> None:
    if has_request_context():
        request.environ.pop(_MEMO, None)


def all_versions(kind: str) -> list[Policy]:
    return list(db.session.scalars(select(Policy).where(Policy.kind == kind)
                                   .order_by(Policy.id.desc())))


def get_version(kind: str, version: str) -> Policy:
    policy = db.session.scalar(select(Policy).where(Policy.kind == kind, Policy.version == version))
    if policy is None:
        raise NotFound("policy_not_found", _("No such version."))
    return policy


def publish(admin: User | None, kind: Any, version: Any, text_en: Any, text_ja: Any) -> Policy:
    """Publish a new version of the terms or the privacy policy; in force from now on, and every
    member is asked to accept it at their next page or sign-in. Audited. admin None: an
    operator at the console (`flask policies publish`)."""
    if admin is not None:
        permissions.require(admin, Action.PUBLISH_POLICY)
    version = version.strip() if isinstance(version, str) else ""
    texts = {locale: normalise_text(text).strip() + "\n" if isinstance(text, str) and text.strip()
             else "" for locale, text in (("en", text_en), ("ja", text_ja))}
    fields: dict[str, str] = {}
    if kind not in POLICY_KINDS:
        fields["kind"] = _("Choose one of: %(kinds)s.", kinds=", ".join(POLICY_KINDS))
    if not version or len(version) > VERSION_MAX or not _VERSION.fullmatch(version):
        fields["version"] = _("Use up to %(n)s letters, digits, dots, dashes or underscores "
                              "(e.g. 2 or 2026-04).", n=VERSION_MAX)
    for locale, text in texts.items():
        if not text:
            fields[f"text_{locale}"] = _("The text is required.")
        elif len(text) > TEXT_MAX:
            fields[f"text_{locale}"] = _("At most %(n)s characters.", n=TEXT_MAX)
    if fields:
        raise Invalid(fields)
    if db.session.scalar(select(Policy.id).where(Policy.kind == kind,
                                                 Policy.version == version)) is not None:
        raise Invalid({"version": _("Version %(v)s already exists; versions are never changed.",
                                    v=version)}, code="version_taken")
    previous = current(kind)
    now = utcnow()
    if previous is not None and previous.published_at > now:
        raise Conflict("clock_behind", _("The latest version is dated in the future."))
    policy = Policy(kind=kind, version=version, text_en=texts["en"], text_ja=texts["ja"],
                    sha256_en=sha256_text(texts["en"]), sha256_ja=sha256_text(texts["ja"]),
                    published_at=now, published_by_id=admin.id if admin else None)
    db.session.add(policy)
    db.session.flush()
    events.audit(admin, f"policy.{kind}.published", policy,
                 before={"version": previous.version} if previous else None,
                 after={"version": version, "sha256_en": policy.sha256_en,
                        "sha256_ja": policy.sha256_ja})
    _forget_versions()
    return policy


# --------------------------------------------------------------------------- acceptance


def accepted_version(user: User, kind: str) -> str | None:
    return user.terms_version if kind == "terms" else user.privacy_version


def pending(user: Any) -> list[str]:
    """The kinds whose version in force the member has not accepted (none for visitors)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    versions = current_versions()
    return [kind for kind in POLICY_KINDS
            if versions[kind] is not None and accepted_version(user, kind) != versions[kind]]


def check_accepted(accepted: Any, kinds: tuple[str, ...] = POLICY_KINDS) -> dict[str, Policy]:
    """The versions in force named in `accepted` ({kind: version}); 422 (fields accept.<kind>)
    when one in force is not accepted, or a version named is not the one in force."""
    accepted = accepted if isinstance(accepted, dict) else {}
    policies = current_policies()
    fields: dict[str, str] = {}
    chosen: dict[str, Policy] = {}
    for kind in kinds:
        policy, given = policies[kind], accepted.get(kind)
        if policy is None:
            if given not in (None, "", False):
                fields[f"accept.{kind}"] = _("No version is published yet.")
            continue
        if given in (None, "", False):
            fields[f"accept.{kind}"] = _("Please accept the %(what)s (version %(v)s).",
                                         what=kind_label(kind).lower(), v=policy.version)
        elif given != policy.version:
            fields[f"accept.{kind}"] = _("Version %(given)s is not the one in force: "
                                         "accept version %(v)s.", given=str(given)[:40],
                                         v=policy.version)
        else:
            chosen[kind] = policy
    if fields:
        raise Invalid(fields, code="terms_not_accepted")
    return chosen


def accept(user: User, accepted: Any, *, required: tuple[str, ...] = (), locale: str | None = None,
           ip_address: str = "", user_agent: str = "") -> list[PolicyAcceptance]:
    """Record the member's acceptance of the versions in force named in `accepted`
    ({kind: version}). `required`: kinds whose version in force must be among them (sign-up:
    all; the interstitial: the pending ones). 422 for a version not in force, or nothing to
    accept. Accepting again what was accepted is no error (and no new record)."""
    if not isinstance(accepted, dict) or not all(isinstance(k, str) for k in accepted):
        raise Invalid({"accept": _("Name the versions you accept.")})
    unknown = [k for k in accepted if k not in POLICY_KINDS]
    if unknown:
        raise Invalid({f"accept.{unknown[0][:20]}": _("Choose one of: %(kinds)s.",
                                                       kinds=", ".join(POLICY_KINDS))})
    kinds = tuple(k for k in POLICY_KINDS
                  if k in required or accepted.get(k) not in (None, "", False))
    if not kinds:
        raise Invalid({"accept": _("Name the versions you accept.")})
    chosen = check_accepted(accepted, kinds)
    locale = locale if locale in ("en", "ja") else "en"
    if user.id is None:
        db.session.flush()
    rows = []
    for kind, policy in chosen.items():
        if user.id is not None and db.session.scalar(select(PolicyAcceptance.id).where(
                PolicyAcceptance.user_id == user.id, PolicyAcceptance.policy_id == policy.id)):
            _set_accepted(user, kind, policy.version)
            continue
        row = PolicyAcceptance(user_id=user.id, policy_id=policy.id, kind=kind,
                               version=policy.version, sha256=policy.sha256(locale), locale=locale,
                               created_at=utcnow(), ip_address=(ip_address or "")[:45] or None,
                               user_agent=(user_agent or "")[:500] or None)
        db.session.add(row)
        rows.append(row)
        _set_accepted(user, kind, policy.version)
    return rows


def _set_accepted(user: User, kind: str, version: str) -> None:
    if kind == "terms":
        user.terms_version = version
    else:
        user.privacy_version = version


def acceptances(user: User) -> list[PolicyAcceptance]:
    """The member's acceptances, newest first (settings page, export)."""
    return list(db.session.scalars(select(PolicyAcceptance)
                                   .where(PolicyAcceptance.user_id == user.id)
                                   .order_by(PolicyAcceptance.created_at.desc(),
                                             PolicyAcceptance.id.desc())))


@dataclass(frozen=True)
class Shown:
    """A version as a reader sees it: the text and digest in their language."""

    kind: str
    version: str
    sha256: str
    text: str
    locale: str
    policy: Policy


def shown(policy: Policy | None, locale: str | None) -> Shown | None:
    if policy is None:
        return None
    locale = "ja" if locale == "ja" else "en"
    return Shown(policy.kind, policy.version, policy.sha256(locale), policy.text(locale), locale,
                 policy)
