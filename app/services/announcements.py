"""Announcements: staff (community managers, admins) write to a segment of members, in English and
optionally Japanese, and send it in the app and by mail.

    draft --send--> sending --(the last batch)--> sent

`create_announcement` keeps the texts (Markdown, stored rendered), a copy of the segment's filters
and how many members would receive it. `send_announcement` moves a draft to `sending` and queues
the job `announcements.send`, which walks the segment in keyset batches of ANNOUNCEMENT_BATCH
members (by user id; the announcement's `after_user_id` is the cursor). Per batch, in one
transaction under the announcement's row lock, a fixed number of statements, none per
recipient: one keyset query for the batch's bound (its count and last user id), one INSERT ...
SELECT of the delivery rows straight from the segment's query (primary key (announcement_id,
user_id): ON CONFLICT DO NOTHING, so a member already told is never told again, whatever runs
twice), one query for the new recipients who want a mail and one insert of their mails (each
composed in its reader's language: the only rows built in Python), one INSERT ... SELECT of the
notifications from the new delivery rows, then the cursor and the counts. An announcement is marketing: a member
who did not agree to marketing (app.services.consents) or turned announcements off gets
nothing, neither in the app nor by mail; the others see it in the app, and by mail in their
language with the unsubscribe link when they want announcements mailed at once. The sweep
`announcements.send_sweep` (every minute) finishes a send whose job was lost.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import (JSON, ColumnElement, Select, String, and_, case, cast, func, insert,
                        literal, not_, null, select, text)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, joinedload

from app import jobs, permissions
from app import notification_kinds as kinds
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _, locale_of
from app.markdown import MAX_SOURCE_CHARS, render_stored
from app.models import (Announcement, AnnouncementDelivery, Notification, NotificationPreference,
                        OutboundMail, User)
from app.models.activity import DEFAULT_DELIVERY
from app.models.base import UTCDateTime, is_row_id, utcnow
from app.permissions import Action
from app.services import events, notifications, segments

log = logging.getLogger(__name__)

KIND = "announcement"
CATEGORY = "announcements"
TITLE_MAX = 160
BODY_MAX = MAX_SOURCE_CHARS
JOB_NAME = "announcements.send"
SWEEP_JOB = "announcements.send_sweep"
LANGUAGES = ("en", "ja")


def marketing_condition() -> ColumnElement[bool]:
    """Members who agreed to marketing mail (announcements are marketing): the consents'
    SQL twin (app.services.consents)."""
    from app.services import consents

    return consents.marketing_condition()


# --- reading ---------------------------------------------------------------------------------------

def get_announcement(actor: User, announcement_id: Any, *, lock: bool = False) -> Announcement:
    permissions.require(actor, Action.MANAGE_ANNOUNCEMENTS)
    announcement = None
    if is_row_id(announcement_id):
        stmt = select(Announcement).where(Announcement.id == announcement_id)
        if lock:
            stmt = stmt.with_for_update()
        announcement = db.session.scalar(stmt)
    if announcement is None:
        raise NotFound("announcement_not_found", _("No such announcement."))
    return announcement


def listing_query(actor: User) -> Select:
    """Announcements newest first (for the API's pages)."""
    permissions.require(actor, Action.MANAGE_ANNOUNCEMENTS)
    return select(Announcement).order_by(Announcement.id.desc())


def announcements_page(actor: User, *, before: int | None = None, size: int = 25
                       ) -> tuple[list[Announcement], int | None]:
    """Announcements newest first, `size` at a time (keyset: ids below `before`), with who wrote
    them; and the id to pass as `before` for the next page (None on the last)."""
    permissions.require(actor, Action.MANAGE_ANNOUNCEMENTS)
    stmt = select(Announcement).options(joinedload(Announcement.created_by))
    if before is not None:
        stmt = stmt.where(Announcement.id < before)
    rows = list(db.session.scalars(stmt.order_by(Announcement.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more else None)


def for_member(user: Any, announcement_id: int) -> Announcement:
    """The announcement as a recipient reads it (404 for anyone it was not sent to; staff who
    manage announcements may read every one)."""
    announcement = db.session.get(Announcement, announcement_id) if is_row_id(
        announcement_id) else None
    allowed = announcement is not None and getattr(user, "is_authenticated", False) and (
        permissions.can(user, Action.MANAGE_ANNOUNCEMENTS)
        or db.session.get(AnnouncementDelivery, (announcement.id, user.id)) is not None)
    if not allowed:
        raise NotFound("announcement_not_found", _("No such announcement."))
    return announcement


# --- who receives it -------------------------------------------------------------------------------

def _not_off() -> ColumnElement[bool]:
    return not_(select(NotificationPreference.user_id).where(
        NotificationPreference.user_id == User.id, NotificationPreference.category == CATEGORY,
        NotificationPreference.delivery == "off").exists())


def recipients_query(spec: dict[str, Any]) -> Select:
    """SELECT User.id of the members an announcement to this segment reaches: the segment's
    who agreed to marketing (an announcement is marketing: without consent, nothing, not even
    in the app), without those who turned announcements off."""
    return segments.segment_query(spec).where(marketing_condition(), _not_off())


def recipients_count(spec: dict[str, Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(
        recipients_query(spec).subquery())) or 0


def audience(spec: dict[str, Any]) -> dict[str, Any]:
    """The segment's size and a sample, how many of them an announcement reaches, and how many
    it does not reach because they did not agree to marketing (those who turned announcements
    off are the rest)."""
    count, sample = segments.preview(spec)
    refused = db.session.scalar(select(func.count()).select_from(
        segments.segment_query(spec).where(not_(marketing_condition())).subquery())) or 0
    return {"count": count, "sample": sample, "recipients": recipients_count(spec),
            "no_consent": refused}


def audience_preview(actor: User, spec: Any) -> dict[str, Any]:
    """What staff see before sending (audience()), for a spec validated as they may see it."""
    permissions.require(actor, Action.MANAGE_ANNOUNCEMENTS)
    return audience(segments.validate_segment(spec, actor, prefix="segment."))


# --- writing ---------------------------------------------------------------------------------------

def _texts(value: Any, name: str, most: int, errors: dict[str, str]) -> dict[str, str]:
    """{en, ja?} of one text: English required, Japanese optional ("" = none)."""
    if not isinstance(value, dict):
        errors[name] = _("An object with the English text (en) and optionally the Japanese (ja).")
        return {}
    texts: dict[str, str] = {}
    for key in value:
        if key not in LANGUAGES:
            errors[f"{name}.{key}"] = _("Only en and ja.")
    for language in LANGUAGES:
        text_value = value.get(language, "" if language != "en" else None)
        if not isinstance(text_value, str) or (language == "en" and not text_value.strip()):
            errors[f"{name}.{language}"] = _("Write the English text.") if language == "en" \
                else _("Text, or leave it out.")
        elif len(text_value) > most:
            errors[f"{name}.{language}"] = _("At most %(max)s characters.", max=most)
        else:
            texts[language] = text_value.strip()
    return texts


def _validated(actor: User, title: Any, body: Any, segment: Any) -> tuple[dict, dict, dict]:
    errors: dict[str, str] = {}
    titles = _texts(title, "title", TITLE_MAX, errors)
    bodies = _texts(body, "body", BODY_MAX, errors)
    spec: dict = {}
    try:
        spec = segments.validate_segment(segment, actor, prefix="segment.")
    except Invalid as error:
        errors.update(error.fields)
    if errors:
        raise Invalid(errors)
    return titles, bodies, spec


def _apply(announcement: Announcement, titles: dict, bodies: dict, spec: dict) -> None:
    announcement.title_en, announcement.title_ja = titles["en"], titles.get("ja", "")
    announcement.body_en, announcement.body_ja = bodies["en"], bodies.get("ja", "")
    announcement.body_en_html, version = render_stored(announcement.body_en)
    announcement.body_ja_html, _version = render_stored(announcement.body_ja)
    announcement.body_html_version = version
    announcement.segment_spec = spec
    announcement.recipients_count = recipients_count(spec)


def _snapshot(announcement: Announcement) -> dict[str, Any]:
    return {"title": {"en": announcement.title_en, "ja": announcement.title_ja},
            "segment": announcement.segment_spec, "status": announcement.status,
            "recipients_count": announcement.recipients_count}


def create_announcement(actor: User, title: Any, body: Any, segment: Any, *,
                        segment_id: int | None = None) -> Announcement:
    """A draft: titles and Markdown bodies {en, ja?}, and the segment's filters (a copy: the
    saved segment `segment_id` it came from may change later). 422 naming every bad field."""
    permissions.require(actor, Action.MANAGE_ANNOUNCEMENTS)
    titles, bodies, spec = _validated(actor, title, body, segment)
    announcement = Announcement(created_by_id=actor.id, status="draft",
                                segment_id=segment_id if is_row_id(segment_id) else None)
    _apply(announcement, titles, bodies, spec)
    db.session.add(announcement)
    db.session.flush()
    events.audit(actor, "announcement.created", announcement, after=_snapshot(announcement))
    return announcement


def update_announcement(actor: User, announcement_id: Any, title: Any, body: Any, segment: Any,
                        *, segment_id: int | None = None) -> Announcement:
    """Change a draft (409 not_a_draft once sending started)."""
    announcement = get_announcement(actor, announcement_id, lock=True)
    if announcement.status != "draft":
        raise Conflict("not_a_draft", _("Only a draft can be changed."))
    titles, bodies, spec = _validated(actor, title, body, segment)
    before = _snapshot(announcement)
    _apply(announcement, titles, bodies, spec)
    announcement.segment_id = segment_id if is_row_id(segment_id) else None
    db.session.flush()
    events.audit(actor, "announcement.updated", announcement, before=before,
                 after=_snapshot(announcement))
    return announcement


def send_announcement(actor: User, announcement_id: Any) -> Announcement:
    """Start sending a draft (queued: the job announcements.send). Pressed again while it is
    sending, it only makes sure the job runs (nobody is told twice); 409 already_sent once sent."""
    announcement = get_announcement(actor, announcement_id, lock=True)
    if announcement.status == "sent":
        raise Conflict("already_sent", _("This announcement has been sent already."))
    if announcement.status == "draft":
        before = _snapshot(announcement)
        announcement.status = "sending"
        announcement.sending_at = utcnow()
        announcement.sent_by_id = actor.id
        announcement.recipients_count = recipients_count(announcement.segment_spec)
        db.session.flush()
        events.audit(actor, "announcement.sent", announcement, before=before,
                     after=_snapshot(announcement))
    jobs.enqueue(JOB_NAME, announcement_id=announcement.id)
    return announcement


# --- sending ---------------------------------------------------------------------------------------

def _batch_size() -> int:
    return int(current_app.config.get("ANNOUNCEMENT_BATCH", 1000))


def _lock(announcement_id: int) -> Announcement | None:
    if db.session.get_bind().dialect.name == "sqlite":  # one writer at a time: take the lock now
        db.session.execute(text("UPDATE announcements SET id = id WHERE 0 = 1"))
    return db.session.scalar(
        select(Announcement).where(Announcement.id == announcement_id,
                                   Announcement.status == "sending")
        .with_for_update().execution_options(populate_existing=True))


def _batch_bound(announcement: Announcement, size: int) -> tuple[int, int]:
    """(how many recipients the next batch holds, the id of its last one): the next `size`
    recipients after the cursor, counted in one keyset query over the users' primary key."""
    ids = recipients_query(announcement.segment_spec).where(
        User.id > announcement.after_user_id).order_by(User.id).limit(size).subquery()
    count, last = db.session.execute(select(func.count(), func.max(ids.c.id))).one()
    return count or 0, last or announcement.after_user_id


def _in_batch(announcement: Announcement, last_id: int) -> list[ColumnElement[bool]]:
    """The recipients of the batch (after the cursor, up to `last_id`) as WHERE conditions."""
    return [*segments.conditions(announcement.segment_spec), marketing_condition(), _not_off(),
            User.id > announcement.after_user_id, User.id <= last_id]


def _insert_deliveries(announcement: Announcement, last_id: int, now) -> int:
    """One INSERT ... SELECT of the batch's delivery rows, `mailed` for those who get
    announcements by mail at once; ON CONFLICT DO NOTHING skips the members already told.
    Returns how many rows it wrote (the new recipients)."""
    chosen = aliased(NotificationPreference)
    delivery = func.coalesce(chosen.delivery, DEFAULT_DELIVERY)
    people = (
        select(literal(announcement.id), User.id, delivery == "immediately",
               literal(now, UTCDateTime))
        .outerjoin(chosen, and_(chosen.user_id == User.id, chosen.category == CATEGORY))
        .where(*_in_batch(announcement, last_id)))
    dialect = db.session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = make(AnnouncementDelivery).from_select(
        ["announcement_id", "user_id", "mailed", "created_at"], people
    ).on_conflict_do_nothing(index_elements=["announcement_id", "user_id"]
                             ).returning(AnnouncementDelivery.user_id)
    return len(db.session.execute(statement).scalars().all())  # rowcount: -1 on psycopg


def _written_now(announcement: Announcement, last_id: int, now) -> list[ColumnElement[bool]]:
    """This batch's new delivery rows: the ones written at this batch's moment (the row lock on
    the announcement lets one batch write at a time, so no other batch shares it)."""
    return [AnnouncementDelivery.announcement_id == announcement.id,
            AnnouncementDelivery.user_id > announcement.after_user_id,
            AnnouncementDelivery.user_id <= last_id, AnnouncementDelivery.created_at == now]


def _mail_dedupe_key(announcement_id: int, user_id: Any) -> Any:
    return literal(f"announcement:{announcement_id}:") + cast(user_id, String)


@dataclass(frozen=True)
class MailTemplate:
    """An announcement's mail in one language, translated once: only the greeting's name and
    the unsubscribe link differ from one reader to the next (patterns with %(name)s, %(url)s)."""

    subject: str
    greeting: str
    middle: list[str]
    stop: str
    kind: str


def mail_template(announcement: Announcement, locale: str, url: str) -> MailTemplate:
    base = notifications._base_url()
    with force_locale(locale):
        title = announcement.title_for(locale)
        return MailTemplate(
            subject=_("Kyoso: %(title)s", title=title[:120]), greeting=_("Hello %(name)s,"),
            middle=["", title, "", announcement.body_for(locale), "", f"{base}{url}", "",
                    _("Change how you are told: %(url)s", url=f"{base}/account/settings")],
            stop=_("Stop these mails (%(kind)s): %(url)s"),
            kind=str(kinds.CATEGORIES[CATEGORY]))


def compose_mail(person: Any, announcement: Announcement, url: str,
                 templates: dict[str, MailTemplate] | None = None) -> tuple[str, str, dict]:
    """(subject, body, headers) of the announcement's mail to one member, in their language.
    `templates` keeps each language's translated parts across a batch's mails."""
    templates = {} if templates is None else templates
    locale = locale_of(person)
    if locale not in templates:
        templates[locale] = mail_template(announcement, locale, url)
    template = templates[locale]
    link = notifications.unsubscribe_url(person, CATEGORY)
    lines = [template.greeting % {"name": person.display_name}, *template.middle,
             template.stop % {"kind": template.kind, "url": link}]
    headers = {"List-Unsubscribe": f"<{link}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return template.subject, "\n".join(lines), headers


def member_url(announcement_id: int) -> str:
    return f"/announcements/{announcement_id}"


def params_of(announcement: Announcement) -> dict[str, Any]:
    titles = {"en": announcement.title_en}
    if announcement.title_ja:
        titles["ja"] = announcement.title_ja
    return {"title": kinds.localized(titles), "announcement_id": announcement.id}


def _queue_mails(announcement: Announcement, last_id: int, now, url: str) -> list[int]:
    """Write the mails of the batch's new recipients who want one (each in its reader's
    language, with their unsubscribe link: composed one by one, for them only); their ids."""
    mailing = db.session.execute(
        select(User.id, User.email, User.display_name, User.locale, User.time_zone)
        .join(AnnouncementDelivery, AnnouncementDelivery.user_id == User.id)
        .where(*_written_now(announcement, last_id, now), AnnouncementDelivery.mailed.is_(True))
        .order_by(User.id)).all()
    if not mailing:
        return []
    rows, templates = [], {}
    for person in mailing:
        subject, body, headers = compose_mail(person, announcement, url, templates)
        rows.append({"to_address": person.email, "subject": subject, "body": body,
                     "headers": headers, "status": "pending", "attempts": 0,
                     "created_at": now, "next_attempt_at": now,
                     "dedupe_key": f"announcement:{announcement.id}:{person.id}"})
    return list(db.session.execute(insert(OutboundMail).returning(OutboundMail.id), rows)
                .scalars())


def _insert_notifications(announcement: Announcement, last_id: int, now, url: str) -> None:
    """One INSERT ... SELECT of the batch's notifications from its new delivery rows, each
    linked to its mail (found by the mail's unique dedupe key) when it has one."""
    mail_id = select(OutboundMail.id).where(OutboundMail.dedupe_key == _mail_dedupe_key(
        announcement.id, AnnouncementDelivery.user_id)).scalar_subquery()
    rows = select(AnnouncementDelivery.user_id, literal(KIND), literal(CATEGORY),
                  literal(params_of(announcement), JSON), literal(url), literal(now, UTCDateTime),
                  case((AnnouncementDelivery.mailed.is_(True), mail_id), else_=null())
                  ).where(*_written_now(announcement, last_id, now))
    db.session.execute(insert(Notification).from_select(
        ["user_id", "kind", "category", "params", "url", "created_at", "mail_id"], rows))


def send_next_batch(announcement_id: int) -> int | None:
    """Tell the next batch and commit; how many members were looked at, or None when there is
    nothing left to send (sent, or not sending).

    Set-based: whatever the batch's size, a fixed number of statements (the bound of the batch,
    one INSERT ... SELECT of the delivery rows, one of the notifications, the mails of those who
    want one and the announcement's counts); only the mails are built row by row in Python."""
    announcement = _lock(announcement_id)
    if announcement is None:
        db.session.rollback()
        return None
    size = _batch_size()
    looked, last_id = _batch_bound(announcement, size)
    now, url = utcnow(), member_url(announcement.id)
    told, mail_ids = 0, []
    if looked:
        told = _insert_deliveries(announcement, last_id, now)
    if told:
        mail_ids = _queue_mails(announcement, last_id, now, url)
        _insert_notifications(announcement, last_id, now, url)
    announcement.after_user_id = last_id
    announcement.delivered_count = Announcement.delivered_count + told
    announcement.mailed_count = Announcement.mailed_count + len(mail_ids)
    if looked < size:
        announcement.status = "sent"
        announcement.sent_at = utcnow()
    if mail_ids:
        jobs.enqueue("mail.send_batch", mail_ids=sorted(mail_ids))
    db.session.commit()
    return looked


@jobs.job(JOB_NAME)
def send(announcement_id: int) -> int:
    """Send the announcement to every remaining recipient, batch by batch; returns how many
    members this run looked at."""
    looked = 0
    while (count := send_next_batch(announcement_id)) is not None:
        looked += count
    return looked


@jobs.job(SWEEP_JOB)
def sweep(older_than: int = 60) -> int:
    """Finish the announcements still sending `older_than` seconds after sending started (their
    job was lost or died); returns how many were finished."""
    due = db.session.scalars(
        select(Announcement.id).where(
            Announcement.status == "sending",
            Announcement.sending_at <= utcnow() - timedelta(seconds=older_than))
        .order_by(Announcement.id).limit(20)).all()
    db.session.rollback()
    for announcement_id in due:
        send(announcement_id)
    return len(due)
