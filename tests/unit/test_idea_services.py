"""Authoring and moderation rules, through the services (on SQLite and PostgreSQL)."""
from __future__ import annotations

import io
import os
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge, Unauthorized
from app.models import (Agreement, AuditLog, Consent, Idea, IdeaEvent, Notification, Support,
                        Tag)
from app.models.agreements import sha256_text
from app.models.base import utcnow
from app.services import ideas as idea_service
from app.services import moderation
from tests import factories


def png_bytes(size=(64, 48), colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


FULL = {"title": "Quiet stroller wheels", "pitch": "Wheels that make no noise on trains",
        "description": "Some **Markdown**.", "category": "kids", "tags": "Travel, kids, Travel",
        **factories.GUIDED_FORM}


def draft(owner=None, **changes):
    owner = owner or factories.user()
    idea = idea_service.create_draft(owner, {**FULL, **changes})
    from app.extensions import db

    db.session.commit()
    return idea


def version() -> str:
    return factories.current_agreement().version


# --- drafts ---------------------------------------------------------------------------------

def test_member_creates_a_draft_owning_the_whole_share(db):
    owner = factories.user()
    idea = draft(owner)
    assert idea.status == "draft"
    assert idea.category.slug == "kids"
    assert [t.name for t in idea.tags] == ["kids", "travel"]  # normalised, de-duplicated, sorted
    assert len(idea.creators) == 1 and idea.creators[0].is_owner
    assert idea.creators[0].share_bps == 10_000
    assert db.session.scalar(select(IdeaEvent.kind).where(IdeaEvent.idea_id == idea.id)) == "created"


def test_unconfirmed_member_cannot_create_an_idea(db):
    with pytest.raises(Forbidden) as error:
        idea_service.create_draft(factories.user(confirmed=False), FULL)
    assert error.value.code == "email_not_confirmed"


def test_visitor_cannot_create_an_idea(db):
    from flask_login import AnonymousUserMixin

    with pytest.raises(Unauthorized):
        idea_service.create_draft(AnonymousUserMixin(), FULL)


@pytest.mark.parametrize("field,value", [
    ("title", "x" * 121), ("pitch", "x" * 201), ("description", "x" * 20_001),
    ("scene", "x" * 2001), ("core", "a sentence " * 30), ("why_1", "asdf"), ("title", 5), ("category", "no-such-category"),
    ("tags", ",".join(f"t{i}" for i in range(11))), ("tags", "x" * 41), ("tags", [1, 2]),
])
def test_invalid_fields_are_refused_with_their_name(db, field, value):
    with pytest.raises(Invalid) as error:
        idea_service.create_draft(factories.user(), {**FULL, field: value})
    assert field in error.value.fields


def test_title_is_required_for_a_draft(db):
    with pytest.raises(Invalid) as error:
        idea_service.create_draft(factories.user(), {"title": "   "})
    assert "title" in error.value.fields


def test_tags_become_lower_case_slugs(db):
    assert idea_service.parse_tags(" Rainy Day , UMBRELLA!!, 傘 ,, kids_travel ") == [
        "rainy-day", "umbrella", "傘", "kids-travel"]


def test_tag_rows_are_shared_between_ideas(db):
    draft(tags="travel")
    draft(tags="travel, new")
    assert db.session.scalar(select(func.count()).select_from(Tag)
                             .where(Tag.name == "travel")) == 1


def test_co_creator_can_edit_the_draft_but_others_cannot(db):
    owner, partner, stranger = factories.user(), factories.user(), factories.user()
    idea = draft(owner)
    idea_service.invite_co_creator(owner, idea.id, partner.email, 2500)
    db.session.commit()
    with pytest.raises(NotFound):  # invited, not yet a co-creator
        idea_service.update_idea(partner, idea.id, {"pitch": "Better pitch"})
    db.session.rollback()
    factories.join_invitation(idea.id, partner)
    idea_service.update_idea(partner, idea.id, {"pitch": "Better pitch"})
    db.session.commit()
    assert db.session.get(Idea, idea.id).pitch == "Better pitch"
    with pytest.raises(NotFound):  # a draft is invisible to others
        idea_service.update_idea(stranger, idea.id, {"pitch": "Mine now"})


def test_published_idea_cannot_be_edited(db):
    owner = factories.user()
    idea = factories.idea(owner, status="published")
    with pytest.raises(Conflict) as error:
        idea_service.update_idea(owner, idea.id, {"title": "New title"})
    assert error.value.code == "idea_not_editable"
    with pytest.raises(Forbidden):
        idea_service.update_idea(factories.user(), idea.id, {"title": "New title"})


def test_owner_deletes_a_draft_with_its_images(db, app):
    owner = factories.user()
    idea = draft(owner)
    image = idea_service.add_image(owner, idea.id, png_bytes())
    db.session.commit()
    key = image.key
    path = os.path.join(app.config["UPLOAD_FOLDER"], f"{key}_thumb.jpg")
    assert os.path.exists(path)
    idea_service.delete_draft(owner, idea.id)
    db.session.commit()
    assert db.session.get(Idea, idea.id) is None
    assert not os.path.exists(path)


def test_only_a_draft_can_be_deleted(db):
    owner = factories.user()
    idea = factories.idea(owner, status="pending_moderation")
    with pytest.raises(Conflict):
        idea_service.delete_draft(owner, idea.id)


# --- images ---------------------------------------------------------------------------------

def test_first_image_is_the_cover_and_can_be_changed(db):
    owner = factories.user()
    idea = draft(owner)
    first = idea_service.add_image(owner, idea.id, png_bytes(colour=(1, 2, 3)))
    second = idea_service.add_image(owner, idea.id, png_bytes(colour=(9, 9, 9)))
    db.session.commit()
    assert db.session.get(Idea, idea.id).cover.id == first.id
    idea_service.make_cover(owner, idea.id, second.id)
    db.session.commit()
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert [i.id for i in idea.images] == [second.id, first.id]
    assert [i.position for i in idea.images] == [0, 1]


def test_deleting_an_image_keeps_positions_dense(db):
    owner = factories.user()
    idea = draft(owner)
    ids = [idea_service.add_image(owner, idea.id, png_bytes()).id for _ in range(3)]
    db.session.commit()
    idea_service.delete_image(owner, idea.id, ids[0])
    db.session.commit()
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert [(i.id, i.position) for i in idea.images] == [(ids[1], 0), (ids[2], 1)]


def test_fake_image_is_refused(db):
    owner = factories.user()
    idea = draft(owner)
    with pytest.raises(Invalid) as error:
        idea_service.add_image(owner, idea.id, b"<?php echo 'hi'; ?>")
    assert "file" in error.value.fields


def test_truncated_image_is_refused(db):
    owner = factories.user()
    idea = draft(owner)
    with pytest.raises(Invalid) as error:
        idea_service.add_image(owner, idea.id, png_bytes((400, 400))[:200])
    assert error.value.code == "truncated"


@pytest.fixture
def config_overrides():
    return {"IDEA_MAX_IMAGES": 3, "IMAGE_MAX_BYTES": 50_000}


def test_oversized_image_file_is_too_large(db):
    owner = factories.user()
    idea = draft(owner)
    with pytest.raises(TooLarge):
        idea_service.add_image(owner, idea.id, b"\x89PNG" + b"0" * 60_000)


def test_no_more_images_than_the_setting(db):
    owner = factories.user()
    idea = draft(owner)
    for _ in range(3):
        idea_service.add_image(owner, idea.id, png_bytes())
    db.session.commit()
    with pytest.raises(Conflict) as error:
        idea_service.add_image(owner, idea.id, png_bytes())
    assert error.value.code == "too_many_images"


def test_stored_image_has_no_exif(db, app):
    owner = factories.user()
    idea = draft(owner)
    buffer = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    Image.new("RGB", (50, 50), "red").save(buffer, "JPEG", exif=exif)
    image = idea_service.add_image(owner, idea.id, buffer.getvalue())
    db.session.commit()
    with Image.open(os.path.join(app.config["UPLOAD_FOLDER"], f"{image.key}_large.jpg")) as saved:
        assert not saved.getexif()


# --- similar ideas --------------------------------------------------------------------------

def test_similar_ideas_share_title_words_and_exclude_hidden_and_drafts(db):
    viewer = factories.user()
    match = factories.idea(title="Folding umbrella for kids", supports=2)
    factories.idea(title="Umbrella stand")
    factories.idea(title="Folding umbrella hidden", hidden=True)
    factories.idea(title="Folding umbrella draft", status="draft")
    factories.idea(title="Garden hose")
    found = idea_service.similar_ideas(viewer, "A folding umbrella", "")
    titles = [i.title for i in found]
    assert titles[0] == match.title
    assert "Umbrella stand" in titles
    assert not {"Folding umbrella hidden", "Folding umbrella draft", "Garden hose"} & set(titles)


def test_similar_ideas_escape_like_wildcards(db):
    factories.idea(title="Something else entirely")
    assert idea_service.similar_ideas(None, "%%% ___", "") == []


# --- co-creators and consent ----------------------------------------------------------------

def test_owner_keeps_the_rest_of_the_split_and_invitee_is_notified(db):
    owner, partner = factories.user(), factories.user()
    idea = draft(owner)
    idea_service.invite_co_creator(owner, idea.id, partner.email.upper(), 3000)
    db.session.commit()
    factories.join_invitation(idea.id, partner)
    shares = {c.user_id: c.share_bps for c in db.session.get(Idea, idea.id).creators}
    assert shares == {owner.id: 7000, partner.id: 3000}
    note = db.session.scalar(select(Notification).where(Notification.user_id == partner.id))
    assert note.kind == "co_creator_invite"


def test_co_creators_total_must_stay_below_10000(db):
    owner, a, b = factories.user(), factories.user(), factories.user()
    idea = draft(owner)
    idea_service.invite_co_creator(owner, idea.id, a.email, 6000)
    db.session.commit()
    with pytest.raises(Invalid) as error:
        idea_service.invite_co_creator(owner, idea.id, b.email, 4000)
    assert "share_bps" in error.value.fields


def test_an_invalid_address_cannot_be_invited(db):
    owner = factories.user()
    idea = draft(owner)
    with pytest.raises(Invalid) as error:
        idea_service.invite_co_creator(owner, idea.id, "nobody@", 100)
    assert "email" in error.value.fields


def test_only_the_owner_invites(db):
    owner, partner, other = factories.user(), factories.user(), factories.user()
    idea = draft(owner)
    idea_service.invite_co_creator(owner, idea.id, partner.email, 1000)
    db.session.commit()
    factories.join_invitation(idea.id, partner)
    with pytest.raises(Forbidden):
        idea_service.invite_co_creator(partner, idea.id, other.email, 1000)


def test_submit_waits_for_every_co_creators_consent(db):
    owner, partner = factories.user(), factories.user()
    idea = draft(owner)
    idea_service.invite_co_creator(owner, idea.id, partner.email, 2500)
    db.session.commit()
    with pytest.raises(Conflict) as error:
        idea_service.submit_idea(owner, idea.id, version())
    assert error.value.code == "consent_missing"
    db.session.rollback()
    consent = idea_service.consent(partner, idea.id, version(), ip_address="203.0.113.9",
                                   user_agent="pytest")
    db.session.commit()
    assert (consent.share_bps, consent.ip_address, consent.agreement_version) == \
        (2500, "203.0.113.9", version())
    assert consent.agreement_sha256 == factories.current_agreement().sha256
    submission = idea_service.submit_idea(owner, idea.id, version(), ip_address="198.51.100.1")
    db.session.commit()
    assert submission.idea.status == "pending_moderation"
    assert submission.idea.submitted_at is not None
    assert submission.consent.share_bps == 7500
    assert all(c.consent_id for c in db.session.get(Idea, idea.id).creators)


def test_changing_the_split_asks_those_affected_to_consent_again(db):
    owner, a, b = factories.user(), factories.user(), factories.user()
    idea = draft(owner)
    idea_service.invite_co_creator(owner, idea.id, a.email, 2000)
    idea_service.invite_co_creator(owner, idea.id, b.email, 2000)
    db.session.commit()
    idea_service.consent(a, idea.id, version())
    idea_service.consent(b, idea.id, version())
    db.session.commit()
    idea_service.change_share(owner, idea.id, a.id, 3000)
    db.session.commit()
    creators = {c.user_id: c for c in db.session.get(Idea, idea.id).creators}
    assert creators[a.id].consent_id is None
    assert creators[b.id].consent_id is not None  # b's share did not change
    assert creators[owner.id].share_bps == 5000
    with pytest.raises(Conflict):
        idea_service.submit_idea(owner, idea.id, version())


def test_wrong_agreement_version_is_refused(db):
    owner = factories.user()
    idea = draft(owner)
    with pytest.raises(Invalid) as error:
        idea_service.submit_idea(owner, idea.id, "0.9")
    assert "agreement_version" in error.value.fields


def test_submit_requires_the_insight(db):
    owner = factories.user()
    idea = draft(owner, scene="", success="")
    with pytest.raises(Invalid) as error:
        idea_service.submit_idea(owner, idea.id, version())
    assert set(error.value.fields) == {"scene", "success"}


def test_only_the_owner_submits(db):
    owner, partner = factories.user(), factories.user()
    idea = draft(owner)
    idea_service.invite_co_creator(owner, idea.id, partner.email, 1000)
    db.session.commit()
    factories.join_invitation(idea.id, partner)
    with pytest.raises(Forbidden):
        idea_service.submit_idea(partner, idea.id, version())


def test_resubmitting_after_a_new_agreement_records_a_new_consent(db):
    owner, moderator = factories.user(), factories.user("moderator")
    idea = draft(owner)
    idea_service.submit_idea(owner, idea.id, version())
    db.session.commit()
    moderation.decide(moderator, idea.id, "needs_changes", "Add a picture")
    db.session.commit()
    idea_service.submit_idea(owner, idea.id, version())  # same version: the consent still holds
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 1
    moderation.decide(moderator, idea.id, "needs_changes", "Clarify the purpose")
    text = "# Creator agreement v2\n\nNew terms."
    db.session.add(Agreement(version="2", title="Creator agreement", text=text,
                             sha256=sha256_text(text), published_at=utcnow() + timedelta(seconds=1)))
    db.session.commit()
    with pytest.raises(Invalid):
        idea_service.submit_idea(owner, idea.id, "1")
    db.session.rollback()
    submission = idea_service.submit_idea(owner, idea.id, "2")
    db.session.commit()
    assert submission.consent.agreement_version == "2"
    assert db.session.scalar(select(func.count()).select_from(Consent)) == 2


def test_owner_withdraws_a_published_idea(db):
    owner = factories.user()
    idea = factories.idea(owner)
    idea_service.withdraw_idea(owner, idea.id, "Changed my mind")
    db.session.commit()
    assert db.session.get(Idea, idea.id).status == "withdrawn"
    with pytest.raises(Conflict):
        idea_service.withdraw_idea(owner, idea.id)


# --- moderation -----------------------------------------------------------------------------

def submitted(owner=None):
    owner = owner or factories.user()
    idea = draft(owner)
    idea_service.submit_idea(owner, idea.id, version())
    from app.extensions import db

    db.session.commit()
    return idea


def test_publishing_starts_the_first_support_window(db, app):
    moderator = factories.user("moderator")
    idea = submitted()
    before = utcnow()
    moderation.decide(moderator, idea.id, "publish")
    db.session.commit()
    idea = db.session.get(Idea, idea.id)
    assert idea.status == "published" and idea.published_at >= before
    assert idea.next_milestone == app.config["SUPPORT_MILESTONES"][0]
    assert idea.deadline == idea.published_at + timedelta(days=app.config["SUPPORT_WINDOWS_DAYS"][0])
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "idea.publish"))
    assert audit.actor_id == moderator.id and audit.target_id == idea.id
    note = db.session.scalar(select(Notification).where(Notification.user_id == idea.owner_id,
                                                        Notification.kind == "idea_published"))
    assert note is not None


