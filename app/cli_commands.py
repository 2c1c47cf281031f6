"""Each area's CLI commands, imported so they attach to the groups in app.cli."""
from app.accounts import cli as _accounts_cli  # noqa: F401
from app.ideas import cli as _ideas_cli  # noqa: F401
from app.ledger import cli as _ledger_cli  # noqa: F401
from app import seed as _seed  # noqa: F401
