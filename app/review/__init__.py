"""review blueprint."""
