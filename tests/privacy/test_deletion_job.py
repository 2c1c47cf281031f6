"""Deleting an account in two steps (issue 13): the request ends the account at once and the
member sees that it is being deleted; the job rights.erase_account erases the rest, once, and a
job that dies is run again (retry, redelivery or the sweep) without anything half done."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app import jobs
from app.models import (AccountDeletion, ApiToken, Idea, OutboundMail, Support,
                        User, UserSession)
from app.models.users import DELETED_MEMBER
from app.services import accounts, deletion
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

NAME = "Perpetua Lindqvist"
EMAIL = "perpetua@example.org"


@pytest.fixture
def queued(monkeypatch):
    """The jobs queued, held instead of run (as a busy worker would)."""
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kwargs: calls.append((name, kwargs)))
    return calls


def _member_with_things(db):
    member = f.user(email=EMAIL, name=NAME, confirmed=False)  # deleted at once: no mailbox
    draft = f.idea(member, status="draft", title="Half a lamp")
    gathering = f.idea(f.user(), title="Quiet kettle")
    f.support(gathering, member, reason="I want one")
    db.session.commit()
    return member, draft.id, gathering.id


def _count(db, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def _supporters(db, idea_id: int) -> int:
    """The idea's supporter number as its page shows it."""
    from app.services import counters

    return counters.exact_counts([db.session.get(Idea, idea_id)])[idea_id]


def test_the_request_ends_the_account_at_once_and_leaves_the_erasing_to_the_job(client, db, queued):
    member, draft_id, gathering_id = _member_with_things(db)
    headers = bearer(member)
    assert client.delete("/api/v1/me", json={"password": f.PASSWORD},
                         headers=headers).status_code == 204

    # At once: tokens 401, sessions and tokens gone, no sign-in, "Deleted member" everywhere.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert _count(db, ApiToken, user_id=member.id) == 0
    assert _count(db, UserSession, user_id=member.id) == 0
    stored = db.session.execute(select(User.display_name, User.deleted_at)
                                .where(User.id == member.id)).one()
    assert stored.display_name == DELETED_MEMBER and stored.deleted_at is not None
    # The heavy part waits for the job, which carries the account's id and nothing personal.
    assert queued == [("rights.erase_account", {"user_id": member.id})]
    assert db.session.get(Idea, draft_id) is not None
    assert _count(db, Support, user_id=member.id) == 1
    assert not deletion.erased(member.id)

    # Signing in again says what is going on (HTML and API), and no reset mail goes out.
    refused = client.post("/api/v1/tokens", json={"email": EMAIL, "password": f.PASSWORD})
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "account_deleted"
    page = client.post("/login", data={"csrf_token": csrf_token(client, "/login"),
                                       "email": EMAIL, "password": f.PASSWORD})
    assert "being deleted" in page.get_data(as_text=True)
    accounts.request_password_reset(EMAIL)
    db.session.commit()
    assert _count(db, OutboundMail, to_address=EMAIL) == 0

    # The job erases; run again (a redelivery), it does nothing.
    assert deletion.erase_account(member.id) is True
    db.session.expire_all()
    assert db.session.get(Idea, draft_id) is None
    assert _count(db, Support, user_id=member.id) == 0
    gone = db.session.get(User, member.id)
    assert gone.email.endswith("@deleted.invalid") and not gone.check_password(f.PASSWORD)
    row = db.session.get(AccountDeletion, member.id)
    assert row.erased_at is not None and row.name == "" and row.attempts == 1
    assert deletion.erase_account(member.id) is False
    db.session.expire_all()
    assert db.session.get(AccountDeletion, member.id).attempts == 1


def test_the_page_says_the_account_is_being_deleted(client, db, queued):
    member, _draft, _idea = _member_with_things(db)
    login(client, member)
    response = client.post("/account/delete", data={
        "csrf_token": csrf_token(client, "/account/data"), "password": f.PASSWORD})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-state="being-deleted"' in html and "Your account is being deleted" in html
    assert client.get("/account/data").status_code == 302  # signed out


def test_the_page_is_in_japanese_too(client, db, queued):
    member = f.user(locale="ja", confirmed=False)
    login(client, member)
    response = client.post("/account/delete", data={
        "csrf_token": csrf_token(client, "/account/data"), "password": f.PASSWORD})
    assert "アカウントを削除しています" in response.get_data(as_text=True)


def test_with_the_job_run_at_once_the_page_says_it_is_deleted(client, db):
    member, _draft, _idea = _member_with_things(db)
    login(client, member)
    response = client.post("/account/delete", data={
        "csrf_token": csrf_token(client, "/account/data"), "password": f.PASSWORD})
    html = response.get_data(as_text=True)
    assert "Your account is deleted" in html and "being-deleted" not in html
    assert deletion.erased(member.id)


def test_a_job_that_dies_leaves_nothing_half_done_and_the_sweep_finishes(db, queued, monkeypatch):
    member, draft_id, gathering_id = _member_with_things(db)
    deletion.delete_account(db.session.get(User, member.id))
    db.session.commit()

    def dies(_user_id):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(deletion, "_hand_over_ideas", dies)  # after supports were withdrawn
    with pytest.raises(RuntimeError):
        deletion.erase_account(member.id)
    db.session.rollback()
    db.session.expire_all()
    # Rolled back whole: the support is still there, the counter unchanged, nothing erased.
    assert _count(db, Support, user_id=member.id) == 1
    assert _supporters(db, gathering_id) == 1
    row = db.session.get(AccountDeletion, member.id)
    assert row.erased_at is None and row.name == NAME and row.attempts == 1
    monkeypatch.undo()
    monkeypatch.setattr(jobs, "enqueue", lambda name, **kwargs: None)

    assert deletion.erase_sweep(older_than=3600) == 0  # not overdue yet
    assert deletion.erase_sweep(older_than=0) == 1
    db.session.expire_all()
    assert db.session.get(Idea, draft_id) is None
    assert _supporters(db, gathering_id) == 0
    row = db.session.get(AccountDeletion, member.id)
    assert row.erased_at is not None and row.attempts == 2
    assert deletion.erase_sweep(older_than=0) == 0


def test_asking_twice_starts_once(db, queued):
    member = f.user(confirmed=False)
    user = db.session.get(User, member.id)
    deletion.start_deletion(user)
    deletion.start_deletion(user)
    db.session.commit()
    assert _count(db, AccountDeletion, user_id=member.id) == 1


def test_the_operators_command_erases_at_once(app, db, queued):
    member, draft_id, _idea = _member_with_things(db)
    result = app.test_cli_runner().invoke(args=["rights", "delete-account", EMAIL, "--yes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert deletion.erased(member.id) and db.session.get(Idea, draft_id) is None
    assert accounts.get_by_email(EMAIL) is None


def test_the_sweep_command_finishes_what_was_left(app, db, queued):
    member, draft_id, _idea = _member_with_things(db)
    deletion.delete_account(db.session.get(User, member.id))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["rights", "erase-sweep", "--older-than", "0"])
    assert result.exit_code == 0 and "1 deleted account(s) erased" in result.output
    db.session.expire_all()
    assert deletion.erased(member.id)


def test_an_export_asked_for_just_before_is_not_built(db, queued):
    from app.models import DataExport
    from app.services import exports

    member = f.user(confirmed=False)
    export = exports.request_export(member)
    db.session.commit()
    deletion.delete_account(db.session.get(User, member.id))
    db.session.commit()
    assert exports.build_export(export.id) is False
    db.session.expire_all()
    assert db.session.get(DataExport, export.id).status == "failed"
