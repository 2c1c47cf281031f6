"""HTML view: the public results of a published review batch (every decision with its message)."""
from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.review import bp
from app.services import review_results


@bp.get("/review/batches/<int:batch_id>/results")
def batch_results(batch_id: int):
    results = review_results.batch_results(current_user, batch_id)
    return render_template("review/results.html", results=results, batch=results.batch)
