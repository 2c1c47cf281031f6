"""API endpoints of co-creation (issue 15): sessions, product tests and the partner pool.
Thin: each endpoint calls one function of app.services.sessions, app.services.product_tests or
app.services.partners."""
from __future__ import annotations

from typing import Any

from flask import request

from app import permissions
from app.api import bp
from app.api.core import caller, json_body, listing, require_caller
from app.api.openapi import PATHS, SCHEMAS, operation, written
from app.errors import Invalid, Malformed
from app.idempotency import idempotent
from app.models import CoSession, ProductTest, ProductTester, ProductTestReport, SessionInvitation
from app.models.cocreation import SESSION_MODES
from app.models.review import AXES
from app.permissions import Action
from app.services import partners as partner_service
from app.services import product_tests as test_service
from app.services import review as review_service
from app.services import sessions as session_service
from app.services.sessions import PHASE_NAMES, TECHNIQUES
from app.transaction import transaction

# --- sessions -----------------------------------------------------------------------------------

AGENDA_ITEM = {"type": "object", "required": ["phase", "minutes"], "properties": {
    "phase": {"type": "string", "enum": list(PHASE_NAMES)},
    "minutes": {"type": "integer", "minimum": 1, "maximum": session_service.DURATION_MAX},
    "technique": {"type": "string", "enum": list(TECHNIQUES)}}}
AGENDA = {"type": "array", "minItems": len(PHASE_NAMES), "maxItems": len(PHASE_NAMES),
          "items": AGENDA_ITEM,
          "description": "the five phases in order (icebreak, current_state, ideation, "
                         "evaluation, next_steps); the minutes add up to duration_minutes, "
                         "else 422"}
SCHEMAS["AgendaItem"] = AGENDA_ITEM
SCHEMAS["Session"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "title": {"type": "string"}, "purpose": {"type": "string"},
    "mode": {"type": "string", "enum": list(SESSION_MODES)},
    "place_or_url": {"type": "string"}, "starts_at": {"type": "string", "format": "date-time"},
    "duration_minutes": {"type": "integer"}, "capacity": {"type": "integer"},
    "places_taken": {"type": "integer"},
    "agenda": {"type": "array", "items": {"$ref": "#/components/schemas/AgendaItem"}},
    "idea_id": {"type": "integer", "nullable": True},
    "product_id": {"type": "integer", "nullable": True},
    "campaign_id": {"type": "integer", "nullable": True},
    "series_id": {"type": "integer", "nullable": True},
    "cancelled_at": {"type": "string", "format": "date-time", "nullable": True},
    "cancel_reason": {"type": "string", "nullable": True},
    "my_status": {"type": "string", "nullable": True,
                  "enum": ["invited", "accepted", "waiting", "declined", None]},
    "outputs": {"type": "object"}, "invitations": {"type": "object"}}}


def session_json(session: CoSession, viewer: Any = None, *, staff: bool = False) -> dict:
    body = {
        "id": session.id, "title": session.title, "purpose": session.purpose,
        "mode": session.mode, "place_or_url": session.place_or_url,
        "starts_at": session.starts_at.isoformat(), "duration_minutes": session.duration_minutes,
        "capacity": session.capacity, "places_taken": session.accepted_count,
        "agenda": session.agenda, "idea_id": session.idea_id, "product_id": session.product_id,
        "campaign_id": session.campaign_id, "series_id": session.series_id,
        "cancelled_at": session.cancelled_at.isoformat() if session.cancelled_at else None,
        "cancel_reason": session.cancel_reason,
        "outputs": {"notes": session.notes, "insights": session.insights,
                    "decisions": session.decisions,
                    "idea_ids": session_service.linked_idea_ids(session.id)},
    }
    invitation = session_service.invitation_of(viewer, session.id) if viewer is not None else None
    body["my_status"] = invitation.status if invitation else None
    if invitation is not None:
        body["attended"] = invitation.attended_at is not None
    if staff:
        body["invitations"] = session_service.invitation_counts([session.id])[session.id]
    return body


def _is_staff(user) -> bool:
    return permissions.can(user, Action.MANAGE_SESSIONS)


