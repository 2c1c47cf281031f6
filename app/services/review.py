"""Staff review: batches, reviewer assignments, blind scoring on the 4-axis matrix, decisions
and publishing them.

The rules in one place:
- one batch is open at a time; qualified ideas waiting for a batch join it when it opens, ideas
  that qualify while it is open join at once, and on-hold ideas are carried into the next one;
- a reviewer never scores an idea they created, co-created or supported (conflict of interest);
- scoring is blind: a reviewer sees the others' scores only after submitting their own;
- scores are revisable until the admin decides; a decision needs REVIEW_MIN_REVIEWERS scores;
- decisions and scores stay private until the admin publishes the batch.

Means are exact (fractions.Fraction): three reviewers giving 3, 2, 2 make 7/3, not 2.33333...
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from flask import current_app
from sqlalchemy import exists, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from app import permissions
from app.lifecycle import IdeaStatus
from app.permissions import Action
from app.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from app.extensions import db
from app.models import Idea, IdeaEvent, Support, User
from app.models.base import is_row_id, utcnow
from app.models.review import AXES, Review, ReviewAssignment, ReviewBatch, ReviewItem
from app.services import events
from app.i18n import _

RATIONALE_MAX = 4000
MESSAGE_MAX = 5000
NAME_MAX = 120
REASONS_SHOWN = 100


AXIS_LABELS = {
    "customer_value": "Customer value",
    "uniqueness": "Uniqueness",
    "feasibility": "Feasibility",
    "marketability": "Marketability",
}
# The matrix legend of PRODUCT.md: what 3 / 2 / 1 mean on each axis.
LEGEND = {
    "customer_value": {3: "Clear, large value", 2: "Some value", 1: "Value unclear"},
    "uniqueness": {3: "Nothing like it from competitors", 2: "Partly unique",
                   1: "Similar to existing"},
    "feasibility": {3: "Feasible with current resources", 2: "Feasible with more investment",
                    1: "Hard to realise"},
    "marketability": {3: "Large market expected", 2: "Medium market", 1: "Limited market"},
}
DECISION_LABELS = {"approved": "Approved", "not_approved": "Not approved", "on_hold": "On hold"}
COI_MESSAGES = permissions.COI_MESSAGES


# --- reading ------------------------------------------------------------------------------------

def min_reviewers() -> int:
    return int(current_app.config["REVIEW_MIN_REVIEWERS"])


def priority_total() -> int:
    return int(current_app.config["REVIEW_PRIORITY_TOTAL"])


def current_open_batch() -> ReviewBatch | None:
    return db.session.scalar(select(ReviewBatch).where(ReviewBatch.status == "open"))


def get_batch(batch_id: int) -> ReviewBatch:
    batch = db.session.get(ReviewBatch, batch_id)
    if batch is None:
        raise NotFound("batch_not_found", _("No such review batch."))
    return batch


def active_item(idea_id: int) -> ReviewItem | None:
    """The idea's item in a batch not yet published (at most one), or None."""
    return db.session.scalar(
        select(ReviewItem).join(ReviewBatch)
        .where(ReviewItem.idea_id == idea_id, ReviewBatch.status != "published")
        .order_by(ReviewItem.id.desc()).limit(1))


def latest_item(idea_id: int, *, published_only: bool = False) -> ReviewItem | None:
    stmt = select(ReviewItem).join(ReviewBatch).where(ReviewItem.idea_id == idea_id)
    if published_only:
        stmt = stmt.where(ReviewBatch.status == "published")
    return db.session.scalar(stmt.order_by(ReviewItem.id.desc()).limit(1))


