"""Translated labels for the codes shown to people (idea statuses), and the catalogue entries of
messages that other modules translate from a variable (so `flask i18n update` extracts them).

Templates: {{ status_label(idea.status) }} (a Jinja global, registered in app.templating).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import default_exceptions

from app import lifecycle

#: Idea statuses as people read them: kept in app.lifecycle with the statuses.
STATUS_LABELS = lifecycle.STATUS_LABELS

#: Review batch states, shown with {{ _(batch.status) }} in templates/admin and templates/review.
BATCH_STATUS_LABELS = {
    "open": _l("open"),
    "closed": _l("closed"),
    "published": _l("published"),
}

#: Messages translated elsewhere with gettext(variable); listed here only so they are extracted.
#: app.services.review.LEGEND (the matrix legend) and COI_MESSAGES (conflicts of interest):
DYNAMIC_MESSAGES = (
    _l("Clear, large value"), _l("Some value"), _l("Value unclear"),
    _l("Nothing like it from competitors"), _l("Partly unique"), _l("Similar to existing"),
    _l("Feasible with current resources"), _l("Feasible with more investment"),
    _l("Hard to realise"),
    _l("Large market expected"), _l("Medium market"), _l("Limited market"),
    _l("You created this idea, so you cannot review it: reviewers must be impartial."),
    _l("You are a co-creator of this idea, so you cannot review it: reviewers must be impartial."),
    _l("You supported this idea, so you cannot review it: reviewers must be impartial."),
    # app.images._MESSAGES (upload problems, translated by app.services.ideas):
    _l("This file is not an image. Please upload a JPEG, PNG, GIF or WebP picture."),
    _l("This image file is too large."),
    _l("This image has too many pixels."),
    _l("This image format is not supported. Please upload JPEG, PNG, GIF or WebP."),
    _l("This image file is incomplete or damaged. Please upload it again."),
    _l("This image cannot be accepted."),
    _l("This image has too many pixels to process: %(format)s pictures can have at most "
       "%(n)s megapixels. Save it as JPEG or make it smaller."),
    _l("This image is too large: each side can be at most %(n)s pixels."),
    _l("This image is too long and narrow: its long side can be at most %(n)s times its short "
       "side."),
    # app.storage (shown on the 507 error page):
    _l("There is no room left to store this file. Nothing was saved: please try again later."),
    _l("The file could not be stored right now. Nothing was saved: please try again later."),
    _l("This file cannot be loaded right now. Please try again later."),
    # app.permissions.REFUSALS (shown on HTML error pages and sign-in notices, or translated
    # when raised):
    _l("Please sign in first."), _l("This account is blocked."),
    _l("Please confirm your email address first."), _l("Only the idea's creators may do this."),
    _l("Only the idea's owner may do this."),
    _l("You cannot support your own idea."), _l("Only the author may do this."),
    _l("You cannot report your own comment."), _l("Only moderators may do this."),
    _l("You cannot report your own idea."), _l("You cannot report yourself."),
    _l("Your own idea's polls are for the community to answer."),
    _l("This batch is published: its notes are closed."),
    _l("Only reviewers may do this."), _l("Only admins may do this."),
    _l("Only finance staff may do this."), _l("Only staff may do this."), _l("Not allowed."),
    _l("Only product managers and admins may do this."),
    _l("Only community managers and admins may do this."),
    _l("Only analysts and admins may do this."),
    _l("Only an idea that is gathering support can be refined: once it qualified its "
       "description and insight are final, so reviewers judge what its supporters supported."),
    _l("This idea no longer gathers support: its revisions are final, so reviewers judge what "
       "its supporters saw."),
    _l("Polls can be pinned only while the idea gathers support."),
    _l("Only the idea's creators, reviewers and admins see its evidence."),
    _l("Scoring is blind: submit your own scores to see the others'."),
    _l("This idea can only be changed while it is a draft or needs changes."),
    _l("Co-creators can only be changed while the idea is a draft."),
    _l("Only a draft or an idea that needs changes can be submitted."),
    _l("Only an idea that is gathering support can be withdrawn."),
    _l("Only a draft can be deleted."), _l("Only an expired idea can be submitted again."),
    _l("This idea is not waiting for moderation."), _l("This idea is not in a review batch."),
    _l("A decision has been made on this idea; scores can no longer change."),
    _l("You (co-)created this idea, so another staff member must act on it."),
    _l("This money is owed to you, so another finance staff member must pay or decline it."),
    _l("This transaction moves money owed to you, so another finance staff member must reverse "
       "it."),
    _l("You hold a staff role: an admin must remove it before you can delete your account."),
    # app.models.users.DELETED_MEMBER (a deleted account's name, read in the reader's language):
    _l("Deleted member"),
    _l("You cannot follow yourself."),
    _l("Only admins and community managers may do this."),
    _l("Only admins, community managers and analysts may see these results."),
    _l("Only admins and community managers may see the answers themselves; analysts see the counts."),
)

#: What the HTML error page says for Werkzeug's stock errors (their descriptions are English).
HTTP_ERROR_MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You do not have permission to open this page."),
    404: _l("The page you asked for does not exist. Check the address, or start again from "
            "the home page."),
    405: _l("This page cannot be used this way."),
    413: _l("The upload is too large."),
    429: _l("Too many requests in a short time. Please wait a moment and try again."),
    500: _l("Something went wrong on our side. Please try again in a moment."),
}


#: What happened to an idea, as its history reads (IdeaEvent.kind).
EVENT_LABELS = {
    "created": _l("Draft created"), "submitted": _l("Submitted for moderation"),
    "published": _l("Published: gathering support"), "needs_changes": _l("Sent back for changes"),
    "rejected": _l("Not accepted by moderation"), "withdrawn": _l("Withdrawn by its creator"),
    "milestone_reached": _l("Milestone reached"), "qualified": _l("Qualified for review"),
    "expired": _l("Expired"), "hidden": _l("Hidden by a moderator"), "unhidden": _l("Visible again"),
    "merged": _l("Merged into another idea"), "merged_from": _l("A duplicate was merged in"),
    "co_creator_invited": _l("Co-creator invited"), "co_creator_removed": _l("Co-creator removed"),
    "co_creator_joined": _l("Co-creator joined"),
    "supports_voided": _l("Supports from a burst of new accounts voided"),
    "split_changed": _l("Revenue split changed"), "consented": _l("Creator agreement accepted"),
    "resubmitted": _l("Submitted again as a new idea"),
    "refined": _l("Description refined"),
    "revision_reverted": _l("A refinement was reverted by a moderator"),
    "review_started": _l("Review started"), "review_decision": _l("Review decided"),
    "product_stage": _l("Next product step"),
}

#: Staff roles and the member's, as people read them.
ROLE_LABELS = {
    "member": _l("Member"), "moderator": _l("Moderator"), "reviewer": _l("Reviewer"),
    "finance": _l("Finance"), "product_manager": _l("Product manager"),
    "community_manager": _l("Community manager"), "analyst": _l("Analyst"),
    "admin": _l("Administrator"),
}

#: Staff actions as the audit log names them (AuditLog.action, written by app.services.events.audit).
AUDIT_ACTIONS = {
    "agreement.published": _l("Creator agreement published"),
    "announcement.created": _l("Announcement created"),
    "announcement.updated": _l("Announcement changed"),
    "announcement.sent": _l("Announcement sent"),
    "campaign.create": _l("Campaign created"), "campaign.cover": _l("Campaign cover changed"),
    "campaign.shortlist": _l("Campaign shortlist changed"),
    "campaign.vote_open": _l("Campaign vote opened"),
    "campaign.vote_close": _l("Campaign vote closed"),
    "campaign.winners": _l("Campaign winners announced"),
    "category.created": _l("Category created"), "category.updated": _l("Category changed"),
    "category.moved": _l("Category moved"),
    "comment.remove": _l("Comment removed"), "comment.restore": _l("Comment restored"),
    "comment.delete": _l("Comment deleted"),
    "forum_thread.remove": _l("Forum thread removed"),
    "forum_thread.restore": _l("Forum thread restored"),
    "forum_reply.remove": _l("Forum reply removed"),
    "forum_reply.restore": _l("Forum reply restored"),
    "idea.publish": _l("Idea published"), "idea.needs_changes": _l("Idea sent back for changes"),
    "idea.reject": _l("Idea rejected"), "idea.hide": _l("Idea hidden"),
    "idea.reports_upheld": _l("Reports on an idea upheld"),
    "idea.reports_dismissed": _l("Reports on an idea dismissed"),
    "user.reports_upheld": _l("Reports on a member upheld"),
    "user.reports_dismissed": _l("Reports on a member dismissed"),
    "idea.hidden": _l("Idea hidden"), "idea.unhide": _l("Idea visible again"),
    "idea.merge": _l("Ideas merged"), "idea.revision_reverted": _l("Refinement reverted"),
    "idea.staff_pick": _l("Staff pick"),
    "ledger.sale_recorded": _l("Sale recorded"), "ledger.sales_imported": _l("Sales imported"),
    "ledger.payout_recorded": _l("Payout recorded"),
    "ledger.transaction_reversed": _l("Ledger transaction reversed"),
    "payout_request.created": _l("Payout requested"),
    "payout_request.declined": _l("Payout request declined"),
    "payout_request.paid": _l("Payout request paid"),
    "policy.terms.published": _l("Terms of use published"),
    "policy.privacy.published": _l("Privacy policy published"),
    "product.stage": _l("Product step"), "product.update_posted": _l("Product update posted"),
    "product_test.opened": _l("Product test opened"),
    "product_test.selected": _l("Product testers chosen"),
    "programme.updated": _l("Programme page changed"),
    "reports.burst_voided": _l("Reports from a burst voided"),
    "supports.burst_voided": _l("Supports from a burst voided"),
    "review.batch_opened": _l("Review batch opened"),
    "review.batch_closed": _l("Review batch closed"),
    "review.batch_published": _l("Review decisions published"),
    "review.idea_taken": _l("Idea taken into a review batch"),
    "review.reviewer_assigned": _l("Reviewer assigned"),
    "review.reviewer_unassigned": _l("Reviewer unassigned"),
    "review.scored": _l("Idea scored"), "review.score_revised": _l("Scores revised"),
    "review.note_added": _l("Reviewer note added"),
    "review.decided": _l("Review decision"),
    "review_calendar.added": _l("Review date added"),
    "review_calendar.removed": _l("Review date removed"),
    "reward.grant": _l("Reward granted"), "reward.deliver": _l("Reward delivered"),
    "segment.created": _l("Segment created"), "segment.updated": _l("Segment changed"),
    "segment.deleted": _l("Segment deleted"),
    "session.created": _l("Co-creation session created"),
    "session.updated": _l("Co-creation session changed"),
    "session.invited": _l("Members invited to a session"),
    "session.attendance": _l("Session attendance recorded"),
    "session.outputs": _l("Session outputs recorded"),
    "session.photo_added": _l("Session photo added"),
    "survey.create": _l("Survey created"), "tag.renamed": _l("Tag renamed"),
    "tag.merged": _l("Tags merged"),
    "user.role_granted": _l("Role granted"), "user.role_revoked": _l("Role removed"),
    "user.block": _l("Member blocked"), "user.blocked": _l("Member blocked"),
    "user.unblock": _l("Member unblocked"), "user.unblocked": _l("Member unblocked"),
    "user.deleted": _l("Account deleted"),
}


def audit_action_label(action: str) -> str:
    """An audit action in the reader's language (the code itself when it has no label)."""
    label = AUDIT_ACTIONS.get(action)
    return str(label) if label is not None else action


