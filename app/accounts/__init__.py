"""The accounts blueprint; its views modules attach routes to bp."""
from flask import Blueprint, g

bp = Blueprint("accounts", __name__)

from app.accounts import views  # noqa: E402,F401
from app.accounts.cli import notifications_cli  # noqa: E402

# `flask notifications ...` is a top-level group of its own: added to the app with the blueprint.
bp.record_once(lambda state: state.app.cli.add_command(notifications_cli))


@bp.teardown_app_request
def _forget_signed_in_user(_error=None) -> None:
    """Flask-Login caches the user, and Flask-Babel the locale (which follows the user's choice),
    in `g`; requests that share an app context (tests, scripts) must not inherit them."""
    g.pop("_login_user", None)
    g.pop("_flask_babel", None)
