"""Deleting an account: the member's personal data erased or pseudonymised, what others see kept.

    request_deletion(user, password)   # True: deleted now (204); False: confirmation mailed (202)
    delete_by_token(token)             # the mail's link, confirmed on its page

The password is asked again (throttled like sign-in). A confirmed address gets a mail with a
signed link (ACCOUNT_DELETION_LINK_MAX_AGE; it dies with the account's security stamp); the
deletion happens when the link's page is confirmed. An account whose address was never confirmed
has no mailbox to confirm with: the password is the only proof there is, and it is deleted at
once (204). A member holding a staff role cannot delete themselves (403 staff_cannot_delete).

Deletion happens in two steps (delete_account):

1. In the request (start_deletion), what cannot wait: sessions and API tokens end at once
   (accounts.end_everything, as blocking does) and their rows (IP addresses, user agents) are
   deleted, so the tokens answer 401; `users.deleted_at` is set (no sign-in: "this account is
   being deleted"; no notification, no mail) and the name reads "Deleted member" everywhere. An
   `account_deletions` row keeps the old name for step 2 only.
2. The job rights.erase_account (erase_account) does the rest, in one transaction: a run that
   dies leaves nothing half done and runs again (Celery redelivers it, OperationalError is
   retried, and the sweep rights.erase_sweep erases what is still unfinished ERASE_SWEEP_AFTER
   seconds later); a run after one that finished does nothing.

What it leaves: the `users` row stays, as a pseudonymous account, so the contributions others
see keep an author and the royalty ledger keeps its accounts and entries (never rewritten;
`flask ledger verify` still holds):

- name "Deleted member" (stored in English, read in the reader's language), e-mail replaced by
  an unusable unique placeholder, password unusable, bio, avatar (files too), language, time
  zone, two-factor secret and recovery codes erased; sign-in throttles for the old address gone;
  the old name on `account_deletions` blanked;
- supports withdrawn (supports.withdraw_for_deleted_account, counted exactly) where the idea
  still gathers support; where its supporter list is frozen (qualified, in review, decided,
  expired...) the support stays as an anonymous count, its free-text reason and network hash
  erased;
- ideas not yet published that they own alone are deleted with their image files; with
  co-creators (and for every published idea with co-creators) ownership passes to the first
  co-creator; published ideas of their own stay, under "Deleted member"; a share in someone
  else's unpublished idea goes back to its owner; pending invitations from or to them are revoked;
- every row referencing the account with ON DELETE CASCADE (purely personal rows, whichever
  area's table: follows, notifications and preferences, recommendations, consent events, upload
  counts, idempotency keys, campaign votes ...) deleted, exports with their files (a campaign
  entry's kept vote count stays as it was: an anonymous count); creator-agreement consents
  keep version and digest but lose address, IP and user agent;
- other members' notifications (and pending fan-outs) that named them now say "Deleted member";
  mails not yet sent to them are dropped, and pending mails to others naming them are reworded;
- a remaining balance is reported to finance staff (notification `account_deleted_balance`),
  and the deletion is audited (`user.deleted`, no personal data in it).
"""
from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import OperationalError

from app import jobs, lifecycle, permissions
from app.errors import Invalid, Unauthorized
from app.extensions import db
from app.i18n import speaking_to
from app.mail import send_mail
from app.models import (AccountDeletion, ApiToken, Comment, Consent, CreatorInvitation, DataExport, Idea,
                        IdeaCreator, IdeaFollow, Notification, NotificationFanout, OutboundMail,
                        SignInThrottle, Support, User, UserRole, UserSession)
from app.models.base import utcnow
from app.models.users import DELETED_MEMBER, deleted_member_name
from app.permissions import Action
from app.services import events, people, sign_ins

log = logging.getLogger(__name__)

DELETE_SALT = "kyoso.rights.delete-account"
ERASE_JOB = "rights.erase_account"
ERASE_SWEEP_JOB = "rights.erase_sweep"
#: Seconds after which the sweep erases an account whose deletion has not finished.
ERASE_SWEEP_AFTER = 600
#: Rows read per batch (supports, notifications): never all of a large account's rows at once.
BATCH = 500
PLACEHOLDER_DOMAIN = "deleted.invalid"  # RFC 2606: can never receive mail


