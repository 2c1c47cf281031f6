"""The campaigns blueprint: /campaigns (calls for ideas, their entries, the community vote) and
staff picks of ideas."""
from flask import Blueprint

bp = Blueprint("campaigns", __name__)

from app.campaigns import views  # noqa: E402,F401
