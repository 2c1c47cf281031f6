"""The OpenAPI document is true: schemathesis generates requests from it and checks the answers.

A short, deterministic run (derandomized Hypothesis, a few examples per operation and mode)
through the app's WSGI interface, as a member who holds every staff role, over a small world of
real rows. For every operation of /api/v1/openapi.json:
- not_a_server_error: no 5xx, whatever is sent;
- status_code_conformance: every status the API answers is documented for that operation;
- positive_data_acceptance: a request the document calls valid is not refused as malformed;
- negative_data_rejection: a request the document calls invalid is refused.
Every failure of every operation is reported at once.
"""
from __future__ import annotations

import os
import shutil
import uuid

import hypothesis
import hypothesis.errors
import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import GenerationMode

from tests import factories as f
from tests.helpers import bearer

CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.positive_data_acceptance,
          schemathesis.checks.negative_data_rejection]
# The formats the document names for rules a pattern cannot say (app.api.accounts).
schemathesis.openapi.format("display-name", st.text(
    alphabet=st.characters(categories=("L", "M", "N", "P", "S")), min_size=1, max_size=80))
schemathesis.openapi.format("password", st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S")), min_size=16, max_size=64)
    .filter(lambda text: len(set(text)) >= 10))
def _invitable(address: str) -> bool:
    from app.errors import Invalid
    from app.services.invitations import normalise_email

    try:
        normalise_email(address)
    except Invalid:
        return False
    return True


# "email" is an address as email-validator reads it (app.services.invitations).
schemathesis.openapi.format("email", st.emails().filter(_invitable))
#: Rules no JSON Schema can state, since they depend on today's date or on a secret only the
#: server knows (the member's password, a reset link's token): a 422 naming only these fields
#: of these operations is the rule at work, not a false refusal.
UNSTATABLE_RULES = {("POST", "/programme/review-calendar"): {"closes_on"},
                    # scoring ends on or after the intake closes (dates in order)
                    ("POST", "/review-batches"): {"closes_on", "scoring_ends_on"},
                    ("POST", "/me/password"): {"current_password"},
                    ("POST", "/password/reset"): {"token"},
                    ("POST", "/campaigns"): {"ends_on", "questions"},
                    ("POST", "/campaigns/{id}/vote/open"): {"closes_at"},
                    # an idea the caller may see: a matter of rows, not of the document
                    ("POST", "/segments/preview"): {"supporters_of", "followers_of"},
                    ("POST", "/segments"): {"spec.supporters_of", "spec.followers_of"},
                    ("PATCH", "/segments/{id}"): {"spec.supporters_of", "spec.followers_of"},
                    # from <= to, at most MAX_PERIOD_DAYS, a category or campaign that exists
                    ("GET", "/analytics/kpis"): {"from", "category", "campaign"},
                    ("POST", "/announcements"): {"segment.supporters_of", "segment.followers_of"},
                    # rules across a survey's questions: unique keys, show_if naming an
                    # earlier question and one of its answers (app.services.surveys)
                    ("POST", "/surveys"): {"questions", "segment.supporters_of",
                                           "segment.followers_of"},
                    # a start in the future; minutes that add up to the duration; dates in order
                    ("POST", "/sessions"): {"starts_at", "agenda"},
                    ("PATCH", "/sessions/{id}"): {"agenda", "place_or_url"},
                    ("POST", "/product-tests"): {"closes_on"},
                    # The versions of the terms and privacy policy in force (server state).
                    ("POST", "/users"): {"accept.terms", "accept.privacy"},
                    ("POST", "/me/acceptances"): {"accept.terms", "accept.privacy"},
                    ("POST", "/me/email"): {"password"},
                    ("POST", "/email/confirm"): {"token"},
                    # not placeholder text ("test", "asdf", "ああ"): what the words mean
                    # (app.services.insight.is_placeholder)
                    ("POST", "/ideas/{id}/supports"): {"my_situation"}}
SETTINGS = hypothesis.settings(max_examples=int(os.environ.get("CONFORMANCE_EXAMPLES", "4")), derandomize=True, deadline=None, database=None,
                               suppress_health_check=list(HealthCheck))


@pytest.fixture
def database_url(tmp_path, sqlite_template) -> str:
    """SQLite only: the document's truth does not depend on the database, and the run is long."""
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _world(db):
    f.seed_basics()
    staff = f.user("admin", "moderator", "reviewer", "finance", email="staff@example.test")
    idea = f.idea(title="A lamp that remembers")
    f.support(idea)
    from datetime import timedelta

    from app.models.base import utcnow
    from app.services import sessions

    sessions.create_session(staff, {
        "title": "Co-creation", "purpose": "Try the API", "mode": "in_person",
        "place_or_url": "Kyoto", "starts_at": (utcnow() + timedelta(days=30)).isoformat(),
        "duration_minutes": 60, "capacity": 3})
    db.session.commit()
    return staff


def _unstatable_rule(operation, response) -> bool:
    fields = UNSTATABLE_RULES.get((operation.method.upper(), operation.path))
    if not fields or response.status_code != 422:
        return False
    return set(response.json()["error"].get("fields", {})) <= fields


def _failures(operation, headers: dict, mode: GenerationMode) -> list[str]:
    found: list[str] = []

    @SETTINGS
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if mode is GenerationMode.POSITIVE and "Idempotency-Key" in (case.headers or {}):
            # A valid key is unique per request: Hypothesis would reuse "0" across requests.
            case.headers["Idempotency-Key"] = str(uuid.uuid4())
        response = case.call(headers=headers)
        if _unstatable_rule(operation, response):
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as failure:  # a FailureGroup of the failed checks
            for problem in getattr(failure, "exceptions", [failure]):
                found.append(f"{operation.method.upper()} {operation.path} [{mode.value}] "
                             f"{getattr(problem, 'title', type(problem).__name__)}: "
                             f"{response.status_code} {response.text[:160].strip()}"
                             + (f" SENT {case.body!r:.300} {case.query!r:.100}" if os.environ.get("CONFORMANCE_DEBUG") else ""))

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # nothing in this operation can be made invalid (no parameters, no body)
    return found


def test_api_answers_as_documented(app, db):
    staff = _world(db)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in GenerationMode:
            # A fresh token each time: an operation may revoke the one it was called with.
            failures += _failures(operation, bearer(staff), mode)
    assert sorted(set(failures)) == [], "\n".join(sorted(set(failures)))
