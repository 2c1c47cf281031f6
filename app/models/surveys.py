"""Surveys: questions staff ask members (of an idea's audience, or of a segment), and the
members' answers (personal data: they go with the member's account)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.campaigns import Campaign
from app.models.cocreation import CoSession
from app.models.ideas import Idea
from app.models.users import User


class Survey(db.Model):
    """A survey: its questions (a JSON list, validated by app.services.surveys) and whom it
    asks: the supporters and followers of `idea_id`, the entrants and voters of `campaign_id`,
    the attendees of `session_id`, and the members listed in survey_recipients (sent to a
    segment)."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list] = mapped_column(JSON, default=list)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                                index=True)
    #: A campaign's survey: its entrants (the creators of its entries) and voters answer.
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE", name="fk_surveys_campaign_id_campaigns"),
        index=True)
    #: A survey after a co-creation session: the members who attended it answer.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("cocreation_sessions.id", ondelete="CASCADE",
                   name="fk_surveys_session_id_cocreation_sessions"), index=True)
    segment: Mapped[dict | None] = mapped_column(JSON)
    #: Results shown to members too (counts only, never the written answers).
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Kept, not counted: +1 per answer, in the answer's transaction.
    response_count: Mapped[int] = mapped_column(Integer, default=0)

    idea: Mapped[Idea | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    session: Mapped[CoSession | None] = relationship()
    created_by: Mapped[User | None] = relationship()


class SurveyRecipient(db.Model):
    """A member a survey was sent to (surveys sent to a segment)."""

    __tablename__ = "survey_recipients"

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyResponse(db.Model):
    """One member's answers to one survey ({question key: value}); one per member."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)  # KPIs

    __table_args__ = (UniqueConstraint("survey_id", "user_id"),)
