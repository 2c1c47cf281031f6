"""The ideas blueprint; its views modules attach routes to bp, its cli module `flask ideas ...`."""
from flask import Blueprint

bp = Blueprint("ideas", __name__, cli_group="ideas")
bp.cli.help = "Idea housekeeping."

from app.ideas import views  # noqa: E402,F401
from app.ideas import browse  # noqa: E402,F401
from app.ideas import engagement  # noqa: E402,F401
from app.ideas import cli  # noqa: E402,F401
from app.ideas import invitations  # noqa: E402,F401
from app.ideas import insight_views  # noqa: E402,F401
