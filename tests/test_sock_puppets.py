"""Sock puppets (issue 10, item 10): reports from new or inactive accounts weigh less, official
comments are never hidden by reports, and moderators see and void bursts from new accounts on
one network (recounted exactly, audited)."""
from __future__ import annotations

from datetime import timedelta

from flask import g
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Comment, Idea, Report, Support
from app.models.base import utcnow
from app.services import comments as comment_service
from app.services import counters
from tests import factories as f
from tests.helpers import bearer, csrf_token, login


def _aged(user, days=60, active_on=None):
    user.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    if active_on is not None:
        f.support(active_on, user)
    return user


def _comment(idea, author, official=False) -> Comment:
    row = Comment(idea_id=idea.id, author_id=author.id, body="A comment.", is_official=official)
    db.session.add(row)
    db.session.commit()
    return row


def _report_from(client, user, comment, ip):
    return client.post(f"/api/v1/comments/{comment.id}/reports", headers=bearer(user),
                       json={"reason": "spam"}, environ_base={"REMOTE_ADDR": ip})


def test_three_fresh_accounts_no_longer_hide_a_comment_but_established_members_do(client):
    idea = f.idea()
    comment = _comment(idea, f.user())
    for n in range(3):
        assert _report_from(client, f.user(), comment, f"198.51.100.{n + 1}").status_code == 201
    db.session.refresh(comment)
    assert not comment.hidden  # 3 x 25% < 3 reports
    other = _comment(idea, f.user())
    for n in range(3):
        _report_from(client, _aged(f.user(), active_on=f.idea()), other, f"203.0.113.{n + 1}")
    db.session.refresh(other)
    assert other.hidden
    weights = sorted(db.session.scalars(select(Report.weight_pct)))
    assert weights == [25, 25, 25, 100, 100, 100]


def test_an_old_account_that_never_did_anything_weighs_little(app):
    idle = _aged(f.user())
    active = _aged(f.user(), active_on=f.idea())
    assert comment_service.integrity.report_weight(idle) == 25
    assert comment_service.integrity.report_weight(active) == 100


def test_an_official_staff_comment_is_never_hidden_by_reports(client):
    idea = f.idea()
    official = _comment(idea, f.user("moderator"), official=True)
    for n in range(5):
        _report_from(client, _aged(f.user(), active_on=f.idea()), official, f"192.0.2.{n + 1}")
    db.session.refresh(official)
    assert not official.hidden and official.report_count == 5


def _puppet_supports(client, idea, n, ip="198.51.100.7"):
    puppets = [f.user() for _ in range(n)]
    for puppet in puppets:
        response = client.post(f"/api/v1/ideas/{idea.id}/supports", headers=bearer(puppet),
                               json={}, environ_base={"REMOTE_ADDR": ip})
        assert response.status_code == 201
    return puppets


def test_supports_keep_a_network_hash_not_the_address(client):
    idea = f.idea()
    _puppet_supports(client, idea, 1, ip="198.51.100.7")
    stored = db.session.scalar(select(Support.network_hash))
    assert stored and "198.51" not in stored and len(stored) == 32
    other = f.idea()
    _puppet_supports(client, other, 1, ip="198.51.100.200")  # same /24: same hash
    assert len(set(db.session.scalars(select(Support.network_hash)))) == 1


def test_moderators_see_a_burst_and_void_it_exactly_api(client):
    idea = f.idea()
    honest = _aged(f.user(), active_on=f.idea())
    f.support(idea, honest)
    _puppet_supports(client, idea, 4)
    _puppet_supports(client, f.idea(), 2, ip="203.0.113.9")  # too few: no burst
    db.session.refresh(idea)
    assert counters.show_exact(idea) == 5
    moderator = f.user("moderator")
    assert client.get("/api/v1/moderation/bursts", headers=bearer(f.user())).status_code == 403
    listed = client.get("/api/v1/moderation/bursts", headers=bearer(moderator)).get_json()
    assert len(listed["items"]) == 1
    burst = listed["items"][0]
    assert (burst["kind"], burst["target_id"], len(burst["accounts"])) == ("support", idea.id, 4)
    voided = client.post("/api/v1/moderation/bursts/void", headers=bearer(moderator),
                         json={**{k: burst[k] for k in ("kind", "target_id", "network", "hour")},
                               "reason": "Puppets"})
    assert voided.status_code == 200
    db.session.expire_all()
    assert counters.show_exact(db.session.get(Idea, idea.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(Support)
                             .where(Support.idea_id == idea.id)) == 1
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "supports.burst_voided"))
    assert audit.after["removed"] == 4 and audit.before["support_count"] == 5
    again = client.post("/api/v1/moderation/bursts/void", headers=bearer(moderator),
                        json={k: burst[k] for k in ("kind", "target_id", "network", "hour")})
    assert again.status_code == 404
    assert counters.show_exact(db.session.get(Idea, idea.id)) == 1
    counters.roll_up()  # the listings' copy follows
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).support_count == 1


def test_moderators_void_a_report_burst_in_html_and_the_comment_shows_again(client):
    idea = f.idea()
    comment = _comment(idea, f.user())
    for _ in range(3):
        _report_from(client, _aged(f.user(), active_on=f.idea()), comment, "192.0.2.50")
    # established members, so the comment is hidden; but all three joined within the week?
    # no: aged 60 days, so not a burst of new accounts
    moderator = f.user("moderator")
    login(client, moderator)
    assert 'data-testid="burst"' not in client.get("/moderation/bursts").get_data(as_text=True)
    fresh = _comment(idea, f.user())
    app_config = client.application.config
    app_config["COMMENT_REPORT_THRESHOLD"] = 1  # so that fresh accounts' reports hide it
    for _ in range(4):
        _report_from(client, f.user(), fresh, "192.0.2.60")
    db.session.refresh(fresh)
    assert fresh.hidden
    g.pop("csrf_token", None)
    login(client, moderator)
    page = client.get("/moderation/bursts").get_data(as_text=True)
    assert page.count('data-testid="burst"') == 1
    burst = comment_service.integrity.bursts(moderator)[0]
    response = client.post("/moderation/bursts/void", data={
        "csrf_token": csrf_token(client, "/moderation/bursts"), "kind": "report",
        "target_id": str(fresh.id), "network": burst.network,
        "hour": burst.hour.strftime("%Y%m%d%H")}, follow_redirects=True)
    assert "The burst was voided" in response.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(Comment, fresh.id)
    assert not fresh.hidden and fresh.report_count == 0
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "reports.burst_voided")) == 1
    assert db.session.get(Comment, comment.id).hidden  # the established members' reports stand