SESSION_BODY = {"type": "object",
                "required": ["title", "purpose", "mode", "place_or_url", "starts_at",
                             "duration_minutes", "capacity"],
                "properties": {
                    "title": written(session_service.TITLE_MAX),
                    "purpose": written(session_service.PURPOSE_MAX),
                    "mode": {"type": "string", "enum": list(SESSION_MODES)},
                    "place_or_url": written(session_service.PLACE_MAX, description=(
                        "online: the meeting link (http:// or https://); in person: the place")),
                    "starts_at": {"type": "string", "format": "date-time",
                                  "description": "in the future (a zone, else UTC)"},
                    "duration_minutes": {"type": "integer", "minimum": session_service.DURATION_MIN,
                                         "maximum": session_service.DURATION_MAX,
                                         "description": "online: at most "
                                         "SESSION_ONLINE_MAX_MINUTES (default 90), else 422"},
                    "capacity": {"type": "integer", "minimum": 1,
                                 "maximum": session_service.CAPACITY_MAX},
                    "idea_id": {"type": "integer"}, "product_id": {"type": "integer"},
                    "campaign_id": {"type": "integer"},
                    "repeat_monthly": {"type": "integer", "minimum": 1,
                                       "maximum": session_service.SERIES_MAX,
                                       "description": "schedule a monthly series of this many "
                                                      "sessions (the first is answered)"},
                    "agenda": AGENDA}}
SESSION_BODY_ONEOF = {"oneOf": [
    {**SESSION_BODY, "properties": {
        **SESSION_BODY["properties"], "mode": {"type": "string", "enum": ["online"]},
        "place_or_url": {"type": "string", "maxLength": session_service.PLACE_MAX,
                         "pattern": session_service.MEETING_URL_PATTERN},
        "duration_minutes": {**SESSION_BODY["properties"]["duration_minutes"], "maximum": 90}}},
    {**SESSION_BODY, "properties": {
        **SESSION_BODY["properties"], "mode": {"type": "string", "enum": ["in_person"]}}}]}

operation("/sessions", "post", "Plan a co-creation session (admin, community_manager) with an "
          "agenda from the five-phase template (icebreak 10%, current_state 30%, ideation 40%, "
          "evaluation 15%, next_steps 5%) in whole minutes that add up to the duration "
          "(largest remainders), each phase with a suggested technique; or the agenda given",
          body=SESSION_BODY_ONEOF,
          responses={"201": "Session", "403": "admins and community managers only",
                     "404": "idea_not_found, product_not_found, campaign_not_found",
                     "422": "invalid fields: an online session longer than the limit, a meeting "
                            "link that is not http(s), a start in the past, an agenda whose "
                            "minutes do not add up"})


@bp.post("/sessions")
@idempotent
def create_session():
    user = require_caller()
    data = json_body()
    with transaction():
        session = session_service.create_session(user, data)
        body = session_json(session, user, staff=True)
    return body, 201


operation("/sessions", "get", "Coming sessions (staff; `?past=1` the past ones)",
          responses={"200": "list of Session", "403": "admins and community managers only"})


@bp.get("/sessions")
def list_sessions():
    user = require_caller()
    rows = session_service.staff_sessions(user, upcoming=request.args.get("past") not in
                                          ("1", "true"))
    return listing([session_json(s, user, staff=True) for s in rows])


operation("/sessions/{id}", "get", "A session (staff, and the members invited to it)",
          responses={"200": "Session", "404": "absent, or not invited"})


@bp.get("/sessions/<int:session_id>")
def get_session(session_id: int):
    user = require_caller()
    session = session_service.get_session(user, session_id)
    return session_json(session, user, staff=_is_staff(user))


operation("/sessions/{id}", "patch", "Change a session's title, purpose, place or agenda "
          "(staff); an edited agenda must still add up to the duration",
          body={"type": "object", "properties": {
              "title": written(session_service.TITLE_MAX),
              "purpose": written(session_service.PURPOSE_MAX),
              "place_or_url": written(session_service.PLACE_MAX), "agenda": AGENDA}},
          responses={"200": "Session", "403": "admins and community managers only",
                     "404": "no such session", "409": "session_cancelled",
                     "422": "invalid fields; the agenda's minutes do "
                     "not add up to the duration; an online session's place is not a link"})


