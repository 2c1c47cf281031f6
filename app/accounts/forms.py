"""Forms of the accounts pages. The rules themselves live in app.services.accounts; these forms
check only the shape of the input, and the views put the service's field errors back on them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectChoice, SelectField, \
    StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from app.notification_kinds import CATEGORIES
from app.services.accounts import BIO_MAX_LENGTH, DISPLAY_NAME_MAX_LENGTH, EMAIL_MAX_LENGTH, \
    PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

PASSWORD_HINT = _l("At least %(n)s characters; avoid common passwords.", n=PASSWORD_MIN_LENGTH)


class EmptyForm(FlaskForm):
    """A button's form: only the CSRF token."""


class SignUpForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=EMAIL_MAX_LENGTH)],
                       render_kw={"autocomplete": "email"})
    display_name = StringField(_l("Display name"),
                               validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX_LENGTH)],
                               render_kw={"autocomplete": "nickname"})
    password = PasswordField(_l("Password"), validators=[DataRequired(),
                                                         Length(max=PASSWORD_MAX_LENGTH)],
                             render_kw={"autocomplete": "new-password",
                                        "minlength": PASSWORD_MIN_LENGTH})
    #: Opt-in, unticked: marketing mail only with the member's explicit yes.
    marketing_mail = BooleanField(_l("Send me news and announcements from Kyoso by mail"),
                                  default=False)
    #: The versions in force when the form was shown (app.services.policies).
    accept_terms = BooleanField(_l("I accept the terms of use"))
    terms_version = HiddenField()
    accept_privacy = BooleanField(_l("I have read and accept the privacy policy"))
    privacy_version = HiddenField()

    def accepted(self) -> dict[str, str]:
        return {kind: self[f"{kind}_version"].data for kind in ("terms", "privacy")
                if self[f"accept_{kind}"].data and self[f"{kind}_version"].data}


class SignInForm(FlaskForm):
    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=EMAIL_MAX_LENGTH)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Password"), validators=[DataRequired(),
                                                         Length(max=PASSWORD_MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device"))


class EmailForm(FlaskForm):
    """Forgotten password and resend-confirmation requests."""

    email = EmailField(_l("Email address"), validators=[DataRequired(), Length(max=EMAIL_MAX_LENGTH)],
                       render_kw={"autocomplete": "email"})


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(),
                                                             Length(max=PASSWORD_MAX_LENGTH)],
                             render_kw={"autocomplete": "new-password",
                                        "minlength": PASSWORD_MIN_LENGTH})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(),
                                                                 Length(max=PASSWORD_MAX_LENGTH)],
                                 render_kw={"autocomplete": "new-password",
                                            "minlength": PASSWORD_MIN_LENGTH})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(),
                                        EqualTo("new_password", _l("The passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Display name"),
                               validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX_LENGTH)])
    bio = TextAreaField(_l("About you"), validators=[Optional(), Length(max=BIO_MAX_LENGTH)])
    avatar = FileField(_l("Profile picture"),
                       render_kw={"accept": "image/jpeg,image/png,image/gif,image/webp"})
    remove_avatar = BooleanField(_l("Remove my profile picture"))


DELIVERY_CHOICES = [
    SelectChoice("app", _l("In the app only")),
    SelectChoice("immediately", _l("In the app and by mail at once")),
    SelectChoice("daily", _l("In the app and in the daily digest")),
    SelectChoice("weekly", _l("In the app and in the weekly digest")),
    SelectChoice("off", _l("Off")),
]


def _time_zone_choices() -> list[SelectChoice]:
    from app.services.accounts import time_zones

    return [SelectChoice("", _l("The usual one for my language")),
            *(SelectChoice(name, name) for name in sorted(time_zones()))]


class SettingsForm(FlaskForm):
    """Language, time zone, and one `pref_<category>` select per notification category."""

    locale = SelectField(_l("Language"), choices=[
        SelectChoice("", _l("As my browser prefers")), SelectChoice("en", "English"),
        SelectChoice("ja", "日本語"),
    ])
    time_zone = SelectField(_l("Time zone"), choices=_time_zone_choices, validate_choice=True)

    def preference_fields(self) -> list:
        return [self[f"pref_{category}"] for category in CATEGORIES]

    def preferences(self) -> dict[str, str]:
        return {category: self[f"pref_{category}"].data for category in CATEGORIES}


for _category, _label in CATEGORIES.items():
    setattr(SettingsForm, f"pref_{_category}", SelectField(
        _label, choices=DELIVERY_CHOICES, validators=[DataRequired()]))



class PrivacyForm(FlaskForm):
    """The member's consents (app.services.consents)."""

    personalisation = BooleanField(_l("Personalise “For you” from the ideas I support and create"))
    marketing_mail = BooleanField(_l("Send me news and announcements from Kyoso by mail"))


class ChangeEmailForm(FlaskForm):
    """A new e-mail address, confirmed by a link mailed to it."""

    email = EmailField(_l("New email address"),
                       validators=[DataRequired(), Length(max=EMAIL_MAX_LENGTH)],
                       render_kw={"autocomplete": "email"})
    password = PasswordField(_l("Current password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
