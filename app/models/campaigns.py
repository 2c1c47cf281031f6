"""Campaigns (themed, time-boxed calls for ideas), their entries, shortlist votes, and staff
picks of ideas."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app import markdown
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.ideas import Category, Idea
from app.models.users import User


class Campaign(db.Model):
    """A call for ideas open from starts_on to ends_on (inclusive, UTC days). Its brief is
    Markdown in English and Japanese, stored rendered (app.markdown). A community vote between
    shortlisted entries runs from vote_opened_at until vote_closes_at; winners are announced
    once (winners_announced_at), to entrants and voters in batches (announce_after_user_id is the
    fan-out's cursor, announce_done_at its end)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    title_ja: Mapped[str] = mapped_column(String(120), default="", server_default="")
    brief: Mapped[str] = mapped_column(Text, default="")
    brief_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    brief_html_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    brief_ja: Mapped[str] = mapped_column(Text, default="", server_default="")
    brief_ja_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    brief_ja_html_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cover_key: Mapped[str | None] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    prize: Mapped[str] = mapped_column(String(500), default="", server_default="")
    prize_ja: Mapped[str] = mapped_column(String(500), default="", server_default="")
    #: Extra questions for entries: [{"key": "age", "label": "...", "label_ja": "..."}].
    questions: Mapped[list] = mapped_column(JSON, default=list)
    vote_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vote_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    winners_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    announce_after_user_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    announce_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[Category | None] = relationship()

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="campaign_dates_ordered"),
        Index("ix_campaigns_ends_on", "ends_on"),
    )

    @validates("brief")
    def _render_brief(self, _key: str, value: str | None) -> str | None:
        self.brief_html, self.brief_html_version = markdown.render_stored(value)
        return value

    @validates("brief_ja")
    def _render_brief_ja(self, _key: str, value: str | None) -> str | None:
        self.brief_ja_html, self.brief_ja_html_version = markdown.render_stored(value)
        return value

    def is_open(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on

    def state(self, today: date) -> str:
        """upcoming | open | closed (for entries)."""
        if today < self.starts_on:
            return "upcoming"
        return "open" if today <= self.ends_on else "closed"

    def vote_state(self, now: datetime) -> str:
        """none (no vote yet) | open | closed."""
        if self.vote_opened_at is None:
            return "none"
        return "open" if self.vote_closes_at is None or now < self.vote_closes_at else "closed"

    def label(self, locale: str | None = None) -> str:
        return self.title_ja if locale == "ja" and self.title_ja else self.title

    def brief_for(self, locale: str | None = None) -> str:
        return self.brief_ja_html if locale == "ja" and self.brief_ja else self.brief_html

    def prize_for(self, locale: str | None = None) -> str:
        return self.prize_ja if locale == "ja" and self.prize_ja else self.prize


class CampaignEntry(db.Model):
    """An idea entered into a campaign when it was created, with the answers to the campaign's
    extra questions; staff shortlist entries for the vote and place the winners."""

    __tablename__ = "campaign_entries"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    shortlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Votes received (kept: +1 per vote, in the vote's transaction).
    vote_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    winner_position: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    idea: Mapped[Idea] = relationship()

    __table_args__ = (
        Index("ix_campaign_entries_campaign", "campaign_id", "idea_id"),
        CheckConstraint("vote_count >= 0", name="campaign_vote_count_non_negative"),
    )


class CampaignVote(db.Model):
    """One member's vote in a campaign's community vote (once per campaign)."""

    __tablename__ = "campaign_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("campaign_id", "user_id"),)


class StaffPick(db.Model):
    """Staff picked this idea (once), with a short reason; ideas.staff_picked_at mirrors it for
    cards and the shelf."""

    __tablename__ = "staff_picks"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"),
                                         primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    picked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    picked_by: Mapped[User | None] = relationship()
