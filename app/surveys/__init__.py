"""The surveys blueprint: members answer (/surveys/<id>), staff read the results (with charts
and a CSV export) and list surveys."""
from flask import Blueprint

bp = Blueprint("surveys", __name__)

from app.surveys import views  # noqa: E402,F401
