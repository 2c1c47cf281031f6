"""The one place that decides who may do what, and when: can(user, action, obj) and require(...).

Actions are an enum (Action). Each has a rule: a tuple of small checks, run in order after the
ones every action shares (signed in, not blocked). A check looks at the user and the object and
returns None (fine) or the code of why not; one rule holds both who may act and when (the idea's
status, the review item's state). With no object, a rule answers for the person alone (may this
user score at all?): checks of the object's state pass.

Why not is a reason code; REFUSALS turns it into the exception callers have always seen: 401
sign_in_required, 403 for who, 409 Conflict for when (idea_not_editable, not_gathering ...).

Visibility lives here too: may_view_idea(user, idea) and its SQL twin idea_visibility(viewer)
(tests/unit/test_visibility_agreement.py checks that they agree).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, exists, or_, select, true

from app import lifecycle
from app.errors import Conflict, DomainError, Forbidden, NotFound, Unauthorized
from app.extensions import db
from app.i18n import _
from app.lifecycle import IdeaStatus
from app.models import Comment, FormerSupporter, Idea, IdeaCreator, ReviewItem, Support, User


class Action(StrEnum):
    """Everything a person may be allowed to do. Strings equal to a member work too."""

    # ideas
    CREATE_IDEA = "create_idea"
    EDIT_IDEA = "edit_idea"
    UPLOAD_IMAGE = "upload_image"
    SUBMIT_IDEA = "submit_idea"
    INVITE_CO_CREATOR = "invite_co_creator"
    WITHDRAW_IDEA = "withdraw_idea"
    DELETE_IDEA = "delete_idea"
    RESUBMIT_IDEA = "resubmit_idea"
    # engagement
    SUPPORT = "support"
    WITHDRAW_SUPPORT = "withdraw_support"
    COMMENT = "comment"
    FOLLOW = "follow"
    POST_UPDATE = "post_update"
    EDIT_COMMENT = "edit_comment"
    DELETE_COMMENT = "delete_comment"
    REPORT = "report"
    REPORT_IDEA = "report_idea"  # with the idea
    REPORT_MEMBER = "report_member"  # with the member reported
    # moderation
    MODERATE = "moderate"
    MODERATE_SUBMISSION = "moderate_submission"
    HIDE_CONTENT = "hide_content"
    BLOCK_USER = "block_user"
    MERGE_IDEAS = "merge_ideas"
    # review
    SCORE = "score"
    REVIEW = "review"
    VIEW_SCORES = "view_scores"
    ASSIGN_REVIEWERS = "assign_reviewers"
    VIEW_REVIEW_NOTES = "view_review_notes"  # calibration: notes per idea of a batch
    ADD_REVIEW_NOTE = "add_review_note"
    MANAGE_BATCHES = "manage_batches"
    DECIDE = "decide"
    # administration
    MANAGE_USERS = "manage_users"
    PUBLISH_AGREEMENT = "publish_agreement"
    PUBLISH_POLICY = "publish_policy"  # member terms and privacy policy
    VIEW_AUDIT = "view_audit"
    VIEW_ANALYTICS = "view_analytics"
    MANAGE_PROGRAMME = "manage_programme"  # categories, tags, the programme page
    # ledger
    RECORD_SALE = "record_sale"
    RECORD_PAYOUT = "record_payout"
    REVERSE_TRANSACTION = "reverse_transaction"
    VIEW_LEDGER = "view_ledger"
    VERIFY_LEDGER = "verify_ledger"
    REQUEST_PAYOUT = "request_payout"
    DECIDE_PAYOUT = "decide_payout"
    # products after approval
    MANAGE_PRODUCTS = "manage_products"
    # campaigns and staff picks (app.services.campaigns)
    MANAGE_CAMPAIGNS = "manage_campaigns"  # open, shortlist, run the vote, pick winners
    STAFF_PICK = "staff_pick"
    VOTE_IN_CAMPAIGN = "vote_in_campaign"
    # reaching members: segments and announcements (app.services.segments, .announcements)
    MANAGE_SEGMENTS = "manage_segments"
    MANAGE_ANNOUNCEMENTS = "manage_announcements"
    # members' data rights
    EXPORT_DATA = "export_data"
    DELETE_ACCOUNT = "delete_account"
    USE_TWO_FACTOR = "use_two_factor"
    RESET_TWO_FACTOR = "reset_two_factor"  # someone else's, who lost device and recovery codes
    # people (app.services.people)
    FOLLOW_MEMBER = "follow_member"
    # surveys
    MANAGE_SURVEYS = "manage_surveys"
    VIEW_SURVEY_RESULTS = "view_survey_results"  # counts, choice and scale results
    VIEW_SURVEY_ANSWERS = "view_survey_answers"  # and the written answers, the per-response CSV
    ANSWER_SURVEY = "answer_survey"
    # forum and recognition (app.services.forum, app.services.recognition)
    POST_IN_FORUM = "post_in_forum"  # threads, replies, reports
    THANK = "thank"  # staff, or an idea's creators (the service checks the idea)
    MANAGE_REWARDS = "manage_rewards"
    # insight (issue 14)
    REFINE_IDEA = "refine_idea"
    VIEW_EVIDENCE = "view_evidence"
    PIN_POLL = "pin_poll"
    ANSWER_POLL = "answer_poll"
    REVERT_REVISION = "revert_revision"
    # co-creation (issue 15): sessions, product tests, the partner pool
    MANAGE_SESSIONS = "manage_sessions"
    MANAGE_PRODUCT_TESTS = "manage_product_tests"
    VIEW_PARTNERS = "view_partners"
    TAKE_PART = "take_part"  # answer an invitation, apply to a product test, give feedback


# --- who someone is -------------------------------------------------------------------------

def _authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def is_creator(user: Any, idea: Idea) -> bool:
    return _authenticated(user) and any(c.user_id == user.id for c in idea.creators)


def is_owner(user: Any, idea: Idea) -> bool:
    return _authenticated(user) and idea.owner_id == user.id


def has_role(user: Any, role: str) -> bool:
    return _authenticated(user) and user.has_role(role) and not user.is_blocked


def is_staff(user: Any) -> bool:
    return _authenticated(user) and isinstance(user, User) and user.is_staff


def conflict_of_interest(user: Any, idea: Idea) -> str | None:
    """'created', 'co_created' or 'supported' when the user may not review the idea, else None.
    Having supported it at any time counts: a withdrawn support stays in former_supporters."""
    if not _authenticated(user):
        return None
    if idea.owner_id == user.id:
        return "created"
    if any(creator.user_id == user.id for creator in idea.creators):
        return "co_created"
    supported = db.session.scalar(select(
        exists().where(Support.idea_id == idea.id, Support.user_id == user.id)
        | exists().where(FormerSupporter.idea_id == idea.id, FormerSupporter.user_id == user.id)))
    return "supported" if supported else None


# --- who may see an idea: in Python and in SQL, side by side --------------------------------

def may_view_idea(user: Any, idea: Idea) -> bool:
    """Public and not hidden; or a creator; or staff; reviewers also see what they review."""
    if has_role(user, "moderator") or has_role(user, "admin"):
        return True
    if is_creator(user, idea):
        return True
    if has_role(user, "reviewer") and idea.status in lifecycle.VISIBLE_TO_REVIEWERS \
            and not idea.hidden:
        return True
    return idea.status in lifecycle.PUBLIC and not idea.hidden


def idea_visibility(viewer: Any):
    """SQL condition: the ideas this viewer may open (may_view_idea above, as a WHERE clause)."""
    if has_role(viewer, "moderator") or has_role(viewer, "admin"):
        return true()
    public = and_(Idea.status.in_(lifecycle.PUBLIC), Idea.hidden.is_(False))
    if not _authenticated(viewer):
        return public
    own = Idea.id.in_(select(IdeaCreator.idea_id).where(IdeaCreator.user_id == viewer.id))
    conditions = [public, own]
    if has_role(viewer, "reviewer"):
        conditions.append(and_(Idea.status.in_(lifecycle.VISIBLE_TO_REVIEWERS),
                               Idea.hidden.is_(False)))
    return or_(*conditions)


def require_visible(user: Any, idea: Idea | None) -> Idea:
    """The idea, or NotFound when it is absent or this user may not see it."""
    if idea is None or not may_view_idea(user, idea):
        raise NotFound("idea_not_found", "No such idea.")
    return idea


# --- why not: reason codes and what callers see ---------------------------------------------

@dataclass(frozen=True)
class Refusal:
    """What require() raises for a reason: the error class, its message, and the public code
    when it differs from the reason. `translate` messages are translated when raised (as the
    services always did); the others stay English and are translated by the web layer."""

    message: str
    error: type[DomainError] = Forbidden
    code: str | None = None
    translate: bool = False


COI_MESSAGES = {
    "created": "You created this idea, so you cannot review it: reviewers must be impartial.",
    "co_created": "You are a co-creator of this idea, so you cannot review it: reviewers must be "
                  "impartial.",
    "supported": "You supported this idea, so you cannot review it: reviewers must be impartial.",
}

REFUSALS: dict[str, Refusal] = {
    # who
    "sign_in_required": Refusal("Please sign in first.", Unauthorized),
    "account_blocked": Refusal("This account is blocked."),
    "email_not_confirmed": Refusal("Please confirm your email address first."),
    "not_a_creator": Refusal("Only the idea's creators may do this."),
    "not_the_owner": Refusal("Only the idea's owner may do this."),
    "own_idea": Refusal("You cannot support your own idea."),
    "not_the_author": Refusal("Only the author may do this."),
    "own_comment": Refusal("You cannot report your own comment."),
    "moderators_only": Refusal("Only moderators may do this."),
    "reviewers_only": Refusal("Only reviewers may do this."),
    "admins_only": Refusal("Only admins may do this."),
    "finance_only": Refusal("Only finance staff may do this."),
    "staff_only": Refusal("Only staff may do this."),
    "product_managers_only": Refusal("Only product managers and admins may do this."),
    "community_staff_only": Refusal("Only community managers and admins may do this."),
    "staff_cannot_delete": Refusal("You hold a staff role: an admin must remove it before you can "
                                   "delete your account.", translate=True),
    "analysts_only": Refusal("Only analysts and admins may do this."),
    "survey_staff_only": Refusal("Only admins and community managers may do this."),
    "survey_results_staff_only": Refusal("Only admins, community managers and analysts may see "
                                         "these results."),
    "survey_answers_staff_only": Refusal("Only admins and community managers may see the answers "
                                         "themselves; analysts see the counts."),
    **{f"coi_{kind}": Refusal(message, code="conflict_of_interest", translate=True)
       for kind, message in COI_MESSAGES.items()},
    "own_idea_staff": Refusal("You (co-)created this idea, so another staff member must act on "
                              "it.", code="separation_of_duties", translate=True),
    "own_payout": Refusal("This money is owed to you, so another finance staff member must pay "
                          "or decline it.", code="separation_of_duties", translate=True),
    "own_money": Refusal("This transaction moves money owed to you, so another finance staff "
                         "member must reverse it.", code="separation_of_duties", translate=True),
    "scores_hidden": Refusal("Scoring is blind: submit your own scores to see the others'.",
                             translate=True),
    # when
    "idea_not_editable": Refusal("This idea can only be changed while it is a draft or needs "
                                 "changes.", Conflict, translate=True),
    "co_creators_locked": Refusal("Co-creators can only be changed while the idea is a draft.",
                                  Conflict, code="idea_not_editable", translate=True),
    "not_submittable": Refusal("Only a draft or an idea that needs changes can be submitted.",
                               Conflict, translate=True),
    "withdraw_not_gathering": Refusal("Only an idea that is gathering support can be withdrawn.",
                                      Conflict, code="not_gathering", translate=True),
    "not_a_draft": Refusal("Only a draft can be deleted.", Conflict, translate=True),
    "not_expired": Refusal("Only an expired idea can be submitted again.", Conflict,
                           translate=True),
    "not_pending": Refusal("This idea is not waiting for moderation.", Conflict, translate=True),
    "not_in_review": Refusal("This idea is not in a review batch.", Conflict, translate=True),
    "idea_not_refinable": Refusal("Only an idea that is gathering support can be refined: once "
                                  "it qualified its description and insight are final, so "
                                  "reviewers judge what its supporters supported.", Conflict,
                                  translate=True),
    "revision_final": Refusal("This idea no longer gathers support: its revisions are final, "
                              "so reviewers judge what its supporters saw.", Conflict,
                              translate=True),
    "polls_not_open": Refusal("Polls can be pinned only while the idea gathers support.",
                              Conflict, translate=True),
    "evidence_private": Refusal("Only the idea's creators, reviewers and admins see its "
                                "evidence."),
    "own_idea_report": Refusal("You cannot report your own idea.", code="own_idea",
                               translate=True),
    "own_account_report": Refusal("You cannot report yourself.", code="cannot_report_self",
                                  translate=True),
    "own_poll": Refusal("Your own idea's polls are for the community to answer.",
                        code="own_idea", translate=True),
    "batch_published": Refusal("This batch is published: its notes are closed.", Conflict,
                               translate=True),
    "decision_made": Refusal("A decision has been made on this idea; scores can no longer "
                             "change.", Conflict, translate=True),
    "self_follow": Refusal("You cannot follow yourself.", code="cannot_follow_self",
                           translate=True),
}
#: The message of each reason, in English (app.labels lists them for the catalogue).
MESSAGES = {reason: refusal.message for reason, refusal in REFUSALS.items()}

# --- the checks -----------------------------------------------------------------------------

Check = Callable[[Any, Any], "str | None"]


def _signed_in(user: Any, obj: Any) -> str | None:
    return None if _authenticated(user) else "sign_in_required"


def _not_blocked(user: Any, obj: Any) -> str | None:
    return "account_blocked" if user.is_blocked else None


def _email_confirmed(user: Any, obj: Any) -> str | None:
    return None if user.email_confirmed else "email_not_confirmed"


def _a_creator(user: Any, idea: Idea) -> str | None:
    return None if is_creator(user, idea) else "not_a_creator"


def _the_owner(user: Any, idea: Idea) -> str | None:
    return None if is_owner(user, idea) else "not_the_owner"


def _not_themselves(user: Any, other: Any) -> str | None:
    return "self_follow" if isinstance(other, User) and other.id == user.id else None


def _not_a_creator(user: Any, idea: Idea) -> str | None:
    return "own_idea" if is_creator(user, idea) else None


def _authored(user: Any, obj: Any) -> bool:
    return isinstance(obj, Comment) and obj.author_id == user.id


def _the_author(user: Any, comment: Any) -> str | None:
    return None if _authored(user, comment) else "not_the_author"


def _author_or_moderator(user: Any, comment: Any) -> str | None:
    if isinstance(comment, Comment) and (_authored(user, comment) or has_role(user, "moderator")):
        return None
    return "not_the_author"


def _not_own_comment(user: Any, obj: Any) -> str | None:
    return "own_comment" if _authored(user, obj) else None


def _not_own_idea(user: Any, idea: Any) -> str | None:
    return "own_idea_report" if isinstance(idea, Idea) and is_creator(user, idea) else None


def _not_reporting_themselves(user: Any, other: Any) -> str | None:
    return "own_account_report" if getattr(other, "id", None) == user.id else None


def _not_polling_themselves(user: Any, idea: Any) -> str | None:
    """A creator's own poll asks the community, not them."""
    return "own_poll" if isinstance(idea, Idea) and is_creator(user, idea) else None


