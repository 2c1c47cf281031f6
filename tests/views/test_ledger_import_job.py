"""The import job's pages: progress for finance only, the job page with its progress bar and a
no-JavaScript refresh, a failed job's error and resume, and a refused file's every problem."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.models.ledger import Sale
from app.models.ledger_imports import SalesImport
from tests import factories
from tests.helpers import csrf_token, login
from tests.ledger_factories import product

HEADER = "product_id,period,units,net_sales,currency,external_ref"


@pytest.fixture
def finance(app):
    return factories.user("finance")


def _upload(client, data: bytes):
    return client.post("/finance/sales/import", data={
        "csrf_token": csrf_token(client, "/finance/sales/import"),
        "file": (io.BytesIO(data), "sales.csv")}, content_type="multipart/form-data")


def _file(item, count: int, prefix: str = "v") -> bytes:
    lines = [HEADER] + [f"{item.id},2026-04,1,{n}.00,USD,{prefix}-{n}"
                        for n in range(1, count + 1)]
    return ("\n".join(lines) + "\n").encode()


def _token(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def test_progress_is_for_the_uploader_only(db, client, finance):
    item = product(factories.user())
    login(client, finance)
    token = _token(_upload(client, _file(item, 3)))
    progress = client.get(f"/finance/imports/{token}/progress")
    assert progress.status_code == 200
    body = progress.get_json()
    assert {key: body[key] for key in ("status", "done", "total", "problems")} == {
        "status": "ready", "done": 0, "total": 3, "problems": []}

    login(client, factories.user("finance"))  # another finance person: no such import
    assert client.get(f"/finance/imports/{token}/progress").status_code == 404
    assert client.get(f"/finance/imports/{token}/job").status_code == 404
    login(client, factories.user())  # a member: finance only
    assert client.get(f"/finance/imports/{token}/progress").status_code == 403
    assert client.get(f"/finance/imports/{token}/job").status_code == 403
    anonymous = client.application.test_client()
    assert anonymous.get(f"/finance/imports/{token}/progress").status_code in (401, 302)


def test_a_running_job_page_shows_its_progress_and_refreshes_without_javascript(
        db, client, finance):
    item = product(factories.user())
    login(client, finance)
    token = _token(_upload(client, _file(item, 4)))
    record = db.session.scalar(select(SalesImport).where(SalesImport.token == token))
    record.status, record.done_rows = "posting", 2
    db.session.commit()
    html = client.get(f"/finance/imports/{token}/job").get_data(as_text=True)
    assert '<progress class="progress" max="4" value="2"' in html
    assert '<noscript><meta http-equiv="refresh"' in html
    assert f'data-progress-url="/finance/imports/{token}/progress"' in html
    assert "js/ledger.js" in html and 'data-testid="resume"' not in html
    # While it runs, the preview sends finance to the job page.
    assert client.get(f"/finance/imports/{token}").headers["Location"].endswith(
        f"/finance/imports/{token}/job")


def test_a_failed_job_shows_its_error_and_finance_resumes_it(db, client, finance,
                                                            monkeypatch):
    import app.services.ledger.uploads as module

    item = product(factories.user())
    login(client, finance)
    preview_url = _upload(client, _file(item, 5)).headers["Location"]
    token = preview_url.rsplit("/", 1)[1]
    original = module.post_sales
    calls = {"n": 0}

    def crash_on_second(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("lost the database")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, "BATCH_SIZE", 2)
    monkeypatch.setattr(module, "post_sales", crash_on_second)
    response = client.post(preview_url, data={"csrf_token": csrf_token(client, preview_url)})
    assert response.headers["Location"].endswith(f"/finance/imports/{token}/job")
    html = client.get(f"/finance/imports/{token}/job").get_data(as_text=True)
    assert 'data-testid="import-error"' in html and "RuntimeError" in html
    assert 'data-testid="resume"' in html and "noscript" not in html
    assert client.get(f"/finance/imports/{token}/status").get_json() == {
        "state": "failed", "done": 2, "total": 5}
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 2

    monkeypatch.setattr(module, "post_sales", original)
    job_url = f"/finance/imports/{token}/job"
    response = client.post(job_url, data={"csrf_token": csrf_token(client, job_url)},
                           follow_redirects=True)
    assert "5 sales recorded" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 5
    done = client.get(job_url).get_data(as_text=True)
    assert "Done." in done and 'data-testid="resume"' not in done


def test_a_refused_file_keeps_its_problems_and_cannot_be_posted(db, client, finance):
    item = product(factories.user())
    login(client, finance)
    data = (f"{HEADER}\n{item.id},2026-04,1,1.00,USD,ok\n{item.id},2026-4,1,1.00,USD,bad\n"
            f"{item.id},2026-04,1,1.00,XYZ,bad-2\n").encode()
    assert _upload(client, data).status_code == 422
    record = db.session.scalar(select(SalesImport).order_by(SalesImport.id.desc()))
    assert record.status == "refused" and record.problem_rows == 2
    preview_url = f"/finance/imports/{record.token}"
    page = client.get(preview_url)
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert html.count('data-testid="row-error"') == 2 and "import-confirm" not in html
    client.post(preview_url, data={"csrf_token": csrf_token(client, preview_url)})
    assert db.session.scalar(select(func.count()).select_from(Sale)) == 0
