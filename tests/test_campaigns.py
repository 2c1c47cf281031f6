"""Campaigns and staff picks: opening a campaign, entering ideas, the campaign page and its
entries, the shortlist vote (once, only while open, results hidden until it closes), winners
announced to entrants and voters, staff picks (once, badge, shelf, creators told)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import (AuditLog, Campaign, CampaignEntry, CampaignVote, Idea, Notification,
                        StaffPick)
from app.models.base import utcnow
from app.services import campaigns as service
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _day(offset: int = 0) -> str:
    return (utcnow().date() + timedelta(days=offset)).isoformat()


@pytest.fixture
def manager(app):
    return f.user("community_manager", name="Cam Manager")


def _campaign(client, manager, **fields) -> dict:
    body = {"title": "Rainy days", "brief": "Ideas for **rainy** days.", "starts_on": _day(-1),
            "ends_on": _day(10), **fields}
    response = client.post("/api/v1/campaigns", headers=bearer(manager), json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _entry(campaign_id: int, owner=None, status="published") -> Idea:
    """An idea entered into the campaign (as create_draft does), in the given status."""
    idea = f.idea(owner, status=status, campaign_id=campaign_id)
    f.db.session.add(CampaignEntry(idea_id=idea.id, campaign_id=campaign_id, answers={}))
    f.db.session.commit()
    return idea


# --- opening a campaign ---------------------------------------------------------------------

def test_community_staff_open_a_campaign_with_a_rendered_brief_and_questions(client, manager, db):
    body = _campaign(client, manager, title_ja="雨の日", brief_ja="**雨**の日のアイデア",
                     category="home", prize="A free copy", questions=[
                         {"key": "age", "label": "Who is it for?", "label_ja": "誰のため？"}])
    assert body["state"] == "open" and body["category"] == "home"
    assert "<strong>rainy</strong>" in body["brief_html"]
    assert "<strong>雨</strong>" in body["brief_ja_html"]
    assert body["questions"] == [{"key": "age", "label": "Who is it for?", "label_ja": "誰のため？"}]
    listed = client.get("/api/v1/campaigns?state=open").get_json()
    assert [c["id"] for c in listed["items"]] == [body["id"]] and listed["total"] == 1
    assert client.get("/api/v1/campaigns?state=closed").get_json()["total"] == 0
    one = client.get(f"/api/v1/campaigns/{body['id']}").get_json()
    assert one["title_ja"] == "雨の日" and one["shortlist"] == [] and one["entry_count"] == 0
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "campaign.create"))
    assert audit.actor_id == manager.id and audit.target_id == body["id"]


def test_members_and_other_staff_cannot_open_a_campaign(client):
    for who in (f.user(), f.user("moderator")):
        response = client.post("/api/v1/campaigns", headers=bearer(who), json={
            "title": "T", "brief": "B", "starts_on": _day(), "ends_on": _day(1)})
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "community_staff_only"


def test_a_campaign_cannot_end_before_it_starts(client, manager):
    response = client.post("/api/v1/campaigns", headers=bearer(manager), json={
        "title": "T", "brief": "B", "starts_on": _day(3), "ends_on": _day(1)})
    assert response.status_code == 422
    assert "ends_on" in response.get_json()["error"]["fields"]


# --- entering ideas -------------------------------------------------------------------------

def test_a_member_enters_an_idea_into_an_open_campaign_with_answers(client, manager, db):
    campaign = _campaign(client, manager, questions=[{"key": "who", "label": "Who?"}])
    member = f.user()
    response = client.post("/api/v1/ideas", headers=bearer(member), json={
        "title": "Umbrella drier", "campaign_id": campaign["id"],
        "campaign_answers": {"who": "Commuters", "other": "ignored"}})
    assert response.status_code == 201, response.get_data(as_text=True)
    idea = response.get_json()
    assert idea["campaign_id"] == campaign["id"] and idea["status"] == "draft"
    entry = db.session.get(CampaignEntry, idea["id"])
    assert entry.campaign_id == campaign["id"] and entry.answers == {"who": "Commuters"}


@pytest.mark.parametrize("starts, ends", [(-10, -1), (2, 5)])
def test_an_idea_cannot_enter_a_closed_or_upcoming_campaign(client, manager, db, starts, ends):
    campaign = _campaign(client, manager, starts_on=_day(starts), ends_on=_day(ends))
    response = client.post("/api/v1/ideas", headers=bearer(f.user()), json={
        "title": "Late idea", "campaign_id": campaign["id"]})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "campaign_closed"
    assert db.session.scalar(select(func.count()).select_from(Idea)
                             .where(Idea.title == "Late idea")) == 0


def test_an_idea_for_no_such_campaign_is_404(client):
    response = client.post("/api/v1/ideas", headers=bearer(f.user()), json={
        "title": "Lost", "campaign_id": 999})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "campaign_not_found"


def test_the_html_form_offers_open_campaigns_and_enters_the_idea(client, manager, db):
    campaign = _campaign(client, manager, questions=[{"key": "who", "label": "Who is it for?"}])
    closed = _campaign(client, manager, title="Old call", starts_on=_day(-9), ends_on=_day(-2))
    member = f.user()
    login(client, member)
    page = client.get(f"/campaigns/{campaign['id']}").get_data(as_text=True)
    assert f'/ideas/new?campaign_id={campaign["id"]}' in page and "Enter an idea" in page
    assert "Enter an idea" not in client.get(f"/campaigns/{closed['id']}").get_data(as_text=True)
    form = client.get(f"/ideas/new?campaign_id={campaign['id']}").get_data(as_text=True)
    assert f'<option value="{campaign["id"]}" selected>' in form and "Old call" not in form
    assert "Who is it for?" in form
    response = client.post("/ideas/new", data={
        "csrf_token": csrf_token(client, "/ideas/new"), "title": "Rain boots rack",
        "campaign_id": str(campaign["id"]), f"answer_{campaign['id']}_who": "Families"})
    assert response.status_code == 302
    idea = db.session.scalar(select(Idea).where(Idea.title == "Rain boots rack"))
    assert idea.campaign_id == campaign["id"]
    assert db.session.get(CampaignEntry, idea.id).answers == {"who": "Families"}


def test_the_campaign_page_lists_only_published_entries_with_sorts(client, manager):
    campaign = _campaign(client, manager)
    shown = _entry(campaign["id"])
    draft = _entry(campaign["id"], status="draft")
    elsewhere = f.idea(title="Not in the campaign")
    for sort in ("", "?sort=newest", "?sort=supported"):
        page = client.get(f"/campaigns/{campaign['id']}{sort}").get_data(as_text=True)
        assert shown.title in page and draft.title not in page and elsewhere.title not in page
    api = client.get(f"/api/v1/ideas?campaign_id={campaign['id']}").get_json()
    assert [item["id"] for item in api["items"]] == [shown.id]


def test_the_campaign_page_costs_the_same_queries_for_3_or_30_entries(client, manager,
                                                                       count_queries):
    campaign = _campaign(client, manager)

    def queries() -> int:
        client.get(f"/campaigns/{campaign['id']}")
        with count_queries() as counted:
            assert client.get(f"/campaigns/{campaign['id']}").status_code == 200
        return counted.count

    for _ in range(3):
        _entry(campaign["id"])
    few = queries()
    for _ in range(27):
        _entry(campaign["id"])
    assert queries() == few


# --- shortlist and community vote -----------------------------------------------------------

def _vote_ready(client, manager, n=2):
    campaign = _campaign(client, manager)
    entries = [_entry(campaign["id"]) for _ in range(n)]
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/shortlist",
                           headers=bearer(manager), json={"idea_ids": [e.id for e in entries]})
    assert response.status_code == 200, response.get_data(as_text=True)
    return campaign, entries


def _open(client, manager, campaign, hours=2):
    closes = (utcnow() + timedelta(hours=hours)).isoformat()
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/vote/open",
                           headers=bearer(manager), json={"closes_at": closes})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_members_vote_once_and_results_stay_hidden_until_the_vote_closes(client, manager, db):
    campaign, (first, second) = _vote_ready(client, manager)
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "campaign_shortlisted")) == 2
    voter, other = f.user(), f.user()
    early = client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(voter),
                        json={"idea_id": first.id})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "vote_closed"
    assert _open(client, manager, campaign)["vote"]["state"] == "open"
    cast = client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(voter),
                       json={"idea_id": first.id})
    assert cast.status_code == 201
    again = client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(voter),
                        json={"idea_id": second.id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_voted"
    assert client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(other),
                       json={"idea_id": first.id}).status_code == 201
    hidden = client.get(f"/api/v1/campaigns/{campaign['id']}", headers=bearer(voter)).get_json()
    assert [s["votes"] for s in hidden["shortlist"]] == [None, None]
    assert hidden["my_vote"] == first.id
    page = client.get(f"/campaigns/{campaign['id']}").get_data(as_text=True)
    assert "2 votes" not in page
    closed = client.post(f"/api/v1/campaigns/{campaign['id']}/vote/close",
                         headers=bearer(manager))
    assert closed.status_code == 200 and closed.get_json()["vote"]["state"] == "closed"
    results = client.get(f"/api/v1/campaigns/{campaign['id']}").get_json()["shortlist"]
    assert {s["idea_id"]: s["votes"] for s in results} == {first.id: 2, second.id: 0}
    assert "2 votes" in client.get(f"/campaigns/{campaign['id']}").get_data(as_text=True)
    late = client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(f.user()),
                       json={"idea_id": second.id})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "vote_closed"
    assert db.session.scalar(select(func.count()).select_from(CampaignVote)) == 2


def test_a_vote_whose_time_passed_is_closed(client, manager, db):
    campaign, (first, _second) = _vote_ready(client, manager)
    _open(client, manager, campaign)
    row = db.session.get(Campaign, campaign["id"])
    row.vote_closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(f.user()),
                           json={"idea_id": first.id})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "vote_closed"


def test_votes_only_for_shortlisted_entries_and_never_ones_own(client, manager):
    campaign, (first, _second) = _vote_ready(client, manager)
    outsider = _entry(campaign["id"])
    _open(client, manager, campaign)
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(f.user()),
                           json={"idea_id": outsider.id})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_shortlisted"
    own = client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(first.owner),
                      json={"idea_id": first.id})
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "own_idea"
    unconfirmed = f.user(confirmed=False)
    response = client.post(f"/api/v1/campaigns/{campaign['id']}/votes",
                           headers=bearer(unconfirmed), json={"idea_id": first.id})
    assert response.status_code == 403


def test_the_shortlist_is_fixed_once_the_vote_opens_and_needs_published_entries(client, manager):
    campaign = _campaign(client, manager)
    draft = _entry(campaign["id"], status="draft")
    other = f.idea()
    for ids in ([draft.id], [other.id]):
        response = client.post(f"/api/v1/campaigns/{campaign['id']}/shortlist",
                               headers=bearer(manager), json={"idea_ids": ids})
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "not_an_entry"
    no_vote = client.post(f"/api/v1/campaigns/{campaign['id']}/vote/open",
                          headers=bearer(manager),
                          json={"closes_at": (utcnow() + timedelta(hours=1)).isoformat()})
    assert no_vote.status_code == 409 and no_vote.get_json()["error"]["code"] == "no_shortlist"
    entry = _entry(campaign["id"])
    client.post(f"/api/v1/campaigns/{campaign['id']}/shortlist", headers=bearer(manager),
                json={"idea_ids": [entry.id]})
    _open(client, manager, campaign)
    later = client.post(f"/api/v1/campaigns/{campaign['id']}/shortlist",
                        headers=bearer(manager), json={"idea_ids": [entry.id]})
    assert later.status_code == 409 and later.get_json()["error"]["code"] == "vote_started"
    past = client.post(f"/api/v1/campaigns/{campaign['id']}/vote/open", headers=bearer(manager),
                       json={"closes_at": (utcnow() + timedelta(hours=1)).isoformat()})
    assert past.status_code == 409


def test_members_cannot_run_the_vote(client, manager):
    campaign, entries = _vote_ready(client, manager)
    member = f.user()
    for path, body in (("shortlist", {"idea_ids": [entries[0].id]}),
                       ("vote/open", {"closes_at": (utcnow() + timedelta(hours=1)).isoformat()}),
                       ("winners", {"idea_ids": [entries[0].id]})):
        response = client.post(f"/api/v1/campaigns/{campaign['id']}/{path}",
                               headers=bearer(member), json=body)
        assert response.status_code == 403, path


# --- winners --------------------------------------------------------------------------------

def test_winners_are_announced_once_to_entrants_and_voters(client, manager, db):
    campaign, (first, second) = _vote_ready(client, manager)
    _open(client, manager, campaign)
    voters = [f.user() for _ in range(3)]
    for voter in voters:
        client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(voter),
                    json={"idea_id": first.id})
    too_soon = client.post(f"/api/v1/campaigns/{campaign['id']}/winners",
                           headers=bearer(manager), json={"idea_ids": [first.id]})
    assert too_soon.status_code == 409 and too_soon.get_json()["error"]["code"] == "vote_open"
    client.post(f"/api/v1/campaigns/{campaign['id']}/vote/close", headers=bearer(manager))
    picked = client.post(f"/api/v1/campaigns/{campaign['id']}/winners", headers=bearer(manager),
                         json={"idea_ids": [first.id, second.id]})
    assert picked.status_code == 200
    assert [(w["idea_id"], w["position"]) for w in picked.get_json()["winners"]] == \
        [(first.id, 1), (second.id, 2)]
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "campaign_winners")))
    assert told == {first.owner_id, second.owner_id, *(v.id for v in voters)}
    twice = client.post(f"/api/v1/campaigns/{campaign['id']}/winners", headers=bearer(manager),
                        json={"idea_ids": [second.id]})
    assert twice.status_code == 409
    assert twice.get_json()["error"]["code"] == "winners_announced"
    # the job running again tells nobody twice
    service.announce_winners(campaign["id"])
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "campaign_winners")) == len(told)
    assert db.session.scalar(select(AuditLog.action).where(
        AuditLog.action == "campaign.winners")) == "campaign.winners"
    page = client.get(f"/campaigns/{campaign['id']}").get_data(as_text=True)
    assert 'data-testid="winners"' in page and first.title in page


def test_the_announcement_goes_out_in_batches_from_a_cursor(client, manager, db):
    campaign, (first, _second) = _vote_ready(client, manager)
    _open(client, manager, campaign)
    for _ in range(5):
        client.post(f"/api/v1/campaigns/{campaign['id']}/votes", headers=bearer(f.user()),
                    json={"idea_id": first.id})
    client.post(f"/api/v1/campaigns/{campaign['id']}/vote/close", headers=bearer(manager))
    row = db.session.get(Campaign, campaign["id"])
    row.winners_announced_at = utcnow()  # as pick_winners does, without its job
    db.session.commit()
    assert service.announce_batch(campaign["id"], batch_size=3) == 3
    db.session.commit()
    assert service.announce_batch(campaign["id"], batch_size=3) == 3
    db.session.commit()
    assert service.announce_batch(campaign["id"], batch_size=3) == 1  # 5 voters + 2 entrants
    db.session.commit()
    assert service.announce_batch(campaign["id"], batch_size=3) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.kind == "campaign_winners")) == 7


# --- staff picks ----------------------------------------------------------------------------

def test_staff_pick_an_idea_once_and_its_creators_are_told(client, manager, db):
    idea = f.idea(title="Quiet stroller")
    response = client.post(f"/api/v1/ideas/{idea.id}/staff-pick", headers=bearer(manager),
                           json={"reason": "Thoughtful insight"})
    assert response.status_code == 201
    assert response.get_json()["reason"] == "Thoughtful insight"
    again = client.post(f"/api/v1/ideas/{idea.id}/staff-pick", headers=bearer(f.user("admin")),
                        json={"reason": "Again"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_picked"
    assert db.session.scalar(select(func.count()).select_from(StaffPick)) == 1
    note = db.session.scalar(select(Notification).where(Notification.kind == "staff_pick"))
    assert note.user_id == idea.owner_id and note.params["reason"] == "Thoughtful insight"
    assert db.session.scalar(select(AuditLog.actor_id).where(
        AuditLog.action == "idea.staff_pick")) == manager.id
    assert client.get(f"/api/v1/ideas/{idea.id}").get_json()["staff_picked_at"] is not None


def test_the_staff_pick_shows_on_cards_the_idea_page_the_filter_and_the_home_shelf(client,
                                                                                 manager):
    picked, other = f.idea(title="Picked lamp"), f.idea(title="Plain lamp")
    client.post(f"/api/v1/ideas/{picked.id}/staff-pick", headers=bearer(manager),
                json={"reason": "Clever and simple"})
    filtered = client.get("/ideas?picked=1").get_data(as_text=True)
    assert "Picked lamp" in filtered and "Plain lamp" not in filtered
    assert 'data-testid="staff-pick-badge"' in filtered
    detail = client.get(f"/ideas/{picked.id}").get_data(as_text=True)
    assert "Clever and simple" in detail and 'data-testid="staff-pick"' in detail
    home = client.get("/").get_data(as_text=True)
    shelf = home.split('data-testid="staff-picks"', 1)[1].split("</section>", 1)[0]
    assert "Picked lamp" in shelf and "Plain lamp" not in shelf
    api = client.get("/api/v1/ideas?picked=1").get_json()
    assert [item["id"] for item in api["items"]] == [picked.id]
    assert other.id not in [item["id"] for item in api["items"]]


def test_staff_picks_refusals(client, manager):
    draft = f.idea(status="draft")
    own = f.idea(manager)
    member = f.user()
    published = f.idea()
    response = client.post(f"/api/v1/ideas/{published.id}/staff-pick", headers=bearer(member),
                           json={"reason": "I like it"})
    assert response.status_code == 403
    assert client.post(f"/api/v1/ideas/{draft.id}/staff-pick", headers=bearer(manager),
                       json={"reason": "Early"}).status_code == 404  # not visible to them
    admin = f.user("admin")
    response = client.post(f"/api/v1/ideas/{draft.id}/staff-pick", headers=bearer(admin),
                           json={"reason": "Early"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_public"
    response = client.post(f"/api/v1/ideas/{own.id}/staff-pick", headers=bearer(manager),
                           json={"reason": "Mine"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "separation_of_duties"
    blank = client.post(f"/api/v1/ideas/{published.id}/staff-pick", headers=bearer(manager),
                        json={"reason": "  "})
    assert blank.status_code == 422


def test_staff_pick_from_the_idea_page(client, manager, db):
    idea = f.idea(title="Folding crate")
    login(client, manager)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Make it a staff pick" in page
    response = client.post(f"/ideas/{idea.id}/staff-pick", data={
        "csrf_token": csrf_token(client, f"/ideas/{idea.id}"), "reason": "Great for small flats"})
    assert response.status_code == 302
    assert db.session.get(StaffPick, idea.id).reason == "Great for small flats"
    member_client = client.application.test_client()
    login(member_client, f.user())
    assert "Make it a staff pick" not in member_client.get(f"/ideas/{idea.id}").get_data(
        as_text=True)


def test_staff_open_a_campaign_from_the_html_form_in_japanese(client, manager, db):
    login(client, manager)
    form = client.get("/campaigns/new", headers={"Accept-Language": "ja"})
    assert form.status_code == 200
    response = client.post("/campaigns/new", data={
        "csrf_token": csrf_token(client, "/campaigns/new"), "title": "Kitchen week",
        "title_ja": "キッチン週間", "brief": "Cook *better*", "brief_ja": "もっと*楽しく*",
        "starts_on": _day(), "ends_on": _day(7), "category": "", "questions": "Who cooks?\nWhen?"})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    campaign = db.session.scalar(select(Campaign).where(Campaign.title == "Kitchen week"))
    assert [q["label"] for q in campaign.questions] == ["Who cooks?", "When?"]
    page = client.get(f"/campaigns/{campaign.id}", headers={"Accept-Language": "ja"})
    text = page.get_data(as_text=True)
    assert "キッチン週間" in text and "<em>楽しく</em>" in text
    member = client.application.test_client()
    login(member, f.user())
    assert member.get("/campaigns/new").status_code == 403
