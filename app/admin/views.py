"""HTML views: admin."""
from flask import Blueprint

bp = Blueprint("admin", __name__)


@bp.route("/admin")
def index():  # placeholder until built
    return "index"