def _role(*roles: str, refusal: str) -> Check:
    """Holds one of these roles (and is not blocked)."""
    def check(user: Any, obj: Any) -> str | None:
        return None if any(has_role(user, role) for role in roles) else refusal

    check.__name__ = f"_role_{'_or_'.join(roles)}"
    return check


def _staff(user: Any, obj: Any) -> str | None:
    return None if user.is_staff else "staff_only"


def _not_staff(user: Any, obj: Any) -> str | None:
    """A staff member keeps their account while they hold a role (their actions are audited
    under it); an admin removes the role first."""
    return "staff_cannot_delete" if user.is_staff else None


def _while(statuses: tuple[IdeaStatus, ...], refusal: str, *, effective: bool = False) -> Check:
    """The idea is in one of these statuses (its effective status: a published idea whose
    deadline passed counts as expired)."""
    def check(user: Any, idea: Any) -> str | None:
        if idea is None:
            return None
        status = idea.effective_status if effective else idea.status
        return None if status in statuses else refusal

    check.__name__ = f"_while_{refusal}"
    return check


def _gathering(refusal: str) -> Check:
    def check(user: Any, idea: Any) -> str | None:
        return None if idea is None or idea.is_gathering else refusal

    check.__name__ = f"_gathering_{refusal}"
    return check


