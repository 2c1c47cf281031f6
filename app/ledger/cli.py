"""CLI commands: flask ledger verify (the ledger blueprint's CLI group)."""
from __future__ import annotations

import sys

import click

from app.ledger import bp


@bp.cli.command("verify")
def verify() -> None:
    """Recompute the hash chain and every balance; exit 1 and name each problem if any."""
    from app.services.ledger import run_verification

    verification = run_verification()
    problems, count = verification.problems, verification.transactions
    if problems:
        for problem in problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        click.echo(f"ledger verify: {len(problems)} problems in {count} transactions", err=True)
        sys.exit(1)
    click.echo(f"ledger verify: OK ({count} transactions; chain, balances and royalties check out)")
