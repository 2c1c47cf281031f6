"""A member's export of their own data: a zip with `data.json` and their uploaded pictures.

    export = request_export(user)       # 202 {id, status}; the job rights.build_export builds it
    export_for(user, export_id)          # 200 {status, download_url?}; NotFound for anyone else's
    download_key(user, export_id)        # the stored zip while it is ready and not expired

The job writes the archive to a temporary file (in DATA_EXPORT_TMP_DIR, else the system's
temporary folder), reading the account's rows in batches and writing data.json and the pictures
into the zip piece by piece, then copies the file to app.storage in chunks (`put_file`: a
multipart upload on S3) under `exports/`: memory stays bounded however large the account. The
archive is kept DATA_EXPORT_MAX_AGE seconds (the download link then answers 404);
`rights.expire_exports` (periodic) deletes expired archives.

What it holds is the member's own: profile, ideas and drafts they (co-)created with their
pictures, supports with their answers, comments with every earlier version, follows,
notifications (their kind, links and figures; other people's names left out), notification
choices, creator-agreement consents, royalty statement lines, payouts and payout requests,
signed-in sessions. Nobody else's personal data: no other commenter, supporter or co-creator is
named (co-creators appear as their share only).
"""
from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app import jobs, permissions, storage
from app.errors import NotFound
from app.extensions import db
from app.i18n import _
from app.models import (Comment, CommentRevision, Consent, DataExport, Idea, IdeaCreator,
                        IdeaFollow, Notification, NotificationPreference, PayoutRequest, Support,
                        User, UserSession)
from app.models.base import utcnow
from app.permissions import Action

BATCH = 500
FOLDER = "exports"
#: Bytes copied at a time (pictures into the zip).
COPY_CHUNK = 64 * 1024
#: Params of a notification that name another person: left out of an export.
PEOPLE_PARAMS = ("name",)


def _not_found() -> NotFound:
    return NotFound("not_found", _("No such export."))


def request_export(user: User) -> DataExport:
    """Queue an export (or the one already being built). The job runs after the commit."""
    permissions.require(user, Action.EXPORT_DATA)
    running = db.session.scalar(select(DataExport).where(
        DataExport.user_id == user.id, DataExport.status.in_(("queued", "building")))
        .order_by(DataExport.id.desc()))
    if running is not None:
        return running
    export = DataExport(user_id=user.id, status="queued", created_at=utcnow())
    db.session.add(export)
    db.session.flush()
    jobs.enqueue("rights.build_export", export_id=export.id)
    return export


def export_for(user: User, export_id: int) -> DataExport:
    export = db.session.get(DataExport, export_id) if isinstance(export_id, int) else None
    if export is None or export.user_id != user.id:
        raise _not_found()
    if export.status == "ready" and export.expires_at is not None and export.expires_at <= utcnow():
        export.status = "expired"
    return export


def exports_of(user: User, limit: int = 5) -> list[DataExport]:
    return list(db.session.scalars(select(DataExport).where(DataExport.user_id == user.id)
                                   .order_by(DataExport.id.desc()).limit(limit)))


def download_key(user: User, export_id: int) -> str:
    """The archive's storage key for its owner while it can be downloaded; NotFound else."""
    export = export_for(user, export_id)
    if export.status != "ready" or not export.storage_key:
        raise _not_found()
    return export.storage_key


# --------------------------------------------------------------------------- the job


