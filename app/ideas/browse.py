"""HTML view: browsing and searching ideas (/ideas)."""
from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.ideas import bp
from app.search import MAX_QUERY_LENGTH
from app.services import discovery
from app.web import page_arg


@bp.get("/ideas")
def browse():
    args = request.args
    q = (args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    default_sort = discovery.RELEVANCE if q else "trending"
    sort = args.get("sort", "") or default_sort
    status = args.get("status", "") or ""
    notices = []
    if sort not in discovery.SORTS and not (sort == discovery.RELEVANCE and q):
        notices.append(_("Unknown sort order “%(sort)s”: showing trending ideas.", sort=sort[:40]))
        sort = default_sort
    if status and status not in discovery.STATUSES:
        notices.append(_("Unknown status “%(status)s”: showing every status.", status=status[:40]))
        status = ""
    category = (args.get("category") or "").strip()[:40]
    tag = (args.get("tag") or "").strip().lower()[:40]
    picked = "1" if args.get("picked") == "1" else ""  # staff picks only
    page = page_arg()
    after = args.get("after") or None
    per_page = current_app.config["PER_PAGE"]

    viewer = current_user if current_user.is_authenticated else None
    filters = {"sort": sort, "status": status or None, "category": category or None,
               "tag": tag or None, "q": q or None, "per_page": per_page,
               "picked": bool(picked)}
    try:
        listing = discovery.browse_page(viewer, page=page, after=after, **filters)
    except discovery.BadCursor:  # a cursor from elsewhere or edited by hand: the first page
        listing = discovery.browse_page(viewer, **filters)
    except discovery.PageTooDeep as too_deep:
        notices.append(_("Pages by number end at %(page)s; “Next” leads on from there.",
                         page=too_deep.last_page))
        listing = discovery.browse_page(viewer, page=too_deep.last_page, **filters)
    categories = discovery.categories()
    current = {"sort": sort, "status": status, "category": category, "tag": tag, "q": q,
               "picked": picked}

    def browse_url(**changes) -> str:
        """This listing's URL with some filters changed (back to page 1)."""
        values = {**current, **changes}
        if values.get("sort") == default_sort:
            values.pop("sort")
        return url_for("ideas.browse", **{k: v for k, v in values.items() if v})

    def page_url(page: int | None = None, after: str | None = None) -> str:
        return browse_url(page=page if page and page > 1 else None, after=after)

    last_numbered = listing.numbered_pages
    prev_url = page_url(listing.page - 1) if 1 < listing.page <= last_numbered + 1 else None
    next_url = None
    if listing.has_next:
        next_url = page_url(listing.page + 1) if listing.page < last_numbered \
            else page_url(after=listing.next_cursor) if listing.next_cursor else None
    sorts = dict(discovery.SORT_LABELS)
    if q:
        sorts = {discovery.RELEVANCE: discovery.RELEVANCE_LABEL, **sorts}
    return render_template(
        "ideas/browse.html", ideas=listing.items, listing=listing, total=listing.total,
        page=listing.page, per_page=per_page, prev_url=prev_url, next_url=next_url,
        first_url=page_url() if listing.page > last_numbered + 1 else None,
        sort=sort, status=status, category=category, tag=tag, q=q, notices=notices,
        categories=categories, current_category=next(
            (c for c in categories if c.slug == category), None),
        tags=discovery.popular_tags(), sorts=sorts, default_sort=default_sort,
        statuses=discovery.STATUS_LABELS,
        filtered=bool(status or category or tag or q or picked), picked=picked,
        browse_url=browse_url)
