"""flask seed-demo: every state of the lifecycle, exact support counts, idempotent."""
import os

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (Comment, Consent, Idea, IdeaCreator, IdeaEvent, IdeaImage, Product,
                        Support, User)
from app.models.base import utcnow
from app.models.ideas import STATUSES

ALL_STATES = set(STATUSES) - {"rejected"}


@pytest.fixture
def config_overrides():
    """Low milestones, as dev.py demo runs with: the reviewed ideas really reach the last one."""
    return {"SUPPORT_MILESTONES": [5, 10, 15, 20]}


@pytest.fixture
def seeded(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--ideas", "16",
                                                "--supporters", "25", "--no-images"])
    assert result.exit_code == 0, result.output
    return result


def test_seed_prints_the_demo_accounts_with_their_password(seeded):
    for email in ("admin@kyoso.local", "reviewer1@kyoso.local", "reviewer2@kyoso.local",
                  "moderator@kyoso.local", "finance@kyoso.local", "alice@kyoso.local",
                  "bob@kyoso.local"):
        assert email in seeded.output
    assert "kyoso-demo" in seeded.output
    admin = db.session.scalar(select(User).where(User.email == "admin@kyoso.local"))
    assert admin.check_password("kyoso-demo") and admin.has_role("admin")
    assert db.session.scalar(select(User).where(User.email == "reviewer2@kyoso.local")) \
        .has_role("reviewer")
    supporter = db.session.scalar(select(User).where(User.email == "supporter001@kyoso.local"))
    assert supporter.check_password("kyoso-demo") and supporter.email_confirmed


def test_every_state_is_present_and_support_count_equals_the_rows(seeded):
    counted = dict(db.session.execute(select(Support.idea_id, func.count())
                                      .group_by(Support.idea_id)).all())
    ideas = db.session.scalars(select(Idea)).all()
    assert ideas
    for idea in ideas:
        assert idea.support_count == counted.get(idea.id, 0), idea.title
    assert sum(counted.values()) > 0
    statuses = set(db.session.scalars(select(Idea.status)))
    assert ALL_STATES <= statuses
    assert db.session.scalar(select(func.count()).select_from(Idea).where(Idea.hidden)) >= 1
    for idea in db.session.scalars(select(Idea).where(Idea.status == "published")):
        assert idea.next_milestone and idea.deadline > utcnow()
        assert idea.support_count < idea.next_milestone


def test_submitted_ideas_carry_consents_and_approved_ones_became_products(seeded):
    submitted = db.session.scalars(select(Idea).where(Idea.status != "draft")).all()
    for idea in submitted:
        for creator in idea.creators:
            consent = db.session.get(Consent, creator.consent_id)
            assert consent is not None and consent.user_id == creator.user_id
            assert consent.share_bps == creator.share_bps
        assert sum(c.share_bps for c in idea.creators) == 10_000
    approved = db.session.scalars(select(Idea).where(
        Idea.status.in_(("approved", "in_production", "on_sale")))).all()
    assert approved
    for idea in approved:
        assert db.session.scalar(select(Product).where(Product.idea_id == idea.id))
        kinds = set(db.session.scalars(select(IdeaEvent.kind).where(IdeaEvent.idea_id == idea.id)))
        assert {"created", "submitted", "published", "qualified", "review_decision"} <= kinds


def test_covers_are_generated_processed_and_stored(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--ideas", "3",
                                                "--supporters", "15"])
    assert result.exit_code == 0, result.output
    images = db.session.scalars(select(IdeaImage)).all()
    assert images
    stored = {name for _root, _dirs, names in os.walk(app.config["UPLOAD_FOLDER"])
              for name in names}
    for image in images:
        variants = [name for name in stored if name.startswith(image.key)]
        assert variants and all(name.endswith(".jpg") for name in variants)
        assert image.width > 0 and image.height > 0


def test_discussion_has_replies_and_the_seeded_site_renders(seeded, client):
    assert db.session.scalar(select(func.count()).select_from(Comment)) > 0
    assert db.session.scalar(select(func.count()).select_from(Comment)
                             .where(Comment.parent_id.is_not(None))) > 0
    _pages_render(client)


def test_seed_is_idempotent(seeded, app):
    ideas = db.session.scalar(select(func.count()).select_from(Idea))
    creators = db.session.scalar(select(func.count()).select_from(IdeaCreator))
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "already" in again.output and "admin@kyoso.local" in again.output
    assert db.session.scalar(select(func.count()).select_from(Idea)) == ideas
    assert db.session.scalar(select(func.count()).select_from(IdeaCreator)) == creators


def _pages_render(client):
    from tests.helpers import login

    assert client.get("/").status_code == 200
    assert client.get("/ideas").status_code == 200
    assert client.get("/ideas?q=umbrella").status_code == 200
    login(client, db.session.scalar(select(User).where(User.email == "alice@kyoso.local")))
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="for-you"' in html


def test_the_story_is_consistent(seeded, client):
    from app.demo.ideas import SUPPORT_REASONS
    from app.models import ProductPost

    ideas = {idea.id: idea for idea in db.session.scalars(select(Idea))}
    # "Reached N supporters" is true of the counts shown.
    for event in db.session.scalars(select(IdeaEvent).where(
            IdeaEvent.kind.in_(("milestone_reached", "qualified")))):
        reached = int(event.reason.split()[-2 if event.kind == "qualified" else 0])
        assert ideas[event.idea_id].support_count >= reached, (event.kind, event.reason)
    for idea in ideas.values():
        if idea.status in ("qualified", "in_review", "approved", "not_approved", "on_hold",
                           "in_production", "on_sale"):
            assert idea.support_count == 20, idea.title  # the list froze at the last milestone
    # Each history reads in order: the review before production, production before the shop.
    for idea_id in ideas:
        history = db.session.scalars(select(IdeaEvent).where(IdeaEvent.idea_id == idea_id)
                                     .order_by(IdeaEvent.id)).all()
        assert [e.id for e in sorted(history, key=lambda e: (e.created_at, e.id))] == \
            [e.id for e in history], [(e.kind, e.created_at) for e in history]
    # Answers agree with each other; nobody supported before joining.
    for support, joined in db.session.execute(
            select(Support, User.created_at).join(User, User.id == Support.user_id)):
        if support.reason:
            assert support.reason in SUPPORT_REASONS[support.would_buy or "unanswered"]
        if support.would_buy == "no":
            assert support.price_minor is None
        assert support.created_at >= joined
    # At least one product on sale and one in production, with their pages.
    products = {p.idea.status: p for p in db.session.scalars(select(Product))}
    assert products["on_sale"].shop_url.startswith("https://")
    assert products["on_sale"].price_currency in ("JPY", "USD")
    assert products["in_production"].expected_on is not None
    for product in products.values():
        assert client.get(f"/products/{product.id}").status_code == 200
        steps = db.session.scalars(select(ProductPost).where(
            ProductPost.product_id == product.id, ProductPost.kind != "update")).all()
        assert all(post.created_at > product.created_at for post in steps)
    assert client.get("/products").status_code == 200


def test_the_seed_refuses_milestones_its_supporters_cannot_reach(app):
    app.config["SUPPORT_MILESTONES"] = [100, 1000, 5000, 10000]
    result = app.test_cli_runner().invoke(args=["seed-demo", "--ideas", "16",
                                                "--supporters", "25", "--no-images"])
    assert result.exit_code != 0
    assert "SUPPORT_MILESTONES" in result.output
    assert db.session.scalar(select(func.count()).select_from(Idea)) == 0
