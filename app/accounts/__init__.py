"""The accounts blueprint; its views modules attach routes to bp, its cli module the
`flask users ...` commands (bp's CLI group) and the `flask notifications ...` group."""
from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group="users")
bp.cli.help = "Manage user accounts."

from app.accounts import views  # noqa: E402,F401
from app.accounts.cli import notifications_bp  # noqa: E402

# `flask notifications ...` is a group of its own, so it has a CLI-only blueprint of its own.
bp.register_blueprint(notifications_bp)