@pytest.mark.parametrize("decision", ["needs_changes", "reject"])
def test_sending_back_or_rejecting_needs_a_reason(db, decision):
    moderator = factories.user("moderator")
    idea = submitted()
    with pytest.raises(Invalid) as error:
        moderation.decide(moderator, idea.id, decision, "  ")
    assert "reason" in error.value.fields


def test_creators_are_told_the_reason(db):
    moderator = factories.user("moderator")
    idea = submitted()
    moderation.decide(moderator, idea.id, "needs_changes", "Please add who it is for")
    db.session.commit()
    assert db.session.get(Idea, idea.id).status_reason == "Please add who it is for"
    note = db.session.scalar(select(Notification).where(Notification.kind == "idea_needs_changes"))
    assert "Please add who it is for" in note.message


def test_member_cannot_moderate(db):
    idea = submitted()
    with pytest.raises(NotFound):  # pending ideas are invisible to members
        moderation.decide(factories.user(), idea.id, "publish")
    with pytest.raises(Forbidden):
        moderation.decide(idea.owner, idea.id, "publish")


def test_only_pending_ideas_can_be_decided(db):
    moderator = factories.user("moderator")
    idea = factories.idea()
    with pytest.raises(Conflict):
        moderation.decide(moderator, idea.id, "publish")


