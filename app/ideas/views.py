"""HTML views: ideas."""
from flask import Blueprint

bp = Blueprint("ideas", __name__)


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


@bp.route("/terms/creators")
def terms():  # placeholder until built
    return "terms"
