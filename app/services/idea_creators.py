"""Co-creators of an idea, their consent to the creator agreement, and submitting the idea for moderation. Import these through app.services.ideas."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from sqlalchemy import select
from app import labels, lifecycle, permissions
from app.permissions import Action
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.models import Agreement, Consent, CreatorInvitation, Idea, IdeaCreator, User
from app.models.base import is_row_id, utcnow
from app import notification_kinds as kinds
from app.services import events, insight, invitations
from app.i18n import _
from app.services.ideas import (TOTAL_SHARE_BPS, current_agreement, lock_idea,
                               require_editing)


# --- co-creators ----------------------------------------------------------------------------

def _owner_row(idea: Idea) -> IdeaCreator:
    return next(c for c in idea.creators if c.is_owner)


def _rebalance(idea: Idea, previous: Mapping[int, int]) -> None:
    """Give the owner what the co-creators do not hold, and clear the consent of every creator
    whose share changed (they must consent to the new split)."""
    others = sum(c.share_bps for c in idea.creators if not c.is_owner)
    if others >= TOTAL_SHARE_BPS:
        raise Invalid({"share_bps": _("The co-creators' shares must total less than %(n)s "
                                      "basis points: the owner keeps the rest.",
                                      n=f"{TOTAL_SHARE_BPS:,}")})
    _owner_row(idea).share_bps = TOTAL_SHARE_BPS - others
    for creator in idea.creators:
        if previous.get(creator.id) != creator.share_bps:
            creator.consent_id = None


def _check_share(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid({"share_bps": _("Give the share as a whole number of basis points.")})
    if not 0 <= value < TOTAL_SHARE_BPS:
        raise Invalid({"share_bps": _("Between 0 and %(n)s basis points.",
                                      n=f"{TOTAL_SHARE_BPS - 1:,}")})
    return value


def _owned_draft(owner: User, idea_id: int) -> Idea:
    idea = permissions.require_visible(owner, lock_idea(idea_id))
    permissions.require(owner, Action.INVITE_CO_CREATOR, idea)  # the owner, while editable
    return idea


def invite_co_creator(owner: User, idea_id: Any, email: Any, share_bps: Any) -> CreatorInvitation:
    """Invite an e-mail address as co-creator with a revenue share in basis points; the owner
    keeps the rest. The answer is the same whether or not a member has the address: a confirmed
    member is told, anyone else gets an invitation to join (app.services.invitations). The
    invitee becomes a co-creator by accepting, then consents to the agreement and the split."""
    share = _check_share(share_bps)
    address = invitations.normalise_email(email)
    idea = _owned_draft(owner, idea_id)
    invitation = invitations.create(owner, idea, address, share, format_share, TOTAL_SHARE_BPS)
    events.record(owner, "co_creator_invited", idea,
                  reason=labels.system_reason("co_creator_invited", email=address, bps=share))
    return invitation


def pending_invitations(idea: Idea) -> list[CreatorInvitation]:
    """The idea's unanswered invitations (the owner sees them by address)."""
    return invitations.pending_for(idea)


def revoke_invitation(owner: User, idea_id: int, invitation_id: int) -> None:
    """The owner withdraws a pending invitation."""
    idea = _owned_draft(owner, idea_id)
    invitation = next((i for i in invitations.pending_for(idea) if i.id == invitation_id), None)
    if invitation is None:
        raise NotFound("invitation_not_found", _("No such invitation."))
    invitation.status = "revoked"
    invitation.answered_at = utcnow()
    events.record(owner, "co_creator_removed", idea, reason=invitation.email)


def accept_invitation(user: User, token: Any) -> Idea:
    """The invitee (signed in with the invited address, confirmed) becomes a co-creator."""
    invitation = invitations.by_token(token)
    invitations.require_invitee(user, invitation)
    idea = lock_idea(invitation.idea_id)
    if idea is None:
        raise NotFound("invitation_not_found", _("No such invitation."))
    if not any(c.user_id == user.id for c in idea.creators):
        invitations.join(user, idea, invitation, _rebalance)
        _tell_owner(idea, "co_creator_joined", {"name": user.display_name})
    return idea


def decline_invitation(user: User, token: Any) -> None:
    invitation = invitations.by_token(token)
    invitations.require_invitee(user, invitation)
    if invitation.status != "pending":
        raise Conflict("invitation_answered", _("This invitation was already answered."))
    invitation.status = "declined"
    invitation.answered_at = utcnow()