def _lock_item(item: ReviewItem) -> ReviewItem:
    """Serialise scoring and deciding on one item: a row lock (PostgreSQL) or the database write
    lock (SQLite), then fresh values."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE review_items SET id = id WHERE id = :id"), {"id": item.id})
    return db.session.scalar(select(ReviewItem).where(ReviewItem.id == item.id).with_for_update()
                             .execution_options(populate_existing=True))


def _lock_batch(batch_id: int) -> ReviewBatch | None:
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE review_batches SET id = id WHERE id = :id"),
                           {"id": batch_id})
    return db.session.scalar(select(ReviewBatch).where(ReviewBatch.id == batch_id)
                             .with_for_update().execution_options(populate_existing=True))


def _idea(user: Any, idea_id: int) -> Idea:
    return permissions.require_visible(user, db.session.get(Idea, idea_id))


def _reviewing_item(idea: Idea) -> ReviewItem:
    item = active_item(idea.id)
    if item is None or idea.status != IdeaStatus.IN_REVIEW:
        raise Conflict("not_in_review", _("This idea is not in a review batch."))
    return item


# --- aggregation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Aggregate:
    """Per-axis means over the reviewers, their total and whether it marks a priority. Exact."""

    reviewer_count: int
    axis_means: dict[str, Fraction | None]
    total: Fraction | None
    priority: bool


def aggregate(reviews: list[Review], threshold: int | None = None) -> Aggregate:
    """The mean of each axis over the reviews, the total (sum of the means) and priority
    (total >= REVIEW_PRIORITY_TOTAL), all as exact fractions."""
    threshold = priority_total() if threshold is None else threshold
    n = len(reviews)
    if n == 0:
        return Aggregate(0, {axis: None for axis in AXES}, None, False)
    means = {axis: Fraction(sum(review.score(axis) for review in reviews), n) for axis in AXES}
    total = sum(means.values(), Fraction(0))
    return Aggregate(n, means, total, total >= threshold)


def json_number(value: Fraction | None) -> int | float | None:
    """A JSON number for an exact value: whole numbers stay integers, others are rounded to four
    decimals only here, at the edge (2.5 is 2.5; 7/3 shows as 2.3333)."""
    if value is None:
        return None
    if value.denominator == 1:
        return value.numerator
    return float(round(value, 4))


def format_fraction(value: Fraction | None, places: int = 2) -> str:
    """For pages: 5/2 -> '2.5', 3 -> '3', 7/3 -> '2.33' (rounded half-even, without floats)."""
    if value is None:
        return "–"
    scaled = round(value * 10 ** places)
    sign = "-" if scaled < 0 else ""
    whole, part = divmod(abs(scaled), 10 ** places)
    digits = f"{part:0{places}d}".rstrip("0") if places else ""
    return f"{sign}{whole}.{digits}" if digits else f"{sign}{whole}"


# --- conflict of interest -----------------------------------------------------------------------

conflict_of_interest = permissions.conflict_of_interest  # kept for older imports


def coi_message(reason: str) -> str:
    return _(COI_MESSAGES[reason])


def _require_no_conflict(user: User, idea: Idea, *, who: str | None = None) -> None:
    reason = conflict_of_interest(user, idea)
    if reason is None:
        return
    if who is None:
        raise Forbidden("conflict_of_interest", coi_message(reason))
    messages = {
        "created": _("%(name)s created this idea and cannot review it.", name=who),
        "co_created": _("%(name)s co-creates this idea and cannot review it.", name=who),
        "supported": _("%(name)s supported this idea and cannot review it.", name=who),
    }
    raise Forbidden("conflict_of_interest", messages[reason])


# --- assignments --------------------------------------------------------------------------------

def _assignment(item: ReviewItem, reviewer_id: int) -> ReviewAssignment | None:
    return db.session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.item_id == item.id, ReviewAssignment.reviewer_id == reviewer_id))


def _ensure_assignment(item: ReviewItem, reviewer: User, by: User) -> tuple[ReviewAssignment, bool]:
    existing = _assignment(item, reviewer.id)
    if existing is not None:
        return existing, False
    assignment = ReviewAssignment(item_id=item.id, reviewer_id=reviewer.id, assigned_by_id=by.id)
    try:
        with db.session.begin_nested():
            db.session.add(assignment)
            db.session.flush()
    except IntegrityError:  # assigned concurrently
        return _assignment(item, reviewer.id), False
    return assignment, True


def assign_reviewer(actor: User, idea_id: int, reviewer_id: Any) -> tuple[ReviewAssignment, bool]:
    """Ask a reviewer to score an idea (admins), or take it yourself (a reviewer passing their own
    id). Returns (assignment, created)."""
    if not is_row_id(reviewer_id):
        raise Invalid({"reviewer_id": _("A user id.")})
    self_assign = getattr(actor, "id", None) == reviewer_id
    if self_assign and not permissions.can(actor, Action.ASSIGN_REVIEWERS):
        return take_idea(actor, idea_id)
    permissions.require(actor, Action.ASSIGN_REVIEWERS)
    idea = _idea(actor, idea_id)
    permissions.require(actor, Action.ASSIGN_REVIEWERS, idea)  # not on their own idea
    item = _reviewing_item(idea)
    if item.decision is not None:
        raise Conflict("decision_made", _("A decision has been made on this idea."))
    reviewer = db.session.get(User, reviewer_id)
    if reviewer is None or not permissions.has_role(reviewer, "reviewer"):
        raise Invalid({"reviewer_id": _("Choose someone with the reviewer role.")})
    _require_no_conflict(reviewer, idea, who=reviewer.display_name)
    assignment, created = _ensure_assignment(item, reviewer, actor)
    if created:
        events.audit(actor, "review.reviewer_assigned", item,
                     after={"idea_id": idea.id, "reviewer_id": reviewer.id})
    return assignment, created


def take_idea(reviewer: User, idea_id: int) -> tuple[ReviewAssignment, bool]:
    """A reviewer takes an idea of the batch to score."""
    permissions.require(reviewer, Action.SCORE)
    idea = _idea(reviewer, idea_id)
    item = _reviewing_item(idea)
    if item.decision is not None:
        raise Conflict("decision_made", _("A decision has been made on this idea."))
    _require_no_conflict(reviewer, idea)
    assignment, created = _ensure_assignment(item, reviewer, reviewer)
    if created:
        events.audit(reviewer, "review.idea_taken", item,
                     after={"idea_id": idea.id, "reviewer_id": reviewer.id})
    return assignment, created


def unassign_reviewer(admin: User, idea_id: int, reviewer_id: int) -> None:
    """Remove a reviewer who has not scored yet."""
    permissions.require(admin, Action.ASSIGN_REVIEWERS)
    idea = _idea(admin, idea_id)
    permissions.require(admin, Action.ASSIGN_REVIEWERS, idea)
    item = _reviewing_item(idea)
    assignment = _assignment(item, reviewer_id)
    if assignment is None:
        raise NotFound("assignment_not_found", _("This reviewer is not assigned to the idea."))
    if _review_of(item, reviewer_id) is not None:
        raise Conflict("already_scored", _("This reviewer has already scored the idea."))
    db.session.delete(assignment)
    events.audit(admin, "review.reviewer_unassigned", item,
                 before={"idea_id": idea.id, "reviewer_id": reviewer_id})


# --- scoring ------------------------------------------------------------------------------------

def _review_of(item: ReviewItem, reviewer_id: int) -> Review | None:
    return db.session.scalar(select(Review).where(Review.item_id == item.id,
                                                  Review.reviewer_id == reviewer_id))


def validate_scores(scores: Any, rationale: Any) -> tuple[dict[str, int], dict[str, str]]:
    """Integers 1-3 on each axis and a non-empty written rationale for each; 422 otherwise."""
    fields: dict[str, str] = {}
    scores = scores if isinstance(scores, dict) else {}
    clean_scores: dict[str, int] = {}
    for axis in AXES:
        value = scores.get(axis)
        if value is None:
            fields[axis] = _("Required: an integer from 1 to 3.")
        elif not isinstance(value, int) or isinstance(value, bool):
            fields[axis] = _("Must be an integer from 1 to 3.")
        elif not 1 <= value <= 3:
            fields[axis] = _("Must be 1, 2 or 3.")
        else:
            clean_scores[axis] = value
    clean_rationale: dict[str, str] = {}
    if not isinstance(rationale, dict):
        fields["rationale"] = _("An object with a written rationale for each axis.")
    else:
        for axis in AXES:
            value = rationale.get(axis)
            key = f"rationale.{axis}"
            if not isinstance(value, str) or not value.strip():
                fields[key] = _("Explain this score in a few words.")
            elif len(value.strip()) > RATIONALE_MAX:
                fields[key] = _("At most %(n)s characters.", n=RATIONALE_MAX)
            else:
                clean_rationale[axis] = value.strip()
    if fields:
        raise Invalid(fields, message=_("Check the scores and rationale."))
    return clean_scores, clean_rationale


def _review_snapshot(review: Review | None) -> dict | None:
    if review is None:
        return None
    return {**review.scores, "rationale": review.rationales}


def score_idea(reviewer: User, idea_id: int, scores: Any, rationale: Any) -> Review:
    """Submit or revise the reviewer's scores for an idea in review (until the decision)."""
    permissions.require(reviewer, Action.SCORE)
    idea = _idea(reviewer, idea_id)
    item = _lock_item(_reviewing_item(idea))
    permissions.require(reviewer, Action.SCORE, item)  # undecided, and no conflict of interest
    clean_scores, clean_rationale = validate_scores(scores, rationale)
    _ensure_assignment(item, reviewer, reviewer)
    review = _review_of(item, reviewer.id)
    before = _review_snapshot(review)
    now = utcnow()
    if review is None:
        review = Review(item_id=item.id, reviewer_id=reviewer.id, submitted_at=now)
        db.session.add(review)
    for axis in AXES:
        setattr(review, axis, clean_scores[axis])
        setattr(review, f"{axis}_rationale", clean_rationale[axis])
    review.updated_at = now
    from app.services.revisions import latest_revision_id

    review.revision_id = latest_revision_id(idea.id)  # the version of the idea they saw
    db.session.flush()
    events.audit(reviewer, "review.scored" if before is None else "review.score_revised", item,
                 before=before, after={"idea_id": idea.id, **_review_snapshot(review)})
    return review


