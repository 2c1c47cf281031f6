"""Forms of the finance and agreement pages. They check the shape of the input; the rules live
in app.services.ledger and app.services.agreements. Money is typed as text and parsed exactly
with app.money.parse_amount for its currency: it never passes through a float."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from app.money import CURRENCY_MINOR_UNITS, parse_amount
from app.services import ledger as ledger_service

CURRENCY_CHOICES = [SelectChoice(code, code) for code in sorted(CURRENCY_MINOR_UNITS)]
DEFAULT_CURRENCY = "JPY"


def new_reference(prefix: str) -> str:
    """A fresh reference, so submitting the same form twice records it once."""
    return f"{prefix}-{secrets.token_hex(6)}"


class MoneyForm(FlaskForm):
    """A form with a currency field and one amount typed as decimal text."""

    amount_field = "amount"

    def amount_minor(self) -> int:
        return parse_amount(getattr(self, self.amount_field).data, self.currency.data)

    def _check_amount(self, field) -> None:
        currency = self.currency.data
        if currency not in CURRENCY_MINOR_UNITS:
            return  # the currency field reports it
        try:
            amount = parse_amount(field.data or "", currency)
        except ValueError:
            decimals = CURRENCY_MINOR_UNITS[currency]
            raise ValidationError(_l(
                "Type an amount such as %(example)s (%(currency)s has %(n)s decimals).",
                example="1234" if decimals == 0 else "1234." + "5" * decimals,
                currency=currency, n=decimals)) from None
        if abs(amount) >= ledger_service.MAX_AMOUNT_MINOR:
            raise ValidationError(_l("The amount is too large."))


def _product_id(value: object) -> int | str:
    """A product id from the form, or "" for the empty "Choose a product" option."""
    if value in ("", None):
        return ""
    return int(value)


class SaleForm(MoneyForm):
    amount_field = "net_sales"

    # The view puts an empty "Choose a product" first: nothing is preselected.
    product_id = SelectField(_l("Product"), coerce=_product_id,
                             validators=[DataRequired(_l("Choose a product."))])
    period = StringField(_l("Period"), validators=[DataRequired()],
                         render_kw={"type": "month", "placeholder": "YYYY-MM",
                                    "pattern": "[0-9]{4}-[0-9]{2}"})
    units = IntegerField(_l("Units sold"), validators=[InputRequired()],
                         render_kw={"inputmode": "numeric"})
    net_sales = StringField(_l("Net sales"), validators=[DataRequired()],
                            render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = SelectField(_l("Currency"), choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    external_ref = StringField(_l("External reference"),
                               validators=[DataRequired(), Length(max=ledger_service.REF_MAX)])

    def validate_period(self, field) -> None:
        problem = ledger_service.check_period((field.data or "").strip())
        if problem:
            raise ValidationError(problem)

    def validate_net_sales(self, field) -> None:
        self._check_amount(field)

    def validate_external_ref(self, field) -> None:
        problem = ledger_service.check_reference((field.data or "").strip())
        if problem:
            raise ValidationError(problem)


class ImportForm(FlaskForm):
    file = FileField(_l("Sales file (CSV)"), validators=[FileRequired(_l("Choose a CSV file."))],
                     render_kw={"accept": ".csv,text/csv"})


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class PayoutForm(MoneyForm):
    user_id = SelectField(_l("Creator"), coerce=int, validators=[InputRequired()])
    amount = StringField(_l("Amount"), validators=[DataRequired()],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = SelectField(_l("Currency"), choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)
    reference = StringField(_l("Payment reference"),
                            validators=[DataRequired(), Length(max=ledger_service.REF_MAX)])

    def validate_amount(self, field) -> None:
        self._check_amount(field)
        if self.currency.data in CURRENCY_MINOR_UNITS and self.amount_minor() <= 0:
            raise ValidationError(_l("The amount must be positive."))

    def validate_reference(self, field) -> None:
        problem = ledger_service.check_reference((field.data or "").strip())
        if problem:
            raise ValidationError(problem)


class ReverseForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])


class AgreementForm(FlaskForm):
    version = StringField(_l("Version"), validators=[DataRequired(), Length(max=20)],
                          render_kw={"placeholder": "2"})
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    text = TextAreaField(_l("Text (Markdown)"), validators=[DataRequired()],
                         render_kw={"rows": 18})


class PayoutRequestForm(MoneyForm):
    """A creator asks to be paid from their balance in one currency."""

    amount = StringField(_l("Amount"), validators=[DataRequired()],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    currency = SelectField(_l("Currency"), choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY)

    def validate_amount(self, field) -> None:
        self._check_amount(field)
        if self.currency.data in CURRENCY_MINOR_UNITS and self.amount_minor() <= 0:
            raise ValidationError(_l("The amount must be positive."))


class PayRequestForm(FlaskForm):
    reference = StringField(_l("Payment reference"),
                            validators=[DataRequired(), Length(max=ledger_service.REF_MAX)])


class DeclineRequestForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the creator reads it)"),
                           validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 2})
