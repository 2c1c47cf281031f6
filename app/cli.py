"""`flask jobs ...` (app.jobs_cli), the one command group that belongs to no blueprint.

Every other command is owned by its area's blueprint (Blueprint(..., cli_group=...)) and is
registered with it: `flask users` and `flask notifications` (app.accounts.cli), `flask ideas`
(app.ideas.cli), `flask ledger` (app.ledger.cli), `flask i18n` (app.i18n_cli) and
`flask seed-demo` (the demo data).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.jobs_cli import jobs_cli

    app.cli.add_command(jobs_cli)
