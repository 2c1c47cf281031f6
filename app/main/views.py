"""HTML views: home page."""
from flask import render_template

from app.main import bp


@bp.get("/")
def home():
    return render_template("main/home.html")