def _item_in_review(user: Any, item: ReviewItem | None) -> str | None:
    """The review item's batch is not published yet and its idea is in review."""
    if item is None:
        return None
    if item.batch.is_published or item.idea.status != IdeaStatus.IN_REVIEW:
        return "not_in_review"
    return None


def _item_undecided(user: Any, item: ReviewItem | None) -> str | None:
    return "decision_made" if item is not None and item.decision is not None else None


def _impartial(user: Any, item: ReviewItem | None) -> str | None:
    """Reviewers never score an idea they created, co-created or supported."""
    kind = conflict_of_interest(user, item.idea) if item is not None else None
    return f"coi_{kind}" if kind else None


def _not_their_own(user: Any, obj: Any) -> str | None:
    """Separation of duties: staff never moderate, review, decide or carry to market an idea
    they created or co-created (the object is the idea, its review item or its product);
    another staff member must."""
    from app.models import Product

    if isinstance(obj, Product) and _authenticated(user) \
            and any(split.user_id == user.id for split in obj.splits):
        return "own_idea_staff"  # shares in its royalties (the split frozen at approval)
    idea = obj.idea if isinstance(obj, ReviewItem | Product) else obj
    return "own_idea_staff" if isinstance(idea, Idea) and is_creator(user, idea) else None


