"""Forms of the admin pages: review batches, reviewer assignment, users and roles, audit filters."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.labels import ROLE_LABELS
from app.models.users import ROLES
from app.services.review import NAME_MAX

GRANTABLE_ROLES = [role for role in ROLES if role != "member"]


class OpenBatchForm(FlaskForm):
    name = StringField(_l("Batch name"), validators=[DataRequired(), Length(max=NAME_MAX)],
                       render_kw={"maxlength": NAME_MAX, "placeholder": _l("e.g. Spring review")})
    closes_on = DateField(_l("Intake closes on"), validators=[InputRequired()])
    scoring_ends_on = DateField(_l("Scoring ends on (optional)"), validators=[Optional()])


class AssignReviewerForm(FlaskForm):
    reviewer_id = SelectField(_l("Reviewer"), coerce=int, validators=[InputRequired()])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"),
                       choices=[SelectChoice(role, ROLE_LABELS[role]) for role in GRANTABLE_ROLES],
                       validators=[InputRequired()])
    action = HiddenField(validators=[InputRequired()])


class BlockForm(FlaskForm):
    reason = TextAreaField(_l("Reason (kept in the audit log)"),
                           validators=[Optional(), Length(max=1000)], render_kw={"rows": 2})


class ResetTwoFactorForm(FlaskForm):
    reason = TextAreaField(_l("Why (kept in the audit log): how did you check it is them?"),
                           validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 2})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class AuditFilterForm(FlaskForm):
    """GET filters of the audit log (no CSRF: reading only)."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who (name, email or id)"), validators=[Optional(), Length(max=254)])
    action = SelectField(_l("Action"), validators=[Optional()])
    target_type = SelectField(_l("Target"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search by name or email"), validators=[Optional(), Length(max=254)])
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Any role"))]
                       + [SelectChoice(r, ROLE_LABELS[r]) for r in GRANTABLE_ROLES],
                       validators=[Optional()])


# --- the programme: categories, tags, the programme page ---------------------------------------

class CategoryForm(FlaskForm):
    slug = StringField(_l("Slug (in addresses)"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"maxlength": 40, "placeholder": "kitchen",
                                  "autocomplete": "off"})
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=80)],
                       render_kw={"maxlength": 80})
    name_ja = StringField(_l("Name (Japanese)"), validators=[Optional(), Length(max=80)],
                          render_kw={"maxlength": 80})


class RenameCategoryForm(FlaskForm):
    name = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=80)],
                       render_kw={"maxlength": 80})
    name_ja = StringField(_l("Name (Japanese)"), validators=[Optional(), Length(max=80)],
                          render_kw={"maxlength": 80})


class TagRenameForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=40)])


class TagMergeForm(FlaskForm):
    into = StringField(_l("Merge into (tag name)"), validators=[DataRequired(), Length(max=40)])


class ProgrammeForm(FlaskForm):
    name = StringField(_l("Programme name"), validators=[Optional(), Length(max=120)],
                       render_kw={"maxlength": 120})
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=5000)],
                            render_kw={"rows": 3})
    promises = TextAreaField(_l("What we promise"), validators=[Optional(), Length(max=5000)],
                             render_kw={"rows": 4})
    not_promised = TextAreaField(_l("What we do not promise"),
                                 validators=[Optional(), Length(max=5000)], render_kw={"rows": 4})
    outlook = TextAreaField(_l("Outlook: how many ideas become products"),
                            validators=[Optional(), Length(max=5000)], render_kw={"rows": 3})
    timeline = TextAreaField(_l("Timeline"), validators=[Optional(), Length(max=5000)],
                             render_kw={"rows": 3})
    who_decides = TextAreaField(_l("Who decides"), validators=[Optional(), Length(max=5000)],
                                render_kw={"rows": 3})
    payout_minimums = TextAreaField(
        _l("Payout minimums"), validators=[Optional(), Length(max=500)],
        render_kw={"rows": 3, "placeholder": "JPY 5000\nUSD 50.00"})


class ReviewDateForm(FlaskForm):
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])
    batch_name = StringField(_l("Batch name (optional)"), validators=[Optional(), Length(max=120)],
                             render_kw={"maxlength": 120})
