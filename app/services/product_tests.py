"""Product tests (MVP, issue 15): for an idea in review or a product in production, staff open a
test; members apply; staff select testers (applicants or anyone they invite); each selected
tester reports once on the four matrix axes as they experienced them (1-3 each, with a reason,
and free text). The results aggregate beside the reviewers' scores on the scoring page.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import markdown, notification_kinds as nk, permissions
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.lifecycle import IdeaStatus
from app.models import Idea, Product, ProductTest, ProductTester, ProductTestReport, User
from app.models.base import is_row_id, utcnow
from app.models.review import AXES
from app.permissions import Action
from app.services import events
from app.services import review as review_service

TITLE_MAX = 160
BRIEF_MAX = 10_000
TEXT_MAX = 4000
TESTERS_MAX = 1000
SELECT_MAX = 200
#: What can be tested: an idea in review, or a product (an idea) in production.
TESTABLE = (IdeaStatus.IN_REVIEW, IdeaStatus.IN_PRODUCTION)


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _written(data: dict, name: str, max_length: int, fields: dict, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        fields[name] = _("Please fill this in.")
        return ""
    if len(value) > max_length:
        fields[name] = _("At most %(n)s characters.", n=max_length)
    return value.strip()


def open_test(staff: User, data: dict) -> ProductTest:
    """Open a test of an idea in review or a product in production (409 not_testable for any
    other state). One of idea_id, product_id."""
    permissions.require(staff, Action.MANAGE_PRODUCT_TESTS)
    fields: dict[str, str] = {}
    title = _written(data, "title", TITLE_MAX, fields)
    brief = _written(data, "brief", BRIEF_MAX, fields)
    testers = data.get("testers")
    if not isinstance(testers, int) or isinstance(testers, bool) or not 1 <= testers <= TESTERS_MAX:
        fields["testers"] = _("A whole number from %(low)s to %(high)s.", low=1, high=TESTERS_MAX)
    opens_on, closes_on = _date(data.get("opens_on")), _date(data.get("closes_on"))
    if opens_on is None:
        fields["opens_on"] = _("A date (YYYY-MM-DD).")
    if closes_on is None:
        fields["closes_on"] = _("A date (YYYY-MM-DD).")
    elif opens_on is not None and closes_on < opens_on:
        fields["closes_on"] = _("The test closes on or after the day it opens.")
    idea_id, product_id = data.get("idea_id"), data.get("product_id")
    if (idea_id is None) == (product_id is None):
        fields["idea_id"] = _("Name the idea or the product to test (one of them).")
    for name, value in (("idea_id", idea_id), ("product_id", product_id)):
        if value is not None and not is_row_id(value):
            fields[name] = _("The id of an existing row.")
    if fields:
        raise Invalid(fields)
    product = None
    if product_id is not None:
        product = db.session.get(Product, product_id)
        if product is None:
            raise Invalid({"product_id": _("No such product.")}, code="product_not_found")
        idea = product.idea
    else:
        idea = db.session.get(Idea, idea_id)
        if idea is None:
            raise Invalid({"idea_id": _("No such idea.")}, code="idea_not_found")
        product = db.session.scalar(select(Product).where(Product.idea_id == idea.id))
    if idea.status not in TESTABLE:
        raise Conflict("not_testable", _("Only an idea in review or a product in production can "
                                         "be tested."))
    test = ProductTest(idea_id=idea.id, product_id=product.id if product else None, title=title,
                       brief=brief, brief_html=markdown.render_stored(brief)[0], testers=testers,
                       opens_on=opens_on, closes_on=closes_on, created_by_id=staff.id)
    db.session.add(test)
    db.session.flush()
    events.audit(staff, "product_test.opened", test, after={
        "idea_id": idea.id, "product_id": test.product_id, "testers": testers,
        "opens_on": opens_on.isoformat(), "closes_on": closes_on.isoformat()})
    return test


def get_test(viewer: User | None, test_id: int) -> ProductTest:
    """A test is seen by staff, and by members while its idea is visible to them."""
    test = db.session.get(ProductTest, test_id) if is_row_id(test_id) else None
    if test is None or not (permissions.can(viewer, Action.MANAGE_PRODUCT_TESTS)
                            or permissions.may_view_idea(viewer, test.idea)):
        raise NotFound("product_test_not_found", _("No such product test."))
    return test


def tester_of(user: User | None, test_id: int) -> ProductTester | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(ProductTester).where(ProductTester.test_id == test_id,
                                                         ProductTester.user_id == user.id))


def apply(user: User, test_id: int, motivation: Any = None) -> ProductTester:
    """Apply to test (once; 409 while the test is not open for applications)."""
    permissions.require(user, Action.TAKE_PART)
    test = get_test(user, test_id)
    if motivation is not None and (not isinstance(motivation, str) or len(motivation) > TEXT_MAX):
        raise Invalid({"motivation": _("At most %(n)s characters.", n=TEXT_MAX)})
    if utcnow().date() > test.closes_on:
        raise Conflict("test_closed", _("This product test is closed."))
    if tester_of(user, test.id) is not None:
        raise Conflict("already_applied", _("You have already applied to this test."))
    row = ProductTester(test_id=test.id, user_id=user.id, status="applied",
                        motivation=(motivation or "").strip(), applied_at=utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def select_testers(staff: User, test_id: int, user_ids: Any) -> list[int]:
    """Select testers: applicants, or members staff invite directly. Each newly selected tester
    is told. 409 tests_full past the number of testers."""
    permissions.require(staff, Action.MANAGE_PRODUCT_TESTS)
    if not isinstance(user_ids, list) or not user_ids or len(user_ids) > SELECT_MAX \
            or not all(is_row_id(i) for i in user_ids):
        raise Invalid({"user_ids": _("A list of 1 to %(n)s member ids.", n=SELECT_MAX)})
    ids = list(dict.fromkeys(user_ids))
    test = db.session.scalar(select(ProductTest).where(ProductTest.id == test_id)
                             .with_for_update().execution_options(populate_existing=True)) \
        if is_row_id(test_id) else None
    if test is None:
        raise NotFound("product_test_not_found", _("No such product test."))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    missing = [i for i in ids if i not in users or users[i].is_blocked]
    if missing:
        raise Invalid({"user_ids": _("No such member: %(ids)s.",
                                     ids=", ".join(str(i) for i in missing))},
                      code="user_not_found")
    rows = {row.user_id: row for row in db.session.scalars(select(ProductTester).where(
        ProductTester.test_id == test.id, ProductTester.user_id.in_(ids)))}
    new = [i for i in ids if i not in rows or rows[i].status != "selected"]
    if test.selected_count + len(new) > test.testers:
        raise Conflict("testers_full", _("This test has room for %(n)s testers.", n=test.testers))
    now = utcnow()
    for user_id in new:
        row = rows.get(user_id)
        if row is None:
            row = ProductTester(test_id=test.id, user_id=user_id)
            db.session.add(row)
        row.status = "selected"
        row.selected_at = now
    test.selected_count += len(new)
    db.session.flush()
    if new:
        events.audit(staff, "product_test.selected", test, after={"user_ids": new})
        events.notify([users[i] for i in new], "product_test_selected", {
            "title": test.title, "date": nk.day(test.closes_on), "test_id": test.id})
    return new


def report(user: User, test_id: int, data: dict) -> ProductTestReport:
    """A selected tester's report, once: each axis 1-3, a rationale, a comment."""
    permissions.require(user, Action.TAKE_PART)
    test = get_test(user, test_id)
    tester = tester_of(user, test.id)
    if tester is None or tester.status != "selected":
        raise Forbidden("not_selected", _("Only the selected testers can report on this test."))
    fields: dict[str, str] = {}
    scores = {}
    for axis in AXES:
        value = data.get(axis)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 3:
            fields[axis] = _("From 1 (low) to 3 (high).")
        scores[axis] = value
    rationale = _written(data, "rationale", TEXT_MAX, fields)
    comment = _written(data, "comment", TEXT_MAX, fields, required=False)
    if fields:
        raise Invalid(fields)
    if db.session.scalar(select(ProductTestReport.id).where(
            ProductTestReport.test_id == test.id, ProductTestReport.user_id == user.id)):
        raise Conflict("report_given", _("You have already reported on this test."))
    row = ProductTestReport(test_id=test.id, user_id=user.id, rationale=rationale,
                            comment=comment, **scores)
    db.session.add(row)
    db.session.flush()
    return row