@dataclass
class ScoreSheet:
    """What a reviewer (after scoring) or an admin sees of an idea's scores."""

    idea: Idea
    item: ReviewItem
    reviews: list[Review]
    aggregate: Aggregate


def may_score(user: Any, idea: Idea, item: ReviewItem | None) -> bool:
    """Whether score_idea would accept this user's scores now (for showing the scoring form):
    a reviewer without a conflict of interest, on an idea in review, before the decision (the
    rule of Action.SCORE)."""
    return item is not None and item.idea_id == idea.id \
        and permissions.can(user, Action.SCORE, item)


def may_see_scores(user: Any, item: ReviewItem | None) -> bool:
    """Admins always; a reviewer only once they have submitted their own scores (blind)."""
    return item is not None and permissions.can(user, Action.VIEW_SCORES, item)


def _load_item(item_id: int) -> ReviewItem:
    return db.session.scalar(
        select(ReviewItem).where(ReviewItem.id == item_id)
        .options(selectinload(ReviewItem.reviews).selectinload(Review.reviewer),
                 selectinload(ReviewItem.assignments).selectinload(ReviewAssignment.reviewer),
                 selectinload(ReviewItem.batch))
        .execution_options(populate_existing=True))


def scores_for(user: Any, idea_id: int) -> ScoreSheet:
    """Every reviewer's scores with the exact aggregate; blind until the user has scored."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Unauthorized("sign_in_required", _("Please sign in first."))
    permissions.require(user, Action.VIEW_SCORES)
    idea = _idea(user, idea_id)
    latest = latest_item(idea.id)
    if latest is None:
        raise NotFound("not_reviewed", _("This idea has not been in a review batch."))
    item = _load_item(latest.id)
    permissions.require(user, Action.VIEW_SCORES, item)  # blind until they scored
    return ScoreSheet(idea, item, list(item.reviews), aggregate(list(item.reviews)))


# --- the reviewer's queue -----------------------------------------------------------------------

@dataclass
class QueueEntry:
    item: ReviewItem
    idea: Idea
    batch: ReviewBatch
    assigned: bool
    scored: bool
    reviewer_count: int
    conflict: str | None = None


@dataclass
class BatchProgress:
    batch: ReviewBatch
    ideas: int = 0
    ready: int = 0  # enough reviewers to decide
    decided: int = 0
    mine_scored: int = 0
    mine_total: int = 0


@dataclass
class Queue:
    awaiting: list[QueueEntry] = field(default_factory=list)  # assigned first, then open to take
    scored: list[QueueEntry] = field(default_factory=list)  # revisable until the decision
    conflicts: list[QueueEntry] = field(default_factory=list)
    batches: list[BatchProgress] = field(default_factory=list)


def _supported_sql(reviewer: User):
    """SQL: the item's idea is one the reviewer supported."""
    return exists().where(Support.idea_id == ReviewItem.idea_id, Support.user_id == reviewer.id)