@jobs.job("rights.build_export")
def build_export(export_id: int) -> bool:
    """Build the archive once (a second run of a built export does nothing). True if built."""
    claimed = db.session.execute(update(DataExport).where(
        DataExport.id == export_id, DataExport.status.in_(("queued", "building")))
        .values(status="building")).rowcount
    db.session.commit()
    if not claimed:
        return False
    export = db.session.get(DataExport, export_id)
    user = db.session.get(User, export.user_id)
    if user is None or user.is_deleted:  # the account went meanwhile: nothing to build
        db.session.execute(update(DataExport).where(DataExport.id == export_id).values(
            status="failed", error="account deleted", finished_at=utcnow()))
        db.session.commit()
        return False
    key = f"{FOLDER}/{export.user_id}-{export.id}-{secrets.token_hex(16)}.zip"
    try:
        # On disk, not in memory: the zip goes to a temporary file (data.json and pictures
        # streamed into it), which is copied to storage in chunks.
        with tempfile.TemporaryFile(dir=current_app.config.get("DATA_EXPORT_TMP_DIR") or None) \
                as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                write_archive(archive, user)
            size = spool.tell()
            spool.seek(0)
            storage.get().put_file(key, spool, "application/zip")
    except Exception as error:  # noqa: BLE001 - recorded on the export, shown as failed
        db.session.rollback()
        db.session.execute(update(DataExport).where(DataExport.id == export_id).values(
            status="failed", error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=utcnow()))
        db.session.commit()
        raise
    now = utcnow()
    db.session.execute(update(DataExport).where(DataExport.id == export_id).values(
        status="ready", storage_key=key, size_bytes=size, finished_at=now,
        expires_at=now + timedelta(seconds=current_app.config["DATA_EXPORT_MAX_AGE"])))
    db.session.commit()
    return True


@jobs.job("rights.expire_exports")
def expire_exports() -> int:
    """Delete the archives whose time is up (idempotent); the rows say `expired`."""
    now = utcnow()
    rows = db.session.execute(select(DataExport.id, DataExport.storage_key).where(
        DataExport.status == "ready", DataExport.expires_at <= now).limit(1000)).all()
    backend = storage.get()
    for export_id, key in rows:
        if key:
            try:
                backend.delete(key)
            except Exception:  # noqa: BLE001 - tried again on the next run
                continue
        db.session.execute(update(DataExport).where(DataExport.id == export_id)
                           .values(status="expired", storage_key=None))
    db.session.commit()
    return len(rows)


# --------------------------------------------------------------------------- the archive