def test_hidden_idea_leaves_public_listings_and_is_audited(db):
    from app.queries import visible_ideas

    moderator = factories.user("moderator")
    idea = factories.idea()
    moderation.hide_idea(moderator, idea.id, "Spam")
    db.session.commit()
    assert idea.id not in [i.id for i in db.session.scalars(visible_ideas(None))]
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.target_id == idea.id)) == \
        "idea.hide"
    moderation.unhide_idea(moderator, idea.id)
    db.session.commit()
    assert idea.id in [i.id for i in db.session.scalars(visible_ideas(None))]


def test_moderator_blocks_and_unblocks_a_member(db):
    moderator, member = factories.user("moderator"), factories.user()
    moderation.block_user(moderator, member.id, "Spamming")
    db.session.commit()
    assert member.is_blocked
    moderation.unblock_user(moderator, member.id)
    db.session.commit()
    assert not member.is_blocked
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["user.block", "user.unblock"]


def test_moderator_cannot_block_staff_or_themselves(db):
    moderator, admin = factories.user("moderator"), factories.user("admin")
    with pytest.raises(Forbidden):
        moderation.block_user(moderator, admin.id, "no")
    with pytest.raises(Conflict):
        moderation.block_user(moderator, moderator.id, "no")


def test_merge_combines_supporters_without_counting_anyone_twice(db):
    moderator = factories.user("moderator")
    target_owner = factories.user()
    target = factories.idea(target_owner)
    source = factories.idea()
    both, only_source = factories.user(), factories.user()
    factories.support(target, both)
    factories.support(source, both)
    factories.support(source, only_source)
    factories.support(source, target_owner)  # a creator of the target cannot support it
    moderation.merge_ideas(moderator, source.id, target.id)
    db.session.commit()
    db.session.expire_all()
    target, source = db.session.get(Idea, target.id), db.session.get(Idea, source.id)
    supporters = set(db.session.scalars(select(Support.user_id).where(Support.idea_id == target.id)))
    assert supporters == {both.id, only_source.id}
    assert target.support_count == 2
    assert source.support_count == 0 and source.merged_into_id == target.id
    assert source.status == "withdrawn"
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "idea.merge"))


def test_merge_refuses_itself_and_merged_ideas(db):
    moderator = factories.user("moderator")
    a, b, c = factories.idea(), factories.idea(), factories.idea()
    with pytest.raises(Conflict, match="itself"):
        moderation.merge_ideas(moderator, a.id, a.id)
    moderation.merge_ideas(moderator, a.id, b.id)
    db.session.commit()
    with pytest.raises(Conflict):
        moderation.merge_ideas(moderator, a.id, c.id)
    with pytest.raises(Forbidden):
        moderation.merge_ideas(factories.user(), b.id, c.id)
