"""HTML views: moderation."""

from app.moderation import bp


@bp.route("/moderation")
def queue():  # placeholder until built
    return "queue"
