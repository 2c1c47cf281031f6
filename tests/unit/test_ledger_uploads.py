"""Sales files kept in the database and posted by a job: in batches, with progress, resumable,
exactly once per row."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import event, func, select

from app.models import AuditLog, Notification
from app.models.base import utcnow
from app.models.ledger import Sale
from app.models.ledger_imports import SalesImport, SalesImportRow
from app.services import ledger
from app.services.ledger import uploads
from tests import factories
from tests.ledger_factories import payout, product, sale

HEADER = "product_id,period,units,net_sales,currency,external_ref"


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _csv(*rows: str) -> bytes:
    return ("\n".join((HEADER, *rows)) + "\n").encode()


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _queue(db, record) -> None:
    """Queued without the job running (the test runs it by hand)."""
    record.status = "queued"
    db.session.commit()


def _file(item, count: int, prefix: str = "job") -> bytes:
    return _csv(*(f"{item.id},2026-04,1,{n}.00,USD,{prefix}-{n}" for n in range(1, count + 1)))


def test_the_upload_is_kept_in_the_database_not_in_the_instance_folder(db, finance):
    item = product(factories.user())
    record, parsed = uploads.create_import(finance, "april.csv", _file(item, 4))
    db.session.commit()
    assert record.status == "ready" and (record.total_rows, record.new_rows) == (4, 4)
    stored = db.session.scalars(select(SalesImportRow).where(
        SalesImportRow.import_id == record.id).order_by(SalesImportRow.line)).all()
    assert [(row.line, row.external_ref, row.net_sales_minor, row.royalty_minor)
            for row in stored] == [(n + 1, f"job-{n}", n * 100, n) for n in range(1, 5)]
    assert not (Path(current_app.instance_path) / "ledger_imports").exists()


def test_a_bad_file_is_kept_with_every_problem_and_cannot_be_posted(db, finance):
    item = product(factories.user())
    record, parsed = uploads.create_import(finance, "bad.csv", _csv(
        f"{item.id},2026-13,1,1.00,USD,bad-1", f"{item.id},2026-04,1,1.00,USD,ok",
        f"{item.id},2026-04,x,1.00,USD,bad-2"))
    db.session.commit()
    assert record.status == "refused" and not uploads.can_post(record)
    assert [(e.line, "period" in e.reason) for e in uploads.problems_of(record)] == [
        (2, True), (4, False)]


def test_the_job_posts_in_batches_and_reports_its_progress(db, finance):
    owner, partner = factories.user(), factories.user()
    item = product(owner, partner)
    record, _ = uploads.create_import(finance, "five.csv", _file(item, 5))
    db.session.commit()
    seen: list[int] = []
    original = ledger.post_sales

    def spy(*args, **kwargs):
        seen.append(db.session.get(SalesImport, record.id).done_rows)
        return original(*args, **kwargs)

    import app.services.ledger.uploads as module

    module.post_sales = spy
    try:
        _queue(db, record)
        uploads.run_import(record.id, batch_size=2)
    finally:
        module.post_sales = original
    db.session.expire_all()
    assert seen == [0, 2, 4]
    progress = uploads.progress_of(db.session.get(SalesImport, record.id))
    assert {key: progress[key] for key in ("status", "done", "total", "created", "existing")} \
        == {"status": "done", "done": 5, "total": 5, "created": 5, "existing": 0}
    assert _count(db, Sale) == 5
    notified = db.session.scalars(select(Notification.user_id).where(
        Notification.category == "royalties")).all()
    assert sorted(notified) == sorted([owner.id, partner.id])
    assert db.session.scalar(select(AuditLog.after).where(
        AuditLog.action == "ledger.sales_imported"))["created"] == 5


def test_a_crash_after_a_batch_then_resume_posts_each_row_exactly_once(db, finance,
                                                                      monkeypatch):
    owner = factories.user()
    item = product(owner, rate_bps=10_000)
    record, _ = uploads.create_import(finance, "crash.csv", _file(item, 7, "crash"))
    db.session.commit()
    import app.services.ledger.uploads as module

    calls = {"n": 0}
    original = module.post_sales

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "post_sales", crash_on_third)
    _queue(db, record)
    uploads.run_import(record.id, batch_size=3)
    db.session.expire_all()
    record = db.session.get(SalesImport, record.id)
    assert record.status == "failed" and record.done_rows == 6
    assert "RuntimeError" in uploads.error_message(record)
    assert _count(db, Sale) == 6
    assert uploads.can_post(record)

    monkeypatch.setattr(module, "post_sales", original)
    uploads.start_import(finance, record)
    db.session.commit()  # the job runs after the commit (in-process without a queue)
    db.session.expire_all()
    record = db.session.get(SalesImport, record.id)
    assert (record.status, record.done_rows, record.created_count) == ("done", 7, 7)
    refs = db.session.scalars(select(Sale.external_ref)).all()
    assert sorted(refs) == sorted(f"crash-{n}" for n in range(1, 8))
    assert ledger.payable_balance(owner.id, "USD") == sum(n * 100 for n in range(1, 8))
    assert ledger.verify_ledger() == []


def test_two_runs_of_the_same_import_never_post_a_row_twice(db, finance):
    item = product(factories.user())
    record, _ = uploads.create_import(finance, "twice.csv", _file(item, 5, "twice"))
    uploads.start_import(finance, record)
    db.session.commit()
    uploads.run_import(record.id, batch_size=2)
    db.session.get(SalesImport, record.id).status = "posting"  # a stale second worker
    db.session.commit()
    uploads.run_import(record.id, batch_size=2)
    assert _count(db, Sale) == 5
    assert db.session.get(SalesImport, record.id).created_count == 5


def test_a_file_whose_return_would_overdraw_posts_nothing_and_names_the_row(db, finance):
    creator = factories.user()
    item = product(creator)
    sale(finance, item, 100_000, "USD")
    payout(finance, creator, 1_000)  # the balance is now 0
    record, _ = uploads.create_import(finance, "returns.csv", _csv(
        f"{item.id},2026-05,1,500.00,USD,new-1", f"{item.id},2026-05,-1,-900.00,USD,return-1",
        f"{item.id},2026-05,1,100.00,USD,new-2"))
    uploads.start_import(finance, record)
    db.session.commit()
    db.session.expire_all()
    record = db.session.get(SalesImport, record.id)
    assert record.status == "failed" and record.done_rows == 0
    assert [(e.line, "below zero" in e.reason) for e in uploads.problems_of(record)] == [
        (3, True)]
    assert "nothing was posted" in uploads.error_message(record)
    assert _count(db, Sale) == 1


def test_reimporting_a_recorded_file_finds_every_row_in_a_few_queries(db, finance):
    item = product(factories.user())
    data = _file(item, 300, "again")
    record, _ = uploads.create_import(finance, "first.csv", data)
    uploads.start_import(finance, record)
    db.session.commit()
    assert _count(db, Sale) == 300

    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        again, _ = uploads.create_import(finance, "again.csv", data)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert again.status == "ready" and (again.total_rows, again.new_rows) == (300, 0)
    assert len([s for s in statements if re.search(r"FROM sales\b", s)]) == 1  # set-based
    assert len(statements) <= 10
    uploads.start_import(finance, again)
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(SalesImport, again.id)
    assert (again.status, again.created_count, again.existing_count) == ("done", 0, 300)


def test_a_stalled_job_may_be_resumed(db, finance):
    item = product(factories.user())
    record, _ = uploads.create_import(finance, "stall.csv", _file(item, 2, "stall"))
    record.status = "posting"
    db.session.commit()
    assert not uploads.can_post(record)
    record.updated_at = utcnow() - uploads.STALE_AFTER - timedelta(seconds=1)
    db.session.commit()
    assert uploads.can_post(record) and uploads.progress_of(record)["stalled"]


def test_a_file_of_100000_rows_is_accepted(db, finance):
    item = product(factories.user())
    rows = [f"{item.id},2026-04,1,{n % 997}.{n % 100:02d},USD,big-{n}" for n in range(100_000)]
    parsed = ledger.parse_sales_csv(_csv(*rows))
    assert parsed.errors == [] and len(parsed.rows) == 100_000
    too_many = ledger.parse_sales_csv(_csv(*rows, f"{item.id},2026-04,1,1.00,USD,one-more"))
    assert [error.line for error in too_many.errors] == [100_002]
    assert "Too many rows" in too_many.errors[0].reason
