"""The forum blueprint: /forum, an always-on discussion area per category."""
from flask import Blueprint

bp = Blueprint("forum", __name__)

from app.forum import views  # noqa: E402,F401
