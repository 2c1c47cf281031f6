"""HTML views: the monthly leaderboard, a member's own recognition page (badges, points, the
leaderboard opt-out, rewards), the staff's rewards page, and the recognition part of profiles
(a template helper). Thin: each view calls one service function."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from app import permissions
from app.models.recognition import REWARD_KINDS
from app.permissions import Action
from app.recognition import bp
from app.services import recognition as service
from app.services.programme import offered_categories
from app.transaction import perform

REWARD_LABELS = {"free_copy": _l("Free copy"), "discount": _l("Discount"), "other": _l("Other")}


class OptOutForm(FlaskForm):
    leaderboard_opt_out = BooleanField(_l("Leave me off the leaderboard"))


class RewardForm(FlaskForm):
    user_id = IntegerField(_l("Member number"), validators=[InputRequired()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, REWARD_LABELS[k]) for k in REWARD_KINDS])
    description = StringField(_l("What it is"), validators=[DataRequired(),
                                                            Length(max=service.DESCRIPTION_MAX)])


class ThankForm(FlaskForm):
    message = StringField(_l("What for"), validators=[DataRequired(),
                                                      Length(max=service.MESSAGE_MAX)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


@bp.app_context_processor
def _recognition_helpers() -> dict:
    def recognition_of(user) -> dict:
        stats = service.stats_of(user.id)
        return {"badges": service.badges_of(stats), "points": stats.points if stats else 0,
                "standing": service.standing(stats), "thanks": service.thanks_for(user.id),
                "thank_form": ThankForm()}

    return {"recognition_of": recognition_of, "reward_labels": REWARD_LABELS}


@bp.get("/leaderboard")
def leaderboard():
    categories = offered_categories()
    slug = request.args.get("category") or ""
    category = next((c for c in categories if c.slug == slug), None)
    month = service.current_month()
    rows = service.leaderboard(month, category.id if category else 0)
    return render_template("recognition/leaderboard.html", rows=rows, categories=categories,
                           category=category, month=month)


@bp.route("/me/recognition", methods=["GET", "POST"])
@login_required
def mine():
    form = OptOutForm()
    stats = service.stats_of(current_user.id)
    if request.method == "GET":
        form.leaderboard_opt_out.data = bool(stats and stats.leaderboard_opt_out)
    elif perform(lambda: service.set_opt_out(current_user, bool(form.leaderboard_opt_out.data)),
                 validate=form, done=_("Your choice is saved.")):
        return redirect(url_for("recognition.mine"))
    return render_template("recognition/mine.html", form=form, stats=stats,
                           badges=service.badges_of(stats), standing=service.standing(stats),
                           rewards=service.rewards_for(current_user, current_user.id))


@bp.post("/users/<int:user_id>/thanks")
@login_required
def thank(user_id: int):
    form = ThankForm()
    perform(lambda: service.thank(current_user, user_id, form.message.data,
                                  idea_id=request.form.get("idea_id", type=int),
                                  comment_id=request.form.get("comment_id", type=int)),
            validate=form, done=_("Your thanks are sent."))
    target = request.form.get("next") or ""
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return redirect(target if local else url_for("accounts.profile", user_id=user_id))


@bp.route("/recognition/rewards", methods=["GET", "POST"])
def rewards():
    permissions.require(current_user, Action.MANAGE_REWARDS)
    form = RewardForm()
    if request.method == "POST" and perform(
            lambda: service.grant_reward(current_user, form.user_id.data, form.kind.data,
                                         form.description.data),
            validate=form, done=_("The reward is granted; the member is told.")):
        return redirect(url_for("recognition.rewards"))
    return render_template("recognition/rewards.html", form=form, action_form=ActionForm(),
                           rewards=service.recent_rewards(current_user))


@bp.post("/recognition/rewards/<int:reward_id>/delivered")
def delivered(reward_id: int):
    perform(lambda: service.deliver_reward(current_user, reward_id), validate=ActionForm(),
            done=_("Marked as delivered."))
    return redirect(url_for("recognition.rewards"))
