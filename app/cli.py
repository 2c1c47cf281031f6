"""CLI commands: flask users ..., flask seed-demo, flask ideas expire, flask ledger verify."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

users_cli = AppGroup("users", help="Manage user accounts.")
ideas_cli = AppGroup("ideas", help="Idea housekeeping.")
ledger_cli = AppGroup("ledger", help="The royalty ledger.")


def init_app(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(ideas_cli)
    app.cli.add_command(ledger_cli)

    # Each area registers its commands on these groups.
    from app import cli_commands  # noqa: F401


__all__ = ["click", "users_cli", "ideas_cli", "ledger_cli"]
