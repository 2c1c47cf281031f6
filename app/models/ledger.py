"""The royalty ledger (issue 4)."""
__all__: list[str] = []
