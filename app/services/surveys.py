"""Surveys: staff ask, members answer once, staff read the results.

A survey has questions, each {key, kind, label, options?, long?, required?, show_if?}:

- kind `single` (one of `options`), `multiple` (one or more of `options`), `scale` (an integer
  1-5), `text` (short, or `long: true` for a long text);
- `show_if: {key, equals}` asks the question only when an earlier question's answer equals
  `equals` (for a `multiple` question: includes it);
- `required: true`: a question that is asked must be answered.

Whom it asks: the supporters and followers of its idea (`idea_id`), the entrants (creators of
its entries) and voters of its campaign (`campaign_id`), or the members of a segment
(app.services.segments: the job `surveys.send` writes survey_recipients in keyset batches and
tells each new recipient once, in the app and by mail per their preferences; a segment survey
is marketing, so only members who agreed to it are asked, app.services.consents), or the
attendees of a co-creation session (`session_id`: those whose attendance is recorded; told when
the survey is created). Each of them answers once (409 answered_already); answers are checked against
the kinds and the conditions (422 with a field error per question). Results, aggregated per
question, are for admin, community_manager and analyst, and for everyone when the survey is
public, then without the written answers, which are personal data.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select, update

from app import jobs, permissions
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.models import (Campaign, CampaignEntry, CampaignVote, CoSession, Idea, IdeaCreator,
                        IdeaFollow, SessionInvitation, Support, User)
from app.models.base import is_row_id
from app.models.surveys import Survey, SurveyRecipient, SurveyResponse
from app.permissions import Action
from app.services import consents, events, segments

KINDS = ("single", "multiple", "scale", "text")
KEY_PATTERN = "^[a-z][a-z0-9_]{0,31}$"
_KEY = re.compile(KEY_PATTERN)
TITLE_MAX = 200
LABEL_MAX = 300
OPTION_MAX = 100
OPTIONS_MIN, OPTIONS_MAX = 2, 20
QUESTIONS_MAX = 30
SHORT_TEXT_MAX = 200
LONG_TEXT_MAX = 5000
SCALE = (1, 2, 3, 4, 5)
#: Written answers shown per question on the results page (the CSV has them all).
TEXT_SAMPLES = 20


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip() or "\x00" in value


# --- creating ------------------------------------------------------------------------------


def _clean_question(index: int, raw: Any, fields: dict[str, str]) -> dict | None:
    at = f"questions.{index}"
    if not isinstance(raw, dict):
        fields[at] = _("Each question is an object.")
        return None
    key, kind, label = raw.get("key"), raw.get("kind"), raw.get("label")
    question: dict[str, Any] = {"key": key, "kind": kind, "label": label}
    if not isinstance(key, str) or not _KEY.match(key):
        fields[f"{at}.key"] = _("A key of lower-case letters, digits and _ (at most 32).")
    if kind not in KINDS:
        fields[f"{at}.kind"] = _("Choose one of: %(kinds)s.", kinds=", ".join(KINDS))
    if _blank(label) or len(label) > LABEL_MAX:
        fields[f"{at}.label"] = _("Write the question (at most %(n)s characters).", n=LABEL_MAX)
    if kind in ("single", "multiple"):
        options = raw.get("options")
        if not isinstance(options, list) or not OPTIONS_MIN <= len(options) <= OPTIONS_MAX \
                or any(_blank(o) or len(o) > OPTION_MAX for o in options) \
                or len(set(options)) != len(options):
            fields[f"{at}.options"] = _(
                "Between %(min)s and %(max)s different options, each at most %(n)s characters.",
                min=OPTIONS_MIN, max=OPTIONS_MAX, n=OPTION_MAX)
        else:
            question["options"] = list(options)
    if kind == "text":
        long = raw.get("long", False)
        if not isinstance(long, bool):
            fields[f"{at}.long"] = _("true or false.")
        question["long"] = long is True
    required = raw.get("required", False)
    if not isinstance(required, bool):
        fields[f"{at}.required"] = _("true or false.")
    question["required"] = required is True
    show_if = raw.get("show_if")
    if show_if is not None:
        if not isinstance(show_if, dict) or not isinstance(show_if.get("key"), str) \
                or not _KEY.match(show_if["key"]) or "equals" not in show_if \
                or isinstance(show_if["equals"], bool) \
                or not isinstance(show_if["equals"], (str, int)):
            fields[f"{at}.show_if"] = _("{key: an earlier question's key, equals: an answer}.")
        else:
            question["show_if"] = {"key": show_if["key"], "equals": show_if["equals"]}
    return question


def _cross_check(questions: list[dict]) -> str | None:
    """Rules across questions (keys unique, conditions on earlier questions and on one of
    their answers): the first broken, for the `questions` field."""
    seen: dict[str, dict] = {}
    for number, question in enumerate(questions, start=1):
        if question["key"] in seen:
            return _("Question %(n)s: the key “%(key)s” is used twice.", n=number,
                     key=question["key"])
        condition = question.get("show_if")
        if condition is not None:
            earlier = seen.get(condition["key"])
            if earlier is None:
                return _("Question %(n)s: show_if must name an earlier question.", n=number)
            if not _possible_answer(earlier, condition["equals"]):
                return _("Question %(n)s: show_if must name an answer question “%(key)s” can "
                         "have.", n=number, key=earlier["key"])
        seen[question["key"]] = question
    return None


def _possible_answer(question: dict, value: Any) -> bool:
    if question["kind"] in ("single", "multiple"):
        return isinstance(value, str) and value in question["options"]
    if question["kind"] == "scale":
        return isinstance(value, int) and not isinstance(value, bool) and value in SCALE
    return isinstance(value, str)


def clean_questions(raw: Any) -> list[dict]:
    """The questions as stored, or Invalid naming every problem."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= QUESTIONS_MAX:
        raise Invalid({"questions": _("Between 1 and %(n)s questions.", n=QUESTIONS_MAX)})
    fields: dict[str, str] = {}
    questions = [_clean_question(i, q, fields) for i, q in enumerate(raw)]
    if fields:
        raise Invalid(fields)
    problem = _cross_check([q for q in questions if q is not None])
    if problem:
        raise Invalid({"questions": problem})
    return [q for q in questions if q is not None]