# --------------------------------------------------------------------------- asking


def _check_password(user: User, password: str) -> None:
    """The password again, counted against the sign-in throttle of the address (a stolen
    session cannot guess it faster than the sign-in form could)."""
    from app.services import accounts

    attempt = accounts.attempt_sign_in(user.email, password or "")
    refusal = attempt.refusal
    if refusal is None:
        return
    if isinstance(refusal, sign_ins.TooManyAttempts):
        raise refusal
    if isinstance(refusal, Unauthorized) and refusal.code == "bad_credentials":
        raise Invalid({"password": _("Your password is not correct.")}, code="wrong_password")
    raise refusal


def request_deletion(user: User, password: str) -> bool:
    """Check the password; True when the account is deleted at once (its address was never
    confirmed), False when a confirmation mail went out. Raises Forbidden staff_cannot_delete,
    Invalid wrong_password, TooManyAttempts (429)."""
    permissions.require(user, Action.DELETE_ACCOUNT)
    _check_password(user, password)
    if not user.email_confirmed:
        delete_account(user)
        return True
    _mail_confirmation(user)
    return False


def make_token(user: User) -> str:
    from app.services.accounts import _serializer

    return _serializer(DELETE_SALT).dumps({"u": user.id, "s": user.security_stamp})


def _mail_confirmation(user: User) -> None:
    from app.services.accounts import _link

    link = _link("rights.confirm_deletion", token=make_token(user))
    hours = max(1, current_app.config["ACCOUNT_DELETION_LINK_MAX_AGE"] // 3600)
    with speaking_to(user, own_request=True):
        subject = _("Kyoso: confirm deleting your account")
        body = _("Hello %(name)s,\n\nYou asked to delete your Kyoso account. Open this link "
                 "within %(hours)s hours and confirm on the page to delete it for good:\n\n"
                 "%(link)s\n\nIf you did not ask for this, ignore this mail and consider "
                 "changing your password: your account stays as it is.",
                 name=user.display_name, hours=hours, link=link)
    send_mail(user.email, subject, body)


def user_for_token(token: str) -> User:
    """The account a deletion link is for, while the link is good (not expired, the password
    and sessions unchanged since, the account not deleted yet)."""
    from app.services.accounts import _serializer

    invalid = Invalid({"token": _("This link is invalid or has already been used.")},
                      code="invalid_token")
    try:
        data = _serializer(DELETE_SALT).loads(
            token, max_age=current_app.config["ACCOUNT_DELETION_LINK_MAX_AGE"])
    except SignatureExpired:
        raise Invalid({"token": _("This link has expired.")}, code="token_expired") from None
    except BadSignature:
        raise invalid from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise invalid
    user = db.session.get(User, data["u"])
    if user is None or user.is_deleted or user.is_blocked or user.security_stamp != data.get("s"):
        raise invalid
    return user


def confirm_with_password(user: User, password: str, token: str) -> bool:
    """The API's confirmation: the caller's password and the mail's token (for this account)."""
    permissions.require(user, Action.DELETE_ACCOUNT)
    _check_password(user, password)
    if user_for_token(token).id != user.id:
        raise Invalid({"token": _("This link is invalid or has already been used.")},
                      code="invalid_token")
    delete_account(user)
    return True


def delete_by_token(token: str) -> User:
    """Confirm a deletion with the mail's link (the link's page posts it)."""
    user = user_for_token(token)
    permissions.require(user, Action.DELETE_ACCOUNT)
    delete_account(user)
    return user


# --------------------------------------------------------------------------- deleting


def delete_account(user: User) -> None:
    """Delete the account: it ends now (start_deletion) and the job rights.erase_account erases
    the rest once this transaction commits."""
    start_deletion(user)
    jobs.enqueue(ERASE_JOB, user_id=user.id)


def start_deletion(user: User) -> AccountDeletion:
    """The part that cannot wait, in the request: the account can no longer be used (signed out
    everywhere, its tokens 401, no sign-in, no mail, no notification) and reads "Deleted member"
    everywhere; the name it had is kept on the AccountDeletion row for the job. Idempotent."""
    existing = db.session.get(AccountDeletion, user.id)
    if existing is not None:
        return existing
    permissions.require(user, Action.DELETE_ACCOUNT)
    from app.services import accounts

    row = AccountDeletion(user_id=user.id, name=user.display_name, requested_at=utcnow())
    db.session.add(row)
    # Signed out everywhere at once, for good; the rows (IP, user agent) go too.
    accounts.end_everything(user)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    user.deleted_at = row.requested_at
    user.display_name = DELETED_MEMBER
    db.session.flush()
    return row


def erased(user_id: int) -> bool:
    """Has the erasure job finished for this account (read from the database now)?"""
    return db.session.scalar(select(AccountDeletion.erased_at)
                             .where(AccountDeletion.user_id == user_id)) is not None


@jobs.job(ERASE_JOB, retry_for=(OperationalError,), swept=True)
def erase_account(user_id: int) -> bool:
    """Erase or pseudonymise everything personal of a deleted account (see the module's text),
    in one transaction: a run that dies leaves nothing half done and the next run (a redelivery,
    a retry or the sweep) does it all; a run after one that finished does nothing. True if it
    erased now."""
    if not _claim(user_id):
        return False
    row = db.session.scalar(select(AccountDeletion).where(AccountDeletion.user_id == user_id)
                            .with_for_update())
    if row is None or row.erased_at is not None:  # finished meanwhile by another run
        db.session.rollback()
        return False
    user = db.session.get(User, user_id)
    _erase(user, row.name)
    row.name = ""
    row.erased_at = utcnow()
    db.session.commit()
    return True


def _claim(user_id: int) -> bool:
    """Count the attempt (committed on its own, so a run that dies still counts); False when
    there is nothing to erase."""
    claimed = db.session.execute(update(AccountDeletion).where(
        AccountDeletion.user_id == user_id, AccountDeletion.erased_at.is_(None))
        .values(attempts=AccountDeletion.attempts + 1)).rowcount
    db.session.commit()
    return bool(claimed)


@jobs.job(ERASE_SWEEP_JOB)
def erase_sweep(older_than: int = ERASE_SWEEP_AFTER) -> int:
    """Erase the accounts whose deletion started over `older_than` seconds ago and is not
    finished (their job was lost, or died); returns how many it finished."""
    due = db.session.scalars(select(AccountDeletion.user_id).where(
        AccountDeletion.erased_at.is_(None),
        AccountDeletion.requested_at <= utcnow() - timedelta(seconds=older_than))
        .order_by(AccountDeletion.requested_at).limit(50)).all()
    db.session.rollback()
    done = 0
    for user_id in due:
        try:
            done += erase_account(user_id)
        except Exception:  # noqa: BLE001 - one account must not stop the others; next sweep
            db.session.rollback()
            log.exception("erasing deleted account %s failed; the next sweep tries again", user_id)
    return done


def _erase(user: User, old_name: str) -> None:
    from app.services import accounts, media

    old_email = user.email
    user_id = user.id
    touched = _ideas_touched(user_id)

    _withdraw_supports(user_id)
    _hand_over_ideas(user_id)
    _revoke_invitations(user_id, old_email)

    _delete_exports(user_id)
    people.forget_member(user_id)  # kept follower numbers of the members they followed
    _delete_personal_rows(user_id)  # sessions and tokens again, whatever was left
    db.session.execute(update(Consent).where(Consent.user_id == user_id).values(
        email="", ip_address="", user_agent=""))
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.email == old_email))

    if old_name:
        _scrub_notifications(old_name, touched, user.created_at)
    _scrub_mails(old_name, old_email)

    if user.avatar_key:
        media.remove_after_commit([user.avatar_key], accounts.AVATAR_SIZES,
                                  accounts.AVATAR_SUBFOLDER)
    balances = _report_balance(user_id)

    user.email = f"deleted-{user_id}-{secrets.token_hex(8)}@{PLACEHOLDER_DOMAIN}"
    user.set_password(secrets.token_urlsafe(32))  # nobody knows it: no sign-in, no reset
    user.bio = ""
    user.avatar_key = None
    user.locale = user.time_zone = None
    user.email_confirmed_at = None
    user.last_seen_at = user.previous_seen_at = None
    user.totp_secret = None
    user.totp_enabled_at = None
    # Stored as DELETED_MEMBER since the request; said again in SQL (the loaded value already
    # reads so, which the ORM would take for no change).
    db.session.execute(update(User).where(User.id == user_id)
                       .values(display_name=DELETED_MEMBER))
    db.session.expire(user, ["role_rows"])
    events.audit(None, "user.deleted", user, after={"balances": balances} if balances else None)
    db.session.flush()