def _iso(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _batches(stmt, key) -> Iterator[Any]:
    """The rows of `stmt` in keyset batches of BATCH on column `key` (ascending)."""
    after = 0
    while True:
        rows = db.session.scalars(stmt.where(key > after).order_by(key).limit(BATCH)).all()
        if not rows:
            return
        after = rows[-1].id
        yield from rows
        del rows  # not held while the next batch is read: one batch in memory at a time


class _JsonWriter:
    """data.json written piece by piece into the zip entry (lists streamed, not held)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.first_key = True

    def write(self, text: str) -> None:
        self.stream.write(text.encode("utf-8"))

    def key(self, name: str) -> None:
        self.write(("{" if self.first_key else ",") + "\n" + json.dumps(name) + ": ")
        self.first_key = False

    def value(self, name: str, value: Any) -> None:
        self.key(name)
        self.write(json.dumps(value, ensure_ascii=False, default=_iso, indent=1))

    def items(self, name: str, rows: Iterator[dict]) -> None:
        self.key(name)
        self.write("[")
        for n, row in enumerate(rows):
            self.write(("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False,
                                                               default=_iso))
        self.write("\n]")

    def close(self) -> None:
        self.write("{}" if self.first_key else "\n}\n")


def write_archive(archive: zipfile.ZipFile, user: User) -> None:
    from app.services import accounts
    from app.services.ideas import IMAGE_SIZES

    files: list[tuple[str, str]] = []  # (storage key, name in the zip)
    with archive.open("data.json", "w") as stream:
        out = _JsonWriter(stream)
        out.value("format", {"name": "kyoso-export", "version": 1,
                             "created_at": utcnow().isoformat()})
        avatar = None
        if user.avatar_key:
            avatar = f"images/avatar{_ext()}"
            files.append((_variant(user.avatar_key, "avatar", accounts.AVATAR_SUBFOLDER), avatar))
        out.value("profile", {
            "id": user.id, "email": user.email, "display_name": user.display_name,
            "bio": user.bio, "locale": user.locale, "time_zone": user.time_zone,
            "roles": user.roles, "created_at": user.created_at,
            "email_confirmed_at": user.email_confirmed_at, "last_seen_at": user.last_seen_at,
            "avatar": avatar, "two_factor_enabled": user.two_factor_enabled,
            **_consent_columns(user)})
        out.items("ideas", _ideas(user, files, IMAGE_SIZES))
        out.items("supports", _supports(user))
        out.items("comments", _comments(user))
        out.items("follows", ({"idea_id": row.idea_id, "created_at": row.created_at}
                              for row in _batches(select(IdeaFollow).where(
                                  IdeaFollow.user_id == user.id), IdeaFollow.id)))
        out.items("notifications", _notifications(user))
        out.value("notification_preferences", {
            row.category: row.delivery for row in db.session.scalars(
                select(NotificationPreference).where(NotificationPreference.user_id == user.id))})
        out.items("creator_agreement_consents", (
            {"idea_id": row.idea_id, "agreement_version": row.agreement_version,
             "agreement_sha256": row.agreement_sha256, "share_bps": row.share_bps,
             "email": row.email, "ip_address": row.ip_address, "user_agent": row.user_agent,
             "created_at": row.created_at}
            for row in _batches(select(Consent).where(Consent.user_id == user.id), Consent.id)))
        for name, rows in _other_areas(user):
            out.items(name, rows)
        out.value("royalties", _royalties(user))
        out.items("sessions", (
            {"created_at": row.created_at, "last_seen_at": row.last_seen_at,
             "expires_at": row.expires_at, "ip": row.ip, "user_agent": row.user_agent,
             "ended_at": row.revoked_at}
            for row in _batches(select(UserSession).where(UserSession.user_id == user.id),
                                UserSession.id)))
        out.close()
    backend = storage.get()
    for key, name in files:
        try:
            source = backend.open(key)
        except (FileNotFoundError, KeyError, OSError):
            continue  # a picture whose file is gone: data.json still names it
        with contextlib.closing(source), archive.open(name, "w") as target:
            shutil.copyfileobj(source, target, COPY_CHUNK)


def _ext() -> str:
    from app.images import OUTPUT_EXTENSION

    return OUTPUT_EXTENSION


def _variant(key: str, size: str, folder: str = "") -> str:
    from app.images import variant_name

    return variant_name(key, size, folder)


def _consent_columns(user: User) -> dict[str, Any]:
    """Consents kept on the users row (personalisation, marketing mail) when they exist."""
    return {name: getattr(user, name) for name in ("personalisation", "marketing_mail")
            if hasattr(user, name)}


def _ideas(user: User, files: list, sizes) -> Iterator[dict]:
    stmt = select(Idea).where(Idea.id.in_(select(IdeaCreator.idea_id)
                                          .where(IdeaCreator.user_id == user.id)))
    largest = max(sizes, key=sizes.get)
    for idea in _batches(stmt, Idea.id):
        mine = next((c for c in idea.creators if c.user_id == user.id), None)
        images = []
        for image in idea.images:
            name = f"images/idea-{idea.id}-{image.id}{_ext()}"
            files.append((_variant(image.key, largest), name))
            images.append({"file": name, "alt": image.alt, "position": image.position,
                           "width": image.width, "height": image.height})
        yield {"id": idea.id, "title": idea.title, "pitch": idea.pitch,
               "description": idea.description, "status": idea.status,
               "category": idea.category.slug if idea.category else None,
               "tags": [tag.name for tag in idea.tags],
               "insight": idea.insight, "owner": idea.owner_id == user.id,
               "share_bps": mine.share_bps if mine else None,
               "co_creator_shares_bps": [c.share_bps for c in idea.creators if c is not mine],
               "support_count": idea.support_count, "created_at": idea.created_at,
               "published_at": idea.published_at, "images": images}


def _supports(user: User) -> Iterator[dict]:
    for row in _batches(select(Support).where(Support.user_id == user.id), Support.id):
        yield {"idea_id": row.idea_id, "created_at": row.created_at, "would_buy": row.would_buy,
               "price": {"amount": row.price_minor, "currency": row.price_currency}
               if row.price_minor is not None else None, "reason": row.reason}


def _comments(user: User) -> Iterator[dict]:
    for comment in _batches(select(Comment).where(Comment.author_id == user.id), Comment.id):
        revisions = db.session.execute(
            select(CommentRevision.body, CommentRevision.created_at)
            .where(CommentRevision.comment_id == comment.id).order_by(CommentRevision.id)).all()
        yield {"id": comment.id, "idea_id": comment.idea_id, "parent_id": comment.parent_id,
               "body": comment.body, "is_update": comment.is_update, "hidden": comment.hidden,
               "created_at": comment.created_at, "edited_at": comment.edited_at,
               "deleted_at": comment.deleted_at,
               "earlier_versions": [{"body": body, "until": at} for body, at in revisions]}


def _notifications(user: User) -> Iterator[dict]:
    for row in _batches(select(Notification).where(Notification.user_id == user.id),
                        Notification.id):
        params = {key: value for key, value in (row.params or {}).items()
                  if key not in PEOPLE_PARAMS and not key.startswith("_")}
        yield {"kind": row.kind, "category": row.category, "idea_id": row.idea_id,
               "params": params, "url": row.url, "created_at": row.created_at,
               "read_at": row.read_at, "emailed_at": row.emailed_at}


def _royalties(user: User) -> dict[str, Any]:
    from app.services.ledger.statements import statement_for

    statement = statement_for(user)
    return {
        "balances": [{"amount": amount, "currency": currency}
                     for currency, amount in statement.balances.items()],
        "statement": [{"product_id": line.product_id, "product": line.product_name,
                       "period": line.period, "currency": line.currency,
                       "net_sales_minor": line.net_sales_minor,
                       "royalty_minor": line.royalty_minor} for line in statement.lines],
        "payouts": [{"reference": p.reference, "amount": p.amount_minor, "currency": p.currency,
                     "created_at": p.created_at,
                     "reversed": p.transaction_id in statement.reversed_payout_ids}
                    for p in statement.payouts],
        "payout_requests": [{"amount": r.amount_minor, "currency": r.currency,
                             "status": r.status, "reason": r.reason,
                             "created_at": r.created_at, "decided_at": r.decided_at}
                            for r in db.session.scalars(select(PayoutRequest).where(
                                PayoutRequest.user_id == user.id).order_by(PayoutRequest.id))],
    }


#: Personal tables exported above in a shape of their own, or holding secrets only (token and
#: code hashes) or nothing of the member's (their export records).
EXPORTED_OR_SECRET = {"user_roles", "api_tokens", "user_sessions", "recovery_codes",
                      "data_exports", "notifications", "notification_preferences", "idea_follows",
                      "idempotency_keys", "recommendations", "upload_counts"}
#: Columns never exported from the other tables.
SECRET_COLUMNS = ("hash", "token", "secret", "password")


def _other_areas(user: User) -> Iterator[tuple[str, Iterator[dict]]]:
    """Every other table whose rows are the member's alone (ON DELETE CASCADE to users: consent
    events, and whatever another area adds that way), under its table name, in batches."""
    from app.services.deletion import personal_columns

    for column in sorted(personal_columns(), key=lambda c: c.table.name):
        table = column.table
        if table.name in EXPORTED_OR_SECRET:
            continue
        keep = [c for c in table.columns if not any(word in c.name for word in SECRET_COLUMNS)]
        order = list(table.primary_key.columns)

        def rows(table=table, column=column, keep=keep, order=order):
            offset = 0
            while True:
                batch = db.session.execute(select(*keep).where(column == user.id)
                                           .order_by(*order).limit(BATCH).offset(offset)).all()
                if not batch:
                    return
                for row in batch:
                    yield {c.name: value for c, value in zip(keep, row)}
                offset += BATCH

        yield table.name, rows()
