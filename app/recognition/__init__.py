"""The recognition blueprint: the leaderboard, a member's recognition page, staff rewards, and
the recognition parts of profiles."""
from flask import Blueprint

bp = Blueprint("recognition", __name__)

from app.recognition import views  # noqa: E402,F401
