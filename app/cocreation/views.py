"""HTML views of co-creation. Thin: each view calls one service function (app.services.sessions,
app.services.product_tests, app.services.partners) through app.transaction.perform."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from app import permissions
from app.cocreation import bp
from app.cocreation.forms import (ApplyForm, CancelForm, FeedbackForm, InviteForm, OutputsForm,
                                  ProductTestForm, RegistrationForm, ReportForm, SelectTestersForm,
                                  SessionForm)
from app.errors import Invalid
from app.extensions import db
from app.i18n import time_zone_of
from app.models import Category
from app.models.base import utcnow
from app.models.review import AXES
from app.permissions import Action
from app.services import partners as partner_service
from app.services import product_tests as test_service
from app.services import sessions as session_service
from app.transaction import perform

def _labels():
    """Phase and technique names in the reader's language."""
    phases = {"icebreak": _("Icebreak"), "current_state": _("Current state"),
              "ideation": _("Ideation"), "evaluation": _("Evaluation"),
              "next_steps": _("Next steps")}
    techniques = {"storytelling": _("Storytelling"), "world_cafe": _("World café"),
                  "prototyping": _("Prototyping"), "six_hats": _("Six thinking hats"),
                  "brainstorming": _("Brainstorming"), "action_plan": _("Action plan"),
                  "empathy_map": _("Empathy map"), "dot_voting": _("Dot voting")}
    statuses = {"invited": _("invited"), "accepted": _("has a place"),
                "waiting": _("on the waiting list"), "declined": _("declined")}
    return {"phase_labels": phases, "technique_labels": techniques, "status_labels": statuses,
            "techniques": session_service.TECHNIQUES}


def _ids(text: str | None, name: str = "user_ids") -> list[int]:
    try:
        return [int(part) for part in (text or "").replace(" ", ",").split(",") if part.strip()]
    except ValueError:
        raise Invalid({name: _("Member ids separated by commas.")}) from None


def _require(action: Action) -> None:
    permissions.require(current_user, action)


# --- staff: sessions ---------------------------------------------------------------------------

@bp.route("/staff/sessions", methods=["GET", "POST"])
def staff_sessions():
    _require(Action.MANAGE_SESSIONS)
    form = SessionForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            zone = ZoneInfo(time_zone_of(current_user))
            data = {"title": form.title.data, "purpose": form.purpose.data, "mode": form.mode.data,
                    "place_or_url": form.place_or_url.data,
                    "starts_at": form.starts_at.data.replace(tzinfo=zone).isoformat(),
                    "duration_minutes": form.duration_minutes.data,
                    "capacity": form.capacity.data, "idea_id": form.idea_id.data,
                    "product_id": form.product_id.data,
                    "repeat_monthly": form.repeat_monthly.data}
            created = perform(lambda: session_service.create_session(current_user, data),
                              form=form, done=_("The session is planned. Invite partners next."))
            if created:
                return redirect(url_for("cocreation.staff_session", session_id=created.value.id))
            status = created.status
    upcoming = session_service.staff_sessions(current_user)
    past = session_service.staff_sessions(current_user, upcoming=False, limit=20)
    counts = session_service.invitation_counts([s.id for s in upcoming + past])
    return render_template("cocreation/staff_sessions.html", form=form, upcoming=upcoming,
                           past=past, counts=counts,
                           online_max=session_service.online_max_minutes(), **_labels()), status


@bp.route("/staff/sessions/<int:session_id>")
def staff_session(session_id: int):
    _require(Action.MANAGE_SESSIONS)
    session = session_service.get_session(current_user, session_id)
    outputs = OutputsForm(data={"notes": session.notes, "insights": session.insights,
                                "decisions": session.decisions,
                                "idea_ids": ", ".join(str(i) for i in
                                                      session_service.linked_idea_ids(session.id))})
    return render_template(
        "cocreation/staff_session.html", session=session,
        invitations=session_service.invitations_of(current_user, session.id),
        counts=session_service.invitation_counts([session.id])[session.id],
        feedback=session_service.feedback_summary(session.id), invite_form=InviteForm(),
        photos=session_service.photos_of(session.id), cancel_form=CancelForm(), now=utcnow(),
        outputs_form=outputs, action_form=RegistrationForm(), **_labels())


@bp.post("/staff/sessions/<int:session_id>/cancel")
def cancel(session_id: int):
    _require(Action.MANAGE_SESSIONS)
    form = CancelForm()
    perform(lambda: session_service.cancel_session(current_user, session_id, form.reason.data),
            validate=form, done=_("The session is cancelled; its invitees are told."))
    return _back(session_id)


