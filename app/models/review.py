"""Review batches, assignments and scores (issue 3)."""
__all__: list[str] = []