#: What an audit entry acted on (AuditLog.target_type: the model's class name, lower-case).
AUDIT_TARGET_TYPES = {
    "idea": _l("Idea"), "user": _l("Member"), "comment": _l("Comment"),
    "category": _l("Category"), "tag": _l("Tag"), "campaign": _l("Campaign"),
    "product": _l("Product"), "reviewbatch": _l("Review batch"), "survey": _l("Survey"),
    "cosession": _l("Co-creation session"), "producttest": _l("Product test"),
    "segment": _l("Segment"), "announcement": _l("Announcement"),
    "agreement": _l("Creator agreement"), "policy": _l("Policy"), "sale": _l("Sale"),
    "payout": _l("Payout"), "payoutrequest": _l("Payout request"),
    "ledgertransaction": _l("Ledger transaction"), "reward": _l("Reward"),
    "forumthread": _l("Forum thread"), "forumreply": _l("Forum reply"),
    "programmesettings": _l("Programme page"), "reviewdate": _l("Review date"),
    "salesimport": _l("Sales import"), "sessionphoto": _l("Session photo"),
    "none": _l("Nothing in particular"),
}

#: The fields audit entries record before and after, as people read them.
AUDIT_FIELDS = {
    "hidden": _l("Hidden"), "roles": _l("Roles"), "blocked": _l("Blocked"), "name": _l("Name"),
    "status": _l("Status"), "idea_id": _l("Idea"), "idea_ids": _l("Ideas"),
    "user_ids": _l("Members"), "version": _l("Version"), "spec": _l("Audience"),
    "reviewer_id": _l("Reviewer"), "deleted": _l("Deleted"), "two_factor": _l("Two-step sign-in"),
    "title": _l("Title"), "cover_key": _l("Cover image"), "closes_on": _l("Closes on"),
    "vote_closes_at": _l("Vote closes"), "cancelled": _l("Cancelled"),
    "batch_name": _l("Review batch"), "told": _l("Told"), "support_count": _l("Supporters"),
    "report_count": _l("Reports"), "reason": _l("Reason"), "message": _l("Message"),
    "merged_into_id": _l("Merged into idea"), "moved": _l("Supporters moved"),
    "skipped": _l("Supporters already there"), "target_support_count": _l("Supporters of the target"),
    "removed": _l("Removed"), "count": _l("Count"), "closed": _l("Closed"), "hour": _l("Hour"),
    "balances": _l("Balances"), "agenda": _l("Agenda"), "source": _l("Source idea"),
    "target": _l("Target idea"), "before": _l("Before"), "reverses_id": _l("Reverses"),
    "ideas_moved": _l("Ideas moved"), "photo_id": _l("Photo"), "post_id": _l("Post"),
    "id": _l("Id"),
    "amount": _l("Amount"), "currency": _l("Currency"), "price": _l("Price"),
    "stage": _l("Step"), "expected_on": _l("Expected on"), "shop_url": _l("Shop link"),
    "customer_value": _l("Customer value"), "uniqueness": _l("Uniqueness"),
    "feasibility": _l("Feasibility"), "marketability": _l("Marketability"),
    "agenda_items": _l("Agenda"), "already_invited": _l("Already invited"),
    "campaign": _l("Campaign"), "campaign_id": _l("Campaign"), "capacity": _l("Places"),
    "category_id": _l("Category"), "created": _l("Created"), "date": _l("Date"),
    "decision": _l("Decision"), "decisions": _l("Decisions"), "description": _l("Description"),
    "draft": _l("Draft"), "duration_minutes": _l("Duration (minutes)"), "ends_on": _l("Ends on"),
    "existing": _l("Already recorded"), "external_refs": _l("External references"),
    "fields": _l("Fields"), "invited": _l("Invited"), "kind": _l("Kind"), "length": _l("Length"),
    "mode": _l("Mode"), "needs_changes": _l("Ideas sent back"), "opens_on": _l("Opens on"),
    "product_id": _l("Product"), "publish": _l("Ideas published"), "questions": _l("Questions"),
    "ref": _l("Reference"), "reject": _l("Ideas rejected"), "reverses_sequence": _l("Reverses"),
    "reviewers": _l("Reviewers"), "revision": _l("Refinement"), "segment": _l("Segment"),
    "series_id": _l("Series"), "session_id": _l("Session"), "starts_at": _l("Starts at"),
    "starts_on": _l("Starts on"), "test_id": _l("Product test"), "testers": _l("Testers"),
    "user_id": _l("Member"), "when": _l("When"), "rationale": _l("Rationale"),
    "comment": _l("Comment"), "scores": _l("Scores"),
}