@bp.post("/staff/sessions/<int:session_id>/photos")
def add_photo(session_id: int):
    _require(Action.MANAGE_SESSIONS)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a photo first."), "error")
        return _back(session_id)
    perform(lambda: session_service.add_photo(current_user, session_id, upload.read()),
            validate=RegistrationForm(), done=_("The photo is added."))
    return _back(session_id)


@bp.route("/co-creation/photos/<key>/<size>.jpg")
def photo(key: str, size: str):
    """A session photo, for staff and the session's invitees (never cached publicly)."""
    from app import storage
    from app.images import OUTPUT_CONTENT_TYPE

    name = session_service.photo_to_serve(current_user, key, size)
    try:
        return storage.send(name, OUTPUT_CONTENT_TYPE, public=False)
    except FileNotFoundError:
        abort(404)


def _back(session_id: int):
    return redirect(url_for("cocreation.staff_session", session_id=session_id))


@bp.post("/staff/sessions/<int:session_id>/agenda")
def edit_agenda(session_id: int):
    _require(Action.MANAGE_SESSIONS)
    agenda = []
    for phase in session_service.PHASE_NAMES:
        try:
            minutes = int(request.form.get(f"minutes_{phase}", ""))
        except ValueError:
            minutes = None
        agenda.append({"phase": phase, "minutes": minutes,
                       "technique": request.form.get(f"technique_{phase}")})
    perform(lambda: session_service.update_session(current_user, session_id, {"agenda": agenda}),
            validate=RegistrationForm(), done=_("The agenda is saved."))
    return _back(session_id)


@bp.post("/staff/sessions/<int:session_id>/invitations")
def invite(session_id: int):
    _require(Action.MANAGE_SESSIONS)
    form = InviteForm()
    done = perform(lambda: session_service.invite(current_user, session_id,
                                                  _ids(form.user_ids.data)), validate=form)
    if done:
        flash(_("Invited: %(n)s. Already invited: %(m)s.", n=len(done.value["invited"]),
                m=len(done.value["already_invited"])), "success")
    return _back(session_id)


@bp.post("/staff/sessions/<int:session_id>/attendance")
def attendance(session_id: int):
    _require(Action.MANAGE_SESSIONS)
    ids = [int(value) for value in request.form.getlist("attended") if value.isdigit()]
    if ids:
        perform(lambda: session_service.record_attendance(current_user, session_id, ids),
                validate=RegistrationForm(), done=_("Attendance is recorded."))
    return _back(session_id)


@bp.post("/staff/sessions/<int:session_id>/outputs")
def outputs(session_id: int):
    _require(Action.MANAGE_SESSIONS)
    form = OutputsForm()
    perform(lambda: session_service.update_outputs(current_user, session_id, {
        "notes": form.notes.data or "", "insights": form.insights.data or "",
        "decisions": form.decisions.data or "", "idea_ids": _ids(form.idea_ids.data, "idea_ids")}),
        validate=form, done=_("The outputs are saved."))
    return _back(session_id)


# --- members: my sessions ----------------------------------------------------------------------

@bp.route("/co-creation/sessions")
@login_required
def my_sessions():
    return render_template("cocreation/my_sessions.html",
                           rows=session_service.my_sessions(current_user),
                           form=RegistrationForm(), feedback_form=FeedbackForm(),
                           now=utcnow(),
                           **_labels())


@bp.post("/co-creation/sessions/<int:session_id>/registration")
@login_required
def register(session_id: int):
    form = RegistrationForm()
    done = perform(lambda: session_service.register(current_user, session_id,
                                                    join_waiting_list=bool(form.waiting_list.data)),
                   validate=form)
    if done:
        flash(_("You have a place. See you there!") if done.value.status == "accepted"
              else _("You are on the waiting list: we will tell you when a place is yours."),
              "success")
    return redirect(url_for("cocreation.my_sessions"))


@bp.post("/co-creation/sessions/<int:session_id>/decline")
@login_required
def decline(session_id: int):
    perform(lambda: session_service.decline(current_user, session_id),
            validate=RegistrationForm(), done=_("You declined the invitation."))
    return redirect(url_for("cocreation.my_sessions"))


@bp.post("/co-creation/sessions/<int:session_id>/feedback")
@login_required
def feedback(session_id: int):
    form = FeedbackForm()
    perform(lambda: session_service.give_feedback(current_user, session_id,
                                                  form.satisfaction.data, form.comment.data),
            validate=form, done=_("Thank you for your feedback."))
    return redirect(url_for("cocreation.my_sessions"))


# --- staff: the partner pool -------------------------------------------------------------------

