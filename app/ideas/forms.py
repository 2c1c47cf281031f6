"""Forms of the idea authoring pages. They check the shape of the input; the rules live in
app.services.ideas, whose field errors the views put back on these forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, \
    StringField, TextAreaField
from wtforms.validators import (DataRequired, InputRequired, Length, NumberRange, Optional,
                                ValidationError)

from app.services.ideas import (DESCRIPTION_MAX, INSIGHT_MAX, PITCH_MAX, TAG_MAX, TAGS_MAX,
                                TITLE_MAX, TOTAL_SHARE_BPS)

IMAGE_ACCEPT = "image/jpeg,image/png,image/gif,image/webp"


class IdeaForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)],
                        render_kw={"maxlength": TITLE_MAX, "autocomplete": "off"})
    pitch = StringField(_l("One-line pitch"), validators=[Optional(), Length(max=PITCH_MAX)],
                        render_kw={"maxlength": PITCH_MAX})
    category = SelectField(_l("Category"), validators=[Optional()], choices=[])
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=TAGS_MAX * (TAG_MAX + 2))],
                       render_kw={"placeholder": _l("e.g. travel, kids, umbrella")})
    description = TextAreaField(_l("Description"),
                                validators=[Optional(), Length(max=DESCRIPTION_MAX)],
                                render_kw={"rows": 10, "maxlength": DESCRIPTION_MAX})
    situation = TextAreaField(_l("Situation"), validators=[Optional(), Length(max=INSIGHT_MAX)],
                              render_kw={"rows": 4, "maxlength": INSIGHT_MAX})
    emotion = TextAreaField(_l("Emotion"), validators=[Optional(), Length(max=INSIGHT_MAX)],
                            render_kw={"rows": 4, "maxlength": INSIGHT_MAX})
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=INSIGHT_MAX)],
                            render_kw={"rows": 4, "maxlength": INSIGHT_MAX})

    def set_categories(self, categories) -> None:
        from flask_babel import get_locale

        locale = str(get_locale() or "")
        self.category.choices = [("", _l("Choose a category"))] + [
            (c.slug, c.label(locale)) for c in categories]

    def values(self) -> dict[str, str]:
        """The fields as the service takes them."""
        return {name: getattr(self, name).data or "" for name in (
            "title", "pitch", "description", "category", "tags", "situation", "emotion",
            "purpose")}


class ImageForm(FlaskForm):
    file = FileField(_l("Add a picture"), validators=[FileRequired(_l("Choose an image file."))],
                     render_kw={"accept": IMAGE_ACCEPT})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def _invitation_address(form, field) -> None:
    """The same check as the API's (app.services.invitations.normalise_email)."""
    from app.errors import Invalid
    from app.services.invitations import normalise_email

    try:
        normalise_email(field.data)
    except Invalid as error:
        raise ValidationError(error.fields.get("email", "")) from None


class InviteForm(FlaskForm):
    email = EmailField(_l("Their email address"),
                       validators=[DataRequired(), Length(max=254), _invitation_address])
    share_bps = IntegerField(_l("Their share (basis points)"),
                             validators=[InputRequired(),
                                         NumberRange(min=0, max=TOTAL_SHARE_BPS - 1)],
                             render_kw={"min": 0, "max": TOTAL_SHARE_BPS - 1, "step": 1})


class ShareForm(FlaskForm):
    share_bps = IntegerField(_l("Share (basis points)"),
                             validators=[InputRequired(),
                                         NumberRange(min=0, max=TOTAL_SHARE_BPS - 1)],
                             render_kw={"min": 0, "max": TOTAL_SHARE_BPS - 1, "step": 1})


class ConsentForm(FlaskForm):
    """Consent to the agreement version shown on the page (and to one's share)."""

    agreement_version = HiddenField(validators=[DataRequired()])
    accept = BooleanField(_l("I have read the creator agreement and agree to it and to the "
                             "revenue split shown."),
                          validators=[DataRequired(_l("Tick the box to agree."))])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why are you withdrawing it? (optional)"),
                           validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
