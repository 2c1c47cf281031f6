"""HTML views: ledger."""

from app.ledger import bp


@bp.route("/finance")
def finance():  # placeholder until built
    return "finance"


@bp.route("/terms/creators")
def terms():  # placeholder until built
    return "terms"
