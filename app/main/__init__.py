"""The main blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from app.main import preview, views  # noqa: E402,F401
