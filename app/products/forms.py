"""Forms of the product pages (shape only; the rules live in app.services.products)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.ideas.engagement_forms import SUPPORT_CURRENCIES
from app.services.products import MESSAGE_MAX, SHOP_URL_MAX, UPDATE_MAX


class StageForm(FlaskForm):
    """The next step of a product: a message, the expected date (in production) or the shop
    link and price (on sale). Which step it is comes from the product's stage."""

    message = TextAreaField(_l("Message to the community"),
                            validators=[InputRequired(_l("Write a message to the community.")),
                                        Length(max=MESSAGE_MAX)],
                            render_kw={"rows": 4, "maxlength": MESSAGE_MAX})
    expected_on = DateField(_l("Expected on sale"), validators=[Optional()])
    shop_url = StringField(_l("Shop link"), validators=[Optional(), Length(max=SHOP_URL_MAX)],
                           render_kw={"inputmode": "url", "placeholder": "https://"})
    price = StringField(_l("Price"), validators=[Optional(), Length(max=20)],
                        render_kw={"inputmode": "decimal"})
    currency = SelectField(_l("Currency"),
                           choices=[SelectChoice(c, c) for c in SUPPORT_CURRENCIES],
                           validate_choice=False)  # checked with the price (services.products)


class UpdateForm(FlaskForm):
    body = TextAreaField(_l("Development update (Markdown)"),
                         validators=[InputRequired(_l("Write some text.")), Length(max=UPDATE_MAX)],
                         render_kw={"rows": 5, "maxlength": UPDATE_MAX})