def _conflict_reason(reviewer: User, idea: Idea, supported: bool) -> str | None:
    """conflict_of_interest() with the support already known (creators are loaded)."""
    if idea.owner_id == reviewer.id:
        return "created"
    if any(creator.user_id == reviewer.id for creator in idea.creators):
        return "co_created"
    return "supported" if supported else None


def awaiting_scores(reviewer: User) -> list[QueueEntry]:
    """Ideas in review awaiting this reviewer's scores: assigned to them or open to take; never
    those they may not review."""
    return reviewer_queue(reviewer).awaiting


def reviewer_queue(reviewer: User) -> Queue:
    """The reviewer's queue with progress per batch, in a constant number of queries."""
    permissions.require(reviewer, Action.REVIEW)
    rows = db.session.execute(
        select(ReviewItem, _supported_sql(reviewer).label("supported"),
               exists().where(ReviewAssignment.item_id == ReviewItem.id,
                              ReviewAssignment.reviewer_id == reviewer.id).label("assigned"),
               exists().where(Review.item_id == ReviewItem.id,
                              Review.reviewer_id == reviewer.id).label("scored"))
        .join(ReviewBatch, ReviewBatch.id == ReviewItem.batch_id)
        .join(Idea, Idea.id == ReviewItem.idea_id)
        .where(ReviewBatch.status != "published", Idea.hidden.is_(False))
        .options(selectinload(ReviewItem.idea).selectinload(Idea.owner),
                 selectinload(ReviewItem.idea).selectinload(Idea.images),
                 selectinload(ReviewItem.idea).selectinload(Idea.creators),
                 selectinload(ReviewItem.batch))
        .order_by(ReviewBatch.closes_on, ReviewItem.id)).all()
    counts = dict(db.session.execute(
        select(Review.item_id, func.count()).join(ReviewItem).join(ReviewBatch)
        .where(ReviewBatch.status != "published").group_by(Review.item_id)).all())
    needed = min_reviewers()
    queue = Queue()
    progress: dict[int, BatchProgress] = {}
    for item, supported, assigned, scored in rows:
        count = counts.get(item.id, 0)
        conflict = _conflict_reason(reviewer, item.idea, bool(supported))
        entry = QueueEntry(item, item.idea, item.batch, bool(assigned), bool(scored), count,
                           conflict)
        batch_progress = progress.setdefault(item.batch_id, BatchProgress(item.batch))
        batch_progress.ideas += 1
        batch_progress.ready += count >= needed
        batch_progress.decided += item.decision is not None
        if assigned or scored:
            batch_progress.mine_total += 1
            batch_progress.mine_scored += bool(scored)
        if item.decision is not None:
            continue
        if conflict:
            queue.conflicts.append(entry)
        elif scored:
            queue.scored.append(entry)
        else:
            queue.awaiting.append(entry)
    queue.awaiting.sort(key=lambda e: (not e.assigned, e.batch.closes_on, e.item.id))
    queue.batches = sorted(progress.values(), key=lambda p: p.batch.id)
    return queue


