"""HTML views: an invitation to co-create, opened from its mail or notification; the owner
withdrawing a pending invitation."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.errors import DomainError
from app.ideas import bp
from app.ideas.forms import ActionForm
from app.extensions import db
from app.models import Idea
from app.services import ideas as idea_service
from app.services import invitations as invitation_service
from app.transaction import perform


@bp.get("/invitations/<token>")
def invitation(token: str):
    invite = invitation_service.by_token(token)  # 404 for an unknown token
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.path))
    idea = db.session.get(Idea, invite.idea_id)
    problem = None
    try:
        invitation_service.require_invitee(current_user, invite)
    except DomainError as refused:
        problem = refused.message
    return render_template("ideas/invitation.html", invitation=invite, idea=idea,
                           problem=problem, form=ActionForm(), token=token,
                           format_share=idea_service.format_share,
                           is_creator=any(c.user_id == current_user.id for c in idea.creators))


@bp.post("/invitations/<token>/accept")
def accept_invitation(token: str):
    accepted = perform(lambda: idea_service.accept_invitation(current_user, token),
                       validate=ActionForm(),
                       done=_("You are now a co-creator: read the idea and accept the agreement "
                              "and your share."))
    if accepted:
        return redirect(url_for("ideas.detail", idea_id=accepted.value.id, _anchor="creators"))
    return redirect(url_for("ideas.invitation", token=token))


@bp.post("/invitations/<token>/decline")
def decline_invitation(token: str):
    declined = perform(lambda: idea_service.decline_invitation(current_user, token),
                       validate=ActionForm(), done=_("You declined the invitation."))
    if declined:
        return redirect(url_for("accounts.dashboard"))
    return redirect(url_for("ideas.invitation", token=token))


@bp.post("/ideas/<int:idea_id>/invitations/<int:invitation_id>/withdraw")
def revoke_invitation(idea_id: int, invitation_id: int):
    perform(lambda: idea_service.revoke_invitation(current_user, idea_id, invitation_id),
            validate=ActionForm(), done=_("The invitation was withdrawn."))
    return redirect(url_for("ideas.edit", idea_id=idea_id, _anchor="co-creators"))
