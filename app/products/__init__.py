"""The products blueprint: "Made with the community" (/products) and each product's page."""
from flask import Blueprint

bp = Blueprint("products", __name__)

from app.products import views  # noqa: E402,F401
