"""API endpoints: ideas."""
from app.api import bp  # noqa: F401
