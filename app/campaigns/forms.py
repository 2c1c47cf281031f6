"""Forms of the campaign pages. They check the shape of the input; the rules live in
app.services.campaigns, whose field errors the views put back on these forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectChoice, SelectField, \
    StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.services.campaigns import (BRIEF_MAX, PRIZE_MAX, QUESTION_LABEL_MAX, QUESTIONS_MAX,
                                    REASON_MAX, TITLE_MAX)

IMAGE_ACCEPT = "image/jpeg,image/png,image/gif,image/webp"


class CampaignForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        render_kw={"maxlength": TITLE_MAX})
    title_ja = StringField(_l("Title (Japanese)"), validators=[Optional(), Length(max=TITLE_MAX)],
                           render_kw={"maxlength": TITLE_MAX})
    brief = TextAreaField(_l("Brief"), validators=[DataRequired(), Length(max=BRIEF_MAX)],
                          render_kw={"rows": 8, "maxlength": BRIEF_MAX})
    brief_ja = TextAreaField(_l("Brief (Japanese)"), validators=[Optional(), Length(max=BRIEF_MAX)],
                             render_kw={"rows": 8, "maxlength": BRIEF_MAX})
    starts_on = DateField(_l("Entries from"), validators=[InputRequired()])
    ends_on = DateField(_l("Entries until"), validators=[InputRequired()])
    category = SelectField(_l("Category"), validators=[Optional()], choices=[])
    prize = StringField(_l("Prize"), validators=[Optional(), Length(max=PRIZE_MAX)],
                        render_kw={"maxlength": PRIZE_MAX})
    prize_ja = StringField(_l("Prize (Japanese)"), validators=[Optional(), Length(max=PRIZE_MAX)],
                           render_kw={"maxlength": PRIZE_MAX})
    questions = TextAreaField(_l("Extra questions for entries"),
                              validators=[Optional(),
                                          Length(max=QUESTIONS_MAX * (QUESTION_LABEL_MAX + 2))],
                              render_kw={"rows": 3})
    cover = FileField(_l("Cover picture"), render_kw={"accept": IMAGE_ACCEPT})

    def set_categories(self, categories) -> None:
        from flask_babel import get_locale

        locale = str(get_locale() or "")
        self.category.choices = [SelectChoice("", _l("Any category"))] + [
            SelectChoice(c.slug, c.label(locale)) for c in categories]

    def values(self) -> dict:
        return {"title": self.title.data, "title_ja": self.title_ja.data or "",
                "brief": self.brief.data, "brief_ja": self.brief_ja.data or "",
                "starts_on": self.starts_on.data, "ends_on": self.ends_on.data,
                "category": self.category.data or "", "prize": self.prize.data or "",
                "prize_ja": self.prize_ja.data or "", "questions": self.questions.data or ""}


class IdeasForm(FlaskForm):
    """Idea ids, comma-separated (the shortlist, the winners in order)."""

    idea_ids = StringField(_l("Idea numbers, comma-separated"), validators=[DataRequired()])

    def ids(self) -> list:
        values = []
        for part in (self.idea_ids.data or "").split(","):
            part = part.strip().lstrip("#")
            if part:
                values.append(int(part) if part.isdigit() else part)
        return values


class OpenVoteForm(FlaskForm):
    closes_at = DateTimeLocalField(_l("Vote closes at (UTC)"), validators=[InputRequired()],
                                   format="%Y-%m-%dT%H:%M")


class VoteForm(FlaskForm):
    idea_id = IntegerField(validators=[InputRequired()])


class StaffPickForm(FlaskForm):
    reason = StringField(_l("Why staff pick it"), validators=[DataRequired(),
                                                              Length(max=REASON_MAX)],
                         render_kw={"maxlength": REASON_MAX})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


