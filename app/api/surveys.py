"""API endpoints: surveys (staff create, members answer once, staff read the results)."""
from __future__ import annotations

from typing import Any

from app.api import bp
from app.api.core import json_body, require_caller
from app.api.openapi import SCHEMAS, operation, written
from app.models.base import ID_MAX
from app.models.surveys import Survey
from app.services import surveys
from app.transaction import transaction

_KEY = {"type": "string", "pattern": surveys.KEY_PATTERN}
_COMMON = {"key": _KEY, "label": written(surveys.LABEL_MAX),
           "required": {"type": "boolean"},
           "show_if": {"type": "object", "required": ["key", "equals"], "properties": {
               "key": _KEY, "equals": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
               "description": "shown only when the earlier question `key` was answered "
                              "`equals` (a multiple choice: includes it)"}}
_OPTIONS = {"type": "array", "minItems": surveys.OPTIONS_MIN, "maxItems": surveys.OPTIONS_MAX,
            "uniqueItems": True, "items": written(surveys.OPTION_MAX)}


def _question(kind: str, **extra) -> dict:
    required = ["key", "kind", "label", *(["options"] if "options" in extra else [])]
    return {"type": "object", "required": required, "properties": {
        **_COMMON, "kind": {"type": "string", "enum": [kind]}, **extra}}


SCHEMAS["SurveyQuestion"] = {"oneOf": [
    _question("single", options=_OPTIONS), _question("multiple", options=_OPTIONS),
    _question("scale"),
    _question("text", long={"type": "boolean", "description": f"a long text (at most "
                                                              f"{surveys.LONG_TEXT_MAX} "
                                                              f"characters; short: "
                                                              f"{surveys.SHORT_TEXT_MAX})"})]}
SCHEMAS["Survey"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"},
    "questions": {"type": "array", "items": {"type": "object"}},
    "idea_id": {"type": "integer", "nullable": True},
    "campaign_id": {"type": "integer", "nullable": True},
    "session_id": {"type": "integer", "nullable": True},
    "segment": {"type": "object", "nullable": True}, "public": {"type": "boolean"},
    "response_count": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"},
    "closed_at": {"type": "string", "format": "date-time", "nullable": True}}}
SCHEMAS["SurveyResults"] = {"type": "object", "properties": {
    "survey": {"$ref": "#/components/schemas/Survey"},
    "questions": {"type": "array", "items": {"type": "object", "properties": {
        "key": {"type": "string"}, "kind": {"type": "string", "enum": list(surveys.KINDS)},
        "label": {"type": "string"}, "answered": {"type": "integer"},
        "counts": {"type": "array", "items": {"type": "object", "properties": {
            "answer": {"type": "string"}, "count": {"type": "integer"}}}},
        "mean": {"type": "string", "nullable": True, "description": "scale: two decimals"},
        "answers": {"type": "array", "items": {"type": "string"},
                    "description": "text: the latest written answers (staff only)"}}}}}}


def survey_json(survey: Survey) -> dict[str, Any]:
    return {"id": survey.id, "title": survey.title, "questions": survey.questions,
            "idea_id": survey.idea_id, "campaign_id": survey.campaign_id,
            "session_id": survey.session_id, "segment": survey.segment, "public": survey.public,
            "response_count": survey.response_count, "created_at": survey.created_at.isoformat(),
            "closed_at": survey.closed_at.isoformat() if survey.closed_at else None}


operation("/surveys", "post", "Create a survey for the supporters and followers of an idea, "
          "the entrants and voters of a campaign, the attendees of a co-creation session (told "
          "at once), or the members of a segment who agreed to marketing (sent by a job, each "
          "told once) (admin, community_manager). Keys unique, `show_if` naming an earlier "
          "question and one of its possible answers (refused on the `questions` field).",
          body={"type": "object", "required": ["title", "questions"],
                "anyOf": [{"required": ["idea_id"]}, {"required": ["campaign_id"]},
                          {"required": ["session_id"]}, {"required": ["segment"]}],
                "properties": {
              "title": written(surveys.TITLE_MAX),
              "questions": {"type": "array", "minItems": 1, "maxItems": surveys.QUESTIONS_MAX,
                            "items": {"$ref": "#/components/schemas/SurveyQuestion"}},
              "idea_id": {"type": "integer", "minimum": 1, "maximum": ID_MAX,
                          "description": "its supporters and followers answer"},
              "campaign_id": {"type": "integer", "minimum": 1, "maximum": ID_MAX,
                              "description": "its entrants and voters answer"},
              "session_id": {"type": "integer", "minimum": 1, "maximum": ID_MAX,
                             "description": "a co-creation session: its attendees answer"},
              "segment": {"allOf": [{"$ref": "#/components/schemas/SegmentSpec"}],
                          "description": "its members answer (told in the app and by mail per "
                                         "their preferences, by a job in batches)"},
              "public": {"type": "boolean", "description": "results (counts only) shown to "
                                                           "everyone"}}},
          responses={"201": "the survey", "400": "not a JSON object", "401": "no or bad token",
                     "403": "not admin or community_manager",
                     "404": "no such idea, campaign or session",
                     "422": "invalid survey (field errors)"})


@bp.post("/surveys")
def create_survey():
    staff = require_caller()
    data = json_body()
    with transaction():
        survey = surveys.create_survey(staff, data)
        body = survey_json(survey)
    return body, 201


operation("/surveys/{id}/responses", "post", "Answer a survey, once (a member it was sent to: "
          "a supporter or follower of its idea, an entrant or voter of its campaign, an attendee "
          "of its session, a member of its segment)",
          body={"type": "object", "required": ["answers"], "properties": {
              "answers": {"type": "object", "minProperties": 1, "additionalProperties": {
                  "anyOf": [{"type": "string", "maxLength": surveys.LONG_TEXT_MAX},
                            {"type": "integer"},
                            {"type": "array", "items": {"type": "string"}}]},
                  "description": "question key: the answer (single: an option; multiple: a "
                                 "list of options; scale: 1-5; text: a string)"}}},
          responses={"201": "{id, survey_id, answers, created_at}", "400": "not a JSON object",
                     "401": "no or bad token",
                     "403": "not_a_recipient, email_not_confirmed", "404": "no such survey",
                     "409": "answered_already, survey_closed",
                     "422": "invalid answers (a field error per question: answers.<key>)"})


@bp.post("/surveys/<int:survey_id>/responses")
def answer_survey(survey_id: int):
    member = require_caller()
    data = json_body()
    with transaction():
        response = surveys.answer_survey(member, survey_id, data.get("answers"))
        body = {"id": response.id, "survey_id": response.survey_id, "answers": response.answers,
                "created_at": response.created_at.isoformat()}
    return body, 201


operation("/surveys/{id}/results", "get", "A survey's results aggregated per question (admin, "
          "community_manager: with the written answers; analyst, and anyone signed in for a "
          "public survey: counts only, without the written answers)",
          responses={"200": "SurveyResults", "401": "no or bad token", "403": "not staff",
                     "404": "no such survey"})


@bp.get("/surveys/<int:survey_id>/results")
def survey_results(survey_id: int):
    viewer = require_caller()
    survey = surveys.get_survey(survey_id)
    full = surveys.require_results(viewer, survey)
    return {"survey": survey_json(survey),
            "questions": [row.as_json(with_texts=full) for row in surveys.results(survey)]}
