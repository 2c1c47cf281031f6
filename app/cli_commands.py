"""Command implementations are imported here so they attach to the groups in app.cli."""
