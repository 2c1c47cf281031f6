"""Demo data: `flask seed-demo` (seed.py) and the ideas, comments and answers it uses (ideas.py).

A CLI-only blueprint: registering it adds `flask seed-demo` as a top-level command
(cli_group=None). The demo modules are data more than code and are exempt from the 600-line limit.
"""
from flask import Blueprint

bp = Blueprint("demo", __name__, cli_group=None)

from app.demo import seed  # noqa: E402,F401
