"""HTML views: moderation."""
from flask import Blueprint

bp = Blueprint("moderation", __name__)


@bp.route("/moderation")
def queue():  # placeholder until built
    return "queue"
