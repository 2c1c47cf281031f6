"""Whole pages for anonymous visitors, kept for a few seconds.

Most traffic of a community like this is visitors who are not signed in, reading the same home
page, list pages and popular idea pages. Those pages are the same for every visitor but for the
CSRF token in the page head and the forms, so the rendered HTML is kept (with the token replaced
by a marker, put back per request with the visitor's own token) and served without touching
the database:

- only GET, only the endpoints in CACHEABLE, only with the query parameters listed for each
  (a search, a `?ref=` share link, `?lang=`, a cursor: rendered as usual), only for visitors
  not signed in and with no flashed message waiting; only a 200 HTML answer that sets no cookie
  of its own is kept;
- the key holds the host, the language, the time zone and the whole path and query, and two
  generations:
  the site's (changed after any commit that moves an idea on or off a list, a bulk change, or a
  member's name or account) and, for an idea page, the idea's (changed after any commit that
  touches the idea or a row that belongs to it, but for supports and the counters they move);
- a kept page lives PAGE_CACHE_TTL seconds (default 30; 0 turns the cache off): support counts
  and trending order on a kept page are at most that old, as they already are on cards.

The same holds for the public JSON API's idea list and idea answers (`/api/v1/ideas`,
`/api/v1/ideas/<id>`) for callers without an `Authorization` header and not signed in: a kept
answer is served as it was (no token in it), with its JSON type.

Pages live in Redis when REDIS_URL is set (compressed, shared by every worker), else in a
bounded dict in this process (PAGE_CACHE_ENTRIES pages). Signed-in members never see a kept
page. Responses carry `X-Kyoso-Page-Cache: hit|miss`.
"""
from __future__ import annotations

import hashlib
import uuid
import zlib
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask.globals import request_ctx
from flask_babel import get_locale, get_timezone
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.cache import cache

#: endpoint -> the query parameters it may carry and still be served from the cache
CACHEABLE: dict[str, frozenset[str]] = {
    "main.home": frozenset(),
    "ideas.browse": frozenset({"sort", "status", "category", "tag", "page"}),
    "ideas.detail": frozenset(),
    "api.list_ideas": frozenset({"sort", "status", "category", "tag", "page", "per_page",
                                 "picked", "campaign_id"}),
    "api.get_idea": frozenset(),
}
#: the kept body's type, the first byte of a kept entry
KINDS = {b"h": "text/html", b"j": "application/json"}
MIMETYPES = {mimetype: kind for kind, mimetype in KINDS.items()}
MAX_PAGE_NUMBER = 20  # deeper numbered pages are rare: rendered as usual
TOKEN_MARK = "__kyoso_csrf_token__"
SITE_GENERATION = "page:gen"
HEADER = "X-Kyoso-Page-Cache"

#: rows that change the kept pages only through numbers a page may show a few seconds late
#: (supports, follows, answers and the counters and roll-ups they move), or that never show on
#: them at all (bookkeeping: sessions, tokens, mail, jobs, audit, ledger, notifications)
QUIET_MODELS = frozenset({
    "Support", "IdeaSupportDay", "KpiResult", "IdeaFollow", "UserFollow", "IdeaCounter",
    "SupportEvidence", "Recommendation",
    "IdeaResonance", "PollAnswer", "CampaignVote", "FormerSupporter", "MemberCounter",
    "MemberStats", "PointEvent", "MonthlyPoints", "RecognitionCursor", "SiteStat",
    "ReferralEvent", "IdeaNudge", "Notification", "NotificationPreference", "NotificationFanout",
    "AnnouncementDelivery", "SurveyRecipient", "ReengagementMail", "OutboundMail", "FailedJob",
    "AuditLog", "IdempotencyKey", "UserSession", "ApiToken", "SignInThrottle", "RecoveryCode",
    "DataExport", "UploadCount", "ConsentEvent", "PolicyAcceptance", "Report", "PartnerScore",
    "ReviewAssignment", "Review", "LedgerAccount", "LedgerBalance", "LedgerTransaction",
    "LedgerEntry", "Sale", "Payout", "PayoutRequest", "SalesImport", "SalesImportRow",
})
#: comment_count moves with a comment row, which changes that idea's generation already
QUIET_IDEA_FIELDS = frozenset({"support_count", "trending_score", "updated_at", "comment_count"})
#: bulk updates that only move roll-up numbers (kept a few minutes late on any page anyway)
QUIET_UPDATES = {"Idea": QUIET_IDEA_FIELDS, "Tag": frozenset({"listed_count"})}
USER_FIELDS = ("display_name", "avatar_key", "deleted_at", "blocked_at", "email")


def _ttl() -> int:
    return int(current_app.config.get("PAGE_CACHE_TTL", 0) or 0)


def idea_generation_key(idea_id: int) -> str:
    return f"page:gen:idea:{idea_id}"


# --- serving --------------------------------------------------------------------------------

