"""Quick polls a creator pins to their idea (at most MAX_POLLS, 2-6 options each); members
answer once (the unique (poll, member) key decides, even in a race: 409 `already_answered`);
the counts are kept on the poll and its options, never counted per view."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from app import permissions
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import _
from app.models import Idea, IdeaPoll, PollAnswer, PollOption, User
from app.permissions import Action
from app.services import ideas as idea_service

MAX_POLLS = 3
MIN_OPTIONS, MAX_OPTIONS = 2, 6
QUESTION_MIN, QUESTION_MAX = 5, 200
OPTION_MAX = 80


def _clean(question: Any, options: Any) -> tuple[str, list[str]]:
    errors: dict[str, str] = {}
    text = " ".join(question.split()) if isinstance(question, str) else None
    if text is None or not QUESTION_MIN <= len(text) <= QUESTION_MAX:
        errors["question"] = _("Ask a question of %(min)s to %(max)s characters.",
                               min=QUESTION_MIN, max=QUESTION_MAX)
    labels: list[str] = []
    if not isinstance(options, list | tuple) or not all(isinstance(o, str) for o in options):
        errors["options"] = _("Give the options as a list of text.")
    else:
        labels = [" ".join(o.split()) for o in options if o and o.strip()]
        if not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
            errors["options"] = _("Give %(min)s to %(max)s options.", min=MIN_OPTIONS,
                                  max=MAX_OPTIONS)
        elif any(len(label) > OPTION_MAX for label in labels):
            errors["options"] = _("Each option has at most %(n)s characters.", n=OPTION_MAX)
        elif len({label.casefold() for label in labels}) != len(labels):
            errors["options"] = _("Each option must be different.")
    if errors:
        raise Invalid(errors)
    return text, labels


def pin_poll(user: User, idea_id: int, question: Any, options: Any) -> IdeaPoll:
    """A creator pins a poll while the idea gathers support: 409 `too_many_polls` beyond
    MAX_POLLS, 422 for a bad question or options."""
    idea = permissions.require_visible(user, idea_service.lock_idea(idea_id))
    permissions.require(user, Action.PIN_POLL, idea)
    text, labels = _clean(question, options)
    pinned = db.session.scalar(select(func.count()).select_from(IdeaPoll)
                               .where(IdeaPoll.idea_id == idea.id))
    if pinned >= MAX_POLLS:
        raise Conflict("too_many_polls", _("An idea can have at most %(n)s polls.", n=MAX_POLLS))
    poll = IdeaPoll(idea_id=idea.id, question=text, author_id=user.id)
    poll.options = [PollOption(position=i, label=label) for i, label in enumerate(labels)]
    db.session.add(poll)
    db.session.flush()
    return poll


def remove_poll(user: User, poll_id: int) -> None:
    poll = db.session.get(IdeaPoll, poll_id)
    idea = db.session.get(Idea, poll.idea_id) if poll is not None else None
    if poll is None or idea is None or not permissions.may_view_idea(user, idea):
        raise NotFound("poll_not_found", _("No such poll."))
    permissions.require(user, Action.PIN_POLL, idea)
    db.session.delete(poll)


def _insert():
    return (pg_insert if db.session.get_bind().dialect.name == "postgresql"
            else sqlite_insert)(PollAnswer)


def answer_poll(user: User, poll_id: int, option_id: Any) -> PollAnswer:
    """A member answers a poll once: 404 unless they may see its idea, 422 for an option of
    another poll, 409 `already_answered` the second time."""
    poll = db.session.get(IdeaPoll, poll_id) if isinstance(poll_id, int) else None
    idea = db.session.get(Idea, poll.idea_id) if poll is not None else None
    if poll is None or idea is None or not permissions.may_view_idea(user, idea):
        raise NotFound("poll_not_found", _("No such poll."))
    permissions.require(user, Action.ANSWER_POLL, idea)
    option = next((o for o in poll.options if o.id == option_id), None) \
        if isinstance(option_id, int) and not isinstance(option_id, bool) else None
    if option is None:
        raise Invalid({"option_id": _("Choose one of the poll's options.")})
    answer_id = db.session.execute(
        _insert().values(poll_id=poll.id, option_id=option.id, user_id=user.id)
        .on_conflict_do_nothing(index_elements=["poll_id", "user_id"])
        .returning(PollAnswer.id)).scalar()
    if answer_id is None:
        raise Conflict("already_answered", _("You have already answered this poll."))
    db.session.execute(update(PollOption).where(PollOption.id == option.id)
                       .values(answer_count=PollOption.answer_count + 1))
    db.session.execute(update(IdeaPoll).where(IdeaPoll.id == poll.id)
                       .values(answer_count=IdeaPoll.answer_count + 1))
    return db.session.get(PollAnswer, answer_id)


def polls_of(idea_id: int) -> list[IdeaPoll]:
    """The idea's polls with their options and kept counts (one query: at most 3 x 6 rows)."""
    return list(db.session.scalars(
        select(IdeaPoll).where(IdeaPoll.idea_id == idea_id)
        .options(joinedload(IdeaPoll.options)).order_by(IdeaPoll.id)
        .execution_options(populate_existing=True)).unique())


def polls_with_answers(idea_id: int, user: Any) -> tuple[list[IdeaPoll], dict[int, int]]:
    """The idea's polls with their options and counts, and poll id -> the option this member
    chose, in one query (the idea page)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return polls_of(idea_id), {}
    rows = db.session.execute(
        select(IdeaPoll, PollAnswer.option_id).where(IdeaPoll.idea_id == idea_id)
        .outerjoin(PollAnswer, and_(PollAnswer.poll_id == IdeaPoll.id,
                                    PollAnswer.user_id == user.id))
        .options(joinedload(IdeaPoll.options)).order_by(IdeaPoll.id)
        .execution_options(populate_existing=True)).unique().all()
    return [poll for poll, _mine in rows], {poll.id: mine for poll, mine in rows if mine}


def answers_of(user: Any, polls: Iterable[IdeaPoll]) -> dict[int, int]:
    """poll id -> the option this member chose (one query; none for visitors)."""
    ids = [poll.id for poll in polls]
    if not ids or user is None or not getattr(user, "is_authenticated", False):
        return {}
    return dict(db.session.execute(select(PollAnswer.poll_id, PollAnswer.option_id).where(
        PollAnswer.poll_id.in_(ids), PollAnswer.user_id == user.id)).all())


def poll_json(poll: IdeaPoll, mine: int | None = None) -> dict[str, Any]:
    return {"id": poll.id, "idea_id": poll.idea_id, "question": poll.question,
            "answer_count": poll.answer_count, "my_option_id": mine,
            "created_at": poll.created_at.isoformat() if poll.created_at else None,
            "options": [{"id": o.id, "label": o.label, "count": o.answer_count}
                        for o in poll.options]}
