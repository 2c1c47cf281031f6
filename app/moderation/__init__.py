"""moderation blueprint."""
