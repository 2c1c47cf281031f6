"""Co-creator invitations by e-mail (issue 10, items 3 and 4; issue 11, the HTML invitation):
no oracle of who is registered, one notice per idea and address, daily limits, no member text in
mail subjects, and only confirmed addresses co-create and consent."""
from __future__ import annotations

from flask import g
from sqlalchemy import func, select

from app.extensions import db
from app.models import Consent, CreatorInvitation, Idea, IdeaCreator, Notification, OutboundMail
from app.services import ideas as idea_service
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

EVIL_TITLE = "URGENT: your Kyoso account will be closed - verify at http://evil.example/login"


def _draft(owner, title=EVIL_TITLE) -> Idea:
    return f.idea(owner, status="draft", title=title)


def _invite(client, owner, idea, email, share=1000):
    return client.post(f"/api/v1/ideas/{idea.id}/creators", headers=bearer(owner),
                       json={"email": email, "share_bps": share})


def _mails_to(address):
    return list(db.session.scalars(select(OutboundMail).where(OutboundMail.to_address == address)))


def _notes(user):
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_the_answer_is_the_same_for_a_member_and_an_unknown_address(client):
    owner = f.user()
    member = f.user(email="member@example.com", name="Real Member")
    idea = _draft(owner)
    known = _invite(client, owner, idea, "Member@Example.com")
    unknown = _invite(client, owner, idea, "nobody@example.com")
    assert known.status_code == unknown.status_code == 201
    a, b = known.get_json(), unknown.get_json()
    assert set(a) == set(b) and a["status"] == b["status"] == "pending"
    assert a["email"] == "member@example.com"
    assert "Real Member" not in known.get_data(as_text=True)
    # nobody is a co-creator before accepting: the idea's creators say nothing either
    idea_json = client.get(f"/api/v1/ideas/{idea.id}", headers=bearer(owner)).get_json()
    assert [c["user_id"] for c in idea_json["creators"]] == [owner.id]
    # the member is told in the app (and by mail); the unknown address gets a mail to join
    assert [n.kind for n in _notes(member)] == ["co_creator_invite"]
    join = _mails_to("nobody@example.com")
    assert len(join) == 1 and "/invitations/" in join[0].body
    # never the member-written title in a subject; in bodies only quoted and truncated
    for mail in db.session.scalars(select(OutboundMail)):
        assert "URGENT" not in mail.subject and "evil.example" not in mail.subject
    assert "evil.example/login" not in join[0].body
    assert "“URGENT: your Kyoso account will be closed" in join[0].body
    assert "http://evil" not in join[0].body  # no live link either


def test_removing_and_reinviting_sends_nothing_new_within_the_cool_down(client):
    owner, victim = f.user(), f.user(email="victim@example.com")
    idea = _draft(owner)
    for _ in range(5):
        assert _invite(client, owner, idea, victim.email).status_code == 201
        pending = db.session.scalar(select(CreatorInvitation).where(
            CreatorInvitation.status == "pending"))
        assert client.delete(f"/api/v1/ideas/{idea.id}/invitations/{pending.id}",
                             headers=bearer(owner)).status_code == 204
    assert len(_notes(victim)) == 1
    assert len(_mails_to(victim.email)) <= 1
    for _ in range(3):
        _invite(client, owner, idea, "stranger@example.com")
        pending = db.session.scalar(select(CreatorInvitation).where(
            CreatorInvitation.status == "pending"))
        client.delete(f"/api/v1/ideas/{idea.id}/invitations/{pending.id}", headers=bearer(owner))
    assert len(_mails_to("stranger@example.com")) == 1


def test_invitations_are_limited_per_idea_and_per_inviter(app, client):
    app.config.update(INVITATIONS_PER_IDEA_PER_DAY=3, INVITATIONS_PER_MEMBER_PER_DAY=4)
    owner = f.user()
    first, second = _draft(owner, "First"), _draft(owner, "Second")
    for n in range(3):
        assert _invite(client, owner, first, f"a{n}@example.com", 100).status_code == 201
    refused = _invite(client, owner, first, "a9@example.com", 100)
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "invitations_limited"
    assert _invite(client, owner, second, "b1@example.com", 100).status_code == 201
    assert _invite(client, owner, second, "b2@example.com", 100).status_code == 429  # 4 today
    assert db.session.scalar(select(func.count()).select_from(CreatorInvitation)) == 4
    assert _mails_to("a9@example.com") == [] and _mails_to("b2@example.com") == []


