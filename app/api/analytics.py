"""GET /api/v1/analytics/kpis: the co-creation KPI dashboard's figures (admin, analyst)."""
from __future__ import annotations

from flask import request

from app import permissions
from app.api import bp
from app.api.core import require_caller
from app.api.openapi import PATHS, operation
from app.services import analytics, kpi_results
from app.transaction import transaction

operation("/analytics/kpis", "get",
          "The programme's KPIs for a period (admin, analyst): participation, creativity, "
          "relationship, outcomes, learning, reach, the funnel and the sign-up cohorts; rates are "
          "{numerator, denominator}; money per currency in minor units",
          responses={"200": "{period, participation, creativity, relationship, outcomes, learning, "
                            "reach, funnel, cohorts, series, previous, computed_at}: the result kept by the job "
                            "analytics.compute while younger than KPI_REFRESH_MINUTES, else computed now", "403": "admins and analysts only",
                     "422": "a bad date, period, category or campaign"})
PATHS["/analytics/kpis"]["get"]["parameters"] = [
    {"name": "from", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date"}, "description": "first day (UTC), YYYY-MM-DD"},
    {"name": "to", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date"}, "description": "last day (UTC), inclusive"},
    {"name": "category", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "campaign", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1}},
]


@bp.get("/analytics/kpis")
def analytics_kpis():
    user = require_caller()
    permissions.require(user, permissions.Action.VIEW_ANALYTICS)
    scope = analytics.scope(request.args.get("from"), request.args.get("to"),
                            request.args.get("category"), request.args.get("campaign"))
    with transaction():  # the kept result, or computed now (and kept)
        row = kpi_results.kept(scope) or kpi_results.compute(scope)
    return kpi_results.with_computed_at(row)