def audit_target_label(target_type: str) -> str:
    label = AUDIT_TARGET_TYPES.get(target_type)
    return str(label) if label is not None else target_type


def _audit_value(value: Any) -> str:
    """A recorded value as a short text: yes/no, lists joined, nested values as key: value."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int | float):
        return format_decimal(value)
    if isinstance(value, list):
        return ", ".join(_audit_value(item) for item in value)
    if isinstance(value, dict) and set(value) == {"amount", "currency"} \
            and isinstance(value["amount"], int) and isinstance(value["currency"], str):
        from app.web import format_money

        return format_money(value["amount"], value["currency"])
    if isinstance(value, dict):
        return "; ".join(f"{audit_field_label(key)}: {_audit_value(item)}"
                         for key, item in value.items())
    if isinstance(value, str) and value in lifecycle.STATUS_LABELS:
        return status_label(value)
    if isinstance(value, str) and value in ROLE_LABELS:
        return str(ROLE_LABELS[value])
    return str(value)


def audit_field_label(key: str) -> str:
    label = AUDIT_FIELDS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def audit_changes(before: dict | None, after: dict | None) -> list[tuple[str, str, str, bool]]:
    """An audit entry's before/after as rows (field, before, after, changed), in the order the
    fields were recorded; a value that is not a mapping reads as one row."""
    before = before if isinstance(before, dict) else ({} if before is None else {"": before})
    after = after if isinstance(after, dict) else ({} if after is None else {"": after})
    keys = list(dict.fromkeys([*before, *after]))
    rows = []
    for key in keys:
        old, new = _audit_value(before.get(key)), _audit_value(after.get(key))
        rows.append((audit_field_label(key) if key else "", old, new, old != new))
    return rows


class Wording:
    """A sentence the system stores in English (an event's reason, a ledger memo: part of the
    record, a ledger memo even of its hash) and shows in the reader's language: `stored` is the
    English with %(name)s parts, read back from the stored text; `shown` says the same to the
    reader, each part formatted by FORMATS (numbers grouped, basis points as a percentage)."""

    def __init__(self, stored: str, shown) -> None:
        self.stored, self.shown = stored, shown
        pieces = re.split(r"%\((\w+)\)s", stored)  # literal, name, literal, name, ...
        pattern = "".join(re.escape(piece) if i % 2 == 0
                          else f"(?P<{piece}>{_PARTS.get(piece, '.+?')})"
                          for i, piece in enumerate(pieces))
        self._pattern = re.compile(rf"\A{pattern}\Z", re.DOTALL)
        self.names = frozenset(pieces[1::2])

    def read(self, text: str) -> str | None:
        """The stored text in the reader's words, or None when it is not this sentence."""
        found = self._pattern.match(text)
        if found is None:
            return None
        values = {name: FORMATS.get(name, str)(value) for name, value in found.groupdict().items()}
        return str(self.shown) % values