def test_the_html_form_accepts_demo_addresses_and_refuses_invalid_ones(client):
    owner = f.user()
    demo = f.user(email="aiko@kyoso.local")
    idea = _draft(owner, "Quiet stroller")
    login(client, owner)
    token = csrf_token(client, f"/ideas/{idea.id}/edit")
    page = client.post(f"/ideas/{idea.id}/creators", data={
        "csrf_token": token, "email": "aiko@kyoso.local", "share_bps": "1500"},
        follow_redirects=True)
    assert "invitation is on its way" in page.get_data(as_text=True)
    assert [n.kind for n in _notes(demo)] == ["co_creator_invite"]
    bad = client.post(f"/ideas/{idea.id}/creators", data={
        "csrf_token": token, "email": "not an address", "share_bps": "1500"},
        follow_redirects=True)
    assert "valid email address" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CreatorInvitation)) == 1
    # the API takes the same addresses
    assert _invite(client, owner, idea, "kenji@kyoso.local").status_code == 201


def test_an_unconfirmed_account_cannot_accept_or_consent(client):
    owner = f.user()
    impostor = f.user(email="victim@example.com", confirmed=False)
    idea = _draft(owner, "Quiet stroller")
    assert _invite(client, owner, idea, "victim@example.com", 2500).status_code == 201
    assert _notes(impostor) == []  # unconfirmed: treated as an unknown address (a mail to join)
    mail = _mails_to("victim@example.com")[0]
    link = mail.body.split("/invitations/", 1)[1].split()[0]
    login(client, impostor)
    page = client.get(f"/invitations/{link}").get_data(as_text=True)
    assert "confirm" in page and "Accept the invitation" not in page
    g.pop("csrf_token", None)
    accept = client.post(f"/invitations/{link}/accept",
                         data={"csrf_token": csrf_token(client, f"/invitations/{link}")})
    assert accept.status_code == 403
    consent = client.post(f"/api/v1/ideas/{idea.id}/consent", headers=bearer(impostor),
                          json={"agreement_version": f.current_agreement().version})
    assert consent.status_code == 403
    assert consent.get_json()["error"]["code"] == "email_not_confirmed"
    assert db.session.scalar(select(func.count()).select_from(IdeaCreator)
                             .where(IdeaCreator.user_id == impostor.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 0


def test_someone_who_joins_later_accepts_through_the_link_and_the_consent_records_the_address(
        client):
    owner = f.user()
    idea = _draft(owner, "Quiet stroller")
    _invite(client, owner, idea, "newcomer@example.com", 2500)
    link = _mails_to("newcomer@example.com")[0].body.split("/invitations/", 1)[1].split()[0]
    newcomer = f.user(email="newcomer@example.com")  # signed up and confirmed since
    other = f.user()
    login(client, other)
    assert "another address" in client.get(f"/invitations/{link}").get_data(as_text=True)
    g.pop("csrf_token", None)
    login(client, newcomer)
    joined = client.post(f"/invitations/{link}/accept",
                         data={"csrf_token": csrf_token(client, f"/invitations/{link}")})
    assert joined.status_code == 302
    assert {c.user_id: c.share_bps for c in db.session.get(Idea, idea.id).creators} == \
        {owner.id: 7500, newcomer.id: 2500}
    row = idea_service.consent(newcomer, idea.id, f.current_agreement().version)
    db.session.commit()
    assert row.email == "newcomer@example.com"
    assert row.email_confirmed_at == newcomer.email_confirmed_at
    assert db.session.scalar(select(CreatorInvitation.status)) == "accepted"


def test_a_pending_invitation_blocks_submission_and_reserves_its_share(client):
    owner = f.user()
    idea = _draft(owner, "Quiet stroller")
    assert _invite(client, owner, idea, "x@example.com", 6000).status_code == 201
    too_much = _invite(client, owner, idea, "y@example.com", 4000)
    assert too_much.status_code == 422  # whoever the addresses belong to
    idea.pitch = "A pitch"
    db.session.commit()
    blocked = client.post(f"/api/v1/ideas/{idea.id}/submit", headers=bearer(owner),
                          json={"agreement_version": f.current_agreement().version})
    assert blocked.status_code == 409
    assert blocked.get_json()["error"]["code"] == "consent_missing"



def test_the_mail_to_join_speaks_both_languages_the_inviters_first(client):
    """Nobody chose a language for an unknown address: the mail says it in English and in
    Japanese, the inviter's language first, subjects without member text."""
    owner = f.user(locale="ja")
    idea = _draft(owner, title="Umbrella stand")
    assert _invite(client, owner, idea, "newcomer@example.com").status_code == 201
    (mail,) = _mails_to("newcomer@example.com")
    assert mail.subject == ("Kyoso：アイデアの共創へのご招待 / "
                            "Kyoso: an invitation to co-create an idea")
    japanese, english = mail.body.split("― ― ―")
    assert "共創に招待しています" in japanese and "“Umbrella stand”" in japanese
    assert "invites this address to co-create the idea “Umbrella stand”" in english
    assert japanese.count("/invitations/") == english.count("/invitations/") == 1
