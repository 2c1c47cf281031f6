"""Authoring ideas: drafts, images, similar ideas, co-creators, consent and submission.

Every function takes the acting user and plain values, checks permission through
app.permissions, changes the data, records what happened and queues notifications. The caller
commits.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app
from sqlalchemy import case, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import images as image_files
from app import lifecycle, permissions
from app.permissions import Action, idea_visibility
from app.errors import Conflict, Invalid, NotFound, TooLarge
from app.extensions import db
from app.models import (Agreement, Category, Idea, IdeaCounter, IdeaCreator, IdeaEvent, IdeaImage,
                        IdeaResonance, Product, Tag, User)
from app.models.base import utcnow
from app.queries import visible_ideas, visible_image
from app.services import events, insight, media, quotas
from app.i18n import _

# Limits of an idea's fields (characters).
TITLE_MAX = 120
PITCH_MAX = 200
DESCRIPTION_MAX = 20_000
INSIGHT_MAX = 2_000
TAG_MAX = 40
TAGS_MAX = 10
# Revenue shares are in basis points; all creators together hold exactly this much.
TOTAL_SHARE_BPS = 10_000

EDITABLE_STATUSES = lifecycle.EDITABLE  # kept for older imports
INSIGHT_FIELDS = ("situation", "emotion", "purpose")  # the first version's names (insight.LEGACY)
TEXT_FIELDS = {"title": TITLE_MAX, "pitch": PITCH_MAX, "description": DESCRIPTION_MAX}
IDEA_FIELDS = (*TEXT_FIELDS, *insight.PARTS, *INSIGHT_FIELDS, "category", "tags")
SINGLE_LINE_FIELDS = ("title", "pitch")
#: Display sizes of idea images: name -> longest edge in pixels.
IMAGE_SIZES = {"thumb": 320, "card": 640, "large": 1600}
IMAGE_KEY_PREFIX = "i"


# --- reading --------------------------------------------------------------------------------

def page_options():
    """Eager loads for one idea with everything its page and its JSON show, in three queries
    whatever it holds: the idea with its owner, category and images (at most IDEA_MAX_IMAGES
    rows), its tags, its creators with their users. The people's roles are not loaded (no page
    shows another member's roles; read on access)."""
    return (joinedload(Idea.images), selectinload(Idea.tags), joinedload(Idea.category),
            joinedload(Idea.owner).lazyload(User.role_rows),
            selectinload(Idea.creators).joinedload(IdeaCreator.user).lazyload(User.role_rows))


def get_visible(viewer: Any, idea_id: int) -> Idea:
    """The idea with its page's relationships loaded, or NotFound for this viewer; its
    support_count is the exact one (app.services.counters), in the same query. The visibility
    filter is in that query, so a missing id and an idea hidden from the viewer cost the same
    one query and give the same 404 (as queries.visible_idea)."""
    row = db.session.execute(
        select(Idea, IdeaCounter.support_count)
        .outerjoin(IdeaCounter, IdeaCounter.idea_id == Idea.id)
        .outerjoin(IdeaResonance, IdeaResonance.idea_id == Idea.id)
        .where(Idea.id == idea_id, idea_visibility(viewer))
        .options(*page_options(), contains_eager(Idea.resonance_row))
    ).unique().first()
    idea, exact = row if row is not None else (None, None)
    if exact is not None:
        set_committed_value(idea, "support_count", exact)
    return permissions.require_visible(viewer, idea)


def lock_idea(idea_id: int) -> Idea | None:
    """The idea read fresh with its row locked until commit (the database on SQLite)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE ideas SET id = id WHERE 0 = 1"))
    return db.session.scalar(select(Idea).where(Idea.id == idea_id).with_for_update()
                             .execution_options(populate_existing=True))


def events_of(idea: Idea) -> list[IdeaEvent]:
    """The idea's history, oldest first, with actors loaded."""
    return list(db.session.scalars(
        select(IdeaEvent).where(IdeaEvent.idea_id == idea.id)
        .options(joinedload(IdeaEvent.actor).lazyload(User.role_rows))
        .order_by(IdeaEvent.created_at, IdeaEvent.id)))


def product_id_of(idea: Idea) -> int | None:
    if idea.status not in lifecycle.APPROVED_OR_LATER:
        return None  # only approved ideas have a product: no query for the others
    return db.session.scalar(select(Product.id).where(Product.idea_id == idea.id))


