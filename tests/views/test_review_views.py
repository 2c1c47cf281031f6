"""Review pages: the public criteria, the reviewer's queue, the scoring page, calibration and the
creators' result."""

from flask import render_template
from flask_login import login_user

from app.extensions import db
from app.models.review import AXES
from app.services import review as rs
from tests import factories as f
from tests.helpers import csrf_token, login, warm_caches


def form_data(client, idea, value="2", rationale="Clear reasoning."):
    data = {"csrf_token": csrf_token(client, f"/review/ideas/{idea.id}")}
    for axis in AXES:
        data[axis] = value
        data[f"{axis}_rationale"] = rationale
    return data


def test_criteria_page_explains_the_matrix_with_the_live_settings(app, client):
    app.config["REVIEW_MIN_REVIEWERS"] = 3
    app.config["REVIEW_PRIORITY_TOTAL"] = 9
    app.config["SUPPORT_MILESTONES"] = [10, 50]
    app.config["SUPPORT_WINDOWS_DAYS"] = [30, 90]
    html = client.get("/review/criteria").get_data(as_text=True)
    assert "Nothing like it from competitors" in html and "Hard to realise" in html
    assert 'data-testid="min-reviewers">3<' in html
    assert 'data-testid="priority-total">9<' in html
    assert 'data-testid="review-threshold">50<' in html
    assert "created, co-created or supported" in html


def test_queue_shows_what_awaits_the_reviewer_and_why_some_ideas_are_not_theirs(client):
    reviewer = f.user("reviewer")
    waiting = f.in_review(title="Folding lunch box")
    mine = f.in_review(reviewer, title="My own gadget")
    login(client, reviewer)
    html = client.get("/review").get_data(as_text=True)
    assert "Folding lunch box" in html and "Take it" in html
    assert "My own gadget" in html and "You created this idea" in html
    assert 'data-testid="batch-progress"' in html
    assert waiting.id != mine.id


