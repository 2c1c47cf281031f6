"""API: product tests (MVP, issue 15): opened for an idea in review or a product in production,
applications, selection, reports from selected testers only, results beside the reviewers'."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import AuditLog, Notification
from tests import factories
from tests.helpers import bearer, login
from tests.product_factories import approved_product, staged

REPORT = {"customer_value": 3, "uniqueness": 2, "feasibility": 2, "marketability": 1,
          "rationale": "It folds in two seconds on the train.", "comment": "The strap rubs."}


def _body(**overrides) -> dict:
    body = {"title": "Strap prototype", "brief": "Try the **strap** for a week.", "testers": 2,
            "opens_on": "2030-01-01", "closes_on": "2035-01-31"}
    body.update(overrides)
    return body


@pytest.fixture
def manager(db):
    return factories.user("community_manager")


def _open(client, manager, **overrides):
    return client.post("/api/v1/product-tests", json=_body(**overrides), headers=bearer(manager))


def _test_id(client, manager, **overrides) -> int:
    response = _open(client, manager, **overrides)
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_staff_open_a_test_of_an_idea_in_review(client, db, manager):
    idea = factories.in_review()
    response = _open(client, manager, idea_id=idea.id)
    assert response.status_code == 201, response.json
    assert response.json["idea_id"] == idea.id and response.json["testers"] == 2
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "product_test.opened"))


def test_a_product_in_production_can_be_tested(client, manager):
    product = staged(approved_product(), "in_production")
    response = _open(client, manager, product_id=product.id)
    assert response.status_code == 201, response.json
    assert response.json["product_id"] == product.id


@pytest.mark.parametrize("status", ["draft", "published", "qualified", "approved",
                                    "not_approved"])
def test_other_ideas_cannot_be_tested(client, manager, status):
    idea = factories.idea(status=status)
    response = _open(client, manager, idea_id=idea.id)
    assert response.status_code == 409 and response.json["error"]["code"] == "not_testable"


def test_a_product_not_yet_in_production_cannot_be_tested(client, manager):
    response = _open(client, manager, product_id=approved_product().id)
    assert response.status_code == 409


def test_the_idea_or_the_product_exactly(client, manager):
    assert _open(client, manager).status_code == 422
    product = staged(approved_product(title="Another"), "in_production")
    idea = factories.in_review()
    assert _open(client, manager, idea_id=idea.id, product_id=product.id).status_code == 422


def test_members_cannot_open_tests(client):
    idea = factories.in_review()
    assert _open(client, factories.user(), idea_id=idea.id).status_code == 403


def _selected_tester(client, manager):
    test_id = _test_id(client, manager, idea_id=factories.in_review().id)
    tester, applicant = factories.user(), factories.user()
    for member in (tester, applicant):
        response = client.post(f"/api/v1/product-tests/{test_id}/applications",
                               json={"motivation": "I commute daily"}, headers=bearer(member))
        assert response.status_code == 201 and response.json["status"] == "applied"
    response = client.post(f"/api/v1/product-tests/{test_id}/selections",
                           json={"user_ids": [tester.id]}, headers=bearer(manager))
    assert response.status_code == 201 and response.json == {"selected": [tester.id]}
    return test_id, tester, applicant


def test_selected_testers_are_told(client, db, manager):
    _test_id_, tester, applicant = _selected_tester(client, manager)
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "product_test_selected")).all()
    assert told == [tester.id]


def test_applying_twice_is_a_conflict(client, manager):
    test_id, tester, _applicant = _selected_tester(client, manager)
    response = client.post(f"/api/v1/product-tests/{test_id}/applications", json={},
                           headers=bearer(tester))
    assert response.status_code == 409 and response.json["error"]["code"] == "already_applied"


def test_staff_cannot_select_more_testers_than_the_test_has_room_for(client, manager):
    test_id, _tester, applicant = _selected_tester(client, manager)
    others = [factories.user().id, factories.user().id]
    response = client.post(f"/api/v1/product-tests/{test_id}/selections",
                           json={"user_ids": others}, headers=bearer(manager))
    assert response.status_code == 409 and response.json["error"]["code"] == "testers_full"
    assert client.post(f"/api/v1/product-tests/{test_id}/selections",
                       json={"user_ids": [applicant.id]},
                       headers=bearer(manager)).status_code == 201


def test_a_selected_tester_reports_once(client, manager):
    test_id, tester, _applicant = _selected_tester(client, manager)
    url = f"/api/v1/product-tests/{test_id}/reports"
    response = client.post(url, json=REPORT, headers=bearer(tester))
    assert response.status_code == 201, response.json
    assert response.json["customer_value"] == 3
    again = client.post(url, json=REPORT, headers=bearer(tester))
    assert again.status_code == 409 and again.json["error"]["code"] == "report_given"


def test_a_tester_not_selected_cannot_report(client, manager):
    test_id, _tester, applicant = _selected_tester(client, manager)
    for who in (applicant, factories.user()):
        response = client.post(f"/api/v1/product-tests/{test_id}/reports", json=REPORT,
                               headers=bearer(who))
        assert response.status_code == 403 and response.json["error"]["code"] == "not_selected"


@pytest.mark.parametrize("field,value", [("uniqueness", 0), ("feasibility", 4),
                                         ("marketability", "2"), ("rationale", "  ")])
def test_a_report_scores_each_axis_one_to_three_with_a_reason(client, manager, field, value):
    test_id, tester, _applicant = _selected_tester(client, manager)
    response = client.post(f"/api/v1/product-tests/{test_id}/reports",
                           json={**REPORT, field: value}, headers=bearer(tester))
    assert response.status_code == 422 and field in response.json["error"]["fields"]


def test_results_aggregate_beside_the_reviewers_scores(client, db, manager):
    idea = factories.in_review(title="Folding stroller")
    factories.scored(idea, 3, 2)
    test_id = _test_id(client, manager, idea_id=idea.id, testers=3)
    testers = [factories.user(), factories.user()]
    client.post(f"/api/v1/product-tests/{test_id}/selections",
                json={"user_ids": [t.id for t in testers]}, headers=bearer(manager))
    client.post(f"/api/v1/product-tests/{test_id}/reports", json=REPORT,
                headers=bearer(testers[0]))
    client.post(f"/api/v1/product-tests/{test_id}/reports",
                json={**REPORT, "customer_value": 2, "marketability": 2},
                headers=bearer(testers[1]))
    results = client.get(f"/api/v1/product-tests/{test_id}/results",
                         headers=bearer(manager)).json
    assert results["reports"] == 2
    assert results["axis_means"] == {"customer_value": 2.5, "uniqueness": 2, "feasibility": 2,
                                     "marketability": 1.5}
    admin = factories.user("admin")
    login(client, admin)
    page = client.get(f"/review/ideas/{idea.id}").get_data(as_text=True)
    assert 'data-testid="tester-results"' in page
    assert "2.5" in page and "It folds in two seconds" in page
