"""The accounts blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import views  # noqa: E402,F401
from app.accounts.cli import notifications_cli  # noqa: E402

# `flask notifications ...` is a top-level group of its own: added to the app with the blueprint.
bp.record_once(lambda state: state.app.cli.add_command(notifications_cli))