def _share(bps: str) -> str:
    from app.services.idea_creators import format_share

    return format_share(int(bps))


#: How the parts of a Wording are read (digits) and shown.
_PARTS = {"n": r"-?\d+", "id": r"\d+", "bps": r"\d+", "period": r"\d{4}-\d{2}"}
FORMATS: dict[str, Callable[[str], str]] = {
    "n": lambda value: format_decimal(int(value)), "bps": _share,
}

#: The reasons the system writes on idea events, by kind (app.services.milestones,
#: review_batches, review_decisions, idea_creators, integrity, moderation). A reason no Wording
#: reads is a person's note and is shown as written.
EVENT_REASONS: dict[str, tuple[Wording, ...]] = {
    "milestone_reached": (Wording("%(n)s supporters", _l("%(n)s supporters")),),
    "qualified": (Wording("Reached %(n)s supporters", _l("Reached %(n)s supporters")),),
    "expired": (Wording("Missed the deadline for %(n)s supporters",
                        _l("Missed the deadline for %(n)s supporters")),),
    "created": (Wording("Resubmitted from idea #%(id)s", _l("Resubmitted from idea #%(id)s")),),
    "resubmitted": (Wording("Submitted again as idea #%(id)s",
                            _l("Submitted again as idea #%(id)s")),),
    "merged_from": (Wording("Idea #%(id)s: %(n)s supporters moved",
                            _l("Idea #%(id)s: %(n)s supporters moved")),),
    "supports_voided": (Wording("%(n)s supports voided", _l("%(n)s supports voided")),),
    "co_creator_invited": (Wording("%(email)s (%(bps)s bps)", _l("%(email)s (share %(bps)s)")),),
    "split_changed": (Wording("%(name)s: %(bps)s bps", _l("%(name)s: share %(bps)s")),),
    "consented": (Wording("Agreement v%(version)s, %(bps)s bps",
                          _l("Agreement version %(version)s, share %(bps)s")),
                  Wording("Agreement v%(version)s", _l("Agreement version %(version)s"))),
    "review_started": (Wording("Joined the review batch “%(name)s”",
                               _l("Joined the review batch “%(name)s”")),),
    "review_decision": (Wording("Decided in the review batch “%(name)s”",
                                _l("Decided in the review batch “%(name)s”")),),
    "hidden": (Wording("Hidden after members' reports, until a moderator decides",
                       _l("Hidden after members' reports, until a moderator decides")),),
}

