"""CLI commands: accounts."""
from app.cli import users_cli  # noqa: F401
