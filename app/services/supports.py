"""Supporting ideas: once per member, counted exactly under any concurrency."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, literal, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import permissions
from app.permissions import Action
from app.errors import Conflict, Invalid
from app.extensions import db
from app.models import Idea, IdeaCreator, IdeaFollow, Notification, Support, User
from app.models.base import utcnow
from app.models.ideas import WOULD_BUY
from app.money import is_currency
from app.origin import current_network_hash
from app.models.insight import RESONANCES
from app.services import counters, events, follows, integrity, milestones, support_days
from app.services import resonance as resonance_service
from app.services.insight import is_placeholder
from app.i18n import _
from app.upserts import upsert


MAX_PRICE_MINOR = 10**9
REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class SupportAnswers:
    """The optional answers a supporter gives: would they buy it, at what price, and why."""

    would_buy: str | None = None
    price_minor: int | None = None
    price_currency: str | None = None
    reason: str | None = None
    # Does the core fit their life (app.models.insight.RESONANCES), and their own situation.
    resonance: str | None = None
    my_situation: str | None = None

    def errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        if self.would_buy is not None and self.would_buy not in WOULD_BUY:
            errors["would_buy"] = _("Choose yes, maybe or no.")
        if (self.price_minor is None) != (self.price_currency is None):
            errors["price"] = _("Give both an amount and a currency.")
        elif self.price_minor is not None:
            if isinstance(self.price_minor, bool) or not isinstance(self.price_minor, int) \
                    or not 0 <= self.price_minor <= MAX_PRICE_MINOR:
                errors["price"] = _("The amount must be a whole number of minor units "
                                    "between 0 and %(max)s.", max=MAX_PRICE_MINOR)
            elif not isinstance(self.price_currency, str) or not is_currency(self.price_currency):
                errors["price"] = _("Unknown currency (use an ISO 4217 code such as JPY).")
        if self.reason is not None and len(self.reason) > REASON_MAX_LENGTH:
            errors["reason"] = _("At most %(n)s characters.", n=REASON_MAX_LENGTH)
        if self.resonance is not None and self.resonance not in RESONANCES:
            errors["resonance"] = _("Choose me_too, someone_i_know or not_me.")
        if self.my_situation is not None and len(self.my_situation) > resonance_service.SITUATION_MAX:
            errors["my_situation"] = _("At most %(n)s characters.", n=resonance_service.SITUATION_MAX)
        elif self.my_situation and is_placeholder(self.my_situation):
            # grouped with the others' situations and shown on the idea page: a sentence, not "test"
            errors["my_situation"] = _("This looks like placeholder text. Describe your own "
                                       "situation in a sentence, or leave it empty.")
        return errors

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SupportAnswers:
        """Read `{would_buy?, price?: {amount, currency}, reason?}`; Invalid on any bad field."""
        errors: dict[str, str] = {}
        would_buy = data.get("would_buy")
        if would_buy is not None and not isinstance(would_buy, str):
            errors["would_buy"] = _("Choose yes, maybe or no.")
            would_buy = None
        price_minor = price_currency = None
        price = data.get("price")
        if price is not None:
            if not isinstance(price, Mapping):
                errors["price"] = _("Give the price as {amount, currency}.")
            else:
                amount, currency = price.get("amount"), price.get("currency")
                if isinstance(amount, bool) or not isinstance(amount, int):
                    errors["price"] = _("The amount must be an integer of minor units.")
                elif not isinstance(currency, str):
                    errors["price"] = _("Unknown currency (use an ISO 4217 code such as JPY).")
                else:
                    price_minor, price_currency = amount, currency
        reason = data.get("reason")
        if reason is not None and not isinstance(reason, str):
            errors["reason"] = _("The reason must be text.")
            reason = None
        texts = {}
        for name in ("resonance", "my_situation"):
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                errors[name] = _("Must be a string.")
                value = None
            texts[name] = " ".join((value or "").split()) or None
        answers = cls(would_buy=would_buy or None, price_minor=price_minor,
                      price_currency=price_currency, reason=(reason or "").strip() or None,
                      **texts)
        errors = {**answers.errors(), **errors}
        if errors:
            raise Invalid(errors)
        return answers


def lock_idea(idea_id: int) -> Idea | None:
    """The idea, read fresh with its row locked until commit (the whole database on SQLite)."""
    milestones.sqlite_write_lock()
    # The creators come in the same statement (own-idea check, their notification); only the
    # idea's row is locked.
    return db.session.scalars(
        select(Idea).where(Idea.id == idea_id)
        .options(joinedload(Idea.creators).joinedload(IdeaCreator.user).lazyload(User.role_rows))
        .with_for_update(of=Idea).execution_options(populate_existing=True)).unique().first()


def support_of(user: User | None, idea_id: int) -> Support | None:
    """The user's support of the idea, if any (for the idea page)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Support).where(Support.idea_id == idea_id,
                                                   Support.user_id == user.id))


