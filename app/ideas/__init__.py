"""ideas blueprint."""
