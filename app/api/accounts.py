"""API endpoints: accounts."""
from app.api import bp  # noqa: F401
