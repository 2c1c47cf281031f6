"""Every Jinja filter, global and context processor, registered in one place (called once by
create_app). The helpers themselves live with what they format: money in app.web and
app.ledger.views, labels in app.labels, the review matrix in app.services.review.

Templates show what their view passed and run no queries; the one exception is the header's
unread-notification count, a single bounded query per page (notifications.unread_badge).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import BytecodeCache, pass_context
from markupsafe import Markup

from app import permissions
from app.i18n import datetime_text, lang_url
from app.ideas.engagement_forms import SUPPORT_CURRENCIES
from app.labels import (audit_action_label, audit_changes, audit_target_label, category_name, event_label, event_reason, ledger_memo,
                        role_label, status_label)
from app.ledger.views import percent_bps, plain_money
from app.markdown import render_markdown
from app.models.base import utcnow
from app.models.review import AXES
from app.services import notifications as notification_service
from app.services.idea_creators import format_share
from app.services.review import AXIS_LABELS, DECISION_LABELS, LEGEND, format_fraction
from app.web import days_left, format_money, progress_percent


def _date(value) -> str:
    return format_date(value, "medium") if value else ""


def _datetime(value) -> str:
    return datetime_text(value) if value else ""


def _number(value) -> str:
    return format_decimal(value or 0)


def nl2br(text: str | None) -> Markup:
    """Line breaks kept, the text itself escaped."""
    return Markup("<br>").join((text or "").splitlines())


def _can(action: str, obj: Any = None) -> bool:
    return permissions.can(current_user, action, obj)


def _field_label(name: str) -> str:
    """An idea field's or insight part's label (checklists, missing fields)."""
    from app.services import insight

    labels = {"title": _l("Title"), "pitch": _l("One-line pitch"), "category": _l("Category"),
              **insight.LABELS}
    return str(labels.get(name, name))


CARDS_KEPT = 4096  # rendered idea cards kept per process


class CardCache:
    """Rendered idea cards, least recently used dropped first. A card shows the same thing to
    every reader of a language: the key holds everything it shows (title, pitch, status and
    badges, counts, days left, owner's name, cover, category), so a change to any of them
    renders it again and nothing has to be cleared."""

    def __init__(self, size: int = CARDS_KEPT) -> None:
        self._cards: OrderedDict[tuple, Markup] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Markup | None:
        with self._lock:
            card = self._cards.get(key)
            if card is not None:
                self._cards.move_to_end(key)
            return card

    def put(self, key: tuple, card: Markup) -> None:
        with self._lock:
            self._cards[key] = card
            while len(self._cards) > self._size:
                self._cards.popitem(last=False)


def card_key(idea: Any) -> tuple:
    cover, category, owner = idea.cover, idea.category, idea.owner
    status = idea.effective_status
    return (idea.id, str(get_locale()), request.script_root, status, idea.hidden,
            idea.staff_picked_at, idea.title, idea.pitch, idea.support_count,
            idea.next_milestone, days_left(idea.deadline) if idea.is_gathering else None,
            owner.display_name if owner else None, cover.key if cover else None,
            (category.name, category.name_ja) if category else None)


def idea_card(idea: Any) -> Markup:
    """The card's HTML, from the card cache or rendered by the idea_card_uncached macro."""
    cards: CardCache = current_app.extensions["kyoso_cards"]
    key = card_key(idea)
    card = cards.get(key)
    if card is None:
        macros = current_app.jinja_env.get_template("macros/ui.html").module
        card = Markup(macros.idea_card_uncached(idea))
        cards.put(key, card)
    return card


FILTERS = {
    "markdown": render_markdown,
    "money": format_money,
    "plain_money": plain_money,
    "percent_bps": percent_bps,
    "date": _date,
    "datetime": _datetime,
    "number": _number,
    "field_label": _field_label,
    "category_name": category_name,
    "share": format_share,
    "ledger_memo": ledger_memo,
    "role_label": role_label,
}

#: Globals rather than context variables, so that imported macros see them too.
GLOBALS = {
    "can": _can,
    "get_locale": get_locale,
    "lang_url": lang_url,
    "status_label": status_label,
    "event_label": event_label,
    "event_reason": event_reason,
    "role_label": role_label,
    "audit_action_label": audit_action_label,
    "audit_target_label": audit_target_label,
    "audit_changes": audit_changes,
    "days_left": days_left,
    "progress_percent": progress_percent,
    "nl2br": nl2br,
    "support_currencies": SUPPORT_CURRENCIES,
    "review_axes": AXES,
    "axis_labels": AXIS_LABELS,
    "matrix_legend": LEGEND,
    "decision_labels": DECISION_LABELS,
    "fraction": format_fraction,
    "card_html": idea_card,
    "utc_today": lambda: utcnow().date(),  # review batch periods (templates/review/_batch_dates)
}


def _unread_notifications() -> dict[str, int]:
    """For the header's badge (and the dashboard): the signed-in member's unread count."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications": notification_service.unread_badge(current_user.id),
            "unread_badge_most": notification_service.BADGE_MOST}


def _moderation_pending() -> dict[str, str]:
    """For the header's "Moderation" link: what waits, capped ("99+"); moderators only."""
    if not current_user.is_authenticated or not (
            current_user.has_role("moderator") or current_user.has_role("admin")):
        return {}
    from app.services.moderation import PENDING_CAP, pending_count

    # Once per request, however many templates it renders (kept in the request's environ: the
    # app context, and so `g`, may outlive one request).
    environ = request.environ if has_request_context() else {}
    if "kyoso.moderation_pending" not in environ:
        count = pending_count(PENDING_CAP)
        environ["kyoso.moderation_pending"] = "" if not count else (
            f"{PENDING_CAP}+" if count > PENDING_CAP else format_decimal(count))
    return {"moderation_pending": environ["kyoso.moderation_pending"]}


def _grouped_ngettext(ngettext):
    """Jinja's ngettext, its %(num)s written with the reader's digit grouping (10,000), unless
    the template passes num= itself."""
    @pass_context
    def grouped(__context, __singular, __plural, __num, **variables):
        variables.setdefault("num", format_decimal(__num))
        return ngettext(__context, __singular, __plural, __num, **variables)

    return grouped


class ProcessBytecodeCache(BytecodeCache):
    """Compiled templates kept for the life of the process, shared by every app it builds
    (one in production; the tests build one per test and no longer compile every template
    again for each). Jinja checks each entry against its template's source checksum, so an
    edited template is compiled afresh."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self.store.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


BYTECODE = ProcessBytecodeCache()


def init_app(app: Flask) -> None:
    app.jinja_env.bytecode_cache = BYTECODE
    app.extensions["kyoso_cards"] = CardCache()
    if "ngettext" in app.jinja_env.globals:  # installed by Flask-Babel (newstyle)
        app.jinja_env.globals["ngettext"] = _grouped_ngettext(app.jinja_env.globals["ngettext"])
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
    app.context_processor(_unread_notifications)
    app.context_processor(_moderation_pending)
