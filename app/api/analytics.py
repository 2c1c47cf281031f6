"""GET /api/v1/analytics/kpis: the co-creation KPI dashboard's figures (admin, analyst)."""
from __future__ import annotations

from flask import request

from app import permissions
from app.api import bp
from app.api.core import require_caller
from app.api.openapi import PATHS, operation
from app.services import analytics, kpi_results

operation("/analytics/kpis", "get",
          "The programme's KPIs for a period (admin, analyst): participation, creativity, "
          "relationship, outcomes, learning, reach, the funnel and the sign-up cohorts; rates are "
          "{numerator, denominator}; money per currency in minor units",
          responses={"200": "{period, participation, creativity, relationship, outcomes, learning, "
                            "reach, funnel, cohorts, series, previous, computed_at}: the result kept by the job "
                            "analytics.compute while younger than KPI_REFRESH_MINUTES; else the job is queued "
                            "and awaited up to KPI_WAIT_SECONDS, and the latest older result is served "
                            "if it has not finished",
                     "202": "{status: pending, computed_at: null, retry_after}: no result for this scope "
                            "yet, its computation is queued; ask again after Retry-After seconds",
                     "403": "admins and analysts only",
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
    row = kpi_results.answer(scope)  # never computed in the request: queued, and awaited a moment
    if row is None:
        return pending_answer()
    return kpi_results.with_computed_at(row)


def pending_answer():
    """202: no result for this scope yet; the job computing it is queued."""
    seconds = kpi_results.retry_after()
    return ({"status": "pending", "computed_at": None, "retry_after": seconds}, 202,
            {"Retry-After": str(seconds), "Cache-Control": "no-store"})
