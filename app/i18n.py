"""Locale selection and locale-aware formatting for templates."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import force_locale, get_locale, gettext
from flask_login import current_user

#: The time zone a member has until they choose one, by language.
DEFAULT_TIME_ZONES = {"ja": "Asia/Tokyo", "en": "UTC"}


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, jobs: mails to others use the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in languages:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


#: The cookie app.js sets on a first visit to the browser's own time zone (an IANA name).
TIME_ZONE_COOKIE = "tz"


def browser_time_zone() -> str | None:
    """The browser's time zone (from the `tz` cookie) when it is a real IANA zone, else None."""
    if not has_request_context():
        return None
    from pytz import all_timezones_set

    value = request.cookies.get(TIME_ZONE_COOKIE, "")
    return value if value in all_timezones_set else None


def select_timezone() -> str:
    """The member's own setting, else the browser's (first visit onwards), else the language's."""
    if has_request_context() and getattr(current_user, "is_authenticated", False) \
            and getattr(current_user, "time_zone", None):
        return current_user.time_zone
    return browser_time_zone() or DEFAULT_TIME_ZONES.get(select_locale(), "UTC")


def locale_of(user: Any, *, fallback: str | None = None) -> str:
    """The language to write to a member in: theirs, else `fallback`, else the default."""
    languages = current_app.config["LANGUAGES"]
    if getattr(user, "locale", None) in languages:
        return user.locale
    return fallback if fallback in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def time_zone_of(user: Any, locale: str | None = None) -> str:
    """The member's time zone: chosen in settings, else the one of their language."""
    return getattr(user, "time_zone", None) or \
        DEFAULT_TIME_ZONES.get(locale or locale_of(user), "UTC")


@contextmanager
def speaking_to(user: Any, *, own_request: bool = False) -> Iterator[str]:
    """Render for `user` (a mail, a notification): their language and time zone, never the
    actor's. `own_request=True` (a mail the member asked for themselves, such as a reset
    link) falls back to the request's language for members who never chose one."""
    from flask_babel import _get_current_context
    from pytz import timezone

    fallback = str(get_locale()) if own_request and has_request_context() else None
    locale = locale_of(user, fallback=fallback)
    ctx = _get_current_context()
    with force_locale(locale):
        if ctx is None:
            yield locale
            return
        saved = getattr(ctx, "babel_tzinfo", None)
        ctx.babel_tzinfo = timezone(time_zone_of(user, locale))
        try:
            yield locale
        finally:
            ctx.babel_tzinfo = saved


def datetime_text(value: Any) -> str:
    """A moment as people read it, to the minute (no seconds): "May 3, 2026, 2:05 PM",
    "2026/05/03 14:05", in the reader's language and time zone."""
    from babel import Locale
    from flask_babel import format_datetime

    locale = Locale.parse(str(get_locale()))
    pattern = str(locale.datetime_formats["medium"]) \
        .replace("{1}", locale.date_formats["medium"].pattern) \
        .replace("{0}", locale.time_formats["short"].pattern)
    return format_datetime(value, pattern)


def lang_url(code: str) -> str:
    """The current page in another language (the query string is kept)."""
    if not request.endpoint:
        return f"?lang={code}"
    # The query string is encoded apart from url_for's keywords: a parameter named like a path
    # parameter (/users/1?user_id=2) or like url_for's own (?endpoint=, ?_method=) cannot clash.
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return url_for(request.endpoint, **(request.view_args or {})) + "?" + \
        urlencode([*args, ("lang", code)])


def init_app(app: Flask) -> None:
    @app.after_request
    def _remember_language(response):
        """?lang=ja is remembered in a cookie, so the next page stays in that language."""
        chosen = request.args.get("lang")
        if chosen in app.config["LANGUAGES"] and request.cookies.get("lang") != chosen:
            response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax",
                                secure=app.config.get("SESSION_COOKIE_SECURE", False),
                                httponly=True)
        return response


def _(text: str, **values) -> str:
    """Translate for the reader: the request's language, the default one outside requests."""
    return gettext(text, **values)


def _en(text: str, **values) -> str:
    """Text stored for other people (notifications): kept in English, not the actor's language."""
    return text % values if values else text
