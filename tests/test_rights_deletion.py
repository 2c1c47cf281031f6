"""Deleting an account (DELETE /api/v1/me, /account/data): the refusals, the confirmation mail,
and what becomes of every kind of row the member had."""
from __future__ import annotations

import io
import re
import zipfile

from PIL import Image
from sqlalchemy import func, select

from app import storage
from app.models import (AccountDeletion, ApiToken, ConsentEvent, Comment, DataExport, Idea, IdeaCounter, IdeaCreator,
                        IdeaFollow, Notification, OutboundMail, Support, User, UserSession)
from app.services import accounts, deletion, exports, payout_requests
from app.services.ledger.verify import verify_ledger
from tests import factories as f
from tests import ledger_factories as lf
from tests.helpers import bearer, csrf_token, login

NAME = "Zebedee Quillfeather"
EMAIL = "zebedee.quill@example.org"


def png(size=(64, 48), colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def _delete(client, headers, **body):
    return client.delete("/api/v1/me", json=body, headers=headers)


def _deletion_link(db) -> str:
    mail = db.session.scalars(select(OutboundMail).where(OutboundMail.subject.contains(
        "delet")).order_by(OutboundMail.id.desc())).first()
    if mail is None:
        mail = db.session.scalars(select(OutboundMail).order_by(OutboundMail.id.desc())).first()
    match = re.search(r"https?://\S+/account/delete/(\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


# --------------------------------------------------------------------------- asking and refusals


def test_a_confirmed_member_gets_a_mail_and_the_link_deletes(client, db):
    member = f.user(email=EMAIL, name=NAME)
    headers = bearer(member)
    response = _delete(client, headers, password=f.PASSWORD)
    assert response.status_code == 202
    assert response.get_json() == {"status": "confirmation_sent"}
    assert db.session.get(User, member.id).deleted_at is None  # nothing yet
    token = _deletion_link(db)
    page = client.get(f"/account/delete/{token}")
    assert page.status_code == 200 and "confirm-delete" in page.get_data(as_text=True)
    assert db.session.get(User, member.id).deleted_at is None  # opening the link deletes nothing
    done = client.post(f"/account/delete/{token}", data={"csrf_token": csrf_token(
        client, f"/account/delete/{token}")})
    assert done.status_code == 200 and "account-deleted" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).deleted_at is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    # The link worked once.
    assert client.get(f"/account/delete/{token}").status_code == 400


def test_the_api_confirms_with_the_mails_token(client, db):
    member = f.user(email=EMAIL, name=NAME)
    headers = bearer(member)
    assert _delete(client, headers, password=f.PASSWORD).status_code == 202
    token = _deletion_link(db)
    assert _delete(client, headers, password=f.PASSWORD, token="nonsense").status_code == 422
    response = _delete(client, headers, password=f.PASSWORD, token=token)
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_an_unconfirmed_account_is_deleted_at_once_with_204(client, db):
    member = f.user(email=EMAIL, name=NAME, confirmed=False)
    headers = bearer(member)
    response = _delete(client, headers, password=f.PASSWORD)
    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(OutboundMail).where(
        OutboundMail.to_address == EMAIL)) == 0


def test_a_wrong_password_is_422_and_nothing_happens(client, db):
    member = f.user(email=EMAIL)
    response = _delete(client, bearer(member), password="not my password at all")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "wrong_password"
    assert "password" in response.get_json()["error"]["fields"]
    assert db.session.get(User, member.id).deleted_at is None


def test_the_password_is_required(client, db):
    response = _delete(client, bearer(f.user()))
    assert response.status_code == 422
    assert client.delete("/api/v1/me", data="x", headers=bearer(f.user())).status_code == 400


def test_without_a_token_it_is_401(client, db):
    assert _delete(client, {}, password=f.PASSWORD).status_code == 401


def test_staff_cannot_delete_themselves_while_holding_a_role(client, db):
    admin = f.user("finance", email=EMAIL)
    response = _delete(client, bearer(admin), password=f.PASSWORD)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "staff_cannot_delete"
    assert "staff role" in response.get_json()["error"]["message"]
    assert db.session.get(User, admin.id).deleted_at is None