def _tell_owner(idea: Idea, kind: str, params: dict[str, Any]) -> None:
    events.notify([idea.owner], kind, params, idea=idea)


def change_share(owner: User, idea_id: int, user_id: int, share_bps: Any) -> IdeaCreator:
    """Change a co-creator's share; everyone whose share changes must consent again."""
    share = _check_share(share_bps)
    idea = _owned_draft(owner, idea_id)
    creator = next((c for c in idea.creators if c.user_id == user_id and not c.is_owner), None)
    if creator is None:
        raise NotFound("creator_not_found", _("No such co-creator."))
    previous = {c.id: c.share_bps for c in idea.creators}
    creator.share_bps = share
    _rebalance(idea, previous)
    if previous[creator.id] != share:
        events.record(owner, "split_changed", idea,
                      reason=labels.system_reason("split_changed", name=creator.user.display_name,
                                                  bps=share))
        events.notify([creator.user], "co_creator_share", {"share": kinds.share(share)},
                      idea=idea)
    return creator


def remove_co_creator(user: User, idea_id: int, user_id: int) -> None:
    """The owner removes a co-creator (or a co-creator leaves) while the idea is a draft; the
    owner takes back the share and must consent again."""
    idea = permissions.require_visible(user, lock_idea(idea_id))
    leaving = user_id == getattr(user, "id", None) and permissions.is_creator(user, idea)
    if not leaving:
        permissions.require(user, Action.INVITE_CO_CREATOR, idea)
    elif idea.status not in lifecycle.EDITABLE:
        raise Conflict("idea_not_editable", _("Co-creators can only be changed while the idea "
                                              "is a draft."))
    creator = next((c for c in idea.creators if c.user_id == user_id and not c.is_owner), None)
    if creator is None:
        raise NotFound("creator_not_found", _("No such co-creator."))
    previous = {c.id: c.share_bps for c in idea.creators}
    name = creator.user.display_name
    idea.creators.remove(creator)
    _rebalance(idea, previous)
    invitations.answer(idea.id, creator.user.email, "declined" if leaving else "revoked")
    events.record(user, "co_creator_removed", idea, reason=name)


