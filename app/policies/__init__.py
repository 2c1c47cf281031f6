"""The member terms and privacy policy pages (/terms, /privacy), and the page asking a signed-in
member to accept a new version before going on (app.services.policies)."""
from flask import Blueprint

bp = Blueprint("policies", __name__, cli_group="policies")
bp.cli.help = "The member terms and the privacy policy."

from app.policies import views  # noqa: E402,F401
from app.policies import cli  # noqa: E402,F401