def _ideas_touched(user_id: int) -> list[int]:
    """Ideas whose notifications may name the member: created, co-created, supported,
    commented on or followed."""
    sources = (select(IdeaCreator.idea_id).where(IdeaCreator.user_id == user_id),
               select(Support.idea_id).where(Support.user_id == user_id),
               select(Comment.idea_id).where(Comment.author_id == user_id),
               select(IdeaFollow.idea_id).where(IdeaFollow.user_id == user_id))
    ids: set[int] = set()
    for source in sources:
        ids.update(db.session.scalars(source.distinct()))
    return sorted(ids)


def _withdraw_supports(user_id: int) -> None:
    """Supports of ideas still gathering support are withdrawn (exact counters); the others stay
    as anonymous counts without their reason."""
    from app.services import supports

    after = 0
    while True:
        batch = db.session.execute(
            select(Support.id, Support.idea_id).where(Support.user_id == user_id,
                                                      Support.id > after)
            .order_by(Support.id).limit(BATCH)).all()
        if not batch:
            break
        for _support_id, idea_id in batch:
            supports.withdraw_for_deleted_account(user_id, idea_id)
        after = batch[-1][0]
    db.session.execute(update(Support).where(Support.user_id == user_id)
                       .values(reason=None, network_hash=None))


def _hand_over_ideas(user_id: int) -> None:
    """Ownership to a co-creator where there is one; unpublished ideas of their own deleted."""
    from app.services.ideas import _remove_files_after_commit

    unpublished = [status.value for status in lifecycle.UNPUBLISHED]
    owned = db.session.scalars(select(Idea).where(Idea.owner_id == user_id)).all()
    for idea in owned:
        others = [creator for creator in idea.creators if creator.user_id != user_id]
        if others:
            heir = others[0]
            for creator in idea.creators:
                creator.is_owner = creator is heir
            idea.owner_id = heir.user_id
            if idea.status in unpublished:
                _drop_share(idea, user_id, heir)
        elif idea.status in unpublished:
            keys = [image.key for image in idea.images]
            for creator in idea.creators:
                creator.consent_id = None
            db.session.flush()
            db.session.delete(idea)
            _remove_files_after_commit(keys)
    # A share in someone else's idea that is not published yet goes back to its owner.
    shares = db.session.scalars(
        select(IdeaCreator).join(Idea, Idea.id == IdeaCreator.idea_id)
        .where(IdeaCreator.user_id == user_id, Idea.owner_id != user_id,
               Idea.status.in_(unpublished))).all()
    for row in shares:
        owner = next((c for c in row.idea.creators if c.user_id == row.idea.owner_id), None)
        if owner is not None:
            _drop_share(row.idea, user_id, owner)
    db.session.flush()


