"""The ideas blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("ideas", __name__)

from app.ideas import views  # noqa: E402,F401
from app.ideas import browse  # noqa: E402,F401
from app.ideas import engagement  # noqa: E402,F401
