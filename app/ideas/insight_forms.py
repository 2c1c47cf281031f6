"""Forms of issue 14's pages: refining a published idea, polls, reverting a revision."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.ideas.forms import IdeaForm
from app.services import polls, revisions


class RefineForm(FlaskForm):
    """The description, the guided insight (the same fields as the idea form) and a note."""

    description = IdeaForm.description
    scene, conflict, own_words = IdeaForm.scene, IdeaForm.conflict, IdeaForm.own_words
    success, judged_by = IdeaForm.success, IdeaForm.judged_by
    why_1, why_2, why_3, core = IdeaForm.why_1, IdeaForm.why_2, IdeaForm.why_3, IdeaForm.core
    note = StringField(_l("What changed after listening? (shown in the history)"),
                       validators=[Optional(), Length(max=revisions.NOTE_MAX)],
                       render_kw={"maxlength": revisions.NOTE_MAX})

    def values(self) -> dict[str, str]:
        from app.services import insight

        return {name: getattr(self, name).data or "" for name in (
            "description", *insight.PARTS, "note")}




class PollForm(FlaskForm):
    question = StringField(_l("Question"), validators=[DataRequired(),
                                                       Length(max=polls.QUESTION_MAX)],
                           render_kw={"maxlength": polls.QUESTION_MAX})
    options = TextAreaField(_l("Options, one a line (2 to 6)"), validators=[DataRequired()],
                            render_kw={"rows": 4})

    def option_list(self) -> list[str]:
        return [line for line in (self.options.data or "").splitlines() if line.strip()]


class AnswerForm(FlaskForm):
    option_id = RadioField(validators=[DataRequired()], choices=[], validate_choice=False,
                           coerce=int)


class RevertForm(FlaskForm):
    reason = TextAreaField(_l("Why is this change refused?"),
                           validators=[DataRequired(), Length(max=revisions.REASON_MAX)],
                           render_kw={"rows": 2})
