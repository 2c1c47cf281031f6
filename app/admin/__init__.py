"""The admin blueprint; its views modules attach routes to bp, its cli module the
`flask categories ...` and `flask agreements ...` groups."""
from flask import Blueprint

bp = Blueprint("admin", __name__)

from app.admin import views  # noqa: E402,F401
from app.admin import agreements  # noqa: E402,F401
from app.admin import programme  # noqa: E402,F401
from app.admin import analytics_views  # noqa: E402,F401
from app.admin import policies  # noqa: E402,F401
from app.admin.cli import agreements_bp, categories_bp  # noqa: E402

bp.register_blueprint(categories_bp)
bp.register_blueprint(agreements_bp)