def format_share(bps: int) -> str:
    """Basis points as a percentage, exactly (no float): 2500 -> '25%', 1250 -> '12.5%'."""
    whole, rest = divmod(bps, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") + "%" if rest else f"{whole}%"


# --- consent and submission -----------------------------------------------------------------

def _agreement_for(version: Any) -> Agreement:
    """The current agreement, if `version` names it; else Invalid (field agreement_version)."""
    agreement = current_agreement()
    if agreement is None:
        raise Conflict("no_agreement", _("There is no creator agreement to consent to yet."))
    if isinstance(version, bool) or not isinstance(version, str | int) \
            or str(version).strip() != agreement.version:
        raise Invalid({"agreement_version": _(
            "This is not the current creator agreement (version %(v)s). Please read it and "
            "consent again.", v=agreement.version)}, code="agreement_not_current")
    return agreement


def agreement_in_force(idea: Idea) -> Agreement | None:
    """The version a creator's consent is judged against: the current one while the idea can
    still change (draft, needs changes); once submitted, the one in force at submission, so a
    newer version does not relabel the creators of submitted ideas as invited."""
    if idea.status in lifecycle.EDITABLE or idea.submitted_at is None:
        return current_agreement()
    return db.session.scalar(select(Agreement).where(Agreement.published_at <= idea.submitted_at)
                             .order_by(Agreement.published_at.desc(), Agreement.id.desc())
                             .limit(1)) or current_agreement()


def consent_status(idea: Idea, agreement: Agreement | None = None) -> dict[int, bool]:
    """For each creator (by user id): whether their consent covers the agreement (by default
    the one in force for the idea: agreement_in_force) and their current share. Two queries."""
    agreement = agreement or agreement_in_force(idea)
    ids = [c.consent_id for c in idea.creators if c.consent_id is not None]
    consents = {row.id: row for row in db.session.scalars(
        select(Consent).where(Consent.id.in_(ids)))} if ids else {}
    status = {}
    for creator in idea.creators:
        consent = consents.get(creator.consent_id)
        status[creator.user_id] = consent is not None and agreement is not None \
            and consent.agreement_id == agreement.id and consent.share_bps == creator.share_bps
    return status


def _record_consent(user: User, idea: Idea, creator: IdeaCreator, agreement: Agreement,
                    ip_address: str, user_agent: str) -> Consent:
    """The binding record: which agreement, which share, and the address the creator had
    confirmed (and when). Refused (403 email_not_confirmed) without a confirmed address."""
    if not user.email_confirmed:
        raise Forbidden("email_not_confirmed", _(
            "Only members with a confirmed email address can co-create: please confirm yours "
            "first."))
    consent = Consent(idea_id=idea.id, user_id=user.id, agreement_id=agreement.id,
                      agreement_version=agreement.version, agreement_sha256=agreement.sha256,
                      share_bps=creator.share_bps, email=user.email,
                      email_confirmed_at=user.email_confirmed_at,
                      ip_address=(ip_address or "")[:45],
                      user_agent=(user_agent or "")[:500])
    db.session.add(consent)
    db.session.flush()
    creator.consent_id = consent.id
    return consent


def _join_by_consent(user: User, idea_id: int) -> None:
    """An invitee who consents before accepting accepts by consenting (when signed in with the
    invited, confirmed address); anyone else sees the idea as absent."""
    if not getattr(user, "is_authenticated", False) or not is_row_id(idea_id):
        return
    idea = lock_idea(idea_id)
    invitation = invitations.pending_invitation(idea_id, (user.email or "").lower()) \
        if idea is not None and not permissions.is_creator(user, idea) else None
    if invitation is not None:
        invitations.require_invitee(user, invitation)
        invitations.join(user, idea, invitation, _rebalance)


def consent(user: User, idea_id: int, agreement_version: Any, *, ip_address: str = "",
            user_agent: str = "") -> Consent:
    """A creator (or an invitee, who so accepts) consents to the current agreement and their
    share of the idea. Only with a confirmed e-mail address (403 email_not_confirmed)."""
    _join_by_consent(user, idea_id)
    idea = permissions.require_visible(user, lock_idea(idea_id))
    require_editing(user, idea)
    agreement = _agreement_for(agreement_version)
    creator = next(c for c in idea.creators if c.user_id == user.id)
    if consent_status(idea, agreement)[user.id]:
        return db.session.get(Consent, creator.consent_id)
    row = _record_consent(user, idea, creator, agreement, ip_address, user_agent)
    invitations.answer(idea.id, user.email, "accepted")
    events.record(user, "consented", idea,
                  reason=labels.system_reason("consented", version=agreement.version,
                                              bps=creator.share_bps))
    if not creator.is_owner:
        _tell_owner(idea, "co_creator_accepted", {"name": user.display_name})
    return row


SUBMIT_REQUIRED = ("title", "pitch", "category", *insight.REQUIRED)


def missing_for_submission(idea: Idea) -> dict[str, str]:
    """The fields that must be filled before the idea can be submitted: title, pitch, category,
    and the insight's required parts, long enough and not placeholders (insight.problems)."""
    values = {"title": idea.title, "pitch": idea.pitch, "category": idea.category_id}
    missing = {name: _("This field is required.") for name in values if not values[name]}
    missing.update(insight.problems(insight.read(idea)))
    return missing


@dataclass
class Submission:
    idea: Idea
    consent: Consent


def submit_idea(user: User, idea_id: int, agreement_version: Any, *, ip_address: str = "",
                user_agent: str = "") -> Submission:
    """The owner consents to the current agreement and sends the idea to moderation.

    422 when the version is not current or fields are missing; 409 `consent_missing` while a
    co-creator has not consented to the current agreement and their current share.
    """
    idea = permissions.require_visible(user, lock_idea(idea_id))
    permissions.require(user, Action.SUBMIT_IDEA, idea)  # the owner, while editable
    agreement = _agreement_for(agreement_version)
    missing = missing_for_submission(idea)
    if missing:
        raise Invalid(missing, _("Fill in every required field before submitting."))
    status = consent_status(idea, agreement)
    waiting = [c.user.display_name for c in idea.creators
               if not c.is_owner and not status[c.user_id]]
    waiting += [invitation.email for invitation in invitations.pending_for(idea)]
    if waiting:
        raise Conflict("consent_missing", _(
            "Every co-creator must accept the agreement and their share first. Waiting for: "
            "%(names)s.", names=", ".join(waiting)))
    owner = _owner_row(idea)
    if status[owner.user_id]:
        row = db.session.get(Consent, owner.consent_id)
    else:
        row = _record_consent(user, idea, owner, agreement, ip_address, user_agent)
    idea.submitted_at = utcnow()
    idea.status_reason = None
    events.transition(user, idea, lifecycle.IdeaStatus.PENDING_MODERATION, "submitted",
                      reason=labels.system_reason("consented", version=agreement.version))
    return Submission(idea=idea, consent=row)
