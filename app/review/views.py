"""HTML views: review."""

from app.review import bp


@bp.route("/review/criteria")
def criteria():  # placeholder until built
    return "criteria"


@bp.route("/review")
def queue():  # placeholder until built
    return "queue"