def _drop_share(idea: Idea, user_id: int, heir: IdeaCreator) -> None:
    """Remove the member from an unpublished idea's creators; their share goes to `heir`."""
    row = next(c for c in idea.creators if c.user_id == user_id)
    heir.share_bps += row.share_bps
    heir.consent_id = None  # the split changed: consented again at submission
    idea.creators.remove(row)


def _revoke_invitations(user_id: int, email: str) -> None:
    now = utcnow()
    db.session.execute(update(CreatorInvitation).where(
        CreatorInvitation.status == "pending",
        or_(CreatorInvitation.inviter_id == user_id, CreatorInvitation.email == email))
        .values(status="revoked", answered_at=now))
    db.session.execute(update(CreatorInvitation).where(CreatorInvitation.email == email)
                       .values(email=""))


def personal_columns() -> list:
    """Every column referencing users.id with ON DELETE CASCADE: rows that are the member's
    alone (roles, sessions, tokens, follows, notifications, preferences, consent events ... and
    whatever table another area adds that way: the AREAS.md deletion contract). The account row
    stays, so its cascades never fire: deletion removes these rows itself."""
    columns = []
    for table in reversed(db.metadata.sorted_tables):
        for fk in table.foreign_keys:
            if fk.column.table.name == "users" and fk.column.name == "id" and \
                    (fk.ondelete or "").upper() == "CASCADE":
                columns.append(fk.parent)
    return columns


