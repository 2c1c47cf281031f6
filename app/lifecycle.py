"""The idea lifecycle of PRODUCT.md: every status with its label, the named groups of statuses
the code asks about, and the transitions allowed between them (TRANSITIONS):

    draft, needs_changes   -> pending_moderation                 (submitted)
    pending_moderation     -> published | needs_changes | rejected   (moderated)
    published              -> qualified | expired | withdrawn    (last milestone, deadline, owner
                                                                  or merge)
    qualified, on_hold     -> in_review                          (joins a review batch)
    in_review              -> approved | not_approved | on_hold  (the batch is published)
    approved               -> in_production -> on_sale

`hidden` is a flag beside the status, not a status. The database refuses any other value
(migration 0004_status_check), and app.services.events.transition() refuses any move the table
does not hold.
"""
from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from app.errors import Conflict
from app.i18n import _


class IdeaStatus(StrEnum):
    """An idea's stored status. A StrEnum: members equal their strings ("draft" == DRAFT)."""

    DRAFT = "draft"
    PENDING_MODERATION = "pending_moderation"
    NEEDS_CHANGES = "needs_changes"
    REJECTED = "rejected"
    PUBLISHED = "published"
    EXPIRED = "expired"
    QUALIFIED = "qualified"
    WITHDRAWN = "withdrawn"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    NOT_APPROVED = "not_approved"
    ON_HOLD = "on_hold"
    IN_PRODUCTION = "in_production"
    ON_SALE = "on_sale"

    @property
    def label(self):
        """The status as people read it, in the reader's language (a lazy string)."""
        return STATUS_LABELS[self]

    @property
    def support_note(self):
        """What the support box says of an idea in this status that no longer gathers support."""
        return SUPPORT_NOTES.get(self, _NO_LONGER_GATHERING)

    @property
    def creator_notice(self) -> str | None:
        """Which notice the idea page shows its creators and staff before the idea is public
        (a name the template renders), or None."""
        return CREATOR_NOTICES.get(self)

    @property
    def next_statuses(self) -> frozenset[IdeaStatus]:
        return TRANSITIONS.get(self, frozenset())


S = IdeaStatus

#: Idea statuses as people read them. "published" is shown as what it means to visitors: the idea
#: is gathering support (the same words as the browse filter of app.services.discovery).
STATUS_LABELS = {
    S.DRAFT: _l("Draft"),
    S.PENDING_MODERATION: _l("Pending moderation"),
    S.NEEDS_CHANGES: _l("Needs changes"),
    S.REJECTED: _l("Rejected"),
    S.PUBLISHED: _l("Gathering support"),
    S.EXPIRED: _l("Expired"),
    S.QUALIFIED: _l("Qualified"),
    S.WITHDRAWN: _l("Withdrawn"),
    S.IN_REVIEW: _l("In review"),
    S.APPROVED: _l("Approved"),
    S.NOT_APPROVED: _l("Not approved"),
    S.ON_HOLD: _l("On hold"),
    S.IN_PRODUCTION: _l("In production"),
    S.ON_SALE: _l("On sale"),
}

_NO_LONGER_GATHERING = _l("This idea no longer gathers support.")
SUPPORT_NOTES = {
    S.EXPIRED: _l("This idea did not reach its goal in time. It stays visible, but no longer "
                  "gathers support."),
    S.QUALIFIED: _l("This idea reached its goal and qualifies for the next review. Its "
                    "supporter list is final."),
    S.WITHDRAWN: _l("The creator withdrew this idea."),
}

CREATOR_NOTICES = {
    S.DRAFT: "draft",
    S.PENDING_MODERATION: "awaiting_moderation",
    S.NEEDS_CHANGES: "changes_requested",
    S.REJECTED: "rejected",
}

# --- named groups ---------------------------------------------------------------------------

ALL: tuple[IdeaStatus, ...] = tuple(IdeaStatus)
#: Never published: only creators and staff see these ideas.
UNPUBLISHED = (S.DRAFT, S.PENDING_MODERATION, S.NEEDS_CHANGES, S.REJECTED)
#: Anyone may see an idea in these statuses (unless it is hidden).
PUBLIC = (S.PUBLISHED, S.EXPIRED, S.QUALIFIED, S.WITHDRAWN, S.IN_REVIEW, S.APPROVED,
          S.NOT_APPROVED, S.ON_HOLD, S.IN_PRODUCTION, S.ON_SALE)
