"""HTML views: ledger."""
from flask import Blueprint

bp = Blueprint("ledger", __name__)


@bp.route("/finance")
def finance():  # placeholder until built
    return "finance"
