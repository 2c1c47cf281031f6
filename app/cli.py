"""`flask jobs ...` (app.jobs_cli) and `flask markdown ...` (app.markdown_cli), the command
groups that belong to no blueprint.

Every other command is owned by its area's blueprint (Blueprint(..., cli_group=...)) and is
registered with it: `flask users` and `flask notifications` (app.accounts.cli), `flask ideas`
(app.ideas.cli), `flask ledger` (app.ledger.cli), `flask i18n` (app.i18n_cli) and
`flask seed-demo` (the demo data).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.jobs_cli import jobs_cli
    from app.markdown_cli import markdown_cli

    app.cli.add_command(jobs_cli)
    app.cli.add_command(markdown_cli)
