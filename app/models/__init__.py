"""All models, imported here so Alembic and the app see every table."""
from app.models.activity import AuditLog, Notification  # noqa: F401
from app.models.agreements import Agreement, Consent  # noqa: F401
from app.models.comments import Comment, CommentRevision, Report  # noqa: F401
from app.models.jobs import FailedJob, OutboundMail  # noqa: F401
from app.models.ideas import (Category, Idea, IdeaCreator, IdeaEvent, IdeaFollow,  # noqa: F401
                              IdeaImage, Support, Tag, idea_tags)
from app.models.products import Product, ProductSplit  # noqa: F401
from app.models.users import ApiToken, User, UserRole  # noqa: F401

# Review (issue 3) and ledger (issue 4) models register themselves here:
from app.models.review import *  # noqa: F401,F403,E402
from app.models.ledger import *  # noqa: F401,F403,E402
