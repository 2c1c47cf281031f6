"""Members' data rights: export of one's data, deletion of one's account, and staff two-factor
sign-in (the pages; the rules live in app.services.exports, .deletion and .two_factor)."""
from flask import Blueprint

bp = Blueprint("rights", __name__, cli_group="rights")
bp.cli.help = "Members' data rights (exports, deletion, two-factor sign-in)."

from app.rights import views  # noqa: E402,F401
from app.rights import cli  # noqa: E402,F401
