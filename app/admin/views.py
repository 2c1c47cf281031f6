"""HTML views: admin."""

from app.admin import bp


@bp.route("/admin")
def index():  # placeholder until built
    return "index"