def categories(keep: Category | None = None) -> list[Category]:
    """The categories offered for new ideas (not archived), in the admins' order; `keep`: an
    idea's own category, offered to it even once archived."""
    from app.services.programme import offered_categories

    offered = offered_categories()
    return offered + [keep] if keep is not None and keep.is_archived else offered


def current_agreement() -> Agreement | None:
    """The creator agreement in force: the latest published version."""
    return db.session.scalar(select(Agreement).order_by(Agreement.published_at.desc(),
                                                        Agreement.id.desc()).limit(1))


# --- validating input -----------------------------------------------------------------------

_TAG_SEPARATOR = re.compile(r"[\s_]+")
_TAG_DROP = re.compile(r"[^\w-]+")
_HYPHENS = re.compile(r"-{2,}")


def normalise_tag(raw: str) -> str:
    """A tag as stored: lower case, words joined by hyphens, nothing but letters, digits, '-'."""
    tag = _TAG_SEPARATOR.sub("-", raw.strip().lower())
    tag = _TAG_DROP.sub("", tag).replace("_", "-")
    return _HYPHENS.sub("-", tag).strip("-")


def parse_tags(value: Any) -> list[str]:
    """Tags from a comma-separated string or a list of strings: normalised, de-duplicated,
    in the given order. Raises Invalid (field `tags`) for a wrong type or too many/long tags."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        parts = list(value)
    else:
        raise Invalid({"tags": _("Give the tags as a list of strings.")})
    tags: list[str] = []
    for part in parts:
        tag = normalise_tag(part)
        if not tag or tag in tags:
            continue
        if len(tag) > TAG_MAX:
            raise Invalid({"tags": _("Each tag has at most %(n)s characters.", n=TAG_MAX)})
        tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise Invalid({"tags": _("At most %(n)s tags.", n=TAGS_MAX)})
    return tags


def _clean_category(slug: Any, keep_id: int | None = None) -> tuple[Category | None, str | None]:
    """The category a slug names (None for an empty slug), or the error message. An archived
    category is refused, except the one the idea has already (`keep_id`)."""
    if not isinstance(slug, str):
        return None, _("Must be a category slug.")
    if slug.strip() == "":
        return None, None
    category = db.session.scalar(select(Category).where(Category.slug == slug.strip()))
    if category is None:
        return None, _("Unknown category.")
    if category.is_archived and category.id != keep_id:
        return None, _("This category is archived: choose another one.")
    return category, None


def _clean_insight(data: Mapping[str, Any], values: dict[str, Any],
                   errors: dict[str, str]) -> None:
    # An error is given under the name the part was sent with (situation, or scene).
    named = {new: old for old, new in insight.LEGACY.items()
             if data.get(old) is not None and data.get(new) is None}
    for part, raw in insight.parts_from(data).items():
        value, error = insight.clean_text(part, raw)
        if error:
            errors[named.get(part, part)] = error
        else:
            values[part] = value


def clean_fields(data: Mapping[str, Any], *, required: Iterable[str] = (),
                 keep_category_id: int | None = None) -> dict[str, Any]:
    """Check the idea fields present in `data` (types and lengths) and return them cleaned:
    text stripped, `category` resolved to a Category, `tags` normalised. Raises Invalid listing
    every bad field. Keys: title, pitch, description, the insight's parts (app.services.insight:
    scene ... core, or the first version's situation, emotion, purpose), category, tags.
    Insight parts are checked against their maximum and the placeholder rule (their minimums
    apply on submission)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, limit in TEXT_FIELDS.items():
        if name not in data or data[name] is None:
            continue
        value = data[name]
        if not isinstance(value, str):
            errors[name] = _("Must be a string.")
            continue
        value = value.replace("\r\n", "\n").strip()
        if name in SINGLE_LINE_FIELDS:  # a title is one line (it also becomes a mail subject)
            value = " ".join(value.split())
        if "\x00" in value:
            errors[name] = _("Contains a character that is not allowed.")
        elif len(value) > limit:
            errors[name] = _("At most %(n)s characters.", n=limit)
        else:
            values[name] = value
    _clean_insight(data, values, errors)
    if "category" in data and data["category"] is not None:
        category, error = _clean_category(data["category"], keep_category_id)
        if error:
            errors["category"] = error
        else:
            values["category"] = category
    if "tags" in data:
        try:
            values["tags"] = parse_tags(data["tags"])
        except Invalid as error:
            errors.update(error.fields)
    for name in required:
        if name not in errors and not values.get(name):
            errors[name] = _("This field is required.")
    if errors:
        raise Invalid(errors)
    return values


