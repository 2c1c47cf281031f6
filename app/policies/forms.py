"""The interstitial's form: one checkbox per kind, with the version shown (hidden)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from flask_babel import lazy_gettext as _l


class AcceptPoliciesForm(FlaskForm):
    accept_terms = BooleanField(_l("I accept the terms of use"))
    terms_version = HiddenField()
    accept_privacy = BooleanField(_l("I have read and accept the privacy policy"))
    privacy_version = HiddenField()


class PublishPolicyForm(FlaskForm):
    """Admin: a new version of the terms or the privacy policy, in both languages."""

    kind = SelectField(_l("Document"), choices=[SelectChoice("terms", _l("Terms of use")),
                                                SelectChoice("privacy", _l("Privacy policy"))])
    version = StringField(_l("Version"), validators=[DataRequired(), Length(max=20)],
                          render_kw={"placeholder": "2"})
    text_en = TextAreaField(_l("English text (Markdown)"), validators=[DataRequired()],
                            render_kw={"rows": 16})
    text_ja = TextAreaField(_l("Japanese text (Markdown)"), validators=[DataRequired()],
                            render_kw={"rows": 16, "lang": "ja"})
