"""/admin/analytics: the co-creation KPI dashboard (admin, analyst) and its CSV tables.

Both serve the kept result of the scope (app.services.kpi_results) while it is younger than
KPI_REFRESH_MINUTES. Without one, the page queues `analytics.compute` and says the figures are
being computed (refreshing itself; an older result is shown meanwhile); the CSV, like the API,
queues it and waits a moment (kpi_results.answer), then serves the latest result or answers 202."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from flask import Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from app import permissions
from app.admin import bp
from app.extensions import db
from app.models import Category
from app.models.campaigns import Campaign
from app.services import analytics, kpi_results
from app.transaction import transaction


def _scope():
    return analytics.scope(request.args.get("from"), request.args.get("to"),
                           request.args.get("category"), request.args.get("campaign"))


#: The campaigns the filter offers (the latest; any other by `?campaign=<id>`).
CAMPAIGN_CHOICES = 100


@bp.route("/admin/analytics")
def analytics_dashboard():
    permissions.require(current_user, permissions.Action.VIEW_ANALYTICS)
    scope = _scope()
    with transaction():
        row = kpi_results.latest(scope)
        fresh = kpi_results.is_fresh(row)
        if not fresh:  # queued once (the row's status is the job's dedupe); shown when done
            kpi_results.request(scope)
    result = row.result if row is not None and row.result is not None else None
    categories = db.session.scalars(select(Category).where(Category.archived_at.is_(None))
                                    .order_by(Category.position, Category.name)).all()
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.starts_on.desc(), Campaign.id.desc())
                                   .limit(CAMPAIGN_CHOICES)).all()
    from_day, to_day = scope.start.date(), scope.end.date() - timedelta(days=1)
    today = datetime.now(UTC).date()
    return render_template("admin/analytics.html", kpis=result,
                           tables=analytics.tables(result) if result is not None else None,
                           sections=analytics.SECTIONS, categories=categories, campaigns=campaigns,
                           locale=str(get_locale()), args=request.args, fresh=fresh,
                           computed_at=row.computed_at if result is not None else None,
                           refresh_minutes=kpi_results.refresh_minutes(),
                           period={"from": from_day.isoformat(), "to": to_day.isoformat()},
                           presets={name: (a.isoformat(), b.isoformat())
                                    for name, (a, b) in kpi_results.presets(today).items()})


@bp.route("/admin/analytics.csv")
def analytics_csv():
    permissions.require(current_user, permissions.Action.VIEW_ANALYTICS)
    scope = _scope()
    row = kpi_results.answer(scope)  # never computed in the request
    if row is None:
        return Response(_("These figures are being computed. Try again in a minute."), status=202,
                        mimetype="text/plain", headers={"Retry-After": str(kpi_results.retry_after()),
                                                        "Cache-Control": "no-store"})
    result = row.result
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
