"""API endpoints: the forum (threads per category, replies, reports, moderation). Thin: each
endpoint calls one service function (app.services.forum)."""
from __future__ import annotations

from typing import Any

from flask import request, url_for

from app.api import bp
from app.api.core import caller, json_body, require_caller
from app.api.openapi import PATHS, SCHEMAS, operation, written
from app.errors import Malformed
from app.models.forum import ForumReply, ForumThread
from app.services import forum as service
from app.services.comments import BODY_MAX_LENGTH, REPORT_REASON_MAX_LENGTH
from app.transaction import transaction


def _author(row) -> dict | None:
    return {"user_id": row.author_id, "display_name": row.author.display_name} \
        if row.author is not None else None


def thread_json(thread: ForumThread) -> dict[str, Any]:
    return {"id": thread.id, "category": thread.category.slug, "title": thread.title,
            "body": thread.body, "body_html": thread.body_html, "author": _author(thread),
            "reply_count": thread.reply_count, "hidden": thread.hidden,
            "created_at": thread.created_at.isoformat(),
            "last_activity_at": thread.last_activity_at.isoformat()}


def reply_json(row: ForumReply) -> dict[str, Any]:
    return {"id": row.id, "thread_id": row.thread_id, "body": row.body,
            "body_html": row.body_html, "author": _author(row), "hidden": row.hidden,
            "created_at": row.created_at.isoformat()}


_AUTHOR = {"type": "object", "nullable": True, "properties": {
    "user_id": {"type": "integer", "nullable": True}, "display_name": {"type": "string"}}}
SCHEMAS["ForumThread"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "category": {"type": "string"}, "title": {"type": "string"},
    "body": {"type": "string", "description": "Markdown"},
    "body_html": {"type": "string", "description": "rendered, sanitised"}, "author": _AUTHOR,
    "reply_count": {"type": "integer"}, "hidden": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"},
    "last_activity_at": {"type": "string", "format": "date-time"}}}