def _attended(session_id: Any, user_id: Any):
    """Whether the member attended the session (SQL; the arguments may be columns)."""
    return exists().where(SessionInvitation.session_id == session_id,
                          SessionInvitation.user_id == user_id,
                          SessionInvitation.attended_at.is_not(None))


def _tell_attendees(survey: Survey) -> None:
    """Ask the session's attendees (a session holds its capacity at most: one query, one
    notification each). Attendance recorded later: they find it on their home page."""
    attendees = db.session.scalars(
        select(User).join(SessionInvitation, SessionInvitation.user_id == User.id)
        .where(SessionInvitation.session_id == survey.session_id,
               SessionInvitation.attended_at.is_not(None), User.blocked_at.is_(None),
               User.deleted_at.is_(None))
        .order_by(User.id)).all()
    if attendees:
        events.notify(attendees, "survey_invitation", {"title": survey.title},
                      url=f"/surveys/{survey.id}")


#: What a survey may be attached to: (model, the error code when missing).
_TARGETS = {"idea_id": (Idea, "idea_not_found"), "campaign_id": (Campaign, "campaign_not_found"),
            "session_id": (CoSession, "session_not_found")}


def _id_errors(**ids: Any) -> dict[str, str]:
    """A field error for each given id that is not a row id."""
    messages = {"idea_id": _("An idea's id."), "campaign_id": _("A campaign's id."),
                "session_id": _("A session's id.")}
    return {name: messages[name] for name, value in ids.items()
            if value is not None and not is_row_id(value)}


def _require_found(**ids: Any) -> None:
    """NotFound (idea_not_found, campaign_not_found, session_not_found) for a missing row."""
    messages = {"idea_id": _("No such idea."), "campaign_id": _("No such campaign."),
                "session_id": _("No such session.")}
    for name, value in ids.items():
        model, code = _TARGETS[name]
        if value is not None and db.session.get(model, value) is None:
            raise NotFound(code, messages[name])


