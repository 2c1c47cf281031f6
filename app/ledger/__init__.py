"""The ledger blueprint; its views modules attach routes to bp, its cli module `flask ledger ...`."""
from flask import Blueprint

bp = Blueprint("ledger", __name__, cli_group="ledger")
bp.cli.help = "The royalty ledger."

from app.ledger import views  # noqa: E402,F401
from app.ledger import payout_requests  # noqa: E402,F401
from app.ledger import cli  # noqa: E402,F401