def test_an_expired_or_forged_link_does_not_delete(app, client, db):
    member = f.user(email=EMAIL)
    assert client.get("/account/delete/forged-token").status_code == 400
    token = deletion.make_token(member)
    app.config["ACCOUNT_DELETION_LINK_MAX_AGE"] = -1
    response = client.get(f"/account/delete/{token}")
    assert response.status_code == 400
    assert db.session.get(User, member.id).deleted_at is None


def test_a_link_dies_when_the_password_changes(client, db):
    member = f.user(email=EMAIL)
    token = deletion.make_token(member)
    accounts.change_password(member, f.PASSWORD, "a much longer new passphrase 42")
    db.session.commit()
    assert client.get(f"/account/delete/{token}").status_code == 400


def test_the_settings_page_asks_for_the_password_then_mails(client, db):
    member = f.user(email=EMAIL, name=NAME)
    login(client, member)
    page = client.get("/account/data")
    assert page.status_code == 200 and "delete-account" in page.get_data(as_text=True)
    wrong = client.post("/account/delete", data={"csrf_token": csrf_token(client, "/account/data"),
                                                  "password": "wrong wrong wrong"})
    assert wrong.status_code == 422
    sent = client.post("/account/delete", data={"csrf_token": csrf_token(client, "/account/data"),
                                                 "password": f.PASSWORD})
    assert sent.status_code == 200 and EMAIL in sent.get_data(as_text=True)
    assert db.session.get(User, member.id).deleted_at is None


def test_staff_see_why_they_cannot_delete_on_the_page(client, db):
    login(client, f.user("moderator"))
    html = client.get("/account/data").get_data(as_text=True)
    assert "delete-submit" not in html and "staff role" in html


def test_the_settings_page_is_in_japanese(client, db):
    login(client, f.user(locale="ja"))
    html = client.get("/account/data").get_data(as_text=True)
    assert "アカウントを削除" in html


# --------------------------------------------------------------------------- what deletion does


def _world(db):
    """A member (NAME, EMAIL) with one row of every kind main has, and the people around them."""
    member = f.user(email=EMAIL, name=NAME)
    accounts.update_profile(member, NAME, "I like lamps.", avatar=png())
    db.session.commit()
    other = f.user(name="Olga Other")
    finance = f.user("finance", name="Fin Ance")
    # Their ideas: a draft with a picture, a published idea alone, a published one co-created.
    draft = f.idea(member, status="draft", title="Secret lamp draft")
    from app.services import ideas as idea_service

    idea_service.add_image(member, draft.id, png())
    db.session.commit()
    alone = f.idea(member, title="A lamp for reading")
    shared = f.idea(member, title="A shared lamp", co_creators=(other,))
    # Someone else's ideas: one gathering (support withdrawn), one frozen (support kept).
    gathering = f.idea(other, title="Quiet kettle")
    frozen = f.idea(other, status="qualified", title="Folding stool")
    headers = bearer(member)
    client = _world.client
    assert client.post(f"/api/v1/ideas/{gathering.id}/supports",
                       json={"reason": f"{NAME} wants it"}, headers=headers).status_code == 201
    f.support(frozen, member, reason="I would buy two")
    assert client.post(f"/api/v1/ideas/{gathering.id}/comments",
                       json={"body": "Lovely kettle"}, headers=headers).status_code == 201
    # Someone comments on their idea, they reply: the others' notifications name them.
    other_headers = bearer(other)
    posted = client.post(f"/api/v1/ideas/{alone.id}/comments", json={"body": "Nice lamp"},
                         headers=other_headers).get_json()
    assert client.post(f"/api/v1/ideas/{alone.id}/comments",
                       json={"body": "Thank you", "parent_id": posted["id"]},
                       headers=headers).status_code == 201
    # Royalties: a product of their idea with a sale; a payout request to finance.
    product = lf.product(member, name="Member lamp", rate_bps=1000)
    lf.sale(finance, product, 100_000, "JPY")
    payout_requests.request_payout(member, 5000, "JPY")
    db.session.commit()
    # Consents changed (consent events with IP and user agent).
    from app.services import consents

    consents.set_consents(member, marketing_mail=True, ip_address="203.0.113.9",
                          user_agent="Zebedee's browser")
    db.session.commit()
    # A vote in a campaign (the entry's kept vote count stays: an anonymous count).
    from datetime import date

    from app.models.campaigns import Campaign, CampaignEntry, CampaignVote

    campaign = Campaign(title="Lamps of the year", starts_on=date(2026, 1, 1),
                        ends_on=date(2026, 12, 31))
    db.session.add(campaign)
    db.session.flush()
    db.session.add(CampaignEntry(idea_id=frozen.id, campaign_id=campaign.id,
                                 vote_count=1))
    db.session.add(CampaignVote(campaign_id=campaign.id, user_id=member.id, idea_id=frozen.id))
    db.session.commit()
    # An export of their own, and sessions and tokens.
    exports.request_export(member)
    db.session.commit()
    login(client, member)
    return {"member": member, "other": other, "finance": finance, "draft": draft,
            "alone": alone, "shared": shared, "gathering": gathering, "frozen": frozen,
            "headers": headers, "other_headers": other_headers,
            "finance_headers": bearer(finance)}