@bp.route("/staff/partners")
def partners():
    _require(Action.VIEW_PARTNERS)
    args = request.args
    selected = partner_service.parse_selection(args.get("selected"))
    purpose = partner_service.purpose_for(current_user, args.get("category") or None,
                                          args.get("idea_id") or None,
                                          args.get("campaign_id") or None)
    page = partner_service.pool(current_user, purpose, after=args.get("after") or None,
                                per_page=25, selected=selected)
    categories = list(db.session.scalars(select(Category).order_by(Category.position,
                                                                   Category.name)))
    names = {c.id: c for c in categories}
    return render_template(
        "cocreation/partners.html", page=page, purpose=purpose, categories=categories,
        category_by_id=names, selected=selected,
        summary=partner_service.diversity_summary(page.selection),
        sessions=session_service.staff_sessions(current_user, limit=20),
        invite_form=InviteForm(), level_label=partner_service.level_label,
        language_names=partner_service.LANGUAGE_NAMES, weights=partner_service.WEIGHTS)


@bp.post("/staff/partners/invite")
def invite_selection():
    _require(Action.MANAGE_SESSIONS)
    form = InviteForm()
    session_id = request.form.get("session_id", type=int) or 0
    done = perform(lambda: session_service.invite(current_user, session_id,
                                                  _ids(form.user_ids.data)), validate=form)
    if done:
        flash(_("Invited: %(n)s. Already invited: %(m)s.", n=len(done.value["invited"]),
                m=len(done.value["already_invited"])), "success")
        return redirect(url_for("cocreation.staff_session", session_id=session_id))
    return redirect(url_for("cocreation.partners"))


# --- product tests -----------------------------------------------------------------------------

@bp.route("/staff/product-tests", methods=["GET", "POST"])
def staff_tests():
    _require(Action.MANAGE_PRODUCT_TESTS)
    form = ProductTestForm()
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            data = {"idea_id": form.idea_id.data, "title": form.title.data,
                    "brief": form.brief.data, "testers": form.testers.data,
                    "opens_on": form.opens_on.data, "closes_on": form.closes_on.data}
            opened = perform(lambda: test_service.open_test(current_user, data), form=form,
                             done=_("The product test is open: members can apply."))
            if opened:
                return redirect(url_for("cocreation.staff_test", test_id=opened.value.id))
            status = opened.status
    return render_template("cocreation/staff_tests.html", form=form,
                           tests=test_service.tests_list(current_user)), status


@bp.route("/staff/product-tests/<int:test_id>")
def staff_test(test_id: int):
    _require(Action.MANAGE_PRODUCT_TESTS)
    test = test_service.get_test(current_user, test_id)
    return render_template("cocreation/staff_test.html", test=test,
                           testers=test_service.testers_of(current_user, test.id),
                           aggregate=test_service.results(test.id),
                           select_form=SelectTestersForm())


@bp.post("/staff/product-tests/<int:test_id>/selections")
def select_testers(test_id: int):
    _require(Action.MANAGE_PRODUCT_TESTS)
    form = SelectTestersForm()
    chosen = request.form.getlist("chosen")
    text = ",".join([form.user_ids.data or "", *chosen])
    perform(lambda: test_service.select_testers(current_user, test_id, _ids(text)),
            validate=form if not chosen else RegistrationForm(),
            done=_("The testers are selected and told."))
    return redirect(url_for("cocreation.staff_test", test_id=test_id))


@bp.route("/product-tests/<int:test_id>")
def product_test(test_id: int):
    test = test_service.get_test(current_user, test_id)
    tester = test_service.tester_of(current_user, test.id)
    reported = tester is not None and tester.status == "selected" and \
        test_service.has_reported(current_user, test.id)
    return render_template("cocreation/product_test.html", test=test, tester=tester,
                           reported=reported, apply_form=ApplyForm(), report_form=ReportForm(),
                           axes=AXES)


@bp.post("/product-tests/<int:test_id>/applications")
@login_required
def apply(test_id: int):
    form = ApplyForm()
    perform(lambda: test_service.apply(current_user, test_id, form.motivation.data),
            validate=form, done=_("You applied. We will tell you if you are selected."))
    return redirect(url_for("cocreation.product_test", test_id=test_id))


@bp.post("/product-tests/<int:test_id>/reports")
@login_required
def report(test_id: int):
    form = ReportForm()
    perform(lambda: test_service.report(current_user, test_id, {
        **{axis: getattr(form, axis).data for axis in AXES},
        "rationale": form.rationale.data, "comment": form.comment.data or ""}),
        validate=form, done=_("Thank you: your report is sent."))
    return redirect(url_for("cocreation.product_test", test_id=test_id))