SCHEMAS["ForumReply"] = {"type": "object", "properties": {
    "id": {"type": "integer"}, "thread_id": {"type": "integer"}, "body": {"type": "string"},
    "body_html": {"type": "string"}, "author": _AUTHOR, "hidden": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"}}}

_AFTER = {"name": "after", "in": "query", "required": False,
          "schema": {"type": "string", "maxLength": 200},
          "description": "the `next` cursor of the previous page"}


def _bad_cursor() -> Malformed:
    return Malformed("bad_cursor", "`after` must be the `next` cursor of the previous page.")


def _page(page, serialize) -> dict:
    body = {"items": [serialize(row) for row in page.items], "page": 1,
            "per_page": service.PER_PAGE, "total": len(page.items)}
    if page.next_cursor:
        body["next"] = page.next_cursor
    return body


operation("/forum/threads", "get", "A category's forum threads, the latest activity first "
          f"({service.PER_PAGE} a page; `next` is the cursor for `after`; `total` counts this "
          "page)", auth=False,
          responses={"200": "{items: [ForumThread], page, per_page, total, next?}",
                     "400": "bad_cursor", "404": "category_not_found"})
PATHS["/forum/threads"]["get"]["parameters"] = [
    {"name": "category", "in": "query", "required": True, "schema": {"type": "string",
                                                                     "maxLength": 40}}, _AFTER]


@bp.get("/forum/threads")
def forum_threads():
    category = service.category_named(request.args.get("category"))
    try:
        page = service.threads_page(caller(), category, request.args.get("after") or None)
    except service.BadCursor:
        raise _bad_cursor() from None
    return _page(page, thread_json)


operation("/forum/threads", "post", "Start a thread in a category (confirmed members)",
          body={"type": "object", "required": ["category", "title", "body"], "properties": {
              "category": {"type": "string", "maxLength": 40, "description": "a category slug"},
              "title": written(service.TITLE_MAX), "body": written(BODY_MAX_LENGTH)}},
          responses={"201": "the thread", "403": "email not confirmed or blocked",
                     "404": "category_not_found", "409": "category_archived"})


@bp.post("/forum/threads")
def start_forum_thread():
    user = require_caller()
    data = json_body()
    with transaction():
        thread = service.start_thread(user, data.get("category"), data.get("title"),
                                      data.get("body"))
    thread = service.get_thread(user, thread.id)
    return thread_json(thread), 201, {"Location": url_for("api.forum_thread", thread_id=thread.id)}


operation("/forum/threads/{id}", "get", "One thread", auth=False,
          responses={"200": "the thread", "404": "absent, removed or hidden"})


@bp.get("/forum/threads/<int:thread_id>")
def forum_thread(thread_id: int):
    return thread_json(service.get_thread(caller(), thread_id))


operation("/forum/threads/{id}/replies", "get", "A thread's replies, oldest first (keyset "
          "pages: `next` for `after`)", auth=False,
          responses={"200": "{items: [ForumReply], page, per_page, total, next?}",
                     "400": "bad_cursor", "404": "no such thread"})
PATHS["/forum/threads/{id}/replies"]["get"]["parameters"] = [_AFTER]


@bp.get("/forum/threads/<int:thread_id>/replies")
def forum_replies(thread_id: int):
    viewer = caller()
    thread = service.get_thread(viewer, thread_id)
    try:
        page = service.replies_page(viewer, thread, request.args.get("after") or None)
    except service.BadCursor:
        raise _bad_cursor() from None
    return _page(page, reply_json)


operation("/forum/threads/{id}/replies", "post", "Reply to a thread (confirmed members); its "
          "author is told", body={"type": "object", "required": ["body"], "properties": {
              "body": written(BODY_MAX_LENGTH)}},
          responses={"201": "the reply", "403": "email not confirmed or blocked",
                     "404": "no such thread", "409": "thread_hidden"})


@bp.post("/forum/threads/<int:thread_id>/replies")
def reply_in_forum(thread_id: int):
    user = require_caller()
    with transaction():
        row = service.reply(user, thread_id, json_body().get("body"))
    return reply_json(row), 201


_REPORT = {"type": "object", "properties": {
    "reason": {"type": "string", "maxLength": REPORT_REASON_MAX_LENGTH}}}


def _report_ops(kind: str, path: str) -> None:
    operation(path, "post", f"Report a {kind} (once; never one's own); hidden at the comments' "
              "report threshold until a moderator decides", body=_REPORT,
              responses={"201": "{id}", "403": "own_post, email not confirmed",
                         "404": f"no such {kind}", "409": "already_reported"})
    for decision in ("restore", "remove"):
        operation(f"{path[:-len('/reports')]}/{decision}", "post",
                  f"{decision.capitalize()} a reported {kind} (moderators; audited)",
                  responses={"200": f"the {kind}", "403": "not a moderator",
                             "404": f"no such {kind}"})


_report_ops("thread", "/forum/threads/{id}/reports")
_report_ops("reply", "/forum/replies/{id}/reports")


def _optional_body() -> dict:
    return json_body() if request.get_data() else {}


@bp.post("/forum/threads/<int:target_id>/reports", defaults={"kind": "thread"})
@bp.post("/forum/replies/<int:target_id>/reports", defaults={"kind": "reply"})
def report_forum_post(kind: str, target_id: int):
    user = require_caller()
    reason = _optional_body().get("reason", "")
    with transaction():
        entry = service.report(user, kind, target_id, reason)
    return {"id": entry.id}, 201


@bp.post("/forum/threads/<int:target_id>/restore", defaults={"kind": "thread", "decision": "restore"})
@bp.post("/forum/threads/<int:target_id>/remove", defaults={"kind": "thread", "decision": "remove"})
@bp.post("/forum/replies/<int:target_id>/restore", defaults={"kind": "reply", "decision": "restore"})
@bp.post("/forum/replies/<int:target_id>/remove", defaults={"kind": "reply", "decision": "remove"})
def moderate_forum_post(kind: str, target_id: int, decision: str):
    user = require_caller()
    action = service.restore if decision == "restore" else service.remove
    with transaction():
        row = action(user, kind, target_id)
    if kind == "thread":
        return {"id": row.id, "hidden": row.hidden, "removed": row.deleted_at is not None}
    return {"id": row.id, "hidden": row.hidden, "removed": row.deleted_at is not None}