@bp.patch("/sessions/<int:session_id>")
def update_session(session_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        session = session_service.update_session(user, session_id, data)
        body = session_json(session, user, staff=True)
    return body


operation("/sessions/{id}/cancellation", "post", "Cancel a session that has not started "
          "(staff), with the reason its invitees read: everyone invited who has not declined is "
          "told in their language (as their preference for sessions says); audited. Nothing more "
          "can happen to it: invitations, answers, attendance and edits are refused with 409 "
          "`session_cancelled`",
          body={"type": "object", "required": ["reason"], "properties": {
              "reason": written(session_service.CANCEL_REASON_MAX)}},
          responses={"200": "Session (cancelled_at, cancel_reason set)",
                     "403": "admins and community managers only", "404": "no such session",
                     "409": "session_cancelled (already), session_started",
                     "422": "reason missing or longer than the limit"})


@bp.post("/sessions/<int:session_id>/cancellation")
def cancel_session(session_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        session = session_service.cancel_session(user, session_id, data.get("reason"))
        body = session_json(session, user, staff=True)
    return body


USER_IDS = {"type": "object", "required": ["user_ids"], "properties": {
    "user_ids": {"type": "array", "minItems": 1, "maxItems": session_service.INVITE_MAX,
                 "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}}}

operation("/sessions/{id}/invitations", "post", "Invite members (staff): each is told once, in "
          "their language; those invited already are left as they are",
          body=USER_IDS,
          responses={"201": "{invited: [ids], already_invited: [ids]}",
                     "403": "admins and community managers only",
                     "404": "no such session; user_not_found: an id of no member",
                     "409": "session_started, session_cancelled"})


@bp.post("/sessions/<int:session_id>/invitations")
def invite(session_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        result = session_service.invite(user, session_id, data.get("user_ids"))
    return result, 201


def invitation_json(invitation: SessionInvitation) -> dict:
    return {"session_id": invitation.session_id, "user_id": invitation.user_id,
            "status": invitation.status,
            "waiting_since": invitation.waiting_since.isoformat()
            if invitation.waiting_since else None}


operation("/sessions/{id}/registration", "post", "Accept an invitation (an invited member). "
          "With a place free: 201 `status: accepted`. When the session is full: 409 "
          "`session_full`, or, with `{\"waiting_list\": true}`, 202 `status: waiting` (on the "
          "waiting list: the first place that becomes free is yours, and you are told)",
          body={"type": "object", "properties": {"waiting_list": {"type": "boolean"}}},
          responses={"201": "{session_id, user_id, status: accepted}",
                     "202": "{session_id, user_id, status: waiting, waiting_since}",
                     "403": "not invited, or e-mail not confirmed", "404": "no such session",
                     "409": "session_full (send waiting_list: true to wait), "
                            "already_registered, session_started, session_cancelled"})


@bp.post("/sessions/<int:session_id>/registration")
def register(session_id: int):
    user = require_caller()
    data = request.get_json(silent=True)
    if data is None and not request.get_data():
        data = {}
    if not isinstance(data, dict):
        data = json_body()
    wait = data.get("waiting_list", False)
    if not isinstance(wait, bool):
        raise Invalid({"waiting_list": "true or false"})
    with transaction():
        invitation = session_service.register(user, session_id, join_waiting_list=wait)
        body = invitation_json(invitation)
    return body, 201 if invitation.status == "accepted" else 202


operation("/sessions/{id}/registration", "delete", "Decline the invitation, give up a place or "
          "leave the waiting list (an invited member); a place given up goes to the first on the "
          "waiting list",
          responses={"204": "declined", "403": "not invited", "404": "no such session",
                     "409": "session_started, session_cancelled"})


@bp.delete("/sessions/<int:session_id>/registration")
def decline(session_id: int):
    user = require_caller()
    with transaction():
        session_service.decline(user, session_id)
    return "", 204


operation("/sessions/{id}/attendance", "post", "Record who attended (staff): invitees only",
          body=USER_IDS,
          responses={"200": "{attended: [every attendee's id]}",
                     "403": "admins and community managers only", "404": "no such session",
                     "409": "not_invited: an id of someone not invited; session_cancelled"})


@bp.post("/sessions/<int:session_id>/attendance")
def attendance(session_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        attended = session_service.record_attendance(user, session_id, data.get("user_ids"))
    return {"attended": attended}


operation("/sessions/{id}/feedback", "post", "An attendee's satisfaction (1-5) and comment, once",
          body={"type": "object", "required": ["satisfaction"], "properties": {
              "satisfaction": {"type": "integer", "minimum": 1, "maximum": 5},
              "comment": {"type": "string", "maxLength": session_service.COMMENT_MAX}}},
          responses={"201": "{id, satisfaction, comment}",
                     "403": "not_an_attendee (or e-mail not confirmed)",
                     "404": "no such session", "409": "feedback_given"})


@bp.post("/sessions/<int:session_id>/feedback")
def feedback(session_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        row = session_service.give_feedback(user, session_id, data.get("satisfaction"),
                                            data.get("comment"))
        body = {"id": row.id, "satisfaction": row.satisfaction, "comment": row.comment}
    return body, 201


operation("/sessions/{id}/feedback", "get", "The attendees' feedback (staff): count, mean, "
          "distribution and comments",
          responses={"200": "{count, mean, distribution, comments}",
                     "403": "admins and community managers only", "404": "no such session"})


@bp.get("/sessions/<int:session_id>/feedback")
def feedback_summary(session_id: int):
    user = require_caller()
    permissions.require(user, Action.MANAGE_SESSIONS)
    session = session_service.get_session(user, session_id)
    summary = session_service.feedback_summary(session.id)
    summary["distribution"] = {str(k): v for k, v in summary["distribution"].items()}
    return summary


operation("/sessions/{id}/outputs", "put", "The session's outputs (staff): notes, insights, "
          "decisions (Markdown) and the ideas they are linked to (`idea_ids` replaces them)",
          body={"type": "object", "properties": {
              "notes": {"type": "string", "maxLength": session_service.OUTPUT_MAX},
              "insights": {"type": "string", "maxLength": session_service.OUTPUT_MAX},
              "decisions": {"type": "string", "maxLength": session_service.OUTPUT_MAX},
              "idea_ids": {"type": "array", "maxItems": 50,
                           "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}}},
          responses={"200": "Session", "403": "admins and community managers only",
                     "404": "no such session; idea_not_found: an id of no idea"})


@bp.put("/sessions/<int:session_id>/outputs")
def outputs(session_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        session = session_service.update_outputs(user, session_id, data)
        body = session_json(session, user, staff=True)
    return body


operation("/sessions/{id}/photos", "post", "Add a photo of the session (staff; multipart field "
          "`file`), processed as idea images are",
          responses={"201": "{id, urls: {thumb, large}}", "400": "no file field",
                     "403": "admins and community managers only", "404": "no such session",
                     "409": "too_many_photos", "413": "too large",
                     "422": "not an acceptable image",
                     "507": "storage_unavailable: nothing was saved"})
PATHS["/sessions/{id}/photos"]["post"]["requestBody"] = {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary"}}}}}}


def photo_urls(key: str) -> dict:
    from flask import url_for

    return {size: url_for("cocreation.photo", key=key, size=size)
            for size in session_service.PHOTO_SIZES}


@bp.post("/sessions/<int:session_id>/photos")
def add_photo(session_id: int):
    user = require_caller()
    upload = request.files.get("file")
    if upload is None:
        raise Malformed("file_missing", "Send the image as the multipart field `file`.")
    with transaction():
        photo = session_service.add_photo(user, session_id, upload.read())
        body = {"id": photo.id, "urls": photo_urls(photo.key)}
    return body, 201


operation("/me/cocreation-sessions", "get", "The co-creation sessions the caller is invited to, "
          "coming ones first",
          responses={"200": "list of Session with my_status"})


@bp.get("/me/cocreation-sessions")
def my_cocreation_sessions():
    user = require_caller()
    return listing([{**session_json(session, user), "feedback_given": given}
                    for session, _invitation, given in session_service.my_sessions(user)])


# --- product tests ------------------------------------------------------------------------------

def test_json(test: ProductTest, viewer: Any = None) -> dict:
    tester = test_service.tester_of(viewer, test.id)
    return {"id": test.id, "idea_id": test.idea_id, "product_id": test.product_id,
            "title": test.title, "brief": test.brief, "testers": test.testers,
            "selected": test.selected_count, "opens_on": test.opens_on.isoformat(),
            "closes_on": test.closes_on.isoformat(),
            "my_status": tester.status if tester else None}


TEST_BODY = {"type": "object", "required": ["title", "brief", "testers", "opens_on", "closes_on"],
             "properties": {
                 "idea_id": {"type": "integer"}, "product_id": {"type": "integer"},
                 "title": written(test_service.TITLE_MAX),
                 "brief": written(test_service.BRIEF_MAX),
                 "testers": {"type": "integer", "minimum": 1,
                             "maximum": test_service.TESTERS_MAX},
                 "opens_on": {"type": "string", "format": "date"},
                 "closes_on": {"type": "string", "format": "date",
                               "description": "on or after opens_on"}}}
operation("/product-tests", "post", "Open a product test (admin, community_manager) of an idea "
          "in review or a product in production (one of idea_id, product_id)",
          body={"oneOf": [{**TEST_BODY, "required": [*TEST_BODY["required"], "idea_id"],
                           "not": {"required": ["product_id"]}},
                          {**TEST_BODY, "required": [*TEST_BODY["required"], "product_id"],
                           "not": {"required": ["idea_id"]}}]},
          responses={"201": "{id, idea_id, product_id, title, brief, testers, selected, "
                            "opens_on, closes_on}",
                     "403": "admins and community managers only",
                     "404": "idea_not_found, product_not_found",
                     "409": "not_testable: the idea is neither in review nor in production",
                     "422": "invalid fields; neither or both of idea_id and product_id"})


@bp.post("/product-tests")
@idempotent
def open_test():
    user = require_caller()
    data = json_body()
    with transaction():
        test = test_service.open_test(user, data)
        body = test_json(test, user)
    return body, 201


operation("/product-tests/{id}", "get", "A product test (staff; members while its idea is "
          "visible to them)", auth=False,
          responses={"200": "the test, with my_status (applied, selected or null)",
                     "404": "absent or not visible"})


@bp.get("/product-tests/<int:test_id>")
def get_test(test_id: int):
    user = caller()
    return test_json(test_service.get_test(user, test_id), user)


operation("/product-tests/{id}/applications", "post", "Apply to test (a confirmed member), once",
          body={"type": "object", "properties": {
              "motivation": {"type": "string", "maxLength": test_service.TEXT_MAX}}},
          responses={"201": "{test_id, user_id, status: applied}",
                     "403": "e-mail not confirmed", "404": "absent or not visible",
                     "409": "already_applied, test_closed"})


@bp.post("/product-tests/<int:test_id>/applications")
def apply(test_id: int):
    user = require_caller()
    data = request.get_json(silent=True)
    data = data if isinstance(data, dict) else {}
    with transaction():
        row = test_service.apply(user, test_id, data.get("motivation"))
        body = tester_json(row)
    return body, 201


def tester_json(row: ProductTester) -> dict:
    return {"test_id": row.test_id, "user_id": row.user_id, "status": row.status}


operation("/product-tests/{id}/selections", "post", "Select testers (staff): applicants or "
          "anyone invited directly; each newly selected tester is told",
          body=USER_IDS,
          responses={"201": "{selected: [ids newly selected]}",
                     "403": "admins and community managers only",
                     "404": "no such test; user_not_found: an id of no member",
                     "409": "testers_full: more than the test's number of testers"})


@bp.post("/product-tests/<int:test_id>/selections")
def select_testers(test_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        selected = test_service.select_testers(user, test_id, data.get("user_ids"))
    return {"selected": selected}, 201


AXIS = {"type": "integer", "minimum": 1, "maximum": 3}
operation("/product-tests/{id}/reports", "post", "A selected tester's report, once: the four "
          "matrix axes as they experienced them (1-3 each), a rationale and a comment",
          body={"type": "object", "required": [*AXES, "rationale"], "properties": {
              **{axis: AXIS for axis in AXES},
              "rationale": written(test_service.TEXT_MAX),
              "comment": {"type": "string", "maxLength": test_service.TEXT_MAX}}},
          responses={"201": "the report", "403": "not_selected", "404": "absent or not visible",
                     "409": "report_given"})


def report_json(row: ProductTestReport) -> dict:
    return {"id": row.id, "test_id": row.test_id, **{axis: row.score(axis) for axis in AXES},
            "rationale": row.rationale, "comment": row.comment}


@bp.post("/product-tests/<int:test_id>/reports")
def report(test_id: int):
    user = require_caller()
    data = json_body()
    with transaction():
        row = test_service.report(user, test_id, data)
        body = report_json(row)
    return body, 201


operation("/product-tests/{id}/results", "get", "The testers' results (staff): report count and "
          "mean per axis, beside the reviewers' scores on the scoring page",
          responses={"200": "{reports, axis_means, total}",
                     "403": "admins and community managers only", "404": "no such test"})


@bp.get("/product-tests/<int:test_id>/results")
def results(test_id: int):
    user = require_caller()
    permissions.require(user, Action.MANAGE_PRODUCT_TESTS)
    test = test_service.get_test(user, test_id)
    aggregate = test_service.results(test.id)
    return {"reports": aggregate.reviewer_count,
            "axis_means": {axis: review_service.json_number(value)
                           for axis, value in aggregate.axis_means.items()},
            "total": review_service.json_number(aggregate.total)}


# --- the partner pool ---------------------------------------------------------------------------

operation("/partners", "get", "The partner pool (admin, community_manager): members ranked for a "
          "purpose (category slug, idea_id or campaign_id) by engagement (recent ideas, supports, "
          "comments, sessions, with time decay), clarity (0-100: answered insight parts and "
          "support reasons) and influence (supports gathered, followers, people brought), best "
          "first; members with personalisation off or without marketing consent (not to be "
          "contacted), blocked or deleted, are not listed nor kept in the selection. `selected` "
          "(ids, comma "
          "separated) is the selection being built: each diversity_note says what the member "
          "would add to its spread of languages, categories and activity levels. Keyset pages: "
          "follow `next` with `after`. Scores are computed by the job partners.refresh.",
          responses={"200": "{items: [{user_id, display_name, engagement, clarity, influence, "
                            "diversity_note, score, activity_level, locale}], page, per_page, "
                            "total, next?, selection}",
                     "400": "an `after` cursor this listing did not hand out",
                     "403": "admins and community managers only",
                     "404": "idea_not_found, campaign_not_found",
                     "422": "unknown category, bad per_page or selected"})
PATHS_PARTNERS_PARAMETERS = [
    {"name": "category", "in": "query", "schema": {"type": "string"}},
    {"name": "idea_id", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                  "maximum": 2**31 - 1}},
    {"name": "campaign_id", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                      "maximum": 2**31 - 1}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                   "maximum": partner_service.PER_PAGE_MAX}},
    {"name": "selected", "in": "query", "schema": {"type": "string",
                                                   "pattern": "^[0-9]{1,10}(,[0-9]{1,10})*$"}},
]


def _partners_parameters() -> None:
    PATHS["/partners"]["get"]["parameters"] = PATHS_PARTNERS_PARAMETERS


_partners_parameters()


@bp.get("/partners")
def partners():
    user = require_caller()
    permissions.require(user, Action.VIEW_PARTNERS)
    args = request.args
    try:
        per_page = int(args.get("per_page", 25))
    except ValueError:
        raise Invalid({"per_page": "an integer from 1 to 100"}) from None
    if not 1 <= per_page <= partner_service.PER_PAGE_MAX:
        raise Invalid({"per_page": "an integer from 1 to 100"})
    purpose = partner_service.purpose_for(user, args.get("category"), args.get("idea_id"),
                                          args.get("campaign_id"))
    page = partner_service.pool(user, purpose, after=args.get("after") or None, per_page=per_page,
                                selected=partner_service.parse_selection(args.get("selected")))
    body = {"items": [{
        "user_id": row.user_id, "display_name": page.names.get(row.user_id, ""),
        "engagement": row.engagement, "clarity": row.clarity, "influence": row.influence,
        "diversity_note": page.notes[row.user_id], "score": row.score,
        "activity_level": row.activity_level, "locale": row.locale,
        "category_ids": page.categories.get(row.user_id, [])[:3]} for row in page.rows],
        "page": 1, "per_page": per_page, "total": page.total,
        "selection": {key: page.selection[key] for key in ("ids", "languages", "levels")}}
    if page.next_cursor:
        body["next"] = page.next_cursor
    if page.total_capped:
        body["total_is_estimate"] = True
    return body
