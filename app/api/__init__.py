"""The JSON API under /api/v1: thin endpoints calling the same services as the HTML views."""
from flask import Blueprint

bp = Blueprint("api", __name__, cli_group="api")
bp.cli.help = "The JSON API."

from app.api import core  # noqa: E402,F401
from app.api import accounts, ideas, review, ledger, listing, engagement  # noqa: E402,F401
from app.api import programme  # noqa: E402,F401
from app.api import products  # noqa: E402,F401
from app.api import integrity  # noqa: E402,F401
from app.api import rights  # noqa: E402,F401
from app.api import people  # noqa: E402,F401
from app.api import surveys  # noqa: E402,F401
from app.api import insight  # noqa: E402,F401
from app.api import cocreation  # noqa: E402,F401
from app.api import policies  # noqa: E402,F401
from app.api import cli  # noqa: E402,F401
from app.api import campaigns  # noqa: E402,F401
from app.api import outreach  # noqa: E402,F401
from app.api import analytics  # noqa: E402,F401
from app.api import forum, recognition  # noqa: E402,F401
