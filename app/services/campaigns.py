"""Campaigns: staff open a themed, time-boxed call for ideas; members enter ideas into an open
campaign when they create them (answering its extra questions); staff shortlist entries and run
a short community vote (one vote per member and campaign, results hidden until it closes); staff
place the winners, announced to entrants and voters in batches by a job. Staff picks mark any
listed idea with a short reason.

Campaign ideas follow the normal lifecycle (app.lifecycle): an entry is a draft like any other
and shows on the campaign page once it is listed (app.queries.listed_condition).
Every staff action is audited; permissions are app.permissions MANAGE_CAMPAIGNS / STAFF_PICK /
VOTE_IN_CAMPAIGN.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import func, select, union, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app import images as image_files
from app import jobs, lifecycle, permissions
from app import notification_kinds as kinds
from app.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge
from app.extensions import db
from app.i18n import _
from app.models import (Campaign, CampaignEntry, CampaignVote, Category, Idea, IdeaCreator,
                        StaffPick, User)
from app.models.base import is_row_id, utcnow
from app.permissions import Action
from app.queries import listed_condition
from app.services import events, media

TITLE_MAX = 120
BRIEF_MAX = 20_000
PRIZE_MAX = 500
REASON_MAX = 500
QUESTIONS_MAX = 10
QUESTION_LABEL_MAX = 200
ANSWER_MAX = 2_000
SHORTLIST_MAX = 50
WINNERS_MAX = 10
#: Campaign covers: <folder>/<key>_<size>.jpg, keys starting COVER_PREFIX.
COVER_SIZES = {"card": 640, "large": 1600}
COVER_PREFIX = "campaign-"
COVER_FOLDER = "campaigns"
#: People told per batch when winners are announced (each batch its own transaction).
ANNOUNCE_BATCH = 500
ANNOUNCE_JOB = "campaigns.announce_winners"
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


def today() -> date:
    return utcnow().date()


def _not_found() -> NotFound:
    return NotFound("campaign_not_found", _("No such campaign."))


# --- reading ----------------------------------------------------------------------------------

def get_campaign(campaign_id: Any, *, lock: bool = False) -> Campaign:
    """The campaign (campaigns are public), or NotFound."""
    if not is_row_id(campaign_id):
        raise _not_found()
    stmt = select(Campaign).where(Campaign.id == campaign_id).options(joinedload(Campaign.category))
    if lock:
        if db.session.get_bind().dialect.name == "sqlite":
            db.session.execute(update(Campaign).where(Campaign.id == -1).values(title=""))
        stmt = stmt.with_for_update(of=Campaign).execution_options(populate_existing=True)
    campaign = db.session.scalar(stmt)
    if campaign is None:
        raise _not_found()
    return campaign


def campaigns_query(state: str | None = None, on: date | None = None):
    """Campaigns, the newest start first; state open | upcoming | closed filters by today."""
    on = on or today()
    stmt = select(Campaign).options(joinedload(Campaign.category))
    if state == "open":
        stmt = stmt.where(Campaign.starts_on <= on, Campaign.ends_on >= on)
    elif state == "upcoming":
        stmt = stmt.where(Campaign.starts_on > on)
    elif state == "closed":
        stmt = stmt.where(Campaign.ends_on < on)
    return stmt.order_by(Campaign.starts_on.desc(), Campaign.id.desc())


def open_campaigns(on: date | None = None, limit: int = 50) -> list[Campaign]:
    """The campaigns taking entries today (offered by the idea form)."""
    return list(db.session.scalars(campaigns_query("open", on).limit(limit)).unique())


def entry_counts(campaign_ids: Sequence[int]) -> dict[int, int]:
    """Listed entries per campaign (one grouped query for a page of campaigns)."""
    rows = db.session.execute(
        select(Idea.campaign_id, func.count()).where(
            Idea.campaign_id.in_(list(campaign_ids) or [-1]), listed_condition())
        .group_by(Idea.campaign_id)).all()
    return {campaign_id: count for campaign_id, count in rows}


def entry_of(idea_id: int) -> CampaignEntry | None:
    return db.session.get(CampaignEntry, idea_id)


def shortlist_of(campaign: Campaign) -> list[CampaignEntry]:
    """The shortlisted entries still listed, with their ideas (two queries), by idea id."""
    return list(db.session.scalars(
        select(CampaignEntry).join(Idea, Idea.id == CampaignEntry.idea_id)
        .where(CampaignEntry.campaign_id == campaign.id, CampaignEntry.shortlisted_at.is_not(None),
               listed_condition())
        .options(joinedload(CampaignEntry.idea).selectinload(Idea.images))
        .order_by(CampaignEntry.idea_id)).unique())


def winners_of(campaign: Campaign) -> list[CampaignEntry]:
    if campaign.winners_announced_at is None:
        return []
    return list(db.session.scalars(
        select(CampaignEntry).where(CampaignEntry.campaign_id == campaign.id,
                                    CampaignEntry.winner_position.is_not(None))
        .options(joinedload(CampaignEntry.idea))
        .order_by(CampaignEntry.winner_position)).unique())


def results_visible(campaign: Campaign, now: datetime | None = None) -> bool:
    """Vote counts are shown to nobody until the vote has closed."""
    return campaign.vote_state(now or utcnow()) == "closed"


def vote_of(user: Any, campaign: Campaign) -> CampaignVote | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(CampaignVote).where(CampaignVote.campaign_id == campaign.id,
                                                        CampaignVote.user_id == user.id))


# --- validating -------------------------------------------------------------------------------

def _text(data: Mapping[str, Any], name: str, limit: int, errors: dict, *, required=False,
          single_line=False) -> str:
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = _("Must be a string.")
        return ""
    value = value.replace("\r\n", "\n").strip()
    if single_line:
        value = " ".join(value.split())
    if "\x00" in value:
        errors[name] = _("Contains a character that is not allowed.")
    elif len(value) > limit:
        errors[name] = _("At most %(n)s characters.", n=limit)
    elif required and not value:
        errors[name] = _("This field is required.")
    return value


def _day(data: Mapping[str, Any], name: str, errors: dict) -> date | None:
    value = data.get(name)
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        errors[name] = _("This field is required.")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[name] = _("A date as YYYY-MM-DD.")
        return None


def clean_questions(value: Any, errors: dict) -> list[dict[str, str]]:
    """[{key, label, label_ja?}] (or a text of one label per line, for the HTML form)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [{"label": line.strip()} for line in value.splitlines() if line.strip()]
    if not isinstance(value, list) or len(value) > QUESTIONS_MAX:
        errors["questions"] = _("At most %(n)s questions.", n=QUESTIONS_MAX)
        return []
    questions: list[dict[str, str]] = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            errors["questions"] = _("Each question is an object {key, label, label_ja}.")
            return []
        label = item.get("label")
        label_ja = item.get("label_ja") or ""
        key = item.get("key") or f"q{index}"
        if not isinstance(label, str) or not label.strip() or len(label) > QUESTION_LABEL_MAX \
                or not isinstance(label_ja, str) or len(label_ja) > QUESTION_LABEL_MAX \
                or "\x00" in label + label_ja:
            errors["questions"] = _("Each question needs a label of at most %(n)s characters.",
                                    n=QUESTION_LABEL_MAX)
            return []
        if not isinstance(key, str) or not _KEY.fullmatch(key) \
                or key in {q["key"] for q in questions}:
            errors["questions"] = _("Question keys are distinct lower-case words.")
            return []
        questions.append({"key": key, "label": " ".join(label.split()),
                          "label_ja": " ".join(label_ja.split())})
    return questions