#: Ledger memos as app.services.ledger writes them (sales, returns, payouts, reversals).
LEDGER_MEMOS = (
    Wording("Sale %(ref)s: %(product)s %(period)s", _l("Sale %(ref)s: %(product)s, %(period)s")),
    Wording("Return %(ref)s: %(product)s %(period)s",
            _l("Return %(ref)s: %(product)s, %(period)s")),
    Wording("Payout %(ref)s to %(name)s", _l("Payout %(ref)s to %(name)s")),
    Wording("Reversal of #%(id)s: %(reason)s", _l("Reversal of #%(id)s: %(reason)s")),
)


def system_reason(kind: str, **values: Any) -> str:
    """The English reason the system stores on an event of `kind` (read back by event_reason)."""
    for wording in EVENT_REASONS[kind]:
        if wording.names == set(values):
            return wording.stored % values
    raise KeyError(f"no reason for {kind} with {sorted(values)}")


def _read(wordings, text: str | None) -> str:
    if not text:
        return ""
    for wording in wordings:
        shown = wording.read(text)
        if shown is not None:
            return shown
    return text


def event_label(kind: str) -> str:
    """What an idea event means, in the reader's language."""
    label = EVENT_LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


def event_reason(event: Any) -> str:
    """An event's reason in the reader's language when the system wrote it; a person's note as
    they wrote it."""
    return _read(EVENT_REASONS.get(event.kind, ()), event.reason)


def ledger_memo(memo: str | None) -> str:
    """A ledger transaction's memo in the reader's language (the stored memo is hashed)."""
    return _read(LEDGER_MEMOS, memo)


def role_label(role: str) -> str:
    label = ROLE_LABELS.get(role)
    return str(label) if label is not None else role.replace("_", " ")


def category_name(category: Any) -> str:
    """A category's name in the reader's language (its Japanese name when there is one)."""
    if category is None:
        return ""
    return category.label(str(get_locale()))


def status_label(status: str | None) -> str:
    """The idea status in the reader's language; unknown codes read as words."""
    return lifecycle.status_label(status)


def translated(message: str | None) -> str:
    """A message in the reader's language if the catalogue has it (e.g. a permission message
    from app.permissions); anything else unchanged."""
    return gettext(message) if message else ""


def http_error_message(status: int | None, description: str | None) -> str:
    """The error page text: ours for Werkzeug's stock descriptions, else the given one."""
    stock = default_exceptions.get(status or 0)
    if status in HTTP_ERROR_MESSAGES and (not description or stock is None
                                          or description == stock.description):
        return str(HTTP_ERROR_MESSAGES[status])
    return translated(description)