def has_reported(user: User, test_id: int) -> bool:
    return db.session.scalar(select(ProductTestReport.id).where(
        ProductTestReport.test_id == test_id, ProductTestReport.user_id == user.id)) is not None


def testers_of(staff: User, test_id: int) -> list[ProductTester]:
    permissions.require(staff, Action.MANAGE_PRODUCT_TESTS)
    return list(db.session.scalars(
        select(ProductTester).where(ProductTester.test_id == test_id)
        .options(joinedload(ProductTester.user).lazyload(User.role_rows))
        .order_by(ProductTester.status.desc(), ProductTester.id)))


def results(test_id: int) -> review_service.Aggregate:
    """The testers' means per axis (exact, as the reviewers' aggregate)."""
    reports = list(db.session.scalars(select(ProductTestReport).where(
        ProductTestReport.test_id == test_id)))
    return review_service.aggregate(reports)


def results_for_idea(idea_id: int) -> dict[str, Any] | None:
    """Every test of an idea with its testers' aggregate and rationales, for the scoring page
    (None when the idea has no test)."""
    tests = list(db.session.scalars(select(ProductTest).where(ProductTest.idea_id == idea_id)
                                    .order_by(ProductTest.id)))
    if not tests:
        return None
    reports = list(db.session.scalars(select(ProductTestReport).where(
        ProductTestReport.test_id.in_([t.id for t in tests])).order_by(ProductTestReport.id)))
    return {"tests": tests, "aggregate": review_service.aggregate(reports),
            "reports": reports}


def tests_list(staff: User, limit: int = 100) -> list[tuple[ProductTest, int]]:
    """The latest tests with their report counts (one query)."""
    permissions.require(staff, Action.MANAGE_PRODUCT_TESTS)
    counts = (select(ProductTestReport.test_id, func.count().label("n"))
              .group_by(ProductTestReport.test_id).subquery())
    return list(db.session.execute(
        select(ProductTest, func.coalesce(counts.c.n, 0)).outerjoin(
            counts, counts.c.test_id == ProductTest.id)
        .options(joinedload(ProductTest.idea))
        .order_by(ProductTest.id.desc()).limit(limit)).all())