def clean_campaign(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "title": _text(data, "title", TITLE_MAX, errors, required=True, single_line=True),
        "title_ja": _text(data, "title_ja", TITLE_MAX, errors, single_line=True),
        "brief": _text(data, "brief", BRIEF_MAX, errors, required=True),
        "brief_ja": _text(data, "brief_ja", BRIEF_MAX, errors),
        "prize": _text(data, "prize", PRIZE_MAX, errors),
        "prize_ja": _text(data, "prize_ja", PRIZE_MAX, errors),
        "starts_on": _day(data, "starts_on", errors),
        "ends_on": _day(data, "ends_on", errors),
        "questions": clean_questions(data.get("questions"), errors),
        "category_id": None,
    }
    if values["starts_on"] and values["ends_on"] and values["ends_on"] < values["starts_on"]:
        errors["ends_on"] = _("The campaign cannot end before it starts.")
    slug = data.get("category")
    if slug not in (None, ""):
        category = db.session.scalar(select(Category).where(Category.slug == slug)) \
            if isinstance(slug, str) else None
        if category is None or category.is_archived:
            errors["category"] = _("Unknown category.")
        else:
            values["category_id"] = category.id
    if errors:
        raise Invalid(errors)
    return values


# --- staff: opening a campaign ------------------------------------------------------------------

