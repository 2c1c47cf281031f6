"""CLI commands: ledger."""
from app.cli import ledger_cli  # noqa: F401
