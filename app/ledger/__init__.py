"""The ledger blueprint; its views modules attach routes to bp."""
from flask import Blueprint

bp = Blueprint("ledger", __name__)

from app.ledger import views  # noqa: E402,F401
