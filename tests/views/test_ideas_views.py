"""The idea pages: posting a draft, pictures, co-creators, submitting with consent, the idea
page itself and its images."""
from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import select

from app.models import Consent, Idea, IdeaCreator, IdeaImage, Notification, Tag
from tests import factories
from tests.helpers import csrf_token, login


def png(colour=(30, 160, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(buffer, "PNG")
    return buffer.getvalue()


FORM = {"title": "Rain cover for bike seats", "pitch": "Keep the child seat dry",
        "category": "outdoor", "tags": "Rain, bike", "description": "It *folds*.",
        **factories.GUIDED_FORM}


def post(client, path, data=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client))
    return client.post(path, data=data, **kwargs)


def new_draft(client, owner, **changes) -> Idea:
    login(client, owner)
    response = post(client, "/ideas/new", {**FORM, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)
    from app.extensions import db

    return db.session.scalars(select(Idea).order_by(Idea.id.desc())).first()


# --- drafting -------------------------------------------------------------------------------

def test_visitor_is_sent_to_sign_in(client):
    response = client.get("/ideas/new")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unconfirmed_member_is_told_to_confirm(client):
    login(client, factories.user(confirmed=False))
    response = client.get("/ideas/new")
    assert response.status_code == 403
    assert "confirm your email" in response.get_data(as_text=True)


def test_member_posts_a_draft_and_lands_on_the_edit_page(client, db):
    owner = factories.user()
    login(client, owner)
    page = client.get("/ideas/new").get_data(as_text=True)
    assert 'name="scene"' in page and "Check for similar ideas" in page
    idea = new_draft(client, owner)
    assert idea.title == FORM["title"] and idea.status == "draft"
    assert idea.category.slug == "outdoor"
    assert sorted(t.name for t in idea.tags) == ["bike", "rain"]
    edit = client.get(f"/ideas/{idea.id}/edit")
    assert edit.status_code == 200
    html = edit.get_data(as_text=True)
    assert "Rain cover for bike seats" in html and "Pictures" in html
    assert "Co-creators and revenue split" in html


def test_missing_title_shows_the_error_on_the_form(client):
    login(client, factories.user())
    response = post(client, "/ideas/new", {**FORM, "title": ""})
    assert response.status_code == 422
    assert 'class="field has-error"' in response.get_data(as_text=True)


def test_posting_without_csrf_is_refused(client, db):
    login(client, factories.user())
    response = client.post("/ideas/new", data=FORM)
    assert response.status_code == 400
    assert db.session.scalar(select(Idea)) is None


def test_too_many_tags_are_refused(client):
    login(client, factories.user())
    response = post(client, "/ideas/new", {**FORM, "tags": ",".join(f"t{i}" for i in range(11))})
    assert response.status_code == 422
    assert "At most 10 tags" in response.get_data(as_text=True)


def test_creator_edits_the_draft(client, db):
    owner = factories.user()
    idea = new_draft(client, owner)
    response = post(client, f"/ideas/{idea.id}/edit", {**FORM, "pitch": "Even drier"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).pitch == "Even drier"


def test_stranger_cannot_open_someone_elses_draft(client):
    idea = factories.idea(status="draft")
    login(client, factories.user())
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert client.get(f"/ideas/{idea.id}/edit").status_code == 404


def test_stranger_cannot_edit_a_published_idea(client):
    idea = factories.idea()
    login(client, factories.user())
    assert client.get(f"/ideas/{idea.id}/edit").status_code == 403


def test_similar_ideas_fragment(client):
    factories.idea(title="Bike seat rain cover")
    html = client.get("/ideas/similar?title=rain+cover+for+a+bike").get_data(as_text=True)
    assert "Bike seat rain cover" in html and "<html" not in html
    none = client.get("/ideas/similar?title=zebra").get_data(as_text=True)
    assert "No similar ideas" in none


def test_edit_page_shows_similar_ideas(client):
    factories.idea(title="Rain cover for strollers")
    owner = factories.user()
    idea = new_draft(client, owner)
    html = client.get(f"/ideas/{idea.id}/edit").get_data(as_text=True)
    assert "Rain cover for strollers" in html


def test_owner_deletes_a_draft(client, db):
    owner = factories.user()
    idea = new_draft(client, owner)
    response = post(client, f"/ideas/{idea.id}/delete")
    assert response.status_code == 302
    assert db.session.get(Idea, idea.id) is None


# --- images ---------------------------------------------------------------------------------

def upload(client, idea_id, data, name="photo.png"):
    return post(client, f"/ideas/{idea_id}/images",
                {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data",
                follow_redirects=True)


def test_creator_uploads_pictures_and_chooses_the_cover(client, db):
    owner = factories.user()
    idea = new_draft(client, owner)
    page = upload(client, idea.id, png())
    assert "The picture was added" in page.get_data(as_text=True)
    upload(client, idea.id, png((200, 10, 10)))
    images = db.session.scalars(select(IdeaImage).where(IdeaImage.idea_id == idea.id)
                                .order_by(IdeaImage.position)).all()
    assert len(images) == 2
    post(client, f"/ideas/{idea.id}/images/{images[1].id}/cover")
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).cover.id == images[1].id
    served = client.get(f"/media/{images[1].key}/card")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert "private" in served.headers["Cache-Control"]


def test_fake_image_shows_a_clear_error(client, db):
    owner = factories.user()
    idea = new_draft(client, owner)
    page = upload(client, idea.id, b"MZ\x90\x00 this is an exe", "evil.png")
    assert "not an image" in page.get_data(as_text=True)
    assert db.session.scalar(select(IdeaImage)) is None


def test_huge_upload_is_413(client, app):
    owner = factories.user()
    idea = new_draft(client, owner)
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = post(client, f"/ideas/{idea.id}/images",
                    {"file": (io.BytesIO(b"x" * 5000), "big.png")},
                    content_type="multipart/form-data")
    assert response.status_code == 413


def test_media_route_refuses_bad_keys_sizes_and_hidden_ideas(client, db):
    owner = factories.user()
    idea = factories.idea(owner)
    db.session.add(IdeaImage(idea_id=idea.id, key="iabc123", width=10, height=10))
    db.session.commit()
    assert client.get("/media/iabc123/huge").status_code == 404
    assert client.get("/media/..%2Fsecret_key/thumb").status_code == 404
    assert client.get("/media/IABC/thumb").status_code == 404
    assert client.get("/media/inothere/thumb").status_code == 404
    factories.hidden(idea)
    assert client.get("/media/iabc123/thumb").status_code == 404


def test_public_image_is_cached_long(client, db):
    owner = factories.user()
    idea = new_draft(client, owner)
    upload(client, idea.id, png())
    image = db.session.scalar(select(IdeaImage))
    idea.status = "published"
    db.session.commit()
    client.get("/")  # any page; then sign out to fetch as a visitor
    with client.session_transaction() as session:
        session.clear()
    served = client.get(f"/media/{image.key}/thumb")
    assert served.status_code == 200
    assert "public" in served.headers["Cache-Control"]
    assert "max-age=31536000" in served.headers["Cache-Control"]


# --- co-creators, consent, submission -------------------------------------------------------

def test_owner_submits_with_consent(client, db):
    owner = factories.user()
    idea = new_draft(client, owner)
    page = client.get(f"/ideas/{idea.id}/submit").get_data(as_text=True)
    agreement = factories.current_agreement()
    assert agreement.sha256 in page and "Creator agreement v1" in page
    refused = post(client, f"/ideas/{idea.id}/submit", {"agreement_version": agreement.version})
    assert refused.status_code == 422  # the box was not ticked
    response = post(client, f"/ideas/{idea.id}/submit",
                    {"agreement_version": agreement.version, "accept": "y"},
                    headers={"User-Agent": "Browser/1.0"})
    assert response.status_code == 302
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert idea.status == "pending_moderation"
    consent = db.session.scalar(select(Consent))
    assert (consent.user_id, consent.share_bps, consent.user_agent) == (owner.id, 10_000,
                                                                        "Browser/1.0")


def test_outdated_agreement_version_is_refused(client, db):
    owner = factories.user()
    idea = new_draft(client, owner)
    response = post(client, f"/ideas/{idea.id}/submit", {"agreement_version": "0", "accept": "y"})
    assert response.status_code == 422
    assert "not the current creator agreement" in response.get_data(as_text=True)
    assert db.session.get(Idea, idea.id).status == "draft"


def test_co_creator_invitation_and_acceptance(client, db):
    owner, partner = factories.user(), factories.user(name="Partner Person")
    idea = new_draft(client, owner)
    response = post(client, f"/ideas/{idea.id}/creators",
                    {"email": partner.email, "share_bps": "2000"}, follow_redirects=True)
    assert "invitation is on its way" in response.get_data(as_text=True)
    assert partner.email in response.get_data(as_text=True)  # listed by address until accepted
    blocked = post(client, f"/ideas/{idea.id}/submit",
                   {"agreement_version": factories.current_agreement().version, "accept": "y"})
    assert blocked.status_code == 409
    assert partner.email in blocked.get_data(as_text=True)

    login(client, partner)
    assert client.get(f"/ideas/{idea.id}").status_code == 404  # not a co-creator yet
    link = db.session.scalar(select(Notification.url).where(Notification.user_id == partner.id))
    invitation = client.get(link).get_data(as_text=True)
    assert "20%" in invitation and "Accept the invitation" in invitation
    joined = post(client, f"{link}/accept", {}, follow_redirects=True)
    assert "You are now a co-creator" in joined.get_data(as_text=True)
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'data-testid="invitation"' in page and "20%" in page
    assert factories.current_agreement().sha256 in page
    accepted = post(client, f"/ideas/{idea.id}/consent",
                    {"agreement_version": factories.current_agreement().version, "accept": "y"},
                    follow_redirects=True)
    assert "consent to the agreement and your share is recorded" in accepted.get_data(as_text=True)
    creator = db.session.scalar(select(IdeaCreator).where(IdeaCreator.user_id == partner.id))
    assert creator.consent_id is not None
    # a co-creator may edit but not submit
    assert client.get(f"/ideas/{idea.id}/edit").status_code == 200
    assert client.get(f"/ideas/{idea.id}/submit").status_code == 403

    login(client, owner)
    post(client, f"/ideas/{idea.id}/creators/{partner.id}/share", {"share_bps": "3000"})
    db.session.expire_all()
    creator = db.session.scalar(select(IdeaCreator).where(IdeaCreator.user_id == partner.id))
    assert creator.share_bps == 3000 and creator.consent_id is None


def test_creator_sees_the_moderators_reason(client, db):
    owner, moderator = factories.user(), factories.user("moderator")
    idea = factories.idea(owner, status="needs_changes",
                          status_reason="Please say who it is for")
    login(client, owner)
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Please say who it is for" in html
    assert f"/ideas/{idea.id}/submit" in html
    login(client, moderator)
    assert client.get(f"/ideas/{idea.id}").status_code == 200


def test_owner_withdraws_a_published_idea(client, db):
    owner = factories.user()
    idea = factories.idea(owner)
    login(client, owner)
    assert "Withdraw" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    post(client, f"/ideas/{idea.id}/withdraw", {"reason": "Done"})
    db.session.expire_all()
    assert db.session.get(Idea, idea.id).status == "withdrawn"


# --- the idea page --------------------------------------------------------------------------

def test_idea_page_shows_everything(client, db):
    owner = factories.user(name="Aiko")
    idea = factories.idea(owner, title="Lantern hook", description="Hang it **anywhere**.")
    idea.tags = [Tag(name="camping")]
    db.session.add(IdeaImage(idea_id=idea.id, key="icover1", width=10, height=10))
    db.session.commit()
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "<h1 data-testid=\"idea-title\">Lantern hook</h1>" in html
    assert "<strong>anywhere</strong>" in html
    assert "/ideas?tag=camping" in html
    assert "/media/icover1/large" in html
    assert "A parent on a crowded morning train" in html
    assert "Aiko" in html and "status-published" in html


def test_script_in_title_and_description_is_escaped(client, db):
    idea = factories.idea(title="<script>alert(1)</script>",
                          description="<img src=x onerror=alert(2)> [x](javascript:alert(3))",
                          insight_situation="<b>bold?</b>")
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x onerror" not in html and 'href="javascript:' not in html
    assert "<b>bold?</b>" not in html


def test_hidden_and_pending_ideas_are_404_for_others(client):
    for idea in (factories.idea(hidden=True), factories.idea(status="pending_moderation")):
        assert client.get(f"/ideas/{idea.id}").status_code == 404
        login(client, factories.user())
        assert client.get(f"/ideas/{idea.id}").status_code == 404
        with client.session_transaction() as session:
            session.clear()


def _page_queries(db, count_queries, client, path) -> int:
    """SQL statements one request for `path` runs, with an empty session (as in production)."""
    client.get(path)  # warm up: first-request setup is not the page's cost
    db.session.remove()
    with count_queries() as queries:
        response = client.get(path)
    assert response.status_code == 200
    return queries.count


def _rich_idea(db, n: int) -> Idea:
    owner = factories.user()
    others = tuple(factories.user() for _ in range(n - 1))
    idea = factories.idea(owner, co_creators=others, supports=1)
    idea.tags = [Tag(name=f"tag-{idea.id}-{i}") for i in range(n)]
    for i in range(n):
        db.session.add(IdeaImage(idea_id=idea.id, key=f"i{idea.id}x{i}", width=10, height=10,
                                 position=i))
    db.session.commit()
    return idea


def _sign_in_as(client, session_id: str) -> None:
    from datetime import timedelta

    from app.extensions import db
    from app.models import UserSession
    from app.models.base import utcnow

    row = UserSession(user_id=int(session_id.split(":")[0]), expires_at=utcnow() + timedelta(days=1))
    db.session.add(row)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_sid"] = row.id
        session["_fresh"] = True


def test_idea_page_costs_the_same_queries_for_1_or_8_images_tags_creators(client, db, count_queries):
    small, large = _rich_idea(db, 1), _rich_idea(db, 8)
    paths = f"/ideas/{small.id}", f"/ideas/{large.id}"
    member = factories.user().get_id()
    small_owner, large_owner = small.owner.get_id(), large.owner.get_id()
    assert _page_queries(db, count_queries, client, paths[0]) == _page_queries(db, count_queries, client, paths[1])
    _sign_in_as(client, member)
    assert _page_queries(db, count_queries, client, paths[0]) == _page_queries(db, count_queries, client, paths[1])
    _sign_in_as(client, small_owner)
    own_small = _page_queries(db, count_queries, client, paths[0])
    _sign_in_as(client, large_owner)
    assert _page_queries(db, count_queries, client, paths[1]) == own_small


def test_creator_sees_the_split_but_visitors_do_not(client, db):
    owner, partner = factories.user(), factories.user()
    idea = factories.idea(owner, co_creators=(partner,))
    html = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert not re.search(r"\b90%", html)
    login(client, owner)
    assert re.search(r"\b90%", client.get(f"/ideas/{idea.id}").get_data(as_text=True))