def _delete_personal_rows(user_id: int) -> None:
    for column in personal_columns():
        db.session.execute(delete(column.table).where(column == user_id))


def _delete_exports(user_id: int) -> None:
    from app import storage

    keys = [key for key in db.session.scalars(
        select(DataExport.storage_key).where(DataExport.user_id == user_id)) if key]
    if keys:
        storage.delete_after_commit(keys)
    db.session.execute(delete(DataExport).where(DataExport.user_id == user_id))


def _replace_name(params: dict, name: str) -> dict | None:
    """The params with every value that is the name replaced by deleted_member(); None when
    nothing named them."""
    from app.notification_kinds import deleted_member

    if not any(value == name for value in params.values()):
        return None
    return {key: deleted_member() if value == name else value for key, value in params.items()}


def _scrub_notifications(name: str, idea_ids: list[int], since) -> None:
    """Other members' notifications (and unfinished fan-outs) about the ideas the member took
    part in, or about no idea (payout requests to finance), no longer show their name: the
    name becomes "Deleted member", rendered for each reader. Read in batches."""
    from app.services.ledger.batch import chunks

    def scrub(model, condition) -> None:
        after = 0
        while True:
            rows = db.session.execute(
                select(model.id, model.params).where(condition, model.id > after,
                                                     model.created_at >= since)
                .order_by(model.id).limit(BATCH)).all()
            if not rows:
                return
            for row_id, params in rows:
                changed = _replace_name(params or {}, name)
                if changed is not None:
                    db.session.execute(update(model).where(model.id == row_id)
                                       .values(params=changed))
            after = rows[-1][0]

    for ids in chunks(idea_ids) if idea_ids else ():
        scrub(Notification, Notification.idea_id.in_(ids))
        scrub(NotificationFanout, NotificationFanout.idea_id.in_(ids))
    scrub(Notification, Notification.idea_id.is_(None))


def _scrub_mails(name: str, email: str) -> None:
    """Mail to the old address is dropped (sent or not: the outbox keeps no trace of it);
    pending mail to others that names them says "Deleted member" in the recipient's language."""
    db.session.execute(update(Notification).where(
        Notification.mail_id.in_(select(OutboundMail.id).where(OutboundMail.to_address == email)))
        .values(mail_id=None))
    db.session.execute(delete(OutboundMail).where(OutboundMail.to_address == email))
    if not name:
        return
    pending = db.session.scalars(select(OutboundMail).where(
        OutboundMail.status == "pending",
        or_(OutboundMail.body.contains(name, autoescape=True),
            OutboundMail.subject.contains(name, autoescape=True)))).all()
    for mail in pending:
        reader = db.session.scalar(select(User).where(User.email == mail.to_address))
        with speaking_to(reader, own_request=True) if reader is not None else _nothing():
            replacement = deleted_member_name()
        mail.subject = mail.subject.replace(name, replacement)
        mail.body = mail.body.replace(name, replacement)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def _report_balance(user_id: int) -> dict[str, int]:
    """What the ledger still owes the member, per currency; told to finance staff when any."""
    from app.notification_kinds import moneys
    from app.services.ledger.posting import balances_of

    owed = {currency: amount for currency, amount in balances_of(user_id).items() if amount}
    if not owed:
        return {}
    finance = db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "finance", User.blocked_at.is_(None),
               User.deleted_at.is_(None))).all()
    events.notify(finance, "account_deleted_balance",
                  {"account": str(user_id), "amount": moneys(owed)}, url=_finance_url(user_id))
    return owed


def _finance_url(user_id: int) -> str:
    from flask import url_for

    try:
        return url_for("ledger.creator", user_id=user_id)
    except RuntimeError:  # outside a request (the CLI): the path as the view names it
        return f"/finance/creators/{user_id}"
