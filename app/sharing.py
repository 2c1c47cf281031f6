"""The web side of sharing an idea: the share links and the Open Graph / Twitter card meta of
an idea page, and the visitor session's part of personal share links (`?ref=<code>`).

Nothing here runs a query: the links and meta are built from the idea the page loaded
(its cover image included) and the signed-in member's own code (on the user row already
loaded). Only a visit with a `ref` parameter, once per session and idea, calls
app.services.referrals.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from flask import current_app, session, url_for

from app.models import Idea
from app.models.base import utcnow
from app.services import referrals

#: The session's attribution: {"sharer": id, "at": ISO time} of the last valid share link.
SESSION_REF = "ref"
#: The ideas this session's visit through a share link was recorded for (most recent last).
SESSION_REF_SEEN = "ref_seen"
SEEN_LIMIT = 50
DESCRIPTION_LENGTH = 200


@dataclass(frozen=True)
class ShareLinks:
    url: str  # what is shared: the idea's absolute address, with the member's ref code
    x: str
    facebook: str
    line: str
    email: str
    personal: bool  # url carries the signed-in member's code


@dataclass(frozen=True)
class PageMeta:
    title: str
    description: str
    url: str  # the canonical address (no ref)
    image: str | None
    image_alt: str


def base_url() -> str:
    return (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") \
        or url_for("main.home", _external=True).rstrip("/")


def absolute(path: str) -> str:
    return base_url() + path


def excerpt(text: str, length: int = DESCRIPTION_LENGTH) -> str:
    text = " ".join((text or "").split())
    if len(text) <= length:
        return text
    cut = text[:length - 1].rsplit(" ", 1)[0] if " " in text[:length - 1] else text[:length - 1]
    return cut.rstrip(" ,.;:、。") + "…"


def idea_url(idea: Idea) -> str:
    return absolute(url_for("ideas.detail", idea_id=idea.id))


def share_links(idea: Idea, viewer) -> ShareLinks:
    code = referrals.code_of(viewer)
    url = idea_url(idea) + (f"?{urlencode({'ref': code})}" if code else "")
    text = idea.title
    encoded = quote(url, safe="")
    return ShareLinks(
        url=url,
        x="https://twitter.com/intent/tweet?" + urlencode({"text": text, "url": url}),
        facebook=f"https://www.facebook.com/sharer/sharer.php?u={encoded}",
        line=f"https://social-plugins.line.me/lineit/share?url={encoded}",
        email="mailto:?" + urlencode({"subject": text, "body": f"{idea.pitch or text}\n\n{url}"},
                                     quote_via=quote),
        personal=bool(code))


def page_meta(idea: Idea) -> PageMeta:
    cover = idea.cover
    image = absolute(url_for("ideas.image", key=cover.key, size="large")) if cover else None
    return PageMeta(title=idea.title, description=excerpt(idea.pitch or idea.description or ""),
                    url=idea_url(idea), image=image,
                    image_alt=(cover.alt or idea.title) if cover else "")


# --- the visitor session ------------------------------------------------------------------

def note_visit(code: object, idea: Idea, viewer) -> None:
    """A page view with `?ref=<code>`: recorded once per session and idea (the service decides
    whether it counts); a counted one makes the sharer this session's attribution."""
    if not code:
        return
    seen = list(session.get(SESSION_REF_SEEN) or [])
    if idea.id in seen:
        return
    sharer_id = referrals.record_visit(code, idea, viewer)
    if sharer_id is None:
        return
    session[SESSION_REF_SEEN] = (seen + [idea.id])[-SEEN_LIMIT:]
    session[SESSION_REF] = {"sharer": sharer_id, "at": utcnow().isoformat()}


def session_sharer() -> int | None:
    """The sharer this session came through, while the attribution window lasts."""
    ref = session.get(SESSION_REF)
    if not isinstance(ref, dict) or not isinstance(ref.get("sharer"), int):
        return None
    try:
        at = datetime.fromisoformat(ref.get("at", ""))
    except (TypeError, ValueError):
        return None
    hours = current_app.config.get("REFERRAL_WINDOW_HOURS", 24)
    if utcnow() - at > timedelta(hours=hours):
        return None
    return ref["sharer"]


def carried() -> dict:
    """The session's referral keys, to keep across the fresh session of a sign-in."""
    return {key: session[key] for key in (SESSION_REF, SESSION_REF_SEEN) if key in session}
