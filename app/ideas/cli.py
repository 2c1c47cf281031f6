"""CLI commands: ideas."""
from app.cli import ideas_cli  # noqa: F401