def _tags_named(names: list[str]) -> list[Tag]:
    """The Tag rows for these names, creating missing ones (safe when two requests race)."""
    if not names:
        return []
    existing = {tag.name: tag for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name in existing:
            continue
        try:
            with db.session.begin_nested():
                tag = Tag(name=name)
                db.session.add(tag)
            existing[name] = tag
        except IntegrityError:
            existing[name] = db.session.scalar(select(Tag).where(Tag.name == name))
    return [existing[name] for name in names]


def _apply(idea: Idea, values: Mapping[str, Any]) -> list[str]:
    """Write cleaned values onto the idea; returns the names of the fields that changed."""
    changed = []
    columns = {"title": "title", "pitch": "pitch", "description": "description",
               **{part: insight.column(part) for part in insight.PARTS}}
    for name, column in columns.items():
        if name in values and getattr(idea, column) != values[name]:
            setattr(idea, column, values[name])
            changed.append(name)
    if "category" in values:
        category_id = values["category"].id if values["category"] is not None else None
        if idea.category_id != category_id:
            idea.category_id = category_id
            changed.append("category")
    if "tags" in values and [t.name for t in idea.tags] != values["tags"]:
        idea.tags = _tags_named(values["tags"])
        changed.append("tags")
    return changed


# --- drafts ---------------------------------------------------------------------------------

def create_draft(user: User, data: Mapping[str, Any]) -> Idea:
    """Create a draft idea owned by `user` (who holds the whole revenue share until they invite
    co-creators). Only the title is required now; the rest is required on submission."""
    permissions.require(user, Action.CREATE_IDEA)
    values = clean_fields(data, required=("title",))
    entry = None
    if data.get("campaign_id") not in (None, ""):  # entered into an open campaign (409 otherwise)
        from app.services import campaigns

        entry = campaigns.campaign_for_entry(data["campaign_id"], data.get("campaign_answers"))
    quotas.check_new_draft(user)
    idea = Idea(owner_id=user.id, title=values["title"], pitch="", description="",
                status=lifecycle.IdeaStatus.DRAFT)
    db.session.add(idea)
    _apply(idea, values)
    db.session.flush()
    db.session.add(IdeaCreator(idea_id=idea.id, user_id=user.id, is_owner=True,
                               share_bps=TOTAL_SHARE_BPS))
    events.record(user, "created", idea, to_status=lifecycle.IdeaStatus.DRAFT)
    if entry is not None:
        from app.services import campaigns

        campaigns.enter(idea, *entry)
    return idea


def require_editing(user: Any, idea: Idea, action: Action | str = Action.EDIT_IDEA) -> None:
    """Permission to change an idea's draft: 403 for non-creators, 409 once it is submitted
    (both decided by the rule of `action` in app.permissions)."""
    permissions.require(user, action, idea)


def update_idea(user: User, idea_id: int, data: Mapping[str, Any]) -> Idea:
    """Change some fields of a draft (or of an idea sent back with needs_changes)."""
    idea = permissions.require_visible(user, lock_idea(idea_id))
    require_editing(user, idea)
    values = clean_fields(data, keep_category_id=idea.category_id)
    if "title" in values and not values["title"]:
        raise Invalid({"title": _("This field is required.")})
    changed = _apply(idea, values)
    if changed:
        idea.updated_at = utcnow()
    return idea


def delete_draft(user: User, idea_id: int) -> None:
    """Delete a draft for good, with its image files (after commit)."""
    idea = permissions.require_visible(user, lock_idea(idea_id))
    permissions.require(user, Action.DELETE_IDEA, idea)  # the owner, while it is a draft
    keys = [image.key for image in idea.images]
    # Creators point at consents, and consents at the idea: unlink before the cascade.
    for creator in idea.creators:
        creator.consent_id = None
    db.session.flush()
    db.session.delete(idea)
    _remove_files_after_commit(keys)


def withdraw_idea(user: User, idea_id: int, reason: str | None = None) -> Idea:
    """The owner withdraws an idea that is gathering support."""
    idea = permissions.require_visible(user, lock_idea(idea_id))
    permissions.require(user, Action.WITHDRAW_IDEA, idea)  # the owner, while it gathers support
    reason = (reason or "").strip()[:2000] or None
    events.transition(user, idea, lifecycle.IdeaStatus.WITHDRAWN, "withdrawn", reason=reason)
    events.notify(events.creators_of(idea), "idea_withdrawn",
                  {"title": idea.title, "name": user.display_name}, idea=idea, exclude=user)
    return idea


# --- images ---------------------------------------------------------------------------------

def image_to_serve(viewer: Any, key: str, size: str) -> tuple[str, bool]:
    """The storage key of an idea image's variant and whether anyone may see it (the idea is
    public and not hidden: the file may be cached by everyone). NotFound unless the viewer
    may see the idea."""
    missing = NotFound("image_not_found", _("No such image."))
    if size not in IMAGE_SIZES:
        raise missing
    try:
        name = image_files.variant_name(key, size)
    except ValueError:
        raise missing from None
    found = visible_image(viewer, key)
    if found is None:
        raise missing
    return name, found[1]


def _remove_files_after_commit(keys: list[str]) -> None:
    media.remove_after_commit(keys, IMAGE_SIZES)


def add_image(user: User, idea_id: int, data: bytes) -> IdeaImage:
    """Process an upload (decode, strip metadata, resize) and append it to the idea's images.

    Raises TooLarge for a file above IMAGE_MAX_BYTES, Invalid (field `file`) for anything that
    is not an acceptable image (bad shape, too many pixels, damaged...), Conflict
    `too_many_images` above IDEA_MAX_IMAGES, StorageUnavailable when the files cannot be
    written. The files are written before the row is added and removed again if the
    transaction does not commit.
    """
    config = current_app.config
    idea = permissions.require_visible(user, db.session.get(Idea, idea_id))
    require_editing(user, idea, Action.UPLOAD_IMAGE)
    if len(idea.images) >= config["IDEA_MAX_IMAGES"]:
        raise _too_many_images(config["IDEA_MAX_IMAGES"])
    quotas.check_uploads(user)  # before the costly processing
    try:
        processed = media.process_upload(data, IMAGE_SIZES)
    except image_files.ImageRejected as error:
        if error.code == "too_large":
            raise TooLarge("too_large", _("This image file is too large (at most %(n)s MB).",
                                          n=config["IMAGE_MAX_BYTES"] // (1024 * 1024))) from None
        raise Invalid({"file": _(error.template, **error.params)}, code=error.code) from None
    # The slow work is done: now lock the idea, so two uploads cannot pass the limit together.
    idea = lock_idea(idea_id)
    require_editing(user, idea, Action.UPLOAD_IMAGE)
    count, last = db.session.execute(
        select(func.count(IdeaImage.id), func.max(IdeaImage.position))
        .where(IdeaImage.idea_id == idea.id)).one()
    if count >= config["IDEA_MAX_IMAGES"]:
        raise _too_many_images(config["IDEA_MAX_IMAGES"])
    quotas.count_upload(user)  # counted in this transaction: only a stored picture counts
    key = media.store(processed, IMAGE_KEY_PREFIX)
    image = IdeaImage(idea_id=idea.id, key=key, width=processed.width, height=processed.height,
                      position=(last + 1) if last is not None else 0)
    db.session.add(image)
    db.session.flush()
    db.session.expire(idea, ["images"])
    return image


def image_count(idea_id: int) -> int:
    """How many pictures the idea has (the upload answer's "3 of 10")."""
    return db.session.scalar(select(func.count(IdeaImage.id))
                             .where(IdeaImage.idea_id == idea_id)) or 0


def _too_many_images(limit: int) -> Conflict:
    return Conflict("too_many_images", _("An idea can have at most %(n)s images.", n=limit))


def _editable_image(user: User, idea_id: int, image_id: int) -> tuple[Idea, IdeaImage]:
    idea = permissions.require_visible(user, lock_idea(idea_id))
    require_editing(user, idea, Action.UPLOAD_IMAGE)
    image = next((i for i in idea.images if i.id == image_id), None)
    if image is None:
        raise NotFound("image_not_found", _("No such image."))
    return idea, image


def move_image(user: User, idea_id: int, image_id: int, position: int) -> IdeaImage:
    """Put an image at `position` (0 = the cover), shifting the others; positions stay 0..n-1."""
    idea, image = _editable_image(user, idea_id, image_id)
    ordered = [i for i in idea.images if i.id != image.id]
    position = max(0, min(position, len(ordered)))
    ordered.insert(position, image)
    for index, item in enumerate(ordered):
        item.position = index
    db.session.flush()
    db.session.expire(idea, ["images"])
    return image


def make_cover(user: User, idea_id: int, image_id: int) -> IdeaImage:
    return move_image(user, idea_id, image_id, 0)


def delete_image(user: User, idea_id: int, image_id: int) -> None:
    idea, image = _editable_image(user, idea_id, image_id)
    key = image.key
    idea.images.remove(image)
    for index, item in enumerate(idea.images):
        item.position = index
    db.session.flush()
    _remove_files_after_commit([key])


# --- similar ideas --------------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
STOPWORDS = frozenset("""a an and are as at be by for from has have in into is it its of on or
that the this to with without your you my our their me we i""".split())
SIMILAR_MAX_WORDS = 8
#: Ideas the database finds by any shared word, before they are weighed as whole words.
SIMILAR_CANDIDATES = 60
#: Share of the drafted title's words an idea must hold to count as similar, unless it shares
#: SIMILAR_MIN_SHARED words of the title and pitch together.
SIMILAR_TITLE_SHARE = 0.5
SIMILAR_MIN_SHARED = 3


def _stem(word: str) -> str:
    """A crude English stem, enough for "umbrellas" to meet "umbrella" (a prefix of the word,
    so the database's LIKE still finds it)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") \
        else word


def _terms(text: str) -> list[str]:
    """The text's meaningful words, in order and once each: stemmed words of three letters or
    more, and for Japanese and Chinese (written without spaces) each pair of adjacent
    characters."""
    terms: list[str] = []
    for word in _WORD.findall((text or "")[:400].lower()):
        if word in STOPWORDS or word.isdigit():
            continue
        if _CJK.search(word):
            runs = [word[i:i + 2] for i in range(len(word) - 1)] or [word]
            candidates = [run for run in runs if _CJK.search(run)]
        elif len(word) >= 3:
            candidates = [_stem(word)]
        else:
            candidates = []
        terms += [term for term in candidates if term not in terms]
    return terms


def _similar_words(title: str, pitch: str = "") -> list[str]:
    words = _terms(title)
    words += [w for w in _terms(pitch) if w not in words]
    return words[:SIMILAR_MAX_WORDS]


def _is_similar(title_terms: set[str], all_terms: set[str], idea: Idea) -> bool:
    """Whole-word overlap: the idea holds half the drafted title's words, or three of the
    title's and pitch's words together (a shared word inside another word never counts)."""
    theirs = set(_terms(f"{idea.title} {idea.pitch or ''}"))
    if title_terms and len(title_terms & theirs) / len(title_terms) >= SIMILAR_TITLE_SHARE:
        return True
    return len(all_terms & theirs) >= SIMILAR_MIN_SHARED


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def similar_ideas(viewer: Any, title: str, pitch: str = "", limit: int = 5, *,
                  exclude_id: int | None = None) -> list[Idea]:
    """Listed ideas of others this viewer may see that share words with `title` (and `pitch`),
    most shared words first: shown while drafting, to prevent duplicates ("support one of them
    instead", so never the viewer's own ideas). One query: the database finds candidates by
    any shared text, then whole words decide (app.services.ideas._is_similar)."""
    words = _similar_words(title, pitch)
    if not words:
        return []
    score = sum(case((or_(Idea.title.ilike(_like(w), escape="\\"),
                          Idea.pitch.ilike(_like(w), escape="\\")), 1), else_=0)
                for w in words)
    stmt = visible_ideas(viewer).where(score > 0)
    if exclude_id is not None:
        stmt = stmt.where(Idea.id != exclude_id)
    if getattr(viewer, "is_authenticated", False):
        stmt = stmt.where(Idea.id.not_in(select(IdeaCreator.idea_id)
                                         .where(IdeaCreator.user_id == viewer.id)))
    stmt = stmt.order_by(score.desc(), Idea.support_count.desc(), Idea.id.desc()) \
        .limit(SIMILAR_CANDIDATES)
    title_terms, all_terms = set(_terms(title)), set(words)
    return [idea for idea in db.session.scalars(stmt).unique()
            if _is_similar(title_terms, all_terms, idea)][:limit]


# Re-exported: callers keep importing these from app.services.ideas.
from app.services.idea_creators import (  # noqa: E402,F401
    _owner_row,
    _rebalance,
    _check_share,
    _owned_draft,
    invite_co_creator,
    revoke_invitation,
    pending_invitations,
    accept_invitation,
    decline_invitation,
    change_share,
    remove_co_creator,
    format_share,
    _agreement_for,
    agreement_in_force,
    consent_status,
    _record_consent,
    consent,
    SUBMIT_REQUIRED,
    missing_for_submission,
    Submission,
    submit_idea,
)
