"""Forms of the review pages. They check the shape of the input only; the rules (ranges, required
rationale, conflicts of interest, decision gates) live in app.services.review, and the views put
its field errors back on the form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from app.services.review import MESSAGE_MAX, NOTE_MAX_LENGTH, RATIONALE_MAX

SCORE_CHOICES = [SelectChoice(3, "3"), SelectChoice(2, "2"), SelectChoice(1, "1")]


def _score(label):
    return RadioField(label, choices=SCORE_CHOICES, coerce=int,
                      validators=[InputRequired(_l("Choose 1, 2 or 3."))])


def _rationale(label):
    return TextAreaField(label, validators=[InputRequired(_l("Explain this score in a few words.")),
                                            Length(max=RATIONALE_MAX)],
                         render_kw={"rows": 3, "maxlength": RATIONALE_MAX})


class ScoreForm(FlaskForm):
    """A score 1-3 and a written rationale on each axis of the matrix."""

    customer_value = _score(_l("Customer value"))
    customer_value_rationale = _rationale(_l("Why this score for customer value?"))
    uniqueness = _score(_l("Uniqueness"))
    uniqueness_rationale = _rationale(_l("Why this score for uniqueness?"))
    feasibility = _score(_l("Feasibility"))
    feasibility_rationale = _rationale(_l("Why this score for feasibility?"))
    marketability = _score(_l("Marketability"))
    marketability_rationale = _rationale(_l("Why this score for marketability?"))


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[
        SelectChoice("approved", _l("Approved")), SelectChoice("not_approved", _l("Not approved")),
        SelectChoice("on_hold", _l("On hold (carried to the next batch)"))],
        validators=[InputRequired(_l("Choose a decision."))])
    message = TextAreaField(_l("Message to the creators"),
                            validators=[InputRequired(_l("Write a message to the creators.")),
                                        Length(max=MESSAGE_MAX)],
                            render_kw={"rows": 5, "maxlength": MESSAGE_MAX})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class ReviewNoteForm(FlaskForm):
    """A note on one idea of a batch (calibration)."""

    body = TextAreaField(_l("Your note"), validators=[InputRequired(), Length(max=NOTE_MAX_LENGTH)],
                         render_kw={"rows": 3, "maxlength": NOTE_MAX_LENGTH})
