"""The accounts blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import views  # noqa: E402,F401
