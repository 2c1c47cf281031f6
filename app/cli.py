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
    from app.jobs_cli import jobs_cli

    app.cli.add_command(jobs_cli)

    # Each area registers its commands on these groups.
    from app import cli_commands  # noqa: F401
    from app import i18n_cli, seed

    app.cli.add_command(seed.seed_demo)
    i18n_cli.register(app)


__all__ = ["click", "users_cli", "ideas_cli", "ledger_cli"]
