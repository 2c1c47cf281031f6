"""Co-creation pages (issue 15): staff plan sessions, run the partner pool and product tests;
members answer their invitations ("My sessions"), give feedback and report as testers."""
from flask import Blueprint

bp = Blueprint("cocreation", __name__)

from app.cocreation import views  # noqa: E402,F401
from app.cocreation import cli  # noqa: E402,F401