def _not_paying_themselves(user: Any, obj: Any) -> str | None:
    """Separation of duties in finance: nobody pays (or declines) money owed to themselves; the
    object is the payout request or the creator to be paid."""
    payee = getattr(obj, "user_id", None) if not isinstance(obj, User) else obj.id
    return "own_payout" if payee is not None and _authenticated(user) and payee == user.id \
        else None


def _not_their_money(user: Any, transaction: Any) -> str | None:
    """Separation of duties in finance: nobody reverses a transaction that moves money owed to
    themselves (the sale of a product they share in, a payout to them); the object is the
    transaction with its entries and their accounts."""
    if transaction is None or not _authenticated(user):
        return None
    return "own_money" if any(entry.account.user_id == user.id
                              for entry in transaction.entries) else None


def _scored_first(user: Any, item: ReviewItem | None) -> str | None:
    """Scoring is blind: admins see the scores, a reviewer once they submitted their own."""
    if item is None or has_role(user, "admin"):
        return None
    return None if any(review.reviewer_id == user.id for review in item.reviews) \
        else "scores_hidden"


def _batch_unpublished(user: Any, item: ReviewItem | None) -> str | None:
    return "batch_published" if item is not None and item.batch.is_published else None


def _creator_reviewer_or_admin(user: Any, idea: Any) -> str | None:
    """An idea's evidence: its creators, reviewers and admins (with no idea: reviewers, admins)."""
    if has_role(user, "reviewer") or has_role(user, "admin"):
        return None
    return None if isinstance(idea, Idea) and is_creator(user, idea) else "evidence_private"


