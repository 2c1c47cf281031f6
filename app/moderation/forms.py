"""Forms of the moderation pages (all CSRF-protected)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.services.moderation import REASON_MAX


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), validators=[InputRequired()], choices=[
        ("publish", _l("Publish")), ("needs_changes", _l("Needs changes")),
        ("reject", _l("Reject"))])
    reason = TextAreaField(_l("Reason for the creators (required unless publishing)"),
                           validators=[Optional(), Length(max=REASON_MAX)],
                           render_kw={"rows": 3, "maxlength": REASON_MAX})


class ReasonForm(FlaskForm):
    """Hide an idea or block an account: a reason is required."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "maxlength": REASON_MAX})


class OptionalReasonForm(FlaskForm):
    reason = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "maxlength": REASON_MAX})


class MergeForm(FlaskForm):
    target_id = IntegerField(_l("Merge into idea number"),
                             validators=[InputRequired(), NumberRange(min=1)],
                             render_kw={"min": 1, "step": 1})
    reason = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=REASON_MAX)],
                           render_kw={"rows": 2, "maxlength": REASON_MAX})
