"""Stored uploads' housekeeping: `flask media ...` (a CLI-only blueprint)."""
from flask import Blueprint

bp = Blueprint("media", __name__, cli_group="media")
bp.cli.help = "Stored uploads (idea images, avatars)."

from app.media import cli  # noqa: E402,F401