def create_survey(staff: User, data: dict[str, Any]) -> Survey:
    """A survey attached to an idea (its supporters and followers answer), a campaign (its
    entrants and voters), a co-creation session (its attendees, told at once) or sent to a
    segment (see the module docstring)."""
    permissions.require(staff, Action.MANAGE_SURVEYS)
    fields: dict[str, str] = {}
    title = data.get("title")
    if _blank(title) or len(title) > TITLE_MAX:
        fields["title"] = _("Give the survey a title (at most %(n)s characters).", n=TITLE_MAX)
    public = data.get("public", False)
    if not isinstance(public, bool):
        fields["public"] = _("true or false.")
    idea_id, campaign_id, spec = data.get("idea_id"), data.get("campaign_id"), data.get("segment")
    session_id = data.get("session_id")
    if idea_id is None and campaign_id is None and spec is None and session_id is None:
        fields.setdefault("idea_id", _("Choose the idea whose supporters and followers answer "
                                       "(or a campaign, a session, or a segment)."))
    if spec is not None:
        try:
            spec = segments.validate_segment(spec, staff, prefix="segment.")
        except Invalid as error:
            fields.update(error.fields)
    fields.update(_id_errors(idea_id=idea_id, campaign_id=campaign_id, session_id=session_id))
    try:
        questions = clean_questions(data.get("questions"))
    except Invalid as error:
        fields.update(error.fields)
        questions = []
    if fields:
        raise Invalid(fields)
    _require_found(idea_id=idea_id, campaign_id=campaign_id, session_id=session_id)
    survey = Survey(title=title.strip(), questions=questions, idea_id=idea_id,
                    campaign_id=campaign_id, session_id=session_id, segment=spec, public=public,
                    created_by_id=staff.id)
    db.session.add(survey)
    db.session.flush()
    if spec is not None:
        jobs.enqueue("surveys.send", survey_id=survey.id)
    if session_id is not None:
        _tell_attendees(survey)
    events.audit(staff, "survey.create", survey, after={"title": survey.title,
                                                         "idea_id": idea_id,
                                                         "campaign_id": campaign_id,
                                                         "session_id": session_id,
                                                         "segment": spec,
                                                         "questions": len(questions)})
    return survey


# --- answering -----------------------------------------------------------------------------


def get_survey(survey_id: int) -> Survey:
    survey = db.session.get(Survey, survey_id)
    if survey is None:
        raise NotFound("survey_not_found", _("No such survey."))
    return survey


def is_recipient(user: User | None, survey: Survey) -> bool:
    """The survey was sent to this member: they support or follow its idea, entered or voted in
    its campaign, or are one of its recipients (one query)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(db.session.scalar(select(_audience(user.id, survey.id, survey.idea_id,
                                                   survey.campaign_id, survey.session_id))))


def _audience(user_id: int, survey_id, idea_id, campaign_id, session_id):
    """Whether the member is in the survey's audience (SQL; the arguments may be columns)."""
    entrant = select(CampaignEntry.idea_id).join(IdeaCreator, IdeaCreator.idea_id == CampaignEntry.idea_id) \
        .where(CampaignEntry.campaign_id == campaign_id, IdeaCreator.user_id == user_id)
    return or_(
        exists().where(SurveyRecipient.survey_id == survey_id, SurveyRecipient.user_id == user_id),
        exists().where(Support.idea_id == idea_id, Support.user_id == user_id),
        exists().where(IdeaFollow.idea_id == idea_id, IdeaFollow.user_id == user_id),
        entrant.exists(),
        exists().where(CampaignVote.campaign_id == campaign_id, CampaignVote.user_id == user_id),
        _attended(session_id, user_id))


def has_answered(user: User, survey: Survey) -> bool:
    return db.session.scalar(select(exists().where(SurveyResponse.survey_id == survey.id,
                                                   SurveyResponse.user_id == user.id))) or False


def asked(question: dict, answers: dict[str, Any]) -> bool:
    """Whether the question is asked, given the earlier answers."""
    condition = question.get("show_if")
    if condition is None:
        return True
    earlier = answers.get(condition["key"])
    if isinstance(earlier, list):
        return condition["equals"] in earlier
    return earlier == condition["equals"] and earlier is not None


def _check_answer(question: dict, value: Any) -> tuple[Any, str | None]:
    kind = question["kind"]
    if kind == "single":
        if not isinstance(value, str) or value not in question["options"]:
            return None, _("Choose one of the options.")
        return value, None
    if kind == "multiple":
        if not isinstance(value, list) or not value or len(set(map(str, value))) != len(value) \
                or any(not isinstance(v, str) or v not in question["options"] for v in value):
            return None, _("Choose one or more of the options, each once.")
        return [o for o in question["options"] if o in value], None
    if kind == "scale":
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            return None, _("A whole number from 1 to 5.")
        return value, None
    limit = LONG_TEXT_MAX if question.get("long") else SHORT_TEXT_MAX
    if _blank(value) or len(value) > limit:
        return None, _("Write an answer of at most %(n)s characters.", n=limit)
    return value.strip(), None