#: Its creators may change the idea (text, images, co-creators, consent) and submit it.
EDITABLE = (S.DRAFT, S.NEEDS_CHANGES)
#: Moderation's answers that the creators read a reason for.
SENT_BACK = (S.NEEDS_CHANGES, S.REJECTED)
#: Reviewers see these ideas (staff see everything; the public sees PUBLIC).
VISIBLE_TO_REVIEWERS = (S.QUALIFIED, S.IN_REVIEW, S.ON_HOLD)
#: Waiting for the next review batch: qualified, or carried over on hold.
AWAITING_BATCH = (S.QUALIFIED, S.ON_HOLD)
#: The admin's decisions of a review batch (they become the idea's status when published).
REVIEW_DECISIONS = (S.APPROVED, S.NOT_APPROVED, S.ON_HOLD)
#: Reached the last milestone: the supporter list is final.
QUALIFIED_OR_LATER = (S.QUALIFIED, S.IN_REVIEW, S.APPROVED, S.NOT_APPROVED, S.ON_HOLD,
                      S.IN_PRODUCTION, S.ON_SALE)
#: Supporters can no longer join or leave, and the idea cannot be merged away.
FROZEN = QUALIFIED_OR_LATER
#: Approved, and the product steps after it; these ideas have a product.
APPROVED_OR_LATER = (S.APPROVED, S.IN_PRODUCTION, S.ON_SALE)
#: Entering one of these ends the idea's road: `closed_at` is set.
CLOSING = (S.EXPIRED, S.WITHDRAWN, S.REJECTED, S.NOT_APPROVED)
#: The public statuses in the order the browse filter offers them.
FILTER_ORDER = (S.PUBLISHED, S.EXPIRED, S.QUALIFIED, S.IN_REVIEW, S.ON_HOLD, S.APPROVED,
                S.NOT_APPROVED, S.IN_PRODUCTION, S.ON_SALE, S.WITHDRAWN)

# --- transitions ----------------------------------------------------------------------------

#: Every move an idea may make, and only these. Who may trigger each is app.permissions' concern.
TRANSITIONS: dict[IdeaStatus, frozenset[IdeaStatus]] = {
    S.DRAFT: frozenset({S.PENDING_MODERATION}),
    S.NEEDS_CHANGES: frozenset({S.PENDING_MODERATION}),
    S.PENDING_MODERATION: frozenset({S.PUBLISHED, S.NEEDS_CHANGES, S.REJECTED}),
    S.PUBLISHED: frozenset({S.QUALIFIED, S.EXPIRED, S.WITHDRAWN}),
    S.QUALIFIED: frozenset({S.IN_REVIEW}),
    S.ON_HOLD: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset(REVIEW_DECISIONS),
    S.APPROVED: frozenset({S.IN_PRODUCTION}),
    S.IN_PRODUCTION: frozenset({S.ON_SALE}),
}


class IllegalTransition(Conflict):
    """A move the lifecycle does not allow (a bug in the caller: services check first)."""

    code = "wrong_status"

    def __init__(self, from_status: str | None, to_status: str | None) -> None:
        self.from_status, self.to_status = from_status, to_status
        super().__init__(self.code, _("An idea cannot go from “%(from_status)s” to "
                                      "“%(to_status)s”.", from_status=status_label(from_status),
                                      to_status=status_label(to_status)))


def may_transition(from_status: str, to_status: str) -> bool:
    try:
        return IdeaStatus(to_status) in IdeaStatus(from_status).next_statuses
    except ValueError:  # not a status at all
        return False


def check_transition(from_status: str, to_status: str) -> IdeaStatus:
    """The target as an IdeaStatus, or IllegalTransition when the table does not allow it."""
    if not may_transition(from_status, to_status):
        raise IllegalTransition(from_status, to_status)
    return IdeaStatus(to_status)


def status_label(status: str | None) -> str:
    """The idea status in the reader's language; unknown codes read as words."""
    if not status:
        return ""
    try:
        return str(IdeaStatus(status).label)
    except ValueError:
        return status.replace("_", " ")


def check_constraint_sql(column: str = "status") -> str:
    """The CHECK of ideas.status (the model's; migration 0004_status_check spells it out)."""
    return f"{column} IN (" + ", ".join(f"'{status.value}'" for status in IdeaStatus) + ")"