def _cacheable_request() -> bool:
    allowed = CACHEABLE.get(request.endpoint or "")
    if allowed is None or request.method != "GET" or _ttl() <= 0:
        return False
    if not set(request.args) <= allowed:
        return False
    page = request.args.get("page")
    if page is not None and not (page.isdigit() and 1 <= int(page) <= MAX_PAGE_NUMBER):
        return False
    if "_flashes" in session or current_user.is_authenticated:
        return False
    if "Authorization" in request.headers:  # an API caller with a token (or a bad one)
        return False
    return True


def _key() -> str:
    gens = [cache().get(SITE_GENERATION) or "0"]
    idea_id = (request.view_args or {}).get("idea_id")
    if idea_id is not None:
        gens.append(cache().get(idea_generation_key(idea_id)) or "0")
    # The host is part of the key: without PUBLIC_BASE_URL, share links and page metadata are
    # built from the request's Host header, and a forged one must not reach anyone else.
    parts = "\x1f".join([request.endpoint or "", request.host_url, str(get_locale()),
                         str(get_timezone()), *gens, request.full_path])
    return "page2:" + hashlib.sha256(parts.encode()).hexdigest()[:40]


def _serve() -> Response | None:
    if not _cacheable_request():
        return None
    key = _key()
    raw = cache().get_bytes(key)
    if raw is None:
        g.page_cache_key = key
        return None
    from flask_wtf.csrf import generate_csrf

    mimetype = KINDS.get(raw[:1])
    if mimetype is None:  # not an entry of ours: render
        g.page_cache_key = key
        return None
    body = zlib.decompress(raw[1:]).decode()
    if mimetype == "text/html" and TOKEN_MARK in body:
        body = body.replace(TOKEN_MARK, generate_csrf())
    response = Response(body, mimetype=mimetype)
    response.headers[HEADER] = "hit"
    return response


def _store(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if key is None:
        return response
    if (response.status_code != 200 or response.mimetype not in MIMETYPES
            or response.is_streamed or response.direct_passthrough
            or response.headers.getlist("Set-Cookie") or "_flashes" in session
            or getattr(request_ctx, "flashes", None)):
        return response
    body = response.get_data(as_text=True)
    token = g.get("csrf_token")
    if token and response.mimetype == "text/html":
        body = body.replace(token, TOKEN_MARK)
    cache().set_bytes(key, MIMETYPES[response.mimetype] + zlib.compress(body.encode(), 1), _ttl())
    response.headers[HEADER] = "miss"
    return response


# --- invalidation -----------------------------------------------------------------------------

_SITE = "kyoso_page_site_changed"
_IDEAS = "kyoso_page_ideas_changed"


def _changed(obj: Any, fields) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields
               if name in state.attrs)


def _idea_changed(obj: Any) -> bool:
    state = inspect(obj)
    return any(attr.history.has_changes() for attr in state.attrs
               if attr.key not in QUIET_IDEA_FIELDS)


def _after_flush(session: Session, _context) -> None:
    from app.models import Idea, User

    ideas: set[int] = session.info.setdefault(_IDEAS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        name = type(obj).__name__
        if isinstance(obj, Idea):
            if obj in session.new or obj in session.deleted or _idea_changed(obj):
                if obj.id is not None:
                    ideas.add(obj.id)
                session.info[_SITE] = True
        elif isinstance(obj, User):
            if obj in session.deleted or (obj not in session.new and _changed(obj, USER_FIELDS)):
                session.info[_SITE] = True
        elif name not in QUIET_MODELS:
            idea_id = getattr(obj, "idea_id", None)
            if idea_id is not None:
                ideas.add(idea_id)
            elif not hasattr(obj, "idea_id"):
                session.info[_SITE] = True  # a category, tag, campaign, product, programme...


def _orm_execute(state) -> None:
    """A bulk INSERT, UPDATE or DELETE cannot say which ideas it touched: the site's generation
    changes, unless it only wrote supports, counters or an idea's support numbers."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    names = {getattr(getattr(mapper, "class_", None), "__name__", "") for mapper in
             state.all_mappers}
    if not names or names <= QUIET_MODELS:
        return
    if state.is_update and len(names) == 1 and next(iter(names)) in QUIET_UPDATES:
        values = getattr(state.statement, "_values", None)
        keys = {getattr(key, "key", key) for key in values} if values else None
        if keys is not None and keys <= QUIET_UPDATES[next(iter(names))]:
            return
    state.session.info[_SITE] = True


def _after_commit(session: Session) -> None:
    site = session.info.pop(_SITE, False)
    ideas = session.info.pop(_IDEAS, set())
    if not (site or ideas):
        return
    from flask import has_app_context

    if not has_app_context() or _ttl() <= 0:
        return
    life = _ttl() * 4  # outlives every page kept under the previous generation
    if site:
        cache().set(SITE_GENERATION, uuid.uuid4().hex[:12], life)
    for idea_id in ideas:
        cache().set(idea_generation_key(idea_id), uuid.uuid4().hex[:12], life)


def _after_rollback(session: Session) -> None:
    session.info.pop(_SITE, None)
    session.info.pop(_IDEAS, None)


_watching = False


def init_app(app: Flask) -> None:
    global _watching
    app.before_request(_serve)
    app.after_request(_store)
    if not _watching:
        _watching = True
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _orm_execute)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
