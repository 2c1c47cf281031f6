"""Locale selection and locale-aware formatting for templates."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import gettext
from flask_login import current_user


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


def select_timezone() -> str:
    return "Asia/Tokyo" if select_locale() == "ja" else "UTC"


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
