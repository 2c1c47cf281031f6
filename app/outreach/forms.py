"""Forms of the outreach pages: a segment's filters, a saved segment, an announcement."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (IntegerField, SelectChoice, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.services import announcements as announcement_service
from app.services import segments as segment_service


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


DAYS = [Optional(), NumberRange(min=1, max=segment_service.DAYS_MAX)]
IDEA = [Optional(), NumberRange(min=1, max=2**31 - 1)]


class SegmentForm(FlaskForm):
    """The filters of a segment (each optional; all given ones must hold)."""

    locale = SelectField(_l("Language"), choices=[SelectChoice("", _l("Any language")),
                                                  SelectChoice("en", "English"),
                                                  SelectChoice("ja", "日本語")],
                         validators=[Optional()])
    active_within_days = IntegerField(_l("Active within the last … days"), validators=DAYS,
                                      render_kw={"min": 1, "max": segment_service.DAYS_MAX})
    inactive_for_days = IntegerField(_l("Not seen for … days or more"), validators=DAYS,
                                     render_kw={"min": 1, "max": segment_service.DAYS_MAX})
    roles = MultiCheckboxField(_l("Did or holds any of"), validators=[Optional()],
                               choices=[SelectChoice(role, label) for role, label in
                                        segment_service.ROLE_LABELS.items()])
    supporters_of = IntegerField(_l("Supporters of idea (id)"), validators=IDEA)
    followers_of = IntegerField(_l("Followers of idea (id)"), validators=IDEA)
    categories = MultiCheckboxField(_l("Interested in (supported or created ideas in)"),
                                    validators=[Optional()], choices=[])
    engagement = SelectField(_l("Engagement"), validators=[Optional()],
                             choices=[SelectChoice("", _l("Any"))] + [
                                 SelectChoice(level, label) for level, label in
                                 segment_service.ENGAGEMENT_LABELS.items()])

    FILTERS = segment_service.KEYS

    def segment_spec(self) -> dict[str, Any]:
        """The filters filled in, as a segment spec."""
        spec: dict[str, Any] = {}
        for key in self.FILTERS:
            value = getattr(self, key).data
            if value not in (None, "", []):
                spec[key] = value
        return spec

    def fill(self, spec: dict[str, Any]) -> None:
        for key in self.FILTERS:
            if key in spec:
                getattr(self, key).data = spec[key]


class SavedSegmentForm(SegmentForm):
    name = StringField(_l("Name"), validators=[DataRequired(),
                                               Length(max=segment_service.NAME_MAX)],
                       render_kw={"maxlength": segment_service.NAME_MAX})
    preview = SubmitField(_l("Preview members"))
    save = SubmitField(_l("Save segment"))


class AnnouncementForm(SegmentForm):
    title_en = StringField(_l("Title (English)"), validators=[
        DataRequired(), Length(max=announcement_service.TITLE_MAX)],
        render_kw={"maxlength": announcement_service.TITLE_MAX})
    title_ja = StringField(_l("Title (Japanese, optional)"), validators=[
        Optional(), Length(max=announcement_service.TITLE_MAX)],
        render_kw={"maxlength": announcement_service.TITLE_MAX})
    body_en = TextAreaField(_l("Message (English, Markdown)"), validators=[
        DataRequired(), Length(max=announcement_service.BODY_MAX)], render_kw={"rows": 8})
    body_ja = TextAreaField(_l("Message (Japanese, Markdown, optional)"), validators=[
        Optional(), Length(max=announcement_service.BODY_MAX)], render_kw={"rows": 8})
    segment_id = SelectField(_l("Send to"), coerce=int, validators=[Optional()], choices=[])
    preview = SubmitField(_l("Preview recipients"))
    save = SubmitField(_l("Save draft"))

    def texts(self) -> tuple[dict[str, str], dict[str, str]]:
        return ({"en": self.title_en.data or "", "ja": self.title_ja.data or ""},
                {"en": self.body_en.data or "", "ja": self.body_ja.data or ""})


#: Service field names -> form field names.
RENAME = {**{f"segment.{key}": key for key in segment_service.KEYS},
          **{f"spec.{key}": key for key in segment_service.KEYS},
          "title.en": "title_en", "title.ja": "title_ja", "body.en": "body_en",
          "body.ja": "body_ja"}
