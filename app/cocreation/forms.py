"""Forms of the co-creation pages. They only carry what was typed: the rules live in
app.services.sessions and app.services.product_tests."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, IntegerField, RadioField,
                     SelectChoice, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from app.services import product_tests as test_service
from app.services import sessions as session_service

AXIS_CHOICES = [SelectChoice(3, "3"), SelectChoice(2, "2"), SelectChoice(1, "1")]


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(),
                                                 Length(max=session_service.TITLE_MAX)])
    purpose = TextAreaField(_l("Purpose"), validators=[DataRequired(),
                                                       Length(max=session_service.PURPOSE_MAX)],
                            render_kw={"rows": 3})
    mode = RadioField(_l("Where"), choices=[SelectChoice("online", _l("Online")),
                                            SelectChoice("in_person", _l("In person"))],
                      default="online", validators=[InputRequired()])
    place_or_url = StringField(_l("Meeting link or place"),
                               validators=[DataRequired(), Length(max=session_service.PLACE_MAX)])
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired()])
    duration_minutes = IntegerField(_l("Duration (minutes)"), default=90, validators=[
        InputRequired(), NumberRange(session_service.DURATION_MIN, session_service.DURATION_MAX)])
    capacity = IntegerField(_l("Capacity (people)"), default=8, validators=[
        InputRequired(), NumberRange(1, session_service.CAPACITY_MAX)])
    idea_id = IntegerField(_l("Linked idea (id, optional)"), validators=[Optional()])
    product_id = IntegerField(_l("Linked product (id, optional)"), validators=[Optional()])
    repeat_monthly = IntegerField(_l("Sessions in a monthly series"), default=1, validators=[
        InputRequired(), NumberRange(1, session_service.SERIES_MAX)])


class InviteForm(FlaskForm):
    user_ids = StringField(_l("Member ids (separated by commas)"), validators=[DataRequired()])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Why it is cancelled"), validators=[
        DataRequired(), Length(max=session_service.CANCEL_REASON_MAX)], render_kw={"rows": 2})


class OutputsForm(FlaskForm):
    notes = TextAreaField(_l("Notes"), validators=[Length(max=session_service.OUTPUT_MAX)],
                          render_kw={"rows": 4})
    insights = TextAreaField(_l("Insights"), validators=[Length(max=session_service.OUTPUT_MAX)],
                             render_kw={"rows": 4})
    decisions = TextAreaField(_l("Decisions"),
                              validators=[Length(max=session_service.OUTPUT_MAX)],
                              render_kw={"rows": 4})
    idea_ids = StringField(_l("Linked ideas (ids, separated by commas)"), validators=[Optional()])


class FeedbackForm(FlaskForm):
    satisfaction = RadioField(_l("How satisfied are you with this session?"), coerce=int,
                              choices=[SelectChoice(5, _l("5 · very satisfied")),
                                       SelectChoice(4, "4"), SelectChoice(3, "3"),
                                       SelectChoice(2, "2"),
                                       SelectChoice(1, _l("1 · not at all satisfied"))],
                              validators=[InputRequired()])
    comment = TextAreaField(_l("Comment (optional)"),
                            validators=[Optional(), Length(max=session_service.COMMENT_MAX)],
                            render_kw={"rows": 3})


class RegistrationForm(FlaskForm):
    waiting_list = BooleanField(_l("Put me on the waiting list if it is full"))


class ProductTestForm(FlaskForm):
    idea_id = IntegerField(_l("Idea (id): in review, or a product in production"),
                           validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(),
                                                 Length(max=test_service.TITLE_MAX)])
    brief = TextAreaField(_l("Brief: what testers receive and what to try (Markdown)"),
                          validators=[DataRequired(), Length(max=test_service.BRIEF_MAX)],
                          render_kw={"rows": 4})
    testers = IntegerField(_l("Number of testers"), default=10, validators=[
        InputRequired(), NumberRange(1, test_service.TESTERS_MAX)])
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])


class ApplyForm(FlaskForm):
    motivation = TextAreaField(_l("Why would you like to test it? (optional)"),
                               validators=[Optional(), Length(max=test_service.TEXT_MAX)],
                               render_kw={"rows": 2})


class ReportForm(FlaskForm):
    customer_value = RadioField(_l("Customer value"), coerce=int,
                                choices=AXIS_CHOICES,
                                validators=[InputRequired()])
    uniqueness = RadioField(_l("Uniqueness"), coerce=int, choices=AXIS_CHOICES,
                            validators=[InputRequired()])
    feasibility = RadioField(_l("Feasibility"), coerce=int,
                             choices=AXIS_CHOICES, validators=[InputRequired()])
    marketability = RadioField(_l("Marketability"), coerce=int,
                               choices=AXIS_CHOICES,
                               validators=[InputRequired()])
    rationale = TextAreaField(_l("Why these scores"), validators=[
        DataRequired(), Length(max=test_service.TEXT_MAX)], render_kw={"rows": 3})
    comment = TextAreaField(_l("Anything else (optional)"), validators=[
        Optional(), Length(max=test_service.TEXT_MAX)], render_kw={"rows": 3})


class SelectTestersForm(FlaskForm):
    user_ids = StringField(_l("Member ids (separated by commas)"), validators=[DataRequired()])
