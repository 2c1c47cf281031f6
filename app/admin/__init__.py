"""The admin blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import views  # noqa: E402,F401
from app.admin import agreements  # noqa: E402,F401
