"""ledger blueprint."""