def test_scoring_page_shows_the_evidence_and_the_matrix_legend(client):
    reviewer = f.user("reviewer")
    idea = f.idea(status="qualified", supports=2)
    f.support(idea, would_buy="yes", price_minor=2500, price_currency="JPY",
              reason="<img src=x onerror=alert(1)> I ride the train daily")
    f.review_batch()
    login(client, reviewer)
    response = client.get(f"/review/ideas/{idea.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A parent on a crowded morning train" in html  # the N=1 insight
    assert 'data-testid="evidence-support-count">3<' in html
    assert "¥2,500" in html
    assert "&lt;img src=x onerror=alert(1)&gt; I ride the train daily" in html
    assert "<img src=x" not in html
    assert "Feasible with more investment" in html
    assert "Review started" in html  # the history
    assert "Submit scores" in html


def test_scores_are_blind_on_the_page_until_the_reviewer_has_submitted(client):
    first, second = f.user("reviewer", name="First Reviewer"), f.user("reviewer")
    idea = f.in_review()
    f.scored(idea, 3, reviewer=first, rationale="First reviewer's secret reasoning")
    login(client, second)
    html = client.get(f"/review/ideas/{idea.id}").get_data(as_text=True)
    assert "First reviewer&#39;s secret reasoning" not in html
    assert 'data-testid="all-scores"' not in html
    assert "Scoring is blind" in html
    response = client.post(f"/review/ideas/{idea.id}/scores", data=form_data(client, idea))
    assert response.status_code == 302
    html = client.get(f"/review/ideas/{idea.id}").get_data(as_text=True)
    assert "First reviewer&#39;s secret reasoning" in html
    assert 'data-testid="axis-means"' in html and "Revise your scores" in html


def test_the_page_says_why_a_supporter_cannot_review(client):
    supporter = f.user("reviewer")
    idea = f.idea(status="qualified")
    f.support(idea, supporter)
    f.review_batch()
    login(client, supporter)
    html = client.get(f"/review/ideas/{idea.id}").get_data(as_text=True)
    assert "You supported this idea, so you cannot review it" in html
    assert "Submit scores" not in html
    response = client.post(f"/review/ideas/{idea.id}/scores", data=form_data(client, idea))
    assert response.status_code == 403
    assert "You supported this idea" in response.get_data(as_text=True)


def test_a_score_without_rationale_is_refused_with_the_field_error(client):
    reviewer = f.user("reviewer")
    idea = f.in_review()
    login(client, reviewer)
    data = form_data(client, idea)
    data["uniqueness_rationale"] = "  "
    data["feasibility"] = "7"
    response = client.post(f"/review/ideas/{idea.id}/scores", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Explain this score in a few words." in html
    assert "Must be 1, 2 or 3." in html
    assert rs.active_item(idea.id).reviews == []


def test_scoring_without_the_csrf_token_is_refused(client):
    reviewer = f.user("reviewer")
    idea = f.in_review()
    login(client, reviewer)
    data = form_data(client, idea)
    del data["csrf_token"]
    assert client.post(f"/review/ideas/{idea.id}/scores", data=data).status_code == 400
    assert rs.active_item(idea.id).reviews == []


def test_rationale_is_escaped_for_other_reviewers(client):
    first, second = f.user("reviewer"), f.user("reviewer")
    idea = f.in_review()
    f.scored(idea, 3, reviewer=first, rationale="<script>alert('x')</script>")
    f.scored(idea, 2, reviewer=second)
    login(client, second)
    html = client.get(f"/review/ideas/{idea.id}").get_data(as_text=True)
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html


def test_a_reviewer_takes_an_idea_from_the_batch(client):
    reviewer = f.user("reviewer")
    idea = f.in_review()
    login(client, reviewer)
    response = client.post(f"/review/ideas/{idea.id}/take",
                           data={"csrf_token": csrf_token(client, "/review")})
    assert response.status_code == 302
    assert [a.reviewer_id for a in rs.active_item(idea.id).assignments] == [reviewer.id]


def test_admin_decides_on_the_scoring_page_once_enough_reviewers_scored(client):
    admin = f.user("admin")
    idea = f.in_review()
    f.scored(idea, 3)
    login(client, admin)
    html = client.get(f"/review/ideas/{idea.id}").get_data(as_text=True)
    assert "At least 2 reviewers must score before a decision (1 have)." in html
    data = {"csrf_token": csrf_token(client, f"/review/ideas/{idea.id}"),
            "decision": "approved", "message": "Let us build it."}
    response = client.post(f"/review/ideas/{idea.id}/decision", data=data)
    assert response.status_code == 409
    f.scored(idea, 2)
    response = client.post(f"/review/ideas/{idea.id}/decision", data=data)
    assert response.status_code == 302
    assert rs.active_item(idea.id).decision == "approved"
    missing = client.post(f"/review/ideas/{idea.id}/decision",
                          data={"csrf_token": data["csrf_token"], "decision": "approved"})
    assert missing.status_code == 422
    assert "Write a message to the creators." in missing.get_data(as_text=True)


def test_calibration_highlights_disagreements(client):
    admin = f.user("admin")
    idea = f.in_review(title="Disputed idea")
    rs.score_idea(f.user("reviewer"), idea.id, f.scores(1), f.rationales())
    rs.score_idea(f.user("reviewer"), idea.id, f.scores(3, feasibility=2), f.rationales())
    db.session.commit()
    login(client, admin)
    batch_id = rs.active_item(idea.id).batch_id
    html = client.get(f"/review/batches/{batch_id}/calibration").get_data(as_text=True)
    assert "Disputed idea" in html
    assert 'spread-high" data-axis="uniqueness" data-spread="2"' in html
    assert 'data-axis="feasibility" data-spread="1"' in html


def _result_html(app, user, idea) -> str:
    with app.test_request_context("/"):
        login_user(user)
        return render_template("review/_result.html", idea=idea,
                               review_result=rs.published_result_for(user, idea))


def test_creators_see_the_per_axis_result_only_after_publication(app):
    admin, creator, stranger = f.user("admin"), f.user(), f.user()
    idea = f.in_review(creator)
    f.scored(idea, 3, 2, 2)
    f.approved(idea, "We love the <em>N=1</em> insight.", admin)
    assert 'data-testid="review-result"' not in _result_html(app, creator, idea)
    f.published(admin=admin)
    html = _result_html(app, creator, idea)
    assert 'data-testid="review-result"' in html
    assert "Approved" in html
    assert 'data-axis="customer_value">2.33<' in html
    assert 'data-testid="total">9.33<' in html
    assert "We love the &lt;em&gt;N=1&lt;/em&gt; insight." in html
    assert 'data-testid="review-result"' not in _result_html(app, stranger, idea)


def _queries(count_queries, client, path) -> int:
    db.session.expunge_all()  # the test's session is the request's: start from a clean one
    with count_queries() as queries:
        assert client.get(path).status_code == 200
    return queries.count


def test_queue_and_batch_pages_cost_the_same_queries_for_few_or_many_ideas(client, count_queries):
    from app.models import User

    warm_caches()
    admin, reviewer = f.user("admin"), f.user("reviewer")
    ids = {"admin": admin.id, "reviewer": reviewer.id,
           "scorers": [f.user("reviewer").id, f.user("reviewer").id]}

    def add_ideas(n):
        for _ in range(n):
            idea = f.in_review()
            rs.assign_reviewer(db.session.get(User, ids["admin"]), idea.id, ids["reviewer"])
            for scorer_id in ids["scorers"]:
                f.scored(idea, 2, reviewer=db.session.get(User, scorer_id))

    add_ideas(2)
    batch_id = rs.current_open_batch().id
    pages = ("/review", f"/admin/review/batches/{batch_id}",
             f"/review/batches/{batch_id}/calibration")
    login(client, admin)
    few_admin = [_queries(count_queries, client, page) for page in pages]
    add_ideas(5)
    many_admin = [_queries(count_queries, client, page) for page in pages]
    assert few_admin == many_admin
    login(client, db.session.get(User, ids["reviewer"]))
    few = _queries(count_queries, client, "/review")
    add_ideas(3)
    assert _queries(count_queries, client, "/review") == few