def _store_cover(data: bytes) -> str:
    config = current_app.config
    try:
        processed = media.process_upload(data, COVER_SIZES)
    except image_files.ImageRejected as error:
        if error.code == "too_large":
            raise TooLarge("too_large", _("This image file is too large (at most %(n)s MB).",
                                          n=config["IMAGE_MAX_BYTES"] // (1024 * 1024))) from None
        raise Invalid({"cover": _(error.template, **error.params)}, code=error.code) from None
    return media.store(processed, COVER_PREFIX, COVER_FOLDER)


def create_campaign(user: User, data: Mapping[str, Any], cover: bytes | None = None) -> Campaign:
    """Open a campaign (admins and community managers), with an optional cover picture."""
    permissions.require(user, Action.MANAGE_CAMPAIGNS)
    values = clean_campaign(data)
    campaign = Campaign(created_by_id=user.id, **values)
    if cover:
        campaign.cover_key = _store_cover(cover)
    db.session.add(campaign)
    db.session.flush()
    events.audit(user, "campaign.create", campaign, after={
        "title": campaign.title, "starts_on": campaign.starts_on.isoformat(),
        "ends_on": campaign.ends_on.isoformat(), "category_id": campaign.category_id})
    return campaign


def set_cover(user: User, campaign_id: Any, data: bytes) -> Campaign:
    permissions.require(user, Action.MANAGE_CAMPAIGNS)
    campaign = get_campaign(campaign_id, lock=True)
    old = campaign.cover_key
    campaign.cover_key = _store_cover(data)
    if old:
        media.remove_after_commit([old], COVER_SIZES, COVER_FOLDER)
    events.audit(user, "campaign.cover", campaign, before={"cover_key": old},
                 after={"cover_key": campaign.cover_key})
    return campaign


def cover_to_serve(key: str, size: str) -> str:
    """The storage name of a campaign cover's variant (covers are public)."""
    if size not in COVER_SIZES or not isinstance(key, str) or not key.startswith(COVER_PREFIX):
        raise NotFound("image_not_found", _("No such image."))
    if db.session.scalar(select(Campaign.id).where(Campaign.cover_key == key)) is None:
        raise NotFound("image_not_found", _("No such image."))
    try:
        return image_files.variant_name(key, size, COVER_FOLDER)
    except ValueError:
        raise NotFound("image_not_found", _("No such image.")) from None


# --- entering an idea (called by app.services.ideas.create_draft) ------------------------------

def campaign_for_entry(campaign_id: Any, answers: Any) -> tuple[Campaign, dict[str, str]]:
    """The open campaign an idea is entered into and the cleaned answers to its questions.
    NotFound for no such campaign, Conflict campaign_closed when it does not take entries today,
    Invalid for answers that are not text."""
    campaign = get_campaign(campaign_id)
    if not campaign.is_open(today()):
        raise Conflict("campaign_closed", _("This campaign does not take entries now."))
    if answers is None:
        answers = {}
    if not isinstance(answers, dict):
        raise Invalid({"campaign_answers": _("Give the answers as an object {key: text}.")})
    cleaned: dict[str, str] = {}
    for question in campaign.questions or []:
        value = answers.get(question["key"], "")
        if not isinstance(value, str) or len(value) > ANSWER_MAX or "\x00" in value:
            raise Invalid({"campaign_answers": _("Each answer is a text of at most %(n)s "
                                                 "characters.", n=ANSWER_MAX)})
        if value.strip():
            cleaned[question["key"]] = value.strip()
    return campaign, cleaned


def enter(idea: Idea, campaign: Campaign, answers: dict[str, str]) -> CampaignEntry:
    idea.campaign_id = campaign.id
    entry = CampaignEntry(idea_id=idea.id, campaign_id=campaign.id, answers=answers)
    db.session.add(entry)
    return entry


# --- staff: shortlist, vote, winners --------------------------------------------------------------

def _ids(value: Any, limit: int, name: str = "idea_ids") -> list[int]:
    if not isinstance(value, list) or not value or len(value) > limit \
            or not all(is_row_id(item) for item in value) or len(set(value)) != len(value):
        raise Invalid({name: _("A list of 1 to %(n)s distinct idea ids.", n=limit)})
    return list(value)


def _listed_entries(campaign: Campaign, idea_ids: list[int]) -> list[CampaignEntry]:
    entries = list(db.session.scalars(
        select(CampaignEntry).join(Idea, Idea.id == CampaignEntry.idea_id)
        .where(CampaignEntry.campaign_id == campaign.id, CampaignEntry.idea_id.in_(idea_ids),
               listed_condition())).unique())
    if len(entries) != len(idea_ids):
        raise Conflict("not_an_entry", _("Only this campaign's published entries can be "
                                         "chosen."))
    return entries


def shortlist(user: User, campaign_id: Any, idea_ids: Any) -> list[CampaignEntry]:
    """Put entries on the shortlist for the community vote (before the vote opens); their
    creators are told."""
    permissions.require(user, Action.MANAGE_CAMPAIGNS)
    campaign = get_campaign(campaign_id, lock=True)
    ids = _ids(idea_ids, SHORTLIST_MAX)
    if campaign.vote_opened_at is not None:
        raise Conflict("vote_started", _("The vote has started: the shortlist cannot change."))
    entries = _listed_entries(campaign, ids)
    now = utcnow()
    added = [entry for entry in entries if entry.shortlisted_at is None]
    for entry in added:
        entry.shortlisted_at = now
    events.audit(user, "campaign.shortlist", campaign, after={"idea_ids": sorted(ids)})
    for entry in added:
        idea = db.session.get(Idea, entry.idea_id)
        events.notify(events.creators_of(idea), "campaign_shortlisted",
                      {"title": idea.title, "campaign": _campaign_name(campaign)}, idea=idea)
    return entries


def open_vote(user: User, campaign_id: Any, closes_at: Any) -> Campaign:
    """Open the community vote between the shortlisted entries until closes_at."""
    permissions.require(user, Action.MANAGE_CAMPAIGNS)
    campaign = get_campaign(campaign_id, lock=True)
    if campaign.vote_opened_at is not None:
        raise Conflict("vote_started", _("This campaign's vote has already been opened."))
    closes = _moment(closes_at, "closes_at")
    now = utcnow()
    if closes <= now:
        raise Invalid({"closes_at": _("The vote must close in the future.")})
    if not shortlist_of(campaign):
        raise Conflict("no_shortlist", _("Shortlist some entries first."))
    campaign.vote_opened_at, campaign.vote_closes_at = now, closes
    events.audit(user, "campaign.vote_open", campaign,
                 after={"vote_closes_at": closes.isoformat()})
    return campaign


def close_vote(user: User, campaign_id: Any) -> Campaign:
    """Close an open vote now (the results become visible)."""
    permissions.require(user, Action.MANAGE_CAMPAIGNS)
    campaign = get_campaign(campaign_id, lock=True)
    if campaign.vote_state(utcnow()) != "open":
        raise Conflict("vote_closed", _("The vote is not open."))
    before = campaign.vote_closes_at
    campaign.vote_closes_at = utcnow()
    events.audit(user, "campaign.vote_close", campaign,
                 before={"vote_closes_at": before.isoformat() if before else None},
                 after={"vote_closes_at": campaign.vote_closes_at.isoformat()})
    return campaign


def _moment(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Invalid({name: _("A date and time with its offset (ISO 8601).")})
    return parsed


def vote(user: User, campaign_id: Any, idea_id: Any) -> CampaignVote:
    """A member's one vote in the campaign's community vote, for a shortlisted entry not their
    own. 409 vote_closed when no vote is open, already_voted the second time."""
    permissions.require(user, Action.VOTE_IN_CAMPAIGN)
    campaign = get_campaign(campaign_id)
    if campaign.vote_state(utcnow()) != "open":
        raise Conflict("vote_closed", _("The vote is not open."))
    if not is_row_id(idea_id):
        raise Invalid({"idea_id": _("An idea id.")})
    entry = next((e for e in shortlist_of(campaign) if e.idea_id == idea_id), None)
    if entry is None:
        raise Conflict("not_shortlisted", _("Only shortlisted entries can be voted for."))
    if permissions.is_creator(user, entry.idea):
        raise Forbidden("own_idea", _("You cannot vote for your own idea."))
    ballot = CampaignVote(campaign_id=campaign.id, user_id=user.id, idea_id=idea_id)
    try:
        with db.session.begin_nested():
            db.session.add(ballot)
    except IntegrityError:
        raise Conflict("already_voted", _("You have already voted in this campaign.")) from None
    db.session.execute(update(CampaignEntry).where(CampaignEntry.idea_id == idea_id)
                       .values(vote_count=CampaignEntry.vote_count + 1)
                       .execution_options(synchronize_session=False))
    return ballot


def pick_winners(user: User, campaign_id: Any, idea_ids: Any) -> list[CampaignEntry]:
    """Place the winners (first to last) once, after any vote has closed; entrants and voters
    are told by the announce job, in batches."""
    permissions.require(user, Action.MANAGE_CAMPAIGNS)
    campaign = get_campaign(campaign_id, lock=True)
    ids = _ids(idea_ids, WINNERS_MAX)
    if campaign.winners_announced_at is not None:
        raise Conflict("winners_announced", _("The winners have already been announced."))
    if campaign.vote_state(utcnow()) == "open":
        raise Conflict("vote_open", _("Wait until the vote closes."))
    entries = {entry.idea_id: entry for entry in _listed_entries(campaign, ids)}
    for position, idea_id in enumerate(ids, start=1):
        entries[idea_id].winner_position = position
    campaign.winners_announced_at = utcnow()
    events.audit(user, "campaign.winners", campaign, after={"idea_ids": ids})
    db.session.flush()
    jobs.enqueue(ANNOUNCE_JOB, campaign_id=campaign.id)
    return [entries[idea_id] for idea_id in ids]


# --- announcing winners (a job, in batches) ---------------------------------------------------------

def _campaign_name(campaign: Campaign) -> dict:
    return kinds.localized({"en": campaign.title, "ja": campaign.title_ja or campaign.title})


def campaign_url(campaign: Campaign) -> str:
    if has_request_context():
        return url_for("campaigns.detail", campaign_id=campaign.id)
    return f"/campaigns/{campaign.id}"


def audience(campaign_id: int):
    """Entrants (every creator of an entry) and voters, as one column user_id."""
    creators = select(IdeaCreator.user_id.label("user_id")).join(
        CampaignEntry, CampaignEntry.idea_id == IdeaCreator.idea_id).where(
        CampaignEntry.campaign_id == campaign_id)
    voters = select(CampaignVote.user_id.label("user_id")).where(
        CampaignVote.campaign_id == campaign_id)
    return union(creators, voters).subquery()


def announce_batch(campaign_id: int, batch_size: int = ANNOUNCE_BATCH) -> int:
    """Tell the next batch of entrants and voters (after the cursor, in user id order) and move
    the cursor; the number told (0: done). The caller commits. Each person's preference for
    "status" decides how (events.notify)."""
    campaign = get_campaign(campaign_id, lock=True)
    if campaign.winners_announced_at is None or campaign.announce_done_at is not None:
        return 0
    people = audience(campaign.id)
    users = list(db.session.scalars(
        select(User).where(User.id.in_(select(people.c.user_id)),
                           User.id > campaign.announce_after_user_id, User.blocked_at.is_(None))
        .order_by(User.id).limit(batch_size)))
    if users:
        titles = [entry.idea.title for entry in winners_of(campaign)]
        events.notify(users, "campaign_winners",
                      {"campaign": _campaign_name(campaign), "winners": titles},
                      url=campaign_url(campaign))
        campaign.announce_after_user_id = users[-1].id
    if len(users) < batch_size:
        campaign.announce_done_at = utcnow()
    return len(users)


@jobs.job(ANNOUNCE_JOB)
def announce_winners(campaign_id: int, batch_size: int = ANNOUNCE_BATCH) -> int:
    """Every batch in its own transaction: a job that stops half way, or runs twice, goes on
    from the cursor and tells nobody twice."""
    told = 0
    base = current_app.config.get("PUBLIC_BASE_URL") or None
    with current_app.test_request_context("/", base_url=base):
        while True:
            count = announce_batch(campaign_id, batch_size)
            db.session.commit()
            told += count
            if count < batch_size:
                return told


# --- staff picks ----------------------------------------------------------------------------------

def staff_pick(user: User, idea_id: Any, reason: Any) -> StaffPick:
    """Staff (admins, community managers) pick a listed idea, at any support count, once, with a
    short reason; the badge shows on its card and page, it joins the Staff picks shelf, and its
    creators are told."""
    from app.services.ideas import lock_idea

    permissions.require(user, Action.STAFF_PICK)
    idea = permissions.require_visible(user, lock_idea(idea_id) if is_row_id(idea_id) else None)
    permissions.require(user, Action.STAFF_PICK, idea)
    errors: dict[str, str] = {}
    text = _text({"reason": reason}, "reason", REASON_MAX, errors, required=True)
    if errors:
        raise Invalid(errors)
    if idea.status not in lifecycle.PUBLIC or idea.hidden or idea.merged_into_id is not None:
        raise Conflict("not_public", _("Only a published idea can be a staff pick."))
    if idea.staff_picked_at is not None or db.session.get(StaffPick, idea.id) is not None:
        raise Conflict("already_picked", _("This idea is already a staff pick."))
    pick = StaffPick(idea_id=idea.id, reason=text, picked_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(pick)
    except IntegrityError:
        raise Conflict("already_picked", _("This idea is already a staff pick.")) from None
    idea.staff_picked_at = pick.created_at or utcnow()
    events.audit(user, "idea.staff_pick", idea, after={"reason": text})
    events.notify(events.creators_of(idea), "staff_pick", {"title": idea.title, "reason": text},
                  idea=idea)
    return pick


def staff_pick_of(idea: Idea) -> StaffPick | None:
    if idea.staff_picked_at is None:
        return None  # no query for the ideas nobody picked
    return db.session.get(StaffPick, idea.id)


def campaign_of(idea: Idea) -> Campaign | None:
    """The campaign the idea was entered into (no query for the others)."""
    return db.session.get(Campaign, idea.campaign_id) if idea.campaign_id else None
