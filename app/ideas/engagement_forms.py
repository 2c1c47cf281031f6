"""Forms for supporting, following and discussing ideas (all CSRF-protected)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (HiddenField, RadioField, SelectChoice, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.money import is_currency, parse_amount
from app.services.comments import BODY_MAX_LENGTH, REPORT_REASON_MAX_LENGTH
from app.services.resonance import SITUATION_MAX
from app.services.supports import REASON_MAX_LENGTH, SupportAnswers

#: Currencies offered in the support form (any ISO 4217 code works through the API).
SUPPORT_CURRENCIES = ("JPY", "USD", "EUR", "GBP", "CNY", "KRW", "TWD", "AUD", "CAD")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class SupportForm(FlaskForm):
    would_buy = RadioField(_l("Would you buy it?"), validators=[Optional()], choices=[
        SelectChoice("yes", _l("Yes")), SelectChoice("maybe", _l("Maybe")),
        SelectChoice("no", _l("No"))])
    price_amount = StringField(_l("What would you pay for it?"),
                               validators=[Optional(), Length(max=20)])
    price_currency = SelectField(_l("Currency"), validate_choice=False,
                                 choices=[SelectChoice(c, c) for c in SUPPORT_CURRENCIES])
    reason = TextAreaField(_l("Why do you support it?"),
                           validators=[Optional(), Length(max=REASON_MAX_LENGTH)])
    resonance = RadioField(_l("Does the core fit your own life?"), validators=[Optional()],
                           choices=[SelectChoice("me_too", _l("This is me too")),
                                    SelectChoice("someone_i_know", _l("Someone I know")),
                                    SelectChoice("not_me", _l("Not me, but I like it"))])
    my_situation = StringField(_l("Your own situation, in a sentence"),
                               validators=[Optional(), Length(max=SITUATION_MAX)])

    def validate_price_currency(self, field) -> None:
        if self.price_amount.data and not is_currency(field.data or ""):
            raise ValidationError(_l("Choose a currency."))

    def validate_price_amount(self, field) -> None:
        if not field.data:
            return
        try:
            amount = parse_amount(field.data, self.price_currency.data or "")
        except (TypeError, ValueError):
            raise ValidationError(_l("Enter an amount such as 1200 or 12.50.")) from None
        if amount < 0:
            raise ValidationError(_l("The price cannot be negative."))

    def answers(self) -> SupportAnswers:
        price_minor = price_currency = None
        if self.price_amount.data:
            price_currency = self.price_currency.data
            price_minor = parse_amount(self.price_amount.data, price_currency)
        return SupportAnswers(would_buy=self.would_buy.data or None, price_minor=price_minor,
                              price_currency=price_currency,
                              reason=(self.reason.data or "").strip() or None,
                              resonance=self.resonance.data or None,
                              my_situation=" ".join((self.my_situation.data or "").split())
                              or None)


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(),
                                                    Length(max=BODY_MAX_LENGTH)])
    parent_id = HiddenField()
    reply_to = HiddenField()  # the comment whose reply form was used (to show it again)

    def parent(self) -> int | None:
        try:
            return int(self.parent_id.data) if self.parent_id.data else None
        except ValueError:
            return -1  # refused by the service as "not a comment on this idea"


class UpdateForm(FlaskForm):
    body = TextAreaField(_l("Update"), validators=[DataRequired(), Length(max=BODY_MAX_LENGTH)])


class EditCommentForm(FlaskForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(),
                                                    Length(max=BODY_MAX_LENGTH)])


class ReportForm(FlaskForm):
    reason = StringField(_l("What is wrong with it?"),
                         validators=[Optional(), Length(max=REPORT_REASON_MAX_LENGTH)])


class ModerationForm(FlaskForm):
    reason = StringField(_l("Reason (kept in the audit log)"),
                         validators=[Optional(), Length(max=500)])
