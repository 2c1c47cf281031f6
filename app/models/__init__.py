"""All models, imported here so Alembic and the app see every table (from app.models import X)."""
from app.models.activity import AuditLog, Notification
from app.models.agreements import Agreement, Consent
from app.models.comments import Comment, CommentRevision, Report
from app.models.ideas import (Category, Idea, IdeaCreator, IdeaEvent, IdeaFollow, IdeaImage,
                              Support, Tag, idea_tags)
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Payout, Sale
from app.models.products import Product, ProductSplit
from app.models.review import Review, ReviewAssignment, ReviewBatch, ReviewItem
from app.models.site import SiteStat
from app.models.users import ApiToken, User, UserRole

__all__ = [
    "AuditLog", "Notification",
    "Agreement", "Consent",
    "Comment", "CommentRevision", "Report",
    "Category", "Idea", "IdeaCreator", "IdeaEvent", "IdeaFollow", "IdeaImage", "Support", "Tag",
    "idea_tags",
    "LedgerAccount", "LedgerEntry", "LedgerTransaction", "Payout", "Sale",
    "Product", "ProductSplit",
    "Review", "ReviewAssignment", "ReviewBatch", "ReviewItem",
    "SiteStat",
    "ApiToken", "User", "UserRole",
]
