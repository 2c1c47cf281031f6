"""The moderation blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)

from app.moderation import views  # noqa: E402,F401
from app.moderation import reports  # noqa: E402,F401
from app.moderation import bursts  # noqa: E402,F401
