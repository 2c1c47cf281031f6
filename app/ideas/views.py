"""HTML views: ideas."""

from app.ideas import bp


@bp.route("/ideas")
def browse():  # placeholder until built
    return "browse"


@bp.route("/ideas/new")
def new():  # placeholder until built
    return "new"


@bp.route("/ideas/<int:idea_id>")
def detail(idea_id):  # placeholder until built
    return "detail"


@bp.route("/media/<key>/<size>")
def image(key,size):  # placeholder until built
    return "image"