def test_deletion_handles_every_kind_of_row(client, db):
    _world.client = client
    w = _world(db)
    member = w["member"]
    draft_id = w["draft"].id  # the erasure job deletes the row in a session of its own
    draft_keys = [image.key for image in db.session.get(Idea, draft_id).images]
    avatar_key = member.avatar_key
    assert draft_keys and avatar_key
    export = db.session.scalars(select(DataExport).where(DataExport.user_id == member.id)).one()
    assert export.status == "ready"
    export_key = export.storage_key
    gathering_before = db.session.get(IdeaCounter, w["gathering"].id).support_count
    assert gathering_before == 1

    with_token = _delete(client, w["headers"], password=f.PASSWORD)
    assert with_token.status_code == 202
    assert _delete(client, w["headers"], password=f.PASSWORD,
                   token=_deletion_link(db)).status_code == 204
    db.session.expire_all()
    gone = db.session.get(User, member.id)

    # The account: pseudonymous, signed out everywhere, its tokens 401.
    assert gone.deleted_at is not None and gone.email.endswith("@deleted.invalid")
    assert gone.email != EMAIL and gone.bio == "" and gone.avatar_key is None
    assert not gone.check_password(f.PASSWORD)
    assert client.get("/api/v1/me", headers=w["headers"]).status_code == 401
    assert client.get("/account/data").status_code in (302, 401)  # the browser session ended
    from app.models.campaigns import CampaignVote

    for model in (UserSession, ApiToken, IdeaFollow, Notification, DataExport, ConsentEvent,
                  CampaignVote):
        assert db.session.scalar(select(func.count()).select_from(model).where(
            model.user_id == member.id)) == 0, model
    # Every purely personal row (ON DELETE CASCADE to users), whichever area's table, is gone.
    for column in deletion.personal_columns():
        left = db.session.scalar(select(func.count()).select_from(column.table).where(
            column == member.id))
        assert left == 0, column
    assert accounts.get_by_email(EMAIL) is None

    # Files: the avatar, the draft's pictures and the export are deleted from storage.
    backend = storage.get()
    assert not backend.exists(f"avatars/{avatar_key}_avatar.jpg")
    assert not any(backend.exists(f"{key}_large.jpg") for key in draft_keys)
    assert not backend.exists(export_key)

    # Ideas: the draft deleted; their own published idea stays; the shared one passes on.
    assert db.session.get(Idea, draft_id) is None
    assert db.session.get(Idea, w["alone"].id).owner_id == member.id
    shared = db.session.get(Idea, w["shared"].id)
    assert shared.owner_id == w["other"].id
    assert {c.user_id: c.is_owner for c in shared.creators} == {member.id: False,
                                                                w["other"].id: True}

    # Supports: withdrawn where the idea gathers support (exact counters), kept where frozen.
    gathering = db.session.get(Idea, w["gathering"].id)
    counter = db.session.get(IdeaCounter, gathering.id)
    assert counter.support_count == gathering_before - 1
    kept = db.session.scalars(select(Support).where(Support.user_id == member.id)).all()
    assert [s.idea_id for s in kept] == [w["frozen"].id] and kept[0].reason is None

    # Comments stay, by "Deleted member".
    assert db.session.scalar(select(func.count()).select_from(Comment).where(
        Comment.author_id == member.id)) == 2

    # The ledger keeps its entries and verifies; finance was told of the balance.
    assert verify_ledger() == []
    told = client.get("/api/v1/me/notifications", headers=w["finance_headers"]).get_json()
    messages = [item["message"] for item in told["items"]]
    assert any("deleted their account" in message and "¥" in message for message in messages), \
        messages