def viewer_state(user: User | None, idea_id: int) -> tuple[Support | None, bool]:
    """The member's support of the idea (or None) and whether they follow it, in one query
    (the idea page)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None, False
    one = select(literal(1).label("one")).subquery()
    following = exists().where(IdeaFollow.idea_id == idea_id, IdeaFollow.user_id == user.id)
    support, is_following = db.session.execute(
        select(Support, following.label("following")).select_from(one)
        .outerjoin(Support, and_(Support.idea_id == idea_id, Support.user_id == user.id))).one()
    return support, bool(is_following)


def support_idea(user: User, idea_id: int,
                 answers: SupportAnswers | Mapping[str, Any] | None = None) -> Support:
    """Support an idea that is gathering support, once, never one's own.

    What a support must do and no more: lock the idea's row, insert the support (the unique
    (idea_id, user_id) decides, even in a race), add one to the exact counter (a narrow row:
    app.services.counters), follow, check the milestone, update the creators' pending
    notification. Followers are told by a job when a milestone is reached (fan_out); the
    listings' sort keys catch up within a minute (counters.roll_up). The support returned is
    not in the session; `support.idea` is the idea with its exact count.

    Raises NotFound (not visible), Unauthorized/Forbidden (not signed in, email not confirmed,
    own_idea), Conflict not_gathering / already_supporting, Invalid for bad answers.
    """
    if answers is None:
        answers = SupportAnswers()
    elif not isinstance(answers, SupportAnswers):
        answers = SupportAnswers.from_json(answers)
    elif answers.errors():
        raise Invalid(answers.errors())
    idea = permissions.require_visible(user, lock_idea(idea_id))
    permissions.require(user, Action.SUPPORT, idea)
    if not idea.is_gathering or idea.hidden:  # staff can see hidden ideas, not support them
        raise Conflict("not_gathering", _("This idea is not gathering support."))
    values = {"idea_id": idea.id, "user_id": user.id, "created_at": utcnow(),
              "network_hash": current_network_hash(), **answers.as_dict()}
    support_id = db.session.execute(
        upsert(Support, tuple(values), conflict=("idea_id", "user_id"), returning=("id",)),
        values).scalar()
    if support_id is None:
        raise Conflict("already_supporting", _("You already support this idea."))
    count, _score = counters.bump(idea, 1, milestones.FRESH_SUPPORT_WEIGHT)
    resonance_service.count(idea.id, answers.resonance, answers.my_situation, 1)
    support_days.added(idea.id, when=values["created_at"])
    follows.add_follow(user, idea)
    milestones.advance(idea, support_count=count)
    _tell_creators(idea, user, count)
    support = Support(id=support_id, **values)
    set_committed_value(support, "idea", idea)
    return support


def withdraw_support(user: User, idea_id: int) -> None:
    """Withdraw one's support while the idea still gathers support."""
    idea = permissions.require_visible(user, lock_idea(idea_id))
    permissions.require(user, Action.WITHDRAW_SUPPORT, idea)
    if not idea.is_gathering:
        raise Conflict("not_gathering", _("This idea no longer gathers support; "
                                          "its supporter list is final."))
    if not _remove_support(idea, user.id):
        raise Conflict("not_supporting", _("You do not support this idea."))


def _remove_support(idea: Idea, user_id: int) -> bool:
    """Delete the support and count it off exactly (the idea's row locked), its resonance
    answers too; False if none."""
    removed = db.session.execute(delete(Support).where(Support.idea_id == idea.id,
                                                       Support.user_id == user_id)
                                 .returning(Support.resonance, Support.my_situation,
                                            Support.created_at)).first()
    if removed is None:
        return False
    resonance_service.count(idea.id, removed.resonance, removed.my_situation, -1)
    support_days.removed(idea.id, [(removed.created_at, user_id)])
    integrity.remember_former_supporter(idea.id, user_id)  # still a conflict of interest
    counters.bump(idea, -1, milestones.trending_score_for(idea.id))
    return True


def withdraw_for_deleted_account(user_id: int, idea_id: int) -> bool:
    """An account being deleted (app.services.deletion) takes its support back where the idea
    still gathers support: the same withdrawal, counted exactly, without the permission checks
    of a member acting. False (nothing done) where the supporter list is frozen: there the
    support stays as an anonymous count."""
    idea = lock_idea(idea_id)
    if idea is None or not idea.is_gathering:
        return False
    return _remove_support(idea, user_id)


#: The kinds of "someone supports your idea": one unread row per idea and creator.
SUPPORT_KINDS = ("idea_first_supporter", "idea_supported", "idea_supporters")


def _tell_creators(idea: Idea, supporter: User, count: int) -> None:
    """One notification per creator while unread: later supports update it (one statement)
    instead of adding (and mailing) one per support."""
    creator_ids = [creator.user_id for creator in idea.creators]
    if not creator_ids:
        return
    params = {"name": supporter.display_name, "title": idea.title, "count": count}
    updated = set(db.session.scalars(
        update(Notification).where(Notification.user_id.in_(creator_ids),
                                   Notification.kind.in_(SUPPORT_KINDS),
                                   Notification.idea_id == idea.id,
                                   Notification.read_at.is_(None))
        .values(kind="idea_supporters", params=params, created_at=utcnow())
        .returning(Notification.user_id).execution_options(synchronize_session=False)))
    untold = [creator.user for creator in idea.creators if creator.user_id not in updated]
    if not untold:
        return
    events.notify(untold, "idea_first_supporter" if count == 1 else "idea_supported", params,
                  idea=idea)


def answers_summary(idea_id: int) -> dict[str, Any]:
    """The supporters' answers in aggregate (for reviewers): would-buy counts, prices per
    currency (count, min, max, median in minor units) and the latest reasons; kept once per
    change (app.services.evidence)."""
    from app.services import evidence

    idea = db.session.get(Idea, idea_id)
    summary = evidence.kept(idea)
    return {
        "would_buy": {choice: summary["would_buy"].get(choice, 0) for choice in WOULD_BUY},
        "prices": {p["currency"]: {"count": p["count"], "min": p["min"], "max": p["max"],
                                   "median": p["median_low"]}
                   for p in sorted(summary["prices"], key=lambda p: p["currency"])},
        "reasons": [reason for reason, _answer in summary["reasons"][:50]],
    }
