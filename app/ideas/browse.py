"""HTML view: browsing and searching ideas (/ideas)."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.ideas import bp
from app.search import MAX_QUERY_LENGTH
from app.services import discovery
from app.web import page_arg


def _page() -> int:
    return page_arg()


@bp.get("/ideas")
def browse():
    args = request.args
    sort = args.get("sort", "trending") or "trending"
    status = args.get("status", "") or ""
    notices = []
    if sort not in discovery.SORTS:
        notices.append(_("Unknown sort order “%(sort)s”: showing trending ideas.", sort=sort[:40]))
        sort = "trending"
    if status and status not in discovery.STATUSES:
        notices.append(_("Unknown status “%(status)s”: showing every status.", status=status[:40]))
        status = ""
    category = (args.get("category") or "").strip()[:40]
    tag = (args.get("tag") or "").strip().lower()[:40]
    q = (args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    page = _page()
    per_page = current_app.config["PER_PAGE"]

    viewer = current_user if current_user.is_authenticated else None
    ideas, total = discovery.browse(viewer, sort=sort, status=status or None,
                                    category=category or None, tag=tag or None, q=q or None,
                                    page=page, per_page=per_page)
    categories = discovery.categories()
    current = {"sort": sort, "status": status, "category": category, "tag": tag, "q": q}

    def browse_url(**changes) -> str:
        """This listing's URL with some filters changed (back to page 1)."""
        values = {**current, **changes}
        if values.get("sort") == "trending":
            values.pop("sort")
        return url_for("ideas.browse", **{k: v for k, v in values.items() if v})

    return render_template(
        "ideas/browse.html", ideas=ideas, total=total, page=page, per_page=per_page,
        sort=sort, status=status, category=category, tag=tag, q=q, notices=notices,
        categories=categories, current_category=next(
            (c for c in categories if c.slug == category), None),
        tags=discovery.popular_tags(), sorts=discovery.SORT_LABELS,
        statuses=discovery.STATUS_LABELS,
        filtered=bool(status or category or tag or q), browse_url=browse_url)
