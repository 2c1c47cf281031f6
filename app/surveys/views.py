"""HTML views: a member answers a survey; staff (and anyone, for a public survey) read the
results with charts; staff download the answers as CSV."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from app import permissions
from app.accounts.forms import EmptyForm
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.i18n import _
from app.models import User
from app.permissions import Action
from app.services import surveys as survey_service
from app.surveys import bp
from app.surveys.charts import bars
from app.transaction import transaction


def _member() -> User:
    return current_user._get_current_object()


def _posted_answers(survey) -> dict:
    """The form's fields (q_<key>) as the answers the service checks."""
    answers: dict = {}
    for question in survey.questions:
        name = f"q_{question['key']}"
        if question["kind"] == "multiple":
            answers[question["key"]] = request.form.getlist(name)
        elif question["kind"] == "scale":
            value = request.form.get(name, "")
            answers[question["key"]] = int(value) if value.isdigit() else (value or None)
        else:
            answers[question["key"]] = request.form.get(name) or None
    return answers


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@login_required
def answer(survey_id: int):
    survey = survey_service.get_survey(survey_id)
    member = _member()
    if not survey_service.is_recipient(member, survey):
        abort(403)
    answered = survey_service.has_answered(member, survey)
    form = EmptyForm()
    errors: dict[str, str] = {}
    values: dict = {}
    if request.method == "POST" and not answered:
        if not form.validate_on_submit():
            abort(400)
        values = _posted_answers(survey)
        try:
            with transaction():
                survey_service.answer_survey(member, survey.id, values, strict=False)
        except Invalid as error:
            errors = {key.split(".", 1)[1] if "." in key else key: message
                      for key, message in error.fields.items()}
        except Conflict as error:  # answered in another tab, or closed meanwhile
            flash(error.message, "error")
            return redirect(url_for("surveys.answer", survey_id=survey.id))
        else:
            flash(_("Thank you: your answers are saved."), "success")
            return redirect(url_for("surveys.answer", survey_id=survey.id))
    status = 422 if errors else 200
    return render_template("surveys/answer.html", survey=survey, answered=answered, form=form,
                           errors=errors, values=values,
                           results_open=survey_service.may_see_results(member, survey)), status


def _results_for_viewer(survey_id: int):
    survey = survey_service.get_survey(survey_id)
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        full = survey_service.require_results(viewer, survey)
    except DomainError:
        if viewer is None:
            return survey, None
        abort(403)
    return survey, full


@bp.get("/surveys/<int:survey_id>/results")
def results(survey_id: int):
    survey, full = _results_for_viewer(survey_id)
    if full is None:
        return redirect(url_for("accounts.login", next=request.full_path))
    rows = survey_service.results(survey)
    charts = {row.question["key"]: bars(row.counts, row.answered) for row in rows if row.counts}
    return render_template("surveys/results.html", survey=survey, rows=rows, charts=charts,
                           full=full)


@bp.get("/surveys/<int:survey_id>/results.csv")
@login_required
def results_csv(survey_id: int):
    survey = survey_service.get_survey(survey_id)
    permissions.require(_member(), Action.VIEW_SURVEY_ANSWERS)
    return Response(stream_with_context(survey_service.results_csv(survey)),
                    mimetype="text/csv", headers={
                        "Content-Disposition": f'attachment; filename="survey-{survey.id}.csv"',
                        "Cache-Control": "private, no-store"})


# --- staff: the list and the create form ----------------------------------------------------

QUESTIONS_HELP = ("use | single | Would you use it? | Yes; No | required\n"
                  "why_not | text | Why not? | | if use = No\n"
                  "where | multiple | Where would you use it? | Home; Office; Car\n"
                  "score | scale | How much do you want it?\n"
                  "story | text | Tell us when you would need it | | long")


def parse_questions(text: str) -> list[dict]:
    """The create form's questions, one a line: `key | kind | label | options; ... | flags`
    (flags: required, long, `if <key> = <answer>`). The service checks the result."""
    questions = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        parts += [""] * (5 - len(parts))
        key, kind, label, options, flags = parts[:5]
        question: dict = {"key": key, "kind": kind, "label": label}
        if options:
            question["options"] = [option.strip() for option in options.split(";")
                                   if option.strip()]
        for flag in (flag.strip() for flag in flags.split(",")):
            if flag == "required":
                question["required"] = True
            elif flag == "long":
                question["long"] = True
            elif flag.startswith("if ") and "=" in flag:
                earlier, answer = (side.strip() for side in flag[3:].split("=", 1))
                question["show_if"] = {"key": earlier,
                                       "equals": int(answer) if answer.isdigit() else answer}
        questions.append(question)
    return questions


@bp.route("/surveys", methods=["GET", "POST"])
@login_required
def staff_list():
    staff = _member()
    permissions.require(staff, Action.VIEW_SURVEY_RESULTS)
    may_create = permissions.can(staff, Action.MANAGE_SURVEYS)
    form = EmptyForm()
    errors: dict[str, str] = {}
    values = {"title": "", "idea_id": request.args.get("idea_id", ""),
              "campaign_id": request.args.get("campaign_id", ""),
              "session_id": request.args.get("session_id", ""), "questions": "", "public": False}
    if request.method == "POST":
        permissions.require(staff, Action.MANAGE_SURVEYS)
        if not form.validate_on_submit():
            abort(400)
        values = {"title": request.form.get("title", ""), "idea_id": request.form.get("idea_id", ""),
                  "campaign_id": request.form.get("campaign_id", ""),
                  "session_id": request.form.get("session_id", ""),
                  "questions": request.form.get("questions", ""),
                  "public": request.form.get("public") == "y"}
        idea_id = values["idea_id"].strip().lstrip("#")
        campaign_id = values["campaign_id"].strip().lstrip("#")
        session_id = values["session_id"].strip().lstrip("#")
        data = {"title": values["title"], "questions": parse_questions(values["questions"]),
                "idea_id": int(idea_id) if idea_id.isdigit() else None,
                "campaign_id": int(campaign_id) if campaign_id.isdigit() else None,
                "session_id": int(session_id) if session_id.isdigit() else None,
                "public": values["public"]}
        try:
            with transaction():
                survey = survey_service.create_survey(staff, data)
                survey_id = survey.id
        except Invalid as error:
            errors = {("questions" if key.startswith("questions") else key): message
                      for key, message in reversed(list(error.fields.items()))}
        except NotFound as error:
            field = {"campaign_not_found": "campaign_id",
                     "session_not_found": "session_id"}.get(error.code, "idea_id")
            errors = {field: error.message}
        else:
            flash(_("Survey created: the members it asks see it on their home page."), "success")
            return redirect(url_for("surveys.results", survey_id=survey_id))
    status = 422 if errors else 200
    return render_template("surveys/staff.html", surveys=survey_service.latest(), form=form,
                           may_create=may_create, errors=errors, values=values,
                           questions_help=QUESTIONS_HELP), status
