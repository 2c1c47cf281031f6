"""/admin/analytics: the co-creation KPI dashboard (admin, analyst) and its CSV tables."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from app import permissions
from app.admin import bp
from app.extensions import db
from app.models import Category
from app.models.campaigns import Campaign
from app.services import analytics


def _scope():
    return analytics.scope(request.args.get("from"), request.args.get("to"),
                           request.args.get("category"), request.args.get("campaign"))


#: The campaigns the filter offers (the latest; any other by `?campaign=<id>`).
CAMPAIGN_CHOICES = 100


@bp.route("/admin/analytics")
def analytics_dashboard():
    permissions.require(current_user, permissions.Action.VIEW_ANALYTICS)
    scope = _scope()
    result = analytics.kpis(scope)
    categories = db.session.scalars(select(Category).where(Category.archived_at.is_(None))
                                    .order_by(Category.position, Category.name)).all()
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
                                   .limit(CAMPAIGN_CHOICES)).all()
    return render_template("admin/analytics.html", kpis=result, tables=analytics.tables(result),
                           sections=analytics.SECTIONS, categories=categories, campaigns=campaigns,
                           locale=str(get_locale()), args=request.args)


@bp.route("/admin/analytics.csv")
def analytics_csv():
    permissions.require(current_user, permissions.Action.VIEW_ANALYTICS)
    result = analytics.kpis(_scope())
    tables = analytics.tables(result)
    name = request.args.get("table", "figures")
    if name not in tables:
        abort(404)
    header, rows = tables[name]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    filename = f"kyoso-{name}-{result['period']['from']}-{result['period']['to']}.csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "private, no-store"})
