"""Forms of the forum pages (shape only; the rules live in app.services.forum)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.services.comments import BODY_MAX_LENGTH, REPORT_REASON_MAX_LENGTH
from app.services.forum import TITLE_MAX


class ThreadForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=BODY_MAX_LENGTH)],
                         render_kw={"rows": 6, "maxlength": BODY_MAX_LENGTH})


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(),
                                                       Length(max=BODY_MAX_LENGTH)],
                         render_kw={"rows": 4, "maxlength": BODY_MAX_LENGTH})


class ReportForm(FlaskForm):
    reason = StringField(_l("Why? (optional)"),
                         validators=[Optional(), Length(max=REPORT_REASON_MAX_LENGTH)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
