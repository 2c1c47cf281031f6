"""API endpoints: review."""
from app.api import bp  # noqa: F401
