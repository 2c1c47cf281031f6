"""HTML views: review."""
from flask import Blueprint

bp = Blueprint("review", __name__)


@bp.route("/review/criteria")
def criteria():  # placeholder until built
    return "criteria"


@bp.route("/review")
def queue():  # placeholder until built
    return "queue"
