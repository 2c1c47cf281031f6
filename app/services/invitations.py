"""Co-creator invitations by e-mail address (app.services.idea_creators invites through here).

The owner gives an address; the answer is the same whether or not a member has it, so the
endpoint is no oracle of who is registered. A confirmed member with that address is added as an
invited co-creator at once and told once (a notification and, if they chose so, a mail); any
other address (nobody, an unconfirmed or a blocked account) gets an "invitation to join" mail
with a link, and whoever confirms that address later accepts through the link. One notification
or mail per idea and address until it is answered, and none again within
INVITATION_RESEND_COOLDOWN_HOURS (removing and re-inviting sends nothing new). Invitations are
limited per idea and per inviter per day. Mail subjects never carry member-written text; bodies
quote the title, truncated.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import force_locale
from sqlalchemy import func, select

from app import permissions
from app.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from app.extensions import db
from app.i18n import _, locale_of
from app.mail import send_mail
from app.models import CreatorInvitation, Idea, IdeaCreator, User
from app.models.base import utcnow
from app.services import events

EMAIL_MAX = 254
QUOTE_MAX = 60  # characters of a title or name quoted in a mail body
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://")


def normalise_email(value: Any) -> str:
    """The address, trimmed and normalised (domain lower-cased), or Invalid(email).

    email-validator's syntax check without deliverability (no DNS), accepting special-use
    domains such as the demo's `@kyoso.local`: the HTML form and the API use this one check."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid({"email": _("Give the member's email address.")})
    address = value.strip()
    local, _at, domain = address.rpartition("@")
    labels = domain.lower().rstrip(".").split(".")
    special = labels[-1] in SPECIAL_USE_DOMAIN_NAMES and len(labels) > 1
    checked = f"{local}@{'.'.join([*labels[:-1], 'example'])}" if special else address
    try:
        result = validate_email(checked, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise Invalid({"email": _("Enter a valid email address.")}) from None
    normalised = f"{result.local_part}@{domain.lower().rstrip('.')}" if special \
        else result.normalized
    if len(normalised) > EMAIL_MAX:
        raise Invalid({"email": _("Enter a valid email address.")})
    return normalised.lower()


def _quote(text: str) -> str:
    """Member-written text for a mail body: on one line, bounded, in quotes, and no live link
    (a scheme's "://" is broken)."""
    text = _SCHEME.sub(r"\1[:]//", " ".join((text or "").split()))
    if len(text) > QUOTE_MAX:
        text = text[:QUOTE_MAX - 1] + "…"
    return f"“{text}”"


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_limits(owner: User, idea: Idea) -> None:
    """At most INVITATIONS_PER_IDEA_PER_DAY for the idea and INVITATIONS_PER_MEMBER_PER_DAY by
    the inviter, in the last 24 hours; else 429 (nothing is changed)."""
    config = current_app.config
    since = utcnow() - timedelta(days=1)
    recent = select(func.count()).select_from(CreatorInvitation) \
        .where(CreatorInvitation.created_at >= since)
    if db.session.scalar(recent.where(CreatorInvitation.idea_id == idea.id)) \
            >= config["INVITATIONS_PER_IDEA_PER_DAY"]:
        raise RateLimited("invitations_limited", _(
            "This idea has had %(n)s invitations today: please wait until tomorrow.",
            n=config["INVITATIONS_PER_IDEA_PER_DAY"]))
    if db.session.scalar(recent.where(CreatorInvitation.inviter_id == owner.id)) \
            >= config["INVITATIONS_PER_MEMBER_PER_DAY"]:
        raise RateLimited("invitations_limited", _(
            "You have sent %(n)s invitations today: please wait until tomorrow.",
            n=config["INVITATIONS_PER_MEMBER_PER_DAY"]))


def _recently_told(idea: Idea, email: str) -> bool:
    """Whether this address was told of an invitation to this idea within the cool-down."""
    hours = current_app.config["INVITATION_RESEND_COOLDOWN_HOURS"]
    return db.session.scalar(
        select(func.count()).select_from(CreatorInvitation)
        .where(CreatorInvitation.idea_id == idea.id, CreatorInvitation.email == email,
               CreatorInvitation.notified_at >= utcnow() - timedelta(hours=hours))) > 0


def pending_invitation(idea_id: int, email: str) -> CreatorInvitation | None:
    return db.session.scalar(
        select(CreatorInvitation).where(CreatorInvitation.idea_id == idea_id,
                                        CreatorInvitation.email == email,
                                        CreatorInvitation.status == "pending")
        .order_by(CreatorInvitation.id.desc()).limit(1))


def invitation_path(token: str) -> str:
    try:
        return url_for("ideas.invitation", token=token)
    except RuntimeError:  # outside a request (CLI, jobs)
        return f"/invitations/{token}"


def _link(path: str) -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") + path


def _mail_to_join(invitation: CreatorInvitation, idea: Idea, owner: User, token: str,
                  share: str) -> None:
    """The address's language is unknown (nobody chose one for it): the mail says it in every
    language Kyoso speaks, the inviter's first."""
    path = invitation_path(token)
    first = locale_of(owner)
    subjects, bodies = [], []
    for locale in [first, *(code for code in current_app.config["LANGUAGES"] if code != first)]:
        with force_locale(locale):
            subjects.append(_("Kyoso: an invitation to co-create an idea"))
            bodies.append(_(
                "Hello,\n\nThe Kyoso member %(name)s invites this address to co-create the "
                "idea %(title)s with a %(share)s share of its royalties if it becomes a "
                "product.\n\nTo accept, sign in to Kyoso (or join) with this address, confirm "
                "it, and open:\n%(link)s\n\nIf you do not know this person, ignore this mail: "
                "nothing happens without you.", name=_quote(owner.display_name),
                title=_quote(idea.title), share=share, link=_link(path)))
    send_mail(invitation.email, " / ".join(subjects), "\n\n― ― ―\n\n".join(bodies))


def reserved_shares(idea: Idea) -> int:
    """What the co-creators hold plus what pending invitations would give (the owner keeps the
    rest): an invitation is checked against this, whoever the address belongs to."""
    held = sum(c.share_bps for c in idea.creators if not c.is_owner)
    pending = db.session.scalar(
        select(func.coalesce(func.sum(CreatorInvitation.share_bps), 0))
        .where(CreatorInvitation.idea_id == idea.id, CreatorInvitation.status == "pending"))
    return held + (pending or 0)


def pending_for(idea: Idea) -> list[CreatorInvitation]:
    """The idea's unanswered invitations, oldest first (shown to the owner by address)."""
    return list(db.session.scalars(
        select(CreatorInvitation).where(CreatorInvitation.idea_id == idea.id,
                                        CreatorInvitation.status == "pending")
        .order_by(CreatorInvitation.id)))


def create(owner: User, idea: Idea, email: str, share: int, format_share,
           total: int) -> CreatorInvitation:
    """Record the invitation and tell the address (at most once per cool-down). The caller has
    checked that the owner may invite and the share's range. Nobody becomes a co-creator here:
    the invitee accepts (app.services.invitations.accept, or by consenting)."""
    if email == (owner.email or "").lower() or any(
            (c.user.email or "").lower() == email for c in idea.creators):
        raise Conflict("already_creator", _("This address is already a creator of this idea."))
    if pending_invitation(idea.id, email) is not None:
        raise Conflict("already_invited", _("This address is already invited to this idea."))
    if reserved_shares(idea) + share >= total:
        raise Invalid({"share_bps": _("The co-creators' shares must total less than %(n)s "
                                      "basis points: the owner keeps the rest.",
                                      n=f"{total:,}")})
    _check_limits(owner, idea)
    token = secrets.token_urlsafe(32)
    invitation = CreatorInvitation(idea_id=idea.id, email=email, share_bps=share,
                                   inviter_id=owner.id, token_hash=_token_hash(token))
    db.session.add(invitation)
    if not _recently_told(idea, email):
        member = member_for(email)
        if member is not None:
            events.notify([member], "co_creator_invite", {"share": {"bps": share}},
                          idea=idea, url=invitation_path(token))
        else:  # nobody, or an account that has not confirmed this address: the same mail
            _mail_to_join(invitation, idea, owner, token, format_share(share))
        invitation.notified_at = utcnow()
    db.session.flush()
    return invitation


def member_for(email: str) -> User | None:
    """The confirmed, active member with this address (the only kind that can co-create)."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or user.is_blocked or not user.email_confirmed:
        return None
    return user


def answer(idea_id: int, email: str, status: str) -> CreatorInvitation | None:
    """The address's pending invitation to the idea is answered: accepted, declined, or
    revoked by the owner."""
    invitation = pending_invitation(idea_id, (email or "").lower())
    if invitation is not None:
        invitation.status = status
        invitation.answered_at = utcnow()
    return invitation


def by_token(token: Any) -> CreatorInvitation:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound("invitation_not_found", _("No such invitation."))
    invitation = db.session.scalar(select(CreatorInvitation)
                                   .where(CreatorInvitation.token_hash == _token_hash(token)))
    if invitation is None:
        raise NotFound("invitation_not_found", _("No such invitation."))
    return invitation


def require_invitee(user: Any, invitation: CreatorInvitation) -> None:
    """Only a signed-in member who confirmed the invited address may accept (10.4)."""
    if not getattr(user, "is_authenticated", False):
        raise Forbidden("sign_in_required", _("Please sign in first."))
    if (user.email or "").lower() != invitation.email:
        raise Forbidden("not_the_invitee", _("This invitation was sent to another address: "
                                             "sign in with that address."))
    if user.is_blocked:
        raise Forbidden("account_blocked", _("This account is blocked."))
    if not user.email_confirmed:
        raise Forbidden("email_not_confirmed", _(
            "Only members with a confirmed email address can co-create: please confirm yours "
            "first."))


def join(user: User, idea: Idea, invitation: CreatorInvitation, rebalance) -> IdeaCreator:
    """The invitee becomes an invited co-creator with the invitation's share (the caller holds
    the idea's lock and has checked require_invitee); they consent next."""
    if invitation.status != "pending":
        raise Conflict("invitation_answered", _("This invitation was already answered."))
    if not permissions.can(idea.owner, "invite_co_creator", idea):
        raise Conflict("idea_not_editable", _("Co-creators can only be changed while the idea "
                                              "is a draft."))
    previous = {c.id: c.share_bps for c in idea.creators}
    creator = IdeaCreator(user_id=user.id, user=user, is_owner=False,
                          share_bps=invitation.share_bps)
    idea.creators.append(creator)
    rebalance(idea, previous)
    invitation.status = "accepted"
    invitation.answered_at = utcnow()
    db.session.flush()
    events.record(user, "co_creator_joined", idea, reason=user.display_name)
    return creator
