"""Forms of the idea authoring pages. They check the shape of the input; the rules live in
app.services.ideas, whose field errors the views put back on these forms."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DecimalField, EmailField, HiddenField, IntegerField, \
    SelectField, StringField, TextAreaField
from wtforms.validators import (DataRequired, Length, NumberRange, Optional,
                                ValidationError)

from app.services import insight
from app.services.ideas import (DESCRIPTION_MAX, PITCH_MAX, TAG_MAX, TAGS_MAX,
                                TITLE_MAX, TOTAL_SHARE_BPS)

IMAGE_ACCEPT = "image/jpeg,image/png,image/gif,image/webp"


def _part(part: str, rows: int) -> dict:
    limit = insight.CORE_MAX if part == "core" else insight.PART_MAX
    return {"validators": [Optional(), Length(max=limit)],
            "render_kw": {"rows": rows, "maxlength": limit, "data-part": part,
                          "data-min": insight.minimum(part),
                          "data-required": "1" if part in insight.REQUIRED else "0"}}


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
    # The guided insight, in the order the form walks through it (app.services.insight).
    scene = TextAreaField(insight.LABELS["scene"], **_part("scene", 4))
    conflict = TextAreaField(insight.LABELS["conflict"], **_part("conflict", 3))
    own_words = TextAreaField(insight.LABELS["own_words"], **_part("own_words", 2))
    success = TextAreaField(insight.LABELS["success"], **_part("success", 3))
    judged_by = TextAreaField(insight.LABELS["judged_by"], **_part("judged_by", 3))
    why_1 = TextAreaField(insight.LABELS["why_1"], **_part("why_1", 2))
    why_2 = TextAreaField(insight.LABELS["why_2"], **_part("why_2", 2))
    why_3 = TextAreaField(insight.LABELS["why_3"], **_part("why_3", 2))
    core = TextAreaField(insight.LABELS["core"], **_part("core", 2))

    def set_categories(self, categories) -> None:
        from flask_babel import get_locale

        locale = str(get_locale() or "")
        self.category.choices = [("", _l("Choose a category"))] + [
            (c.slug, c.label(locale)) for c in categories]

    def values(self) -> dict[str, str]:
        """The fields as the service takes them."""
        return {name: getattr(self, name).data or "" for name in (
            "title", "pitch", "description", "category", "tags", *insight.PARTS)}

    def fill_insight(self, idea) -> None:
        for part, text in insight.read(idea).items():
            getattr(self, part).data = text


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


_MAX_PERCENT = Decimal(TOTAL_SHARE_BPS - 1) / 100


def _whole_basis_point(form, field) -> None:
    if field.data is not None and (field.data * 100) % 1:
        raise ValidationError(_l("A share has at most two decimals, e.g. 12.5 or 12.25."))


class ShareForm(FlaskForm):
    """A co-creator's share, typed as a percentage (25, 12.5); `share_bps` (basis points) is
    still accepted from scripts. `bps` is the share in basis points."""

    share_percent = DecimalField(_l("Share in percent"), places=None,
                                 validators=[Optional(), NumberRange(min=0, max=_MAX_PERCENT),
                                             _whole_basis_point],
                                 render_kw={"min": 0, "max": _MAX_PERCENT, "step": "0.01",
                                            "inputmode": "decimal"})
    share_bps = IntegerField(validators=[Optional(),
                                         NumberRange(min=0, max=TOTAL_SHARE_BPS - 1)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.share_percent.data is None and self.share_bps.data is None:
            self.share_percent.errors = [str(_l("Enter the share as a percentage."))]
            return False
        return valid

    @property
    def bps(self) -> int:
        if self.share_percent.data is not None:
            return int(self.share_percent.data * 100)
        return self.share_bps.data


class InviteForm(ShareForm):
    email = EmailField(_l("Their email address"),
                       validators=[DataRequired(), Length(max=254), _invitation_address])


class ConsentForm(FlaskForm):
    """Consent to the agreement version shown on the page (and to one's share)."""

    agreement_version = HiddenField(validators=[DataRequired()])
    accept = BooleanField(_l("I have read the creator agreement and agree to it and to the "
                             "revenue split shown."),
                          validators=[DataRequired(_l("Tick the box to agree."))])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Why are you withdrawing it? (optional)"),
                           validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
