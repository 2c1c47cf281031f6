"""Reaching members: the staff pages for announcements and saved segments (community managers and
admins), and the page where a member reads an announcement sent to them."""
from flask import Blueprint

bp = Blueprint("outreach", __name__)

from app.outreach import views  # noqa: E402,F401