_moderators = _role("moderator", "admin", refusal="moderators_only")
_admins = _role("admin", refusal="admins_only")
_reviewers = _role("reviewer", refusal="reviewers_only")
_reviewers_or_admins = _role("reviewer", "admin", refusal="reviewers_only")
_finance = _role("finance", refusal="finance_only")
_finance_or_admins = _role("finance", "admin", refusal="staff_only")
_editable = _while(lifecycle.EDITABLE, "idea_not_editable")
_product_managers = _role("product_manager", "admin", refusal="product_managers_only")
_community_staff = _role("community_manager", "admin", refusal="community_staff_only")

#: Checked first, for every action.
EVERYONE: tuple[Check, ...] = (_signed_in, _not_blocked)

A = Action
RULES: dict[Action, tuple[Check, ...]] = {
    A.CREATE_IDEA: (_email_confirmed,),
    A.EDIT_IDEA: (_a_creator, _editable),
    A.UPLOAD_IMAGE: (_a_creator, _editable),
    A.SUBMIT_IDEA: (_the_owner, _while(lifecycle.EDITABLE, "not_submittable")),
    A.INVITE_CO_CREATOR: (_the_owner, _while(lifecycle.EDITABLE, "co_creators_locked")),
    A.WITHDRAW_IDEA: (_the_owner, _gathering("withdraw_not_gathering")),
    A.DELETE_IDEA: (_the_owner, _while((IdeaStatus.DRAFT,), "not_a_draft")),
    A.RESUBMIT_IDEA: (_email_confirmed, _the_owner,
                      _while((IdeaStatus.EXPIRED,), "not_expired", effective=True)),
    A.SUPPORT: (_email_confirmed, _not_a_creator),
    A.WITHDRAW_SUPPORT: (),
    A.COMMENT: (_email_confirmed,),
    A.FOLLOW: (_email_confirmed,),
    A.POST_UPDATE: (_a_creator,),
    A.EDIT_COMMENT: (_the_author,),
    A.DELETE_COMMENT: (_author_or_moderator,),
    A.REPORT: (_email_confirmed, _not_own_comment),
    A.REPORT_IDEA: (_email_confirmed, _not_own_idea),
    A.REPORT_MEMBER: (_email_confirmed, _not_reporting_themselves),
    A.MODERATE: (_moderators, _not_their_own),  # with an idea: not their own
    A.MODERATE_SUBMISSION: (_moderators, _not_their_own,
                            _while((IdeaStatus.PENDING_MODERATION,), "not_pending")),
    A.HIDE_CONTENT: (_moderators, _not_their_own),
    A.BLOCK_USER: (_moderators,),
    A.MERGE_IDEAS: (_moderators, _not_their_own),
    A.SCORE: (_reviewers, _item_in_review, _item_undecided, _impartial),
    A.REVIEW: (_reviewers_or_admins,),  # review pages: reviewers, and admins who decide
    A.VIEW_SCORES: (_reviewers_or_admins, _scored_first),
    A.ASSIGN_REVIEWERS: (_admins, _not_their_own),
    # Notes on an idea of a batch: its reviewers once they have scored it (blind, like the
    # scores) and admins; never on one's own idea; written until the batch is published.
    A.VIEW_REVIEW_NOTES: (_reviewers_or_admins, _not_their_own, _scored_first),
    A.ADD_REVIEW_NOTE: (_reviewers_or_admins, _not_their_own, _scored_first, _batch_unpublished),
    A.MANAGE_BATCHES: (_admins,),
    A.DECIDE: (_admins, _not_their_own),
    A.MANAGE_USERS: (_admins,),
    A.PUBLISH_AGREEMENT: (_admins,),
    A.PUBLISH_POLICY: (_admins,),
    A.VIEW_AUDIT: (_admins,),
    A.VIEW_ANALYTICS: (_role("admin", "analyst", refusal="analysts_only"),),
    A.MANAGE_PROGRAMME: (_admins,),
    A.RECORD_SALE: (_finance, _not_their_own),  # with the product: not of their own idea
    A.RECORD_PAYOUT: (_finance, _not_paying_themselves),  # with the creator: not themselves
    A.REVERSE_TRANSACTION: (_finance, _not_their_money),  # with the transaction: not theirs
    A.VIEW_LEDGER: (_finance,),
    A.VERIFY_LEDGER: (_finance_or_admins,),
    A.REQUEST_PAYOUT: (_email_confirmed,),
    A.DECIDE_PAYOUT: (_finance, _not_paying_themselves),  # with the request: not their own
    A.MANAGE_PRODUCTS: (_product_managers, _not_their_own),  # stages, updates; not their own
    A.MANAGE_CAMPAIGNS: (_community_staff,),
    A.STAFF_PICK: (_community_staff, _not_their_own),  # with an idea: not their own
    A.VOTE_IN_CAMPAIGN: (_email_confirmed,),
    A.MANAGE_SEGMENTS: (_community_staff,),  # saved segments, previews
    A.MANAGE_ANNOUNCEMENTS: (_community_staff,),  # write, preview, send
    A.EXPORT_DATA: (),
    A.DELETE_ACCOUNT: (_not_staff,),
    A.USE_TWO_FACTOR: (_staff,),
    A.RESET_TWO_FACTOR: (_admins,),
    A.FOLLOW_MEMBER: (_email_confirmed, _not_themselves),  # with the member to follow
    A.MANAGE_SURVEYS: (_role("admin", "community_manager", refusal="survey_staff_only"),),
    A.VIEW_SURVEY_RESULTS: (_role("admin", "community_manager", "analyst",
                                  refusal="survey_results_staff_only"),),
    # Written answers are personal data: not for analysts (counts only, issue 16).
    A.VIEW_SURVEY_ANSWERS: (_role("admin", "community_manager", refusal="survey_answers_staff_only"),),
    A.ANSWER_SURVEY: (_email_confirmed,),  # and sent to them (app.services.surveys)
    A.POST_IN_FORUM: (_email_confirmed,),
    A.THANK: (_email_confirmed,),
    A.MANAGE_REWARDS: (_community_staff,),
    A.REFINE_IDEA: (_a_creator, _gathering("idea_not_refinable")),
    A.VIEW_EVIDENCE: (_creator_reviewer_or_admin,),
    A.PIN_POLL: (_a_creator, _gathering("polls_not_open")),
    A.ANSWER_POLL: (_email_confirmed, _not_polling_themselves),  # with the idea
    A.REVERT_REVISION: (_moderators, _not_their_own, _gathering("revision_final")),
    A.MANAGE_SESSIONS: (_community_staff,),
    A.MANAGE_PRODUCT_TESTS: (_community_staff,),
    A.VIEW_PARTNERS: (_community_staff,),
    A.TAKE_PART: (_email_confirmed,),
}


def as_action(action: Action | str) -> Action:
    """The Action for a member or its string; ValueError for anything else (a typo is a bug,
    not a 403)."""
    return Action(action)


def reason(user: Any, action: Action | str, obj: Any = None) -> str | None:
    """None when the user may act now, else the reason code of why not."""
    for check in (*EVERYONE, *RULES[as_action(action)]):
        why = check(user, obj)
        if why is not None:
            return why
    return None


def can(user: Any, action: Action | str, obj: Any = None) -> bool:
    return reason(user, action, obj) is None


def require(user: Any, action: Action | str, obj: Any = None) -> None:
    """Raise what the reason calls for unless the user may act: Unauthorized (not signed in),
    Forbidden (who), Conflict (when: the idea or review item is not in the right state)."""
    why = reason(user, action, obj)
    if why is None:
        return
    refusal = REFUSALS.get(why, Refusal("Not allowed."))
    raise refusal.error(refusal.code or why, _(refusal.message) if refusal.translate
                        else refusal.message)