def clean_answers(survey: Survey, raw: Any, *, strict: bool = True) -> dict[str, Any]:
    """The answers as stored, checked question by question in order (a condition reads the
    cleaned earlier answers). `strict` (the API): an answer to a question not asked is an
    error; otherwise (the form, where every question is on the page without script) it is
    dropped. Invalid with one field error per question (`answers.<key>`)."""
    if not isinstance(raw, dict):
        raise Invalid({"answers": _("An object of question key: answer.")})
    keys = {q["key"] for q in survey.questions}
    fields = {f"answers.{key}": _("No such question.") for key in raw if key not in keys}
    cleaned: dict[str, Any] = {}
    for question in survey.questions:
        key = question["key"]
        value = raw.get(key)
        empty = value is None or value == "" or value == []
        if not asked(question, cleaned):
            if not empty and strict:
                fields[f"answers.{key}"] = _("This question is not asked after your earlier "
                                             "answers.")
            continue
        if empty:
            if question.get("required"):
                fields[f"answers.{key}"] = _("Please answer this question.")
            continue
        value, problem = _check_answer(question, value)
        if problem:
            fields[f"answers.{key}"] = problem
        else:
            cleaned[key] = value
    if fields:
        raise Invalid(fields)
    if not cleaned:
        raise Invalid({"answers": _("Answer at least one question.")})
    return cleaned


def answer_survey(user: User, survey_id: int, raw: Any, *, strict: bool = True) -> SurveyResponse:
    """The member's answers, once (409 answered_already); 403 not_a_recipient; 409
    survey_closed."""
    permissions.require(user, Action.ANSWER_SURVEY)
    survey = get_survey(survey_id)
    if not is_recipient(user, survey):
        raise Forbidden("not_a_recipient", _("This survey was not sent to you."))
    if survey.closed_at is not None:
        raise Conflict("survey_closed", _("This survey is closed."))
    if has_answered(user, survey):
        raise Conflict("answered_already", _("You have answered this survey already."))
    answers = clean_answers(survey, raw, strict=strict)
    response = SurveyResponse(survey_id=survey.id, user_id=user.id, answers=answers)
    db.session.add(response)
    db.session.flush()  # the unique (survey, member) key refuses a second answer in a race
    db.session.execute(update(Survey).where(Survey.id == survey.id)
                       .values(response_count=Survey.response_count + 1))
    return response


def open_for(user: User, limit: int = 3) -> list[Survey]:
    """Open surveys sent to the member that they have not answered, newest first (one
    query)."""
    mine = _audience(user.id, Survey.id, Survey.idea_id, Survey.campaign_id, Survey.session_id)
    answered = exists().where(SurveyResponse.survey_id == Survey.id,
                              SurveyResponse.user_id == user.id)
    return list(db.session.scalars(select(Survey).where(Survey.closed_at.is_(None), mine,
                                                        ~answered)
                                   .order_by(Survey.created_at.desc(), Survey.id.desc())
                                   .limit(limit)))


def latest(limit: int = 50) -> list[Survey]:
    """The newest surveys, for the staff list (their ideas and campaigns joined in)."""
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(select(Survey).options(joinedload(Survey.idea),
                                                          joinedload(Survey.campaign))
                                   .order_by(Survey.created_at.desc(), Survey.id.desc())
                                   .limit(limit)))


# --- sending to a segment --------------------------------------------------------------------