def test_the_deleted_members_name_and_email_appear_nowhere(client, db):
    _world.client = client
    w = _world(db)
    member = w["member"]
    # In the forum (a thread of theirs, a reply by them to someone else's) and on the
    # leaderboard (the recognition rollup counted their supports and comments).
    thread = client.post("/api/v1/forum/threads", headers=w["headers"], json={
        "category": "home", "title": "Lamp shades", "body": "Which fabric?"})
    assert thread.status_code == 201, thread.get_data(as_text=True)
    thread_id = thread.get_json()["id"]
    theirs = client.post("/api/v1/forum/threads", headers=w["other_headers"], json={
        "category": "home", "title": "Kettle care", "body": "Descale it."}).get_json()["id"]
    assert client.post(f"/api/v1/forum/threads/{theirs}/replies", headers=w["headers"],
                       json={"body": "Vinegar works."}).status_code == 201
    from app.services import recognition

    recognition.rollup()
    db.session.commit()
    assert NAME in client.get("/leaderboard").get_data(as_text=True)  # named there before
    _delete(client, w["headers"], password=f.PASSWORD)
    token = _deletion_link(db)
    # Mail not yet sent: to them, and to someone else naming them.
    waiting = [OutboundMail(to_address=EMAIL, subject="Kyoso: digest", body=f"Hello {NAME}"),
               OutboundMail(to_address=w["other"].email, subject=f"{NAME} commented",
                            body=f"{NAME} commented on your idea.")]
    db.session.add_all(waiting)
    db.session.commit()
    assert _delete(client, w["headers"], password=f.PASSWORD, token=token).status_code == 204
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    def nowhere(text: str, where: str) -> None:
        assert NAME not in text, where
        assert "Zebedee" not in text, where
        assert EMAIL not in text, where

    recognition.rollup()  # the next run after the deletion
    db.session.commit()
    erased = db.session.get(AccountDeletion, member.id)
    assert erased.erased_at is not None and erased.name == ""  # done by the job, name gone
    pages = ["/", "/ideas", f"/ideas/{w['alone'].id}", f"/ideas/{w['shared'].id}",
             f"/ideas/{w['gathering'].id}", f"/ideas/{w['frozen'].id}",
             f"/users/{member.id}", "/ideas?q=Zebedee", "/ideas?q=lamp",
             "/leaderboard", "/forum", "/forum/home", f"/forum/threads/{thread_id}",
             f"/forum/threads/{theirs}"]
    for path in pages:
        text = client.get(path).get_data(as_text=True)
        if "q=Zebedee" in path:  # a search page repeats its query; what it finds must not name them
            text = text.replace("Zebedee", "")
            assert "Quillfeather" not in text, path
        nowhere(text, path)
    html = client.get(f"/ideas/{w['alone'].id}").get_data(as_text=True)
    assert "Deleted member" in html
    api = ["/api/v1/ideas", f"/api/v1/ideas/{w['alone'].id}",
           f"/api/v1/ideas/{w['alone'].id}/comments", f"/api/v1/ideas/{w['gathering'].id}/comments",
           f"/api/v1/ideas/{w['shared'].id}", "/api/v1/ideas?q=Zebedee", "/api/v1/leaderboard",
           f"/api/v1/users/{member.id}", "/api/v1/forum/threads?category=home",
           f"/api/v1/forum/threads/{thread_id}", f"/api/v1/forum/threads/{theirs}/replies"]
    for path in api:
        nowhere(client.get(path, headers=w["other_headers"]).get_data(as_text=True), path)
    assert client.get("/api/v1/ideas?q=Zebedee").get_json()["items"] == []
    # Other members' notifications (rendered in their language), finance's too.
    for headers in (w["other_headers"], w["finance_headers"]):
        listing = client.get("/api/v1/me/notifications", headers=headers).get_data(as_text=True)
        nowhere(listing, "notifications")
    other_listing = client.get("/api/v1/me/notifications", headers=w["other_headers"]).get_json()
    assert any("Deleted member" in item["message"] for item in other_listing["items"])
    # Staff lists: members and royalties.
    admin = f.user("admin", "finance")
    login(client, admin)
    for path in ("/admin/users", "/admin/users?q=quill%40example", "/finance/creators",
                 f"/finance/creators/{member.id}"):
        response = client.get(path)
        nowhere(response.get_data(as_text=True), path)
    # Mails not yet sent; mail to them is gone from the outbox altogether.
    pending = db.session.scalars(select(OutboundMail).where(OutboundMail.status == "pending")).all()
    assert [mail.body for mail in pending] == ["Deleted member commented on your idea."]
    for mail in pending:
        nowhere(mail.to_address + mail.subject + mail.body, f"mail {mail.id}")
    assert db.session.scalar(select(func.count()).select_from(OutboundMail).where(
        OutboundMail.to_address == EMAIL)) == 0
    # Another member's export.
    other_export = exports.request_export(w["other"])
    db.session.commit()
    key = db.session.get(DataExport, other_export.id).storage_key
    archive = zipfile.ZipFile(io.BytesIO(storage.get().read(key)))
    nowhere(archive.read("data.json").decode("utf-8"), "another member's export")
    # The database itself: no row holds the name or the address, except where nobody sees it.
    assert db.session.scalar(select(func.count()).select_from(User).where(
        (User.display_name == NAME) | (User.email == EMAIL))) == 0
    # And the ledger still verifies, as the operators' command says.
    verified = client.application.test_cli_runner().invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output


