"""Ideas: the idea itself, its creators, images, tags, categories, events and follows."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String,
                        Table, Text, UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app import lifecycle
from app import markdown
from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.users import User
from app.origin import current_network_hash

# The lifecycle of PRODUCT.md lives in app.lifecycle; these names are kept for older imports.
STATUSES = lifecycle.ALL
PUBLIC_STATUSES = lifecycle.PUBLIC
WOULD_BUY = ("yes", "maybe", "no")


_INSIGHT_TWINS = {"insight_scene": "insight_situation", "insight_conflict": "insight_emotion",
                  "insight_success": "insight_purpose"}
_INSIGHT_TWINS.update({legacy: part for part, legacy in list(_INSIGHT_TWINS.items())})


def _statuses_sql(statuses) -> str:
    return "(" + ", ".join(f"'{status}'" for status in statuses) + ")"


def _where(statuses_sql: str, dialect: str):
    """A partial index predicate, spelled the way app.queries renders its conditions (literal
    statuses, `hidden IS false` / `IS 0`), so both planners can prove a query implies it."""
    false = "0" if dialect == "sqlite" else "false"
    return text(f"status {statuses_sql} AND hidden IS {false} AND merged_into_id IS NULL")


#: What public listings show (app.queries.listed_condition): the partial indexes' predicates.
LISTED_STATUSES_SQL = "IN " + _statuses_sql(lifecycle.PUBLIC)
GATHERING_STATUS_SQL = f"= '{lifecycle.IdeaStatus.PUBLISHED}'"
APPROVED_STATUSES_SQL = "IN " + _statuses_sql(lifecycle.APPROVED_OR_LATER)


def _partial(name: str, *columns: str, statuses_sql: str = LISTED_STATUSES_SQL) -> Index:
    return Index(name, *columns, postgresql_where=_where(statuses_sql, "postgresql"),
                 sqlite_where=_where(statuses_sql, "sqlite"))


idea_tags = Table(
    "idea_tags",
    db.metadata,
    Column("idea_id", Integer, ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    # A tag filter reads a tag's ideas from this index alone (the primary key leads with idea_id).
    Index("ix_idea_tags_tag_idea", "tag_id", "idea_id"),
)


class Category(db.Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_ja: Mapped[str] = mapped_column(String(80), default="")
    # Lists show categories by position, then name; an archived one is not offered for new
    # ideas (ideas that have it keep it).
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def label(self, locale: str | None = None) -> str:
        """The name in this locale (Japanese when there is one)."""
        return self.name_ja if locale == "ja" and self.name_ja else self.name


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)  # lower-case slug
    # Listed ideas carrying the tag: rolled up by app.services.stats.refresh_site_stats().
    listed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (Index("ix_tags_listed_count", "listed_count"),)


class Idea(db.Model):
    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    pitch: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The description rendered when it was saved (app.markdown), and the renderer's version.
    description_html: Mapped[str] = mapped_column(Text, default="", server_default="")
    description_html_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    # The N=1 insight: who it is for and their situation, the emotion, the purpose.
    insight_situation: Mapped[str] = mapped_column(Text, default="")
    insight_emotion: Mapped[str] = mapped_column(Text, default="")
    insight_purpose: Mapped[str] = mapped_column(Text, default="")
    # The guided insight (app.services.insight): scene, conflict, own words, success, how a
    # prototype is judged, three whys and the core in one line. The three columns above are the
    # first version's names of the scene, the conflict and success, kept equal to them.
    insight_scene: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_conflict: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_own_words: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_success: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_judged_by: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_why_1: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_why_2: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_why_3: Mapped[str] = mapped_column(Text, default="", server_default="")
    insight_core: Mapped[str] = mapped_column(Text, default="", server_default="")

    status: Mapped[str] = mapped_column(String(24), default=lifecycle.IdeaStatus.DRAFT.value)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    status_reason: Mapped[str | None] = mapped_column(Text)  # last moderation reason shown to creators

    support_count: Mapped[int] = mapped_column(Integer, default=0)
    next_milestone: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Support gained per day, decayed; refreshed on each support (see services.discovery).
    trending_score: Mapped[int] = mapped_column(Integer, default=0)
    # Comments, replies and updates readers see (not deleted, not hidden): kept by
    # app.services.comments on every post, deletion, hiding and restoring.
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    resubmitted_from_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    qualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The campaign it was entered into when created (a copy of campaign_entries.campaign_id,
    # which holds the foreign key, for the campaign page's listing), and when staff picked it
    # (app.models.campaigns.StaffPick holds who and why).
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    staff_picked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    category: Mapped[Category | None] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=idea_tags, order_by="Tag.name")
    images: Mapped[list[IdeaImage]] = relationship(
        back_populates="idea", order_by="IdeaImage.position", cascade="all, delete-orphan"
    )
    creators: Mapped[list[IdeaCreator]] = relationship(
        back_populates="idea", order_by="IdeaCreator.id", cascade="all, delete-orphan"
    )
    # The supporters' kept resonance (app.services.resonance), read with the idea's page.
    resonance_row = relationship("IdeaResonance", uselist=False, viewonly=True)

    __table_args__ = (
        CheckConstraint("support_count >= 0", name="support_count_non_negative"),
        CheckConstraint(lifecycle.check_constraint_sql("status"), name="status_known"),
        Index("ix_ideas_status_hidden", "status", "hidden"),
        Index("ix_ideas_published_at", "published_at"),
        Index("ix_ideas_submitted_at", "submitted_at"),  # the KPI dashboard
        Index("ix_ideas_deadline", "deadline"),
        Index("ix_ideas_owner_status", "owner_id", "status"),  # a member's drafts (quotas)
        # Listings (app.services.discovery): one partial index per sort, on the listed ideas only,
        # whose columns are the sort key and the id (keyset pagination walks them), then the
        # same per category, and by status for the status filter of the default sort.
        _partial("ix_ideas_listed_trending", "trending_score", "published_at", "id"),
        _partial("ix_ideas_listed_supported", "support_count", "published_at", "id"),
        _partial("ix_ideas_listed_newest", "published_at", "id"),
        _partial("ix_ideas_listed_approved", "updated_at", "id",
                 statuses_sql=APPROVED_STATUSES_SQL),
        _partial("ix_ideas_gathering_deadline", "deadline", "id",
                 statuses_sql=GATHERING_STATUS_SQL),
        _partial("ix_ideas_gathering_trending", "trending_score", "published_at", "id",
                 statuses_sql=GATHERING_STATUS_SQL),
        _partial("ix_ideas_listed_category_trending", "category_id", "trending_score",
                 "published_at", "id"),
        _partial("ix_ideas_listed_category_supported", "category_id", "support_count",
                 "published_at", "id"),
        _partial("ix_ideas_listed_category_newest", "category_id", "published_at", "id"),
        _partial("ix_ideas_gathering_category_deadline", "category_id", "deadline", "id",
                 statuses_sql=GATHERING_STATUS_SQL),
        _partial("ix_ideas_listed_status_trending", "status", "trending_score", "published_at",
                 "id"),
        Index("ix_ideas_campaign", "campaign_id"),
        Index("ix_ideas_staff_picked_at", "staff_picked_at"),
    )

    @validates("description")
    def _render_description(self, _key: str, value: str | None) -> str | None:
        self.description_html, self.description_html_version = markdown.render_stored(value)
        return value

    @validates("insight_scene", "insight_conflict", "insight_success", "insight_situation",
               "insight_emotion", "insight_purpose")
    def _keep_first_version(self, key: str, value: str | None) -> str | None:
        """The first version's columns stay equal to the parts that hold them now, whichever
        name is written (older code and data write situation, emotion, purpose)."""
        if not self.__dict__.get("_syncing_insight"):
            self.__dict__["_syncing_insight"] = True
            try:
                setattr(self, _INSIGHT_TWINS[key], value or "")
            finally:
                self.__dict__["_syncing_insight"] = False
        return value

    @property
    def cover(self) -> IdeaImage | None:
        return self.images[0] if self.images else None

    @property
    def effective_status(self) -> str:
        """The status a reader sees: a published idea whose deadline passed is expired at once,
        before `flask ideas expire` has stored it."""
        if self.status == lifecycle.IdeaStatus.PUBLISHED and self.deadline is not None \
                and self.deadline <= utcnow():
            return lifecycle.IdeaStatus.EXPIRED
        return self.status

    @property
    def stage(self) -> lifecycle.IdeaStatus:
        """The effective status as an IdeaStatus (with its label and notes)."""
        return lifecycle.IdeaStatus(self.effective_status)

    @property
    def is_gathering(self) -> bool:
        return self.effective_status == lifecycle.IdeaStatus.PUBLISHED

    @property
    def moderation_reason(self) -> str | None:
        """The moderator's reason, while the idea stands sent back or rejected (a note given
        with publication is not one)."""
        return self.status_reason if self.status in lifecycle.SENT_BACK else None

    @property
    def insight(self) -> dict:
        """The guided parts (whys as a list) and the first version's names (the API's shape)."""
        from app.services import insight

        return insight.as_json(self)


class IdeaCreator(db.Model):
    """The owner and invited co-creators, with their agreed revenue share in basis points."""

    __tablename__ = "idea_creators"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    share_bps: Mapped[int] = mapped_column(Integer)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The consent that covers the current share; cleared when the split changes.
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))

    idea: Mapped[Idea] = relationship(back_populates="creators")
    user: Mapped[User] = relationship()

    __table_args__ = (
        UniqueConstraint("idea_id", "user_id"),
        CheckConstraint("share_bps >= 0 AND share_bps <= 10000", name="share_bps_range"),
    )


class IdeaImage(db.Model):
    __tablename__ = "idea_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    idea: Mapped[Idea] = relationship(back_populates="images")


class IdeaEvent(db.Model):
    """What happened to an idea, by whom and why: one row per state change or action."""

    __tablename__ = "idea_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User | None] = relationship()


class IdeaFollow(db.Model):
    __tablename__ = "idea_follows"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)


class Support(db.Model):
    """One member's support of one idea, with the optional survey answers."""

    __tablename__ = "supports"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    would_buy: Mapped[str | None] = mapped_column(String(8))
    price_minor: Mapped[int | None] = mapped_column(Integer)
    price_currency: Mapped[str | None] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(Text)
    # Does the core fit their own life (app.models.insight.RESONANCES), and their situation.
    resonance: Mapped[str | None] = mapped_column(String(16))
    my_situation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The keyed hash of the supporter's network (app.origin), for moderators' burst view.
    network_hash: Mapped[str | None] = mapped_column(String(32), default=current_network_hash)

    user: Mapped[User] = relationship()
    idea: Mapped[Idea] = relationship()

    __table_args__ = (
        UniqueConstraint("idea_id", "user_id"),
        Index("ix_supports_idea_created", "idea_id", "created_at"),
        Index("ix_supports_created_user", "created_at", "user_id"),  # the KPI dashboard
        # The KPIs' resonance answers of a period, index-only (only the supports with an answer).
        Index("ix_supports_created_resonance", "created_at", "resonance",
              postgresql_where=text("resonance IS NOT NULL"), sqlite_where=text("resonance IS NOT NULL")),
        CheckConstraint("price_minor IS NULL OR price_minor >= 0", name="price_non_negative"),
    )
