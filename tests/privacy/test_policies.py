"""Versioned member terms and privacy policy (issue 13): published by admins with the SHA-256 of
each text, public pages in the reader's language, acceptance at sign-up (HTML and API),
re-acceptance after a new version (interstitial page; API 403 terms_not_accepted), and the
first-run checklist while nothing is published."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.errors import Forbidden, Invalid
from app.extensions import db
from app.models import AuditLog, Policy, PolicyAcceptance, Support, User
from app.services import policies
from tests import factories as f
from tests.helpers import bearer, csrf_token, login

PASSWORD = "river stones 42"
SIGN_UP = {"email": "new.member@example.com", "password": PASSWORD, "display_name": "New Member"}


def _publish(kind="terms", version="1", en=None, ja=None):
    policy = policies.publish(None, kind, version, en or f"# {kind} {version}\n\nEnglish text.",
                              ja or f"# {kind} {version}\n\n日本語の本文。")
    db.session.commit()
    return policy


def _both(version="1"):
    return _publish("terms", version), _publish("privacy", version)


def _acceptances(user_id):
    return db.session.scalars(select(PolicyAcceptance).where(PolicyAcceptance.user_id == user_id)
                              .order_by(PolicyAcceptance.id)).all()


# --------------------------------------------------------------------------- publishing


def test_publishing_keeps_the_digest_of_each_text_and_is_audited(db):
    admin = f.user("admin")
    policy = policies.publish(admin, "privacy", "2026-01", "Hello\r\nworld", "こんにちは")
    db.session.commit()
    assert policy.text_en == "Hello\nworld\n"
    assert policy.sha256_en == policies.sha256_text("Hello\nworld\n")
    assert policy.sha256_ja == policies.sha256_text("こんにちは\n")
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.actor_id == admin.id)) \
        == "policy.privacy.published"
    assert policies.current("privacy").id == policy.id and policies.current("terms") is None


@pytest.mark.parametrize("kind, version, en, ja, field", [
    ("terms", "", "en", "ja", "version"),
    ("terms", "bad version!", "en", "ja", "version"),
    ("terms", "1", "  ", "ja", "text_en"),
    ("terms", "1", "en", "", "text_ja"),
    ("cookies", "1", "en", "ja", "kind"),
])
def test_publishing_refuses_bad_input(db, kind, version, en, ja, field):
    with pytest.raises(Invalid) as refused:
        policies.publish(None, kind, version, en, ja)
    assert field in refused.value.fields


def test_a_version_is_never_reused_and_only_admins_publish(db):
    _publish("terms", "1")
    with pytest.raises(Invalid) as refused:
        policies.publish(None, "terms", "1", "other", "other")
    assert refused.value.code == "version_taken"
    _publish("privacy", "1")  # the same version string of the other kind is fine
    with pytest.raises(Forbidden):
        policies.publish(f.user("moderator"), "terms", "2", "en", "ja")


def test_admin_page_publishes_and_others_are_refused(client):
    admin = f.user("admin")
    login(client, admin)
    page = client.get("/admin/policies?kind=privacy").get_data(as_text=True)
    assert "Supports of an idea that is still gathering support are withdrawn" in page  # default
    token = csrf_token(client, "/admin/policies")
    response = client.post("/admin/policies", data={
        "csrf_token": token, "kind": "privacy", "version": "1", "text_en": "# Privacy\n\nText.",
        "text_ja": "# プライバシー\n\n本文。"})
    assert response.status_code == 302
    assert policies.current("privacy").version == "1"
    moderator = f.user("moderator")
    moderator.privacy_version = "1"
    db.session.commit()
    login(client, moderator)
    assert client.get("/admin/policies").status_code == 403


def test_cli_publishes_from_files(app, tmp_path):
    (tmp_path / "en.md").write_text("# Terms\n", encoding="utf-8")
    (tmp_path / "ja.md").write_text("# 規約\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["policies", "publish", "--kind", "terms",
                                                "--version", "3", "--en", str(tmp_path / "en.md"),
                                                "--ja", str(tmp_path / "ja.md")])
    assert result.exit_code == 0, result.output
    assert policies.sha256_text("# Terms\n") in result.output
    again = app.test_cli_runner().invoke(args=["policies", "publish", "--kind", "terms",
                                               "--version", "3", "--en", str(tmp_path / "en.md"),
                                               "--ja", str(tmp_path / "ja.md")])
    assert again.exit_code != 0 and "already exists" in again.output


# --------------------------------------------------------------------------- public pages, API


def test_public_pages_in_the_readers_language(client):
    _publish("terms", "1", en="# Terms\n\nBe kind.", ja="# 規約\n\n親切に。")
    english = client.get("/terms").get_data(as_text=True)
    assert "Be kind." in english and policies.sha256_text("# Terms\n\nBe kind.\n") in english
    japanese = client.get("/terms", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "親切に。" in japanese and "Be kind." not in japanese
    assert policies.sha256_text("# 規約\n\n親切に。\n") in japanese
    assert client.get("/privacy").status_code == 404  # none published yet
    text = client.get("/terms/versions/1/ja.md")
    assert text.get_data(as_text=True) == "# 規約\n\n親切に。\n"
    assert client.get("/terms/versions/9").status_code == 404


def test_an_earlier_version_says_so(client):
    _publish("terms", "1")
    _publish("terms", "2")
    page = client.get("/terms/versions/1").get_data(as_text=True)
    assert "This is an earlier version" in page


def test_api_current_policies(client):
    assert client.get("/api/v1/policies/current").get_json() == {"terms": None, "privacy": None}
    terms, _privacy = _both()
    body = client.get("/api/v1/policies/current", headers={"Accept-Language": "ja"}).get_json()
    assert body["terms"]["version"] == "1" and body["terms"]["sha256"] == terms.sha256_ja
    assert body["terms"]["text"] == terms.text_ja
    assert policies.sha256_text(body["privacy"]["text"]) == body["privacy"]["sha256"]


# --------------------------------------------------------------------------- sign-up


def test_sign_up_works_without_acceptance_while_nothing_is_published(client):
    assert client.post("/api/v1/users", json=SIGN_UP).status_code == 201
    page = client.get("/signup").get_data(as_text=True)
    assert 'name="accept_terms"' not in page


def test_api_sign_up_needs_the_versions_in_force(client):
    _both("2")
    refused = client.post("/api/v1/users", json=SIGN_UP)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "terms_not_accepted"
    assert set(error["fields"]) == {"accept.terms", "accept.privacy"}
    stale = client.post("/api/v1/users", json={**SIGN_UP, "accept": {"terms": "1", "privacy": "2"}})
    assert stale.status_code == 422 and set(stale.get_json()["error"]["fields"]) == {"accept.terms"}
    assert client.post("/api/v1/users", json={**SIGN_UP, "accept": "yes"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    created = client.post("/api/v1/users", json={**SIGN_UP, "accept": {"terms": "2", "privacy": "2"}},
                          headers={"User-Agent": "ApiSignup/1", "Accept-Language": "ja"})
    assert created.status_code == 201
    member = db.session.get(User, created.get_json()["id"])
    assert (member.terms_version, member.privacy_version) == ("2", "2")
    rows = _acceptances(member.id)
    assert [(r.kind, r.version, r.locale, r.user_agent, r.ip_address) for r in rows] == [
        ("terms", "2", "ja", "ApiSignup/1", "127.0.0.1"),
        ("privacy", "2", "ja", "ApiSignup/1", "127.0.0.1")]
    assert rows[0].sha256 == policies.current("terms").sha256_ja


def test_api_sign_up_with_other_bad_fields_lists_every_problem(client):
    _both()
    refused = client.post("/api/v1/users", json={**SIGN_UP, "password": "short"})
    assert refused.status_code == 422
    assert {"password", "accept.terms", "accept.privacy"} <= set(refused.get_json()["error"]["fields"])


def test_html_sign_up_requires_ticking_both(client):
    _both()
    page = client.get("/signup").get_data(as_text=True)
    assert 'name="accept_terms"' in page and 'name="accept_privacy"' in page
    assert 'href="/terms"' in page and 'href="/privacy"' in page
    token = csrf_token(client, "/signup")
    data = {"csrf_token": token, **SIGN_UP, "terms_version": "1", "privacy_version": "1"}
    refused = client.post("/signup", data={**data, "accept_terms": "y"})
    assert refused.status_code == 422
    assert "Please accept the privacy policy" in refused.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == SIGN_UP["email"])) is None
    done = client.post("/signup", data={**data, "accept_terms": "y", "accept_privacy": "y"})
    assert done.status_code == 302
    member = db.session.scalar(select(User).where(User.email == SIGN_UP["email"]))
    assert {r.kind for r in _acceptances(member.id)} == {"terms", "privacy"}


def test_html_sign_up_with_a_version_published_meanwhile_asks_again(client):
    _both()
    token = csrf_token(client, "/signup")
    _publish("terms", "2")  # published while the form was open
    refused = client.post("/signup", data={"csrf_token": token, **SIGN_UP, "terms_version": "1",
                                           "privacy_version": "1", "accept_terms": "y",
                                           "accept_privacy": "y"})
    assert refused.status_code == 422
    assert 'name="terms_version" type="hidden" value="2"' in refused.get_data(as_text=True)


# --------------------------------------------------------------------------- re-acceptance


def test_a_new_version_sends_members_to_the_interstitial_until_they_accept(client):
    _both()
    member = f.user()
    member.terms_version = member.privacy_version = "1"
    db.session.commit()
    login(client, member)
    assert client.get("/me").status_code == 200
    _publish("terms", "2")
    asked = client.get("/me?tab=x")
    assert asked.status_code == 303
    assert asked.headers["Location"].startswith("/policies/accept?next=")
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "terms 2" in page and 'name="accept_terms"' in page and 'name="accept_privacy"' not in page
    assert client.get("/terms").status_code == 200  # the documents stay readable
    token = csrf_token(client, "/policies/accept")
    refused = client.post("/policies/accept", data={"csrf_token": token, "terms_version": "2"})
    assert refused.status_code == 422
    done = client.post("/policies/accept", data={"csrf_token": token, "terms_version": "2",
                                                 "accept_terms": "y", "next": "/me?tab=x"})
    assert done.status_code == 302 and done.headers["Location"] == "/me?tab=x"
    assert client.get("/me").status_code == 200
    assert [(r.kind, r.version) for r in _acceptances(member.id)] == [("terms", "2")]


def test_the_interstitial_refuses_a_stale_version_and_a_missing_csrf_token(client):
    _both()
    member = f.user()
    login(client, member)
    token = csrf_token(client, "/policies/accept")
    stale = client.post("/policies/accept", data={
        "csrf_token": token, "terms_version": "0", "accept_terms": "y",
        "privacy_version": "1", "accept_privacy": "y"})
    assert stale.status_code == 422
    no_csrf = client.post("/policies/accept", data={
        "terms_version": "1", "accept_terms": "y", "privacy_version": "1", "accept_privacy": "y"})
    assert no_csrf.status_code in (400, 422)
    assert _acceptances(member.id) == []


def test_api_tokens_can_only_read_and_accept_until_they_accept(client):
    _both()
    member = f.user()
    headers = bearer(member)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    refused = client.patch("/api/v1/me", json={"bio": "hello"}, headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "terms_not_accepted"
    stale = client.post("/api/v1/me/acceptances", json={"terms": "9"}, headers=headers)
    assert stale.status_code == 422
    partly = client.post("/api/v1/me/acceptances", json={"terms": "1"}, headers=headers)
    assert partly.status_code == 201 and partly.get_json()["pending"] == ["privacy"]
    assert client.patch("/api/v1/me", json={"bio": "hello"}, headers=headers).status_code == 403
    done = client.post("/api/v1/me/acceptances", json={"privacy": "1"}, headers=headers)
    assert done.status_code == 201 and done.get_json()["pending"] == []
    assert {a["kind"] for a in done.get_json()["acceptances"]} == {"terms", "privacy"}
    assert client.patch("/api/v1/me", json={"bio": "hello"}, headers=headers).status_code == 200


def test_accepting_needs_a_caller_and_something_to_accept(client):
    _both()
    assert client.post("/api/v1/me/acceptances", json={"terms": "1"}).status_code == 401
    headers = bearer(f.user())
    assert client.post("/api/v1/me/acceptances", json={}, headers=headers).status_code == 422
    assert client.post("/api/v1/me/acceptances", json={"cookies": "1"},
                       headers=headers).status_code == 422


def test_accepting_twice_records_once(client):
    _both()
    member = f.user()
    headers = bearer(member)
    for _ in range(2):
        assert client.post("/api/v1/me/acceptances", json={"terms": "1", "privacy": "1"},
                           headers=headers).status_code == 201
    assert len(_acceptances(member.id)) == 2


def test_members_who_accepted_and_visitors_are_not_asked(client):
    _both()
    member = f.user()
    member.terms_version = member.privacy_version = "1"
    db.session.commit()
    assert client.get("/").status_code == 200
    login(client, member)
    assert client.get("/").status_code == 200
    assert client.patch("/api/v1/me", json={"bio": "x"}, headers=bearer(member)).status_code == 200


# --------------------------------------------------------------------------- checklist


def test_first_run_checklist_says_until_both_are_published(client):
    admin = f.user("admin")
    login(client, admin)
    assert "Publish the member terms and the privacy policy" in client.get("/admin").get_data(as_text=True)
    _publish("terms")
    admin.terms_version = "1"
    db.session.commit()
    assert "Publish the member terms and the privacy policy" in client.get("/admin").get_data(as_text=True)
    _publish("privacy")
    admin.privacy_version = "1"
    db.session.commit()
    assert "Publish the member terms and the privacy policy" not in client.get("/admin").get_data(
        as_text=True)


def test_published_versions_are_one_row_each(db):
    _both()
    assert db.session.scalar(select(func.count()).select_from(Policy)) == 2


def test_a_member_from_before_the_first_publication_is_asked_on_every_write(client):
    member = f.user()  # signed up while nothing was published: accepted nothing
    idea = f.idea(title="Folding lamp")
    headers = bearer(member)
    assert client.post(f"/api/v1/ideas/{idea.id}/supports", json={},
                       headers=headers).status_code == 201
    assert client.delete(f"/api/v1/ideas/{idea.id}/supports",
                         headers=headers).status_code in (200, 204)
    _both()
    for method, path, body in (("post", f"/api/v1/ideas/{idea.id}/supports", {}),
                               ("post", f"/api/v1/ideas/{idea.id}/comments", {"body": "Hi"}),
                               ("post", "/api/v1/ideas", {"title": "Mine"}),
                               ("patch", "/api/v1/me", {"marketing_mail": True})):
        refused = getattr(client, method)(path, json=body, headers=headers)
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["code"] == "terms_not_accepted", path
    assert client.get(f"/api/v1/ideas/{idea.id}", headers=headers).status_code == 200
    login(client, member)
    asked = client.get(f"/ideas/{idea.id}")
    assert asked.status_code == 303 and asked.headers["Location"].startswith("/policies/accept")
    posted = client.post(f"/ideas/{idea.id}/support", data={"csrf_token": csrf_token(
        client, "/policies/accept")})
    assert posted.status_code == 303  # a form posted elsewhere is sent to the interstitial too
    assert db.session.scalar(select(func.count()).select_from(Support).where(
        Support.user_id == member.id)) == 0


def test_the_versions_in_force_are_kept_and_a_new_version_counts_at_once(client, count_queries):
    """Read once and kept (app.cache): pages and API writes ask the database no more; a commit
    that publishes a version drops the kept one, and the publishing session sees its own."""
    _both("1")
    member = f.user()
    policies.accept(member, {"terms": "1", "privacy": "1"})
    db.session.commit()
    assert policies.current_versions() == {"terms": "1", "privacy": "1"}
    with count_queries() as queries:
        assert policies.current_versions() == {"terms": "1", "privacy": "1"}
    assert not [s for s in queries.statements if "FROM policies" in s]
    policies.publish(None, "terms", "2", "# Terms 2\n\nNew.", "# 規約 2\n\n新しい。")
    assert policies.current_versions()["terms"] == "2"  # before the commit, in this session
    db.session.commit()
    assert policies.current_versions()["terms"] == "2"
    # The member is asked for the new version at once, on the API as on the pages.
    answer = client.post(f"/api/v1/ideas/{f.idea().id}/supports", json={}, headers=bearer(member))
    assert answer.status_code == 403 and answer.json["error"]["code"] == "terms_not_accepted"
