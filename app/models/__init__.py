"""All models, imported here so Alembic and the app see every table (from app.models import X)."""
from app.models.activity import AuditLog, Notification, NotificationPreference
from app.models.agreements import Agreement, Consent
from app.models.campaigns import Campaign, CampaignEntry, CampaignVote, StaffPick
from app.models.forum import ForumReply, ForumReport, ForumThread
from app.models.recognition import (MemberStats, MonthlyPoints, PointEvent, RecognitionCursor,
                                    Reward, Thanks)
from app.models.comments import Comment, CommentRevision, ContentReport, Report
from app.models.community import CreatorInvitation, FormerSupporter
from app.models.insight import (IdeaPoll, IdeaResonance, IdeaRevision, PollAnswer,
                                PollOption)
from app.models.jobs import FailedJob, OutboundMail
from app.models.idempotency import IdempotencyKey
from app.models.ideas import (Category, Idea, IdeaCreator, IdeaEvent, IdeaFollow, IdeaImage,
                              Support, Tag, idea_tags)
from app.models.ledger import LedgerAccount, LedgerEntry, LedgerTransaction, Payout, Sale
from app.models.ledger_imports import SalesImport, SalesImportRow
from app.models.outreach import Announcement, AnnouncementDelivery, Segment
from app.models.privacy import ConsentEvent, Policy, PolicyAcceptance
from app.models.people import IdeaNudge, MemberCounter, ReferralEvent, UserFollow
from app.models.products import Product, ProductPost, ProductSplit
from app.models.quotas import UploadCount
from app.models.programme import PayoutMinimum, PayoutRequest, ProgrammeSettings, ReviewDate
from app.models.review import Review, ReviewAssignment, ReviewBatch, ReviewItem, ReviewNote
from app.models.rollups import (IdeaCounter, IdeaSupportDay, KpiResult, NotificationFanout, Recommendation,
                                SupportEvidence)
from app.models.site import SiteStat
from app.models.home import ReengagementMail
from app.models.surveys import Survey, SurveyRecipient, SurveyResponse
from app.models.users import (AccountDeletion, ApiToken, DataExport, RecoveryCode, SignInThrottle, User, UserRole,
                              UserSession)
from app.models.cocreation import (CoSession, PartnerCategory, PartnerScore, ProductTest,  # noqa: E402
                                  ProductTester, ProductTestReport, SessionFeedback,
                                  SessionIdea, SessionInvitation, SessionPhoto, SessionSeries)

__all__ = [
    "AuditLog", "Notification", "NotificationPreference",
    "Agreement", "Consent",
    "Campaign", "CampaignEntry", "CampaignVote", "StaffPick",
    "ForumReply", "ForumReport", "ForumThread",
    "MemberStats", "MonthlyPoints", "PointEvent", "RecognitionCursor", "Reward", "Thanks",
    "Comment", "CommentRevision", "ContentReport", "Report",
    "CreatorInvitation", "FormerSupporter",
    "FailedJob", "OutboundMail",
    "Category", "Idea", "IdeaCreator", "IdeaEvent", "IdeaFollow", "IdeaImage", "Support", "Tag",
    "idea_tags",
    "IdempotencyKey",
    "LedgerAccount", "LedgerEntry", "LedgerTransaction", "Payout", "Sale",
    "SalesImport", "SalesImportRow",
    "IdeaNudge", "MemberCounter", "ReferralEvent", "UserFollow",
    "Product", "ProductPost", "ProductSplit",
    "ConsentEvent", "Policy", "PolicyAcceptance",
    "UploadCount",
    "PayoutMinimum", "PayoutRequest", "ProgrammeSettings", "ReviewDate",
    "Review", "ReviewAssignment", "ReviewBatch", "ReviewItem", "ReviewNote",
    "IdeaCounter", "IdeaSupportDay", "KpiResult", "NotificationFanout", "Recommendation", "SupportEvidence",
    "SiteStat",
    "IdeaPoll", "IdeaResonance", "IdeaRevision", "PollAnswer", "PollOption",
    "ApiToken", "SignInThrottle", "User", "UserRole", "UserSession",
    "Announcement", "AnnouncementDelivery", "Segment",
    "AccountDeletion", "DataExport", "RecoveryCode",
    "ReengagementMail",
    "Survey", "SurveyRecipient", "SurveyResponse",
    "CoSession", "PartnerCategory", "PartnerScore", "ProductTest", "ProductTester",
    "ProductTestReport", "SessionFeedback", "SessionIdea", "SessionInvitation", "SessionPhoto",
    "SessionSeries",
]
