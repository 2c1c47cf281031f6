"""Issue 17 (items 3, 5, 6, 7): feedback where the member acted, review batch periods and
reviewer notes, tighter similar ideas, clearer comment states."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Comment
from app.services import comments
from app.services import ideas as idea_service
from app.services import review as rs
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def signed_in(client, user) -> str:
    login(client, user)
    return csrf_token(client)


# --- item 3: feedback where the member acted -------------------------------------------------

def test_a_refused_comment_comes_back_beside_its_field_with_the_text(client):
    idea = f.idea()
    token = signed_in(client, f.user())
    too_long = "word " * 1001  # 5005 characters: over the limit
    response = client.post(f"/ideas/{idea.id}/comments", data={"csrf_token": token,
                                                               "body": too_long})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    form = html[html.index('data-testid="comment-form"'):]
    form = form[:form.index("</form>")]
    assert 'data-testid="comment-error"' in form and "aria-invalid" in form
    assert too_long.strip() in form  # the text is kept
    assert db.session.scalar(select(Comment).where(Comment.idea_id == idea.id)) is None


def test_a_refused_reply_opens_its_own_reply_form(client):
    idea = f.idea()
    top = comments.post_comment(f.user(), idea.id, "First!")
    db.session.commit()
    token = signed_in(client, f.user())
    html = client.post(f"/ideas/{idea.id}/comments", data={
        "csrf_token": token, "body": "   ", "parent_id": top.id,
        "reply_to": top.id}).get_data(as_text=True)
    reply = html[html.index(f'id="reply-{top.id}"') - 600:]
    reply = reply[:reply.index("</form>")]
    assert "<details class=\"comment-action\" open>" in reply
    assert 'data-testid="comment-error"' in reply
    new = html[html.index('data-testid="comment-form"'):]
    assert 'data-testid="comment-error"' not in new[:new.index("</form>")]


def test_a_posted_comment_says_so_once_where_the_page_lands(client):
    idea = f.idea()
    token = signed_in(client, f.user())
    response = client.post(f"/ideas/{idea.id}/comments", data={"csrf_token": token,
                                                               "body": "Lovely idea"})
    comment = db.session.scalar(select(Comment).where(Comment.idea_id == idea.id))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#comment-{comment.id}")
    first = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert first.count('data-testid="comment-posted"') == 1
    assert 'data-testid="comment-posted"' not in client.get(f"/ideas/{idea.id}").get_data(
        as_text=True)


def test_a_refused_invitation_keeps_the_address_beside_the_field(client):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    token = signed_in(client, owner)
    response = client.post(f"/ideas/{idea.id}/creators", data={
        "csrf_token": token, "email": "friend@", "share_percent": "20"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    invite = html[html.index('class="invite-form"'):]
    invite = invite[:invite.index("</form>")]
    assert 'value="friend@"' in invite and 'class="error"' in invite
    assert 'value="20"' in invite


def test_an_address_already_invited_is_said_beside_the_field(client):
    owner = f.user()
    idea = f.idea(owner, status="draft")
    idea_service.invite_co_creator(owner, idea.id, "pal@example.com", 1000)
    db.session.commit()
    token = signed_in(client, owner)
    html = client.post(f"/ideas/{idea.id}/creators", data={
        "csrf_token": token, "email": "pal@example.com", "share_percent": "10"}).get_data(
        as_text=True)
    invite = html[html.index('class="invite-form"'):]
    assert "already invited" in invite[:invite.index("</form>")]


def test_unconfirmed_members_are_offered_the_confirmation_not_post_an_idea(client):
    login(client, f.user(confirmed=False))
    for path in ("/", "/me", "/ideas"):
        html = client.get(path).get_data(as_text=True)
        assert 'href="/ideas/new"' not in html, path
        assert "/confirm/resend" in html, path
    login(client, f.user())
    assert 'href="/ideas/new"' in client.get("/").get_data(as_text=True)


def test_sign_up_gives_one_notice(client):
    token = csrf_token(client, "/signup")
    from app.services import policies as policy_service

    in_force = policy_service.current_policies()
    data = {"csrf_token": token, "email": "new@example.com", "password": "a long passphrase 1",
            "display_name": "Newcomer", "accept_terms": "y", "accept_privacy": "y"}
    for kind, policy in in_force.items():
        data[f"{kind}_version"] = policy.version if policy else ""
    response = client.post("/signup", data=data, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "new@example.com" in html
    assert html.count("We sent a confirmation link") + html.count("Please confirm your email") \
        == 1


# --- item 5: review batch periods and reviewer notes -----------------------------------------

def test_a_closed_batch_shows_intake_closed_and_scoring_open(client):
    admin = f.user("admin")
    idea = f.in_review()
    batch = rs.get_batch(rs.active_item(idea.id).batch_id)
    assert batch.scoring_ends_on == batch.closes_on + timedelta(days=14)
    rs.close_batch(admin, batch.id)
    db.session.commit()
    login(client, admin)
    html = client.get(f"/admin/review/batches/{batch.id}").get_data(as_text=True)
    assert "Intake closed, scoring" in html
    intake = html[html.index('data-testid="intake-state"'):]
    assert intake.index("closed on") < intake.index("</dd>")
    scoring = html[html.index('data-testid="scoring-state"'):]
    assert "open until" in scoring[:scoring.index("</dd>")]
    assert ">closed<" not in html.lower()


def _item_with_two_reviewers():
    idea = f.in_review(title="Disputed idea")
    first, second = f.user("reviewer"), f.user("reviewer")
    rs.score_idea(first, idea.id, f.scores(1), f.rationales())
    rs.score_idea(second, idea.id, f.scores(3), f.rationales())
    db.session.commit()
    return idea, rs.active_item(idea.id), first, second


def test_reviewers_discuss_in_notes_beside_calibration(client):
    idea, item, first, second = _item_with_two_reviewers()
    token = signed_in(client, first)
    response = client.post(f"/review/items/{item.id}/notes",
                           data={"csrf_token": token, "body": "Uniqueness: see the 2019 kit."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#notes-{item.id}")
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "review.note_added"))
    login(client, second)
    html = client.get(f"/review/batches/{item.batch_id}/calibration").get_data(as_text=True)
    assert "Uniqueness: see the 2019 kit." in html and first.display_name in html
    login(client, f.user("admin"))
    assert "see the 2019 kit" in client.get(
        f"/review/batches/{item.batch_id}/calibration").get_data(as_text=True)


def test_an_empty_note_is_refused_beside_its_field(client):
    idea, item, first, _second = _item_with_two_reviewers()
    token = signed_in(client, first)
    response = client.post(f"/review/items/{item.id}/notes", data={"csrf_token": token,
                                                                   "body": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    thread = html[html.index(f'id="notes-{item.id}"'):]
    assert 'class="error"' in thread[:thread.index("</form>")]


def test_notes_are_private_to_scoring_reviewers_and_admins(client):
    idea, item, first, _second = _item_with_two_reviewers()
    rs.add_note(first, item.id, "private note")
    db.session.commit()
    for outsider in (f.user("reviewer"), f.user(), idea.owner):
        response = client.get(f"/api/v1/review-items/{item.id}/notes", headers=bearer(outsider))
        assert response.status_code == 403, outsider
    response = client.post(f"/api/v1/review-items/{item.id}/notes", json={"body": "x"},
                           headers=bearer(f.user("reviewer")))
    assert response.status_code == 403
    listed = client.get(f"/api/v1/review-items/{item.id}/notes", headers=bearer(first)).json
    assert [n["body"] for n in listed["items"]] == ["private note"] and listed["total"] == 1


def test_notes_api_adds_and_validates(client):
    idea, item, first, _second = _item_with_two_reviewers()
    admin = f.user("admin")
    created = client.post(f"/api/v1/review-items/{item.id}/notes", json={"body": "Discuss 3 vs 1"},
                          headers=bearer(admin))
    assert created.status_code == 201
    assert created.json["idea_id"] == idea.id and created.json["author"]["id"] == admin.id
    empty = client.post(f"/api/v1/review-items/{item.id}/notes", json={"body": " "},
                        headers=bearer(admin))
    assert empty.status_code == 422 and "body" in empty.json["error"]["fields"]
    assert client.get("/api/v1/review-items/999999/notes",
                      headers=bearer(admin)).status_code == 404


# --- item 6: similar ideas --------------------------------------------------------------------

def test_similar_ideas_leave_out_unrelated_ideas_that_share_a_word_or_a_fragment(db):
    viewer = f.user()
    related = [f.idea(title="Folding umbrella for kids"),
               f.idea(title="Compact umbrellas that fold into a bag"),
               f.idea(title="Umbrella stand for the hallway")]
    unrelated = [f.idea(title="Smart plant pot with a water sensor"),
                 f.idea(title="Kids' lunch bag with a cooler"),
                 f.idea(title="Cupboard organiser for small kitchens"),
                 f.idea(title="Hiccup timer app"),
                 f.idea(title="Foldable laptop stand"),
                 f.idea(title="Rain boots for toddlers"),
                 f.idea(title="Bike seat rain cover")]
    found = {i.title for i in idea_service.similar_ideas(viewer, "Folding umbrella", "", 10)}
    assert {i.title for i in related[:1]} <= found
    assert not found & {i.title for i in unrelated}
    found = {i.title for i in idea_service.similar_ideas(viewer, "Smart water bottle", "", 10)}
    assert "Smart plant pot with a water sensor" in found  # two of its three words
    found = {i.title for i in idea_service.similar_ideas(viewer, "Smart cup", "", 10)}
    assert not found & {"Hiccup timer app", "Cupboard organiser for small kitchens"}


def test_similar_ideas_match_japanese_titles_by_shared_characters(db):
    f.idea(title="子ども用の折りたたみ傘")
    f.idea(title="猫のための自動給水器")
    found = [i.title for i in idea_service.similar_ideas(f.user(), "折りたたみ傘", "", 10)]
    assert found == ["子ども用の折りたたみ傘"]


def test_similar_ideas_never_offer_the_members_own_ideas(db):
    me = f.user()
    f.idea(me, title="Folding umbrella for kids")
    other = f.idea(title="Folding umbrella with a light")
    found = idea_service.similar_ideas(me, "Folding umbrella", "", 10)
    assert [i.id for i in found] == [other.id]


# --- item 7: comments --------------------------------------------------------------------------

def _idea_page(client, idea) -> str:
    return client.get(f"/ideas/{idea.id}").get_data(as_text=True)


def test_removed_and_deleted_comments_each_say_who_once(client):
    idea = f.idea()
    author = f.user()
    removed = comments.post_comment(author, idea.id, "RUDE")
    deleted = comments.post_comment(author, idea.id, "OOPS")
    comments.remove_comment(f.user("moderator"), removed.id, "abuse")
    comments.delete_comment(author, deleted.id)
    db.session.commit()
    html = _idea_page(client, idea)
    assert "RUDE" not in html and "OOPS" not in html
    assert html.count("A moderator removed this comment.") == 1
    assert html.count("The author deleted this comment.") == 1
    assert "[deleted]" not in html
    api = client.get(f"/api/v1/ideas/{idea.id}/comments").json["items"]
    assert [c["removed_by_moderator"] for c in api] == [True, False]


def test_creators_comments_are_badged(client):
    owner = f.user(name="Ayumi")
    idea = f.idea(owner)
    comments.post_comment(owner, idea.id, "Thanks all")
    comments.post_comment(f.user(), idea.id, "Nice")
    db.session.commit()
    html = _idea_page(client, idea)
    assert html.count('data-testid="creator-badge"') == 1
    badge = html.index('data-testid="creator-badge"')
    assert html.rfind("Ayumi", 0, badge) > html.rfind('data-testid="comment"', 0, badge)


def test_a_comment_already_reported_shows_reported(client):
    idea = f.idea()
    first = comments.post_comment(f.user(), idea.id, "one")
    comments.post_comment(f.user(), idea.id, "two")
    reporter = f.user()
    comments.report_comment(reporter, first.id, "spam")
    db.session.commit()
    login(client, reporter)
    html = _idea_page(client, idea)
    assert html.count('data-testid="reported"') == 1
    assert html.count(">Report<") == 1  # the other comment still offers it


def test_history_of_a_removed_comment_says_a_moderator_removed_it(client):
    idea = f.idea()
    comment = comments.post_comment(f.user(), idea.id, "RUDE")
    moderator = f.user("moderator")
    comments.remove_comment(moderator, comment.id, "abuse")
    db.session.commit()
    login(client, moderator)
    html = client.get(f"/comments/{comment.id}/history").get_data(as_text=True)
    assert "A moderator removed this comment." in html


# --- item 7: reporting ideas and members ---------------------------------------------------------

def test_members_report_an_idea_once_and_then_see_reported(client):
    idea = f.idea()
    member = f.user()
    token = signed_in(client, member)
    assert 'data-testid="report-idea"' in _idea_page(client, idea)
    response = client.post(f"/ideas/{idea.id}/report", data={"csrf_token": token,
                                                            "reason": "copied"})
    assert response.status_code == 302
    page = _idea_page(client, idea)
    box = page[page.index('data-testid="report-idea"'):]
    assert 'data-testid="reported"' in box[:box.index("</div>")]
    again = client.post(f"/api/v1/ideas/{idea.id}/reports", json={}, headers=bearer(member))
    assert again.status_code == 409 and again.json["error"]["code"] == "already_reported"
    own = client.post(f"/api/v1/ideas/{idea.id}/reports", json={}, headers=bearer(idea.owner))
    assert own.status_code == 403


def test_an_idea_reported_by_enough_members_is_hidden_until_a_moderator_decides(client):
    idea = f.idea(title="Counterfeit kit")
    for _ in range(3):
        assert client.post(f"/api/v1/ideas/{idea.id}/reports", json={"reason": "fake"},
                           headers=bearer(f.established())).status_code == 201
    db.session.refresh(idea)
    assert idea.hidden
    moderator = f.user("moderator")
    token = signed_in(client, moderator)
    html = client.get("/moderation/reports").get_data(as_text=True)
    assert 'data-testid="reported-idea"' in html and "Counterfeit kit" in html
    client.post(f"/moderation/reported/idea/{idea.id}/restore", data={"csrf_token": token})
    db.session.refresh(idea)
    assert not idea.hidden
    assert "Counterfeit kit" not in client.get("/moderation/reports").get_data(as_text=True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "idea.reports_dismissed"))


def test_a_moderator_never_decides_reports_on_their_own_idea(client):
    moderator = f.user("moderator")
    idea = f.idea(moderator)
    client.post(f"/api/v1/ideas/{idea.id}/reports", json={}, headers=bearer(f.user()))
    response = client.post(f"/api/v1/moderation/reports/ideas/{idea.id}",
                           json={"decision": "remove", "reason": "mine"}, headers=bearer(moderator))
    assert response.status_code == 403


def test_members_report_a_member_and_a_moderator_blocks_them(client):
    troll, member = f.user(name="Troll"), f.user()
    token = signed_in(client, member)
    profile = client.get(f"/users/{troll.id}").get_data(as_text=True)
    assert 'data-testid="report-member"' in profile
    client.post(f"/users/{troll.id}/report", data={"csrf_token": token, "reason": "abuse"})
    assert 'data-testid="reported"' in client.get(f"/users/{troll.id}").get_data(as_text=True)
    assert 'data-testid="report-member"' not in client.get(f"/users/{member.id}").get_data(
        as_text=True)  # not oneself
    assert client.post(f"/api/v1/users/{member.id}/reports", json={},
                       headers=bearer(member)).status_code == 403
    moderator = f.user("moderator")
    login(client, moderator)
    html = client.get("/moderation/reports").get_data(as_text=True)
    assert 'data-testid="reported-user"' in html and "Troll" in html
    refused = client.post(f"/api/v1/moderation/reports/users/{troll.id}",
                          json={"decision": "remove"}, headers=bearer(moderator))
    assert refused.status_code == 422  # a reason is required to uphold
    done = client.post(f"/api/v1/moderation/reports/users/{troll.id}",
                       json={"decision": "remove", "reason": "abuse in comments"},
                       headers=bearer(moderator))
    assert done.status_code == 200 and done.json["blocked"] is True


def test_a_moderator_never_decides_reports_about_themselves(client):
    moderator = f.user("moderator")
    client.post(f"/api/v1/users/{moderator.id}/reports", json={}, headers=bearer(f.user()))
    response = client.post(f"/api/v1/moderation/reports/users/{moderator.id}",
                           json={"decision": "restore"}, headers=bearer(moderator))
    assert response.status_code == 403
