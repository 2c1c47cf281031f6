"""The review blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("review", __name__)

from app.review import results, views  # noqa: E402,F401