# --- evidence for reviewers ---------------------------------------------------------------------

@dataclass
class PriceSummary:
    currency: str
    count: int
    min: int
    median: int  # the middle answer; between two middles, their mean rounded half-even
    max: int


@dataclass
class Evidence:
    support_count: int
    answered: int
    would_buy: dict[str, int]
    would_buy_percent: dict[str, int]
    prices: list[PriceSummary]
    reasons: list[tuple[str, str | None]]
    reason_count: int
    history: list[IdeaEvent]


def evidence(idea: Idea) -> Evidence:
    """The community's evidence for reviewers: would-buy shares, the price distribution per
    currency and the reasons given, aggregated once per change (app.services.evidence: one
    query when kept); plus the idea's history (one query, actors joined)."""
    from app.models import User
    from app.services import evidence as kept_evidence

    summary = kept_evidence.kept(idea)
    would_buy = {key: summary["would_buy"].get(key, 0) for key in ("yes", "maybe", "no")}
    answered = sum(would_buy.values())
    percent = {key: round(Fraction(100 * value, answered)) if answered else 0
               for key, value in would_buy.items()}
    prices = [PriceSummary(p["currency"], p["count"], p["min"], p["median"], p["max"])
              for p in summary["prices"]]
    reasons = [(reason, answer) for reason, answer in summary["reasons"][:REASONS_SHOWN]]
    history = list(db.session.scalars(
        select(IdeaEvent).where(IdeaEvent.idea_id == idea.id)
        .options(joinedload(IdeaEvent.actor).lazyload(User.role_rows))
        .order_by(IdeaEvent.created_at, IdeaEvent.id)))
    return Evidence(idea.support_count, answered, would_buy, percent, prices, reasons,
                    summary["reason_count"], history)


# Re-exported: callers keep importing these from app.services.review.
from app.services.review_calibration import (  # noqa: E402,F401
    SPREAD_FLAG,
    AxisSpread,
    CalibrationRow,
    calibration,
    add_note,
    notes_of,
    notes_for_rows,
    NOTE_MAX_LENGTH,
    batches,
    batch_item_counts,
    batch_detail,
    reviewers,
)


# Re-exported: callers keep importing these from app.services.review.
from app.services.review_decisions import (  # noqa: E402,F401
    decide,
    publish_batch,
    ReviewResult,
    review_result,
    published_result_for,
)


# Re-exported: callers keep importing these from app.services.review.
from app.services.review_batches import (  # noqa: E402,F401
    _validate_batch,
    _join_batch,
    _waiting_ideas,
    waiting_ideas,
    open_batch,
    close_batch,
    on_idea_qualified,
)