def test_comments_of_a_deleted_member_read_deleted_member_in_japanese(client, db):
    member = f.user(email=EMAIL, name=NAME)
    idea = f.idea(title="A lamp for reading")
    assert client.post(f"/api/v1/ideas/{idea.id}/comments", json={"body": "Nice"},
                       headers=bearer(member)).status_code == 201
    deletion.delete_account(db.session.get(User, member.id))
    db.session.commit()
    db.session.expire_all()
    reader = f.user(locale="ja")
    login(client, reader)
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "削除されたメンバー" in html and NAME not in html


def test_a_member_cannot_take_the_name_deleted_member(db):
    member = f.user()
    import pytest

    from app.errors import Invalid

    with pytest.raises(Invalid):
        accounts.update_profile(member, "Deleted member", "")


def test_a_drafts_co_creator_keeps_it_and_the_share(client, db):
    member = f.user(email=EMAIL)
    partner = f.user()
    draft = f.idea(member, status="draft", co_creators=(partner,))
    deletion.delete_account(db.session.get(User, member.id))
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(Idea, draft.id)
    assert kept is not None and kept.owner_id == partner.id
    assert [(c.user_id, c.share_bps, c.is_owner) for c in kept.creators] == [
        (partner.id, 10_000, True)]
    assert db.session.scalar(select(func.count()).select_from(IdeaCreator).where(
        IdeaCreator.user_id == member.id)) == 0