def _add_recipients(survey_id: int, user_ids: list[int]) -> list[int]:
    """Write the recipients not written yet; returns those that are new (one statement)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SurveyRecipient)
    rows = [{"survey_id": survey_id, "user_id": user_id} for user_id in user_ids]
    return list(db.session.scalars(insert.values(rows).on_conflict_do_nothing(
        index_elements=["survey_id", "user_id"]).returning(SurveyRecipient.user_id)))


def send(survey_id: int, batch: int = segments.BATCH_SIZE) -> int:
    """Send a segment survey: each member of the segment who agreed to marketing (consents;
    the others get nothing) becomes a recipient and is told once
    (kind `survey_invitation`), batch by batch with a commit each, so a job that runs again
    tells nobody twice. Returns how many were told by this run."""
    survey = db.session.get(Survey, survey_id)
    if survey is None or survey.segment is None:
        return 0
    title, url = survey.title, f"/surveys/{survey.id}"
    told = 0
    # a survey sent to a segment is marketing: only members who agreed to it (consents)
    for user_ids in segments.iter_member_batches(survey.segment, batch,
                                                 consents.marketing_condition()):
        new = _add_recipients(survey_id, user_ids)
        if new:
            members = db.session.scalars(select(User).where(User.id.in_(new))).all()
            events.notify(members, "survey_invitation", {"title": title}, url=url)
            told += len(new)
        db.session.commit()
    return told


@jobs.job("surveys.send")
def send_job(survey_id: int) -> int:
    from app.jobs.periodic import _as_site

    with _as_site():
        return send(survey_id)


# --- results -------------------------------------------------------------------------------


def may_see_results(user: Any, survey: Survey) -> bool:
    return survey.public or permissions.can(user, Action.VIEW_SURVEY_RESULTS)


def require_results(user: Any, survey: Survey) -> bool:
    """Whether the viewer sees everything (admins, community managers: the written answers and
    the per-response CSV) or counts only (analysts; anyone for a public survey); Forbidden
    otherwise (401 for a visitor)."""
    if permissions.can(user, Action.VIEW_SURVEY_ANSWERS):
        return True
    if permissions.can(user, Action.VIEW_SURVEY_RESULTS):
        return False
    if survey.public:
        return False
    permissions.require(user, Action.VIEW_SURVEY_RESULTS)
    return False  # pragma: no cover - require raised


def _answers(survey: Survey, batch: int = 1000) -> Iterator[dict]:
    """Every response's answers, read in batches (a survey's answers are never all held)."""
    after = 0
    while True:
        rows = db.session.execute(select(SurveyResponse.id, SurveyResponse.answers)
                                  .where(SurveyResponse.survey_id == survey.id,
                                         SurveyResponse.id > after)
                                  .order_by(SurveyResponse.id).limit(batch)).all()
        for _id, answers in rows:
            yield answers or {}
        if len(rows) < batch:
            return
        after = rows[-1][0]


@dataclass
class QuestionResult:
    question: dict
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # choices and scale
    total: int = 0  # scale: the sum of the answers (mean = total / answered)
    texts: list[str] = field(default_factory=list)  # text: the latest TEXT_SAMPLES

    @property
    def mean(self) -> str | None:
        """The scale's mean with two decimals (exact decimal arithmetic, no float)."""
        if self.question["kind"] != "scale" or not self.answered:
            return None
        hundredths = (200 * self.total + self.answered) // (2 * self.answered)
        return f"{hundredths // 100}.{hundredths % 100:02d}"

    def as_json(self, with_texts: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"key": self.question["key"], "kind": self.question["kind"],
                                "label": self.question["label"], "answered": self.answered}
        if self.question["kind"] in ("single", "multiple", "scale"):
            data["counts"] = [{"answer": answer, "count": count} for answer, count in self.counts]
        if self.question["kind"] == "scale":
            data["mean"] = self.mean
        if self.question["kind"] == "text" and with_texts:
            data["answers"] = list(self.texts)
        return data


def results(survey: Survey) -> list[QuestionResult]:
    """Each question's answers in aggregate."""
    tallies = {q["key"]: Counter() for q in survey.questions}
    out = {q["key"]: QuestionResult(q) for q in survey.questions}
    for answers in _answers(survey):
        for key, value in answers.items():
            result = out.get(key)
            if result is None:
                continue
            result.answered += 1
            kind = result.question["kind"]
            if kind == "multiple":
                tallies[key].update(value)
            elif kind in ("single", "scale"):
                tallies[key][value] += 1
                if kind == "scale":
                    result.total += int(value)
            else:
                result.texts.append(value)
                del result.texts[:-TEXT_SAMPLES]
    for key, result in out.items():
        kind = result.question["kind"]
        if kind in ("single", "multiple"):
            result.counts = [(o, tallies[key][o]) for o in result.question["options"]]
        elif kind == "scale":
            result.counts = [(str(n), tallies[key][n]) for n in SCALE]
        result.texts.reverse()  # newest first
    return [out[q["key"]] for q in survey.questions]


def results_csv(survey: Survey) -> Iterator[str]:
    """Every response as a CSV row (one column per question; multiple answers joined by " | "),
    streamed in batches. Admins and community managers only (VIEW_SURVEY_ANSWERS: the answers
    are personal data; no names or e-mails)."""
    keys = [q["key"] for q in survey.questions]
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["response", *keys])
    yield flush()
    for number, answers in enumerate(_answers(survey), start=1):
        row = []
        for key in keys:
            value = answers.get(key, "")
            row.append(" | ".join(value) if isinstance(value, list) else _spreadsheet_safe(value))
        writer.writerow([number, *row])
        yield flush()


def _spreadsheet_safe(value: Any) -> Any:
    """Written text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
