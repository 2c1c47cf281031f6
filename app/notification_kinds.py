"""Every kind of notification: its preference category, its English template and its link.

A notification is stored as its kind and JSON parameters, never as a sentence; it is rendered
when it is shown or mailed, in the reader's language and time zone (``app.i18n.speaking_to``).

Adding a kind (the whole recipe):

1. Register it below, in the block of its category::

       register("idea_shared", "supports",
                N_("%(name)s shared your idea “%(title)s”."))

   - ``category`` is one of CATEGORIES (what a member sets "in app / mail / digest / off" for).
   - The template is English with *named* placeholders only (``%(name)s``), marked with
     ``N_()`` so ``flask i18n update`` extracts it; the Japanese goes into messages.po like any
     other string. ``flask i18n check`` fails while a kind's template is untranslated.
   - ``url=`` (optional) builds the link from the params when the caller passes no ``url`` and
     no ``idea`` (``lambda params: "/me/royalties"``).
2. Call ``events.notify(users, "idea_shared", {"name": user.display_name, "title": idea.title},
   idea=idea)``. ``notify`` raises ValueError for an unknown kind or a missing placeholder.
3. ``flask i18n update``, translate, ``flask i18n compile``.

Parameter values are plain JSON, formatted for the reader at render time:

- ``str``: as is (names, titles, references). ``int``: a number with the reader's grouping.
- ``money(amount_minor, currency)``: ¥86,036 in English, 86,036円 in Japanese;
  ``moneys({"JPY": 86036, "USD": 1250})``: several amounts in one phrase.
- ``month("2026-04")``: a period (April 2026 / 2026年4月).
- ``day(date)`` / ``moment(datetime)``: a date / date and time, in the reader's time zone.
- ``local_day(datetime)``: the day a moment falls on in the reader's time zone (a deadline).
- ``share(bps)``: basis points as a percentage (2500 -> 25%).
- ``label(group, value)``: a word translated at render time from LABELS (e.g. a decision).
- ``localized({"en": ..., "ja": ...})``: text written by staff in each language
  (announcements); the reader's language, else English.

A row whose params hold ``_message`` (rows from before this registry that could not be parsed)
falls back to that text.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, format_decimal, get_locale, gettext
from flask_babel import lazy_gettext as _l

from app.money import format_money_for_locale


def N_(text: str) -> str:  # noqa: N802 - the gettext convention for "mark only"
    """Mark a template for extraction; it is translated when rendered."""
    return text


#: Preference categories, in the order the settings page shows them.
CATEGORIES: dict[str, Any] = {
    "comments": _l("Comments on my ideas"),
    "replies": _l("Replies to my comments"),
    "status": _l("Milestones and status (my ideas, ideas I support or follow)"),
    "supports": _l("Supports and follows of my ideas"),
    "review": _l("Review results"),
    "royalties": _l("Royalties and payouts"),
    "announcements": _l("Announcements"),
    "following": _l("New ideas and updates from members I follow"),
    "nudges": _l("Reminders to share ideas I support when they near a goal or deadline"),
    "reengagement": _l("“Since your last visit” mails when I have been away"),
    "sessions": _l("Co-creation sessions and product tests"),
}

#: Words chosen at render time: label(group, value).
LABELS: dict[str, dict[str, Any]] = {
    "decision": {"approved": _l("approved"), "not_approved": _l("not approved"),
                 "on_hold": _l("on hold")},
}


@dataclass(frozen=True)
class Kind:
    name: str
    category: str
    template: str
    url: Callable[[dict], str] | None = None

    @property
    def placeholders(self) -> set[str]:
        import re

        return set(re.findall(r"%\((\w+)\)", self.template))


KINDS: dict[str, Kind] = {}


def register(name: str, category: str, template: str, *,
             url: Callable[[dict], str] | None = None) -> Kind:
    """Add a kind to the registry (names fit notifications.kind: at most 32 characters)."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown notification category: {category!r}")
    if len(name) > 32:
        raise ValueError(f"notification kind name too long: {name!r}")
    if name in KINDS and KINDS[name] != Kind(name, category, template, url):
        raise ValueError(f"notification kind registered twice: {name!r}")
    KINDS[name] = Kind(name, category, template, url)
    return KINDS[name]


def get(name: str) -> Kind:
    """The registered kind; ValueError for a name nobody registered."""
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown notification kind: {name!r}") from None


def category_of(name: str) -> str:
    kind = KINDS.get(name)
    return kind.category if kind else "status"


# --- parameter values ----------------------------------------------------------------------------

def money(amount_minor: int, currency: str) -> dict:
    return {"amount": int(amount_minor), "currency": currency}


def moneys(amounts: dict[str, int]) -> list[dict]:
    return [money(amount, currency) for currency, amount in sorted(amounts.items())]


def day(value: date) -> dict:
    return {"date": value.isoformat()}


def moment(value: datetime) -> dict:
    return {"datetime": value.isoformat()}


def local_day(value: datetime) -> dict:
    """The calendar day a moment falls on for the reader (a deadline: 6 Dec in Tokyo may be
    5 Dec in UTC), found at render time in the reader's time zone."""
    return {"day_of": value.isoformat()}


def month(period: str) -> dict:
    """A period "YYYY-MM" (April 2026 / 2026年4月)."""
    return {"month": period}


def share(bps: int) -> dict:
    return {"bps": int(bps)}


def label(group: str, value: str) -> dict:
    return {"label": value, "group": group}


def localized(texts: dict[str, str]) -> dict:
    return {"texts": dict(texts)}


def deleted_member() -> dict:
    """Stands for a member who deleted their account (app.services.deletion puts it where
    their name was): "Deleted member" in the reader's language."""
    return {"deleted_member": True}


def _percent(bps: int) -> str:
    whole, rest = divmod(bps, 100)
    number = f"{whole}.{rest:02d}".rstrip("0").rstrip(".") if rest else str(whole)
    return f"{number}%"


def _format_dict(value: dict) -> str:
    if value.get("deleted_member"):
        from app.models.users import deleted_member_name

        return deleted_member_name()
    if "amount" in value and "currency" in value:
        return format_money_for_locale(value["amount"], value["currency"], str(get_locale()))
    if "date" in value:
        return format_date(date.fromisoformat(value["date"]), "medium")
    if "datetime" in value:
        from app.i18n import datetime_text

        return datetime_text(datetime.fromisoformat(value["datetime"]))
    if "day_of" in value:  # format_date rebases a datetime to the reader's time zone first
        return format_date(datetime.fromisoformat(value["day_of"]), "medium")
    if "month" in value:
        from babel.dates import format_skeleton

        try:
            first = date.fromisoformat(value["month"] + "-01")
        except ValueError:
            return str(value["month"])
        return format_skeleton("yMMMM", first, locale=str(get_locale()))
    if "bps" in value:
        return _percent(value["bps"])
    if "label" in value:
        word = LABELS.get(value.get("group", ""), {}).get(value["label"])
        return str(word) if word is not None else str(value["label"])
    if "texts" in value:
        texts = value["texts"]
        return texts.get(str(get_locale())) or texts.get("en") or next(iter(texts.values()), "")
    return str(value)


def format_value(value: Any) -> str:
    """One parameter as the reader should read it (current locale and time zone)."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_decimal(value)
    if isinstance(value, dict):
        return _format_dict(value)
    if isinstance(value, list):
        separator = "、" if str(get_locale()) == "ja" else ", "
        return separator.join(format_value(item) for item in value)
    return "" if value is None else str(value)


def check_params(kind: Kind, params: dict) -> None:
    missing = kind.placeholders - set(params)
    if missing:
        raise ValueError(f"notification {kind.name!r} needs params {sorted(missing)}")


def render(name: str, params: dict | None) -> str:
    """The sentence in the current locale and time zone (use app.i18n.speaking_to(user) to
    render for someone other than the request's reader)."""
    params = params or {}
    kind = KINDS.get(name)
    fallback = params.get("_message")
    if kind is None or (fallback is not None and not kind.placeholders <= set(params)):
        return str(fallback or "")
    values = {key: format_value(value) for key, value in params.items()
              if not key.startswith("_")}
    try:
        return gettext(kind.template, **values) if values else gettext(kind.template)
    except (KeyError, ValueError, TypeError):
        return str(fallback or kind.template)


# --- the registry --------------------------------------------------------------------------------

def _royalties_url(params: dict) -> str:
    return "/me/royalties"


# Comments on my ideas
register("comment_on_idea", "comments",
         N_("%(name)s commented on your idea “%(title)s”."))

# Replies to my comments
register("reply", "replies", N_("%(name)s replied to your comment on “%(title)s”."))

# Milestones and status: my ideas, and ideas I support or follow
register("idea_update", "status", N_("Update on “%(title)s” from %(name)s."))
register("idea_milestone", "status",
         N_("“%(title)s” reached %(count)s supporters. Next goal: %(next)s."))
register("idea_qualified", "status",
         N_("“%(title)s” reached %(count)s supporters and qualifies for review!"))
register("idea_qualified_next_review", "status",
         N_("“%(title)s” reached %(count)s supporters and qualifies for review! The next review "
            "batch closes on %(date)s."))
register("idea_expired", "status",
         N_("“%(title)s” did not reach %(count)s supporters in time and has expired. "
            "You can submit it again as a new idea."))
register("idea_in_review", "status",
         N_("“%(title)s” is now in review (batch “%(name)s”, closing %(date)s)."))
register("idea_withdrawn", "status", N_("“%(title)s” was withdrawn by %(name)s."))
register("idea_reviewed", "status", N_("“%(title)s” has been reviewed: %(decision)s."))
register("idea_published", "status",
         N_("“%(title)s” is published and now gathers support!"))
register("idea_published_note", "status",
         N_("“%(title)s” is published and now gathers support! Moderator's note: %(reason)s"))
register("idea_needs_changes", "status",
         N_("“%(title)s” needs changes before it can be published: %(reason)s"))
register("idea_rejected", "status", N_("“%(title)s” was not accepted: %(reason)s"))
register("idea_hidden", "status", N_("“%(title)s” was hidden by a moderator: %(reason)s"))
register("idea_unhidden", "status", N_("“%(title)s” is visible again."))
register("idea_merged", "status",
         N_("“%(title)s” was merged into “%(target)s”; its supporters now support that idea."))
register("idea_merged_into", "status",
         N_("A similar idea, “%(title)s”, was merged into “%(target)s”: "
            "%(count)s supporters joined."))
register("idea_merged_into_private", "status",
         N_("A similar idea was merged into “%(target)s”: %(count)s supporters joined."))
register("product_stage", "status",
         N_("“%(title)s” is now in production (expected %(date)s)."))
register("product_in_production", "status", N_("“%(title)s” is now in production."))
register("product_on_sale", "status", N_("“%(title)s” is on sale now."))
register("product_update", "status", N_("Official update on “%(title)s”."))
register("idea_refined", "status",
         N_("“%(title)s” was refined by %(name)s: see what changed after listening."))
register("idea_revision_reverted", "status",
         N_("A moderator reverted the last change to “%(title)s”: %(reason)s"))
register("comment_removed", "status",
         N_("A moderator removed your comment on “%(title)s”."))
# (an invitee does not see the idea's title before accepting)
register("co_creator_invite", "status",
         N_("You are invited to co-create an idea with a %(share)s share of its royalties. "
            "Open the invitation to read it and accept."))
register("co_creator_share", "status",
         N_("Your share of an idea you co-create is now %(share)s. Please accept the new split."))
register("co_creator_joined", "status",
         N_("Your invitation to co-create was accepted by %(name)s."))
register("co_creator_accepted", "status",
         N_("%(name)s accepted the agreement and their share of your idea."))

# Supports and follows of my ideas
register("idea_first_supporter", "supports",
         N_("%(name)s is the first supporter of “%(title)s”."))
register("idea_supported", "supports",
         N_("%(name)s supports “%(title)s” (%(count)s supporters)."))
register("idea_supporters", "supports",
         N_("“%(title)s” has new supporters, now %(count)s (latest: %(name)s)."))
register("idea_followed", "supports", N_("%(name)s now follows your idea “%(title)s”."))

# Review results (to the creators)
register("review_result", "review",
         N_("The review of “%(title)s” is published: %(decision)s. See the scores and the "
            "message on your idea's page."))

# Royalties and payouts
register("royalty_statement", "royalties",
         N_("Royalty statement: %(figures)s from newly recorded sales."), url=_royalties_url)
register("royalty_statement_product", "royalties",
         N_("Royalty statement: %(figures)s for “%(product)s” (%(period)s)."),
         url=_royalties_url)
register("royalty_payout", "royalties",
         N_("A payout of %(amount)s was sent to you (reference %(ref)s)."), url=_royalties_url)
register("payout_declined", "royalties",
         N_("Your payout request of %(amount)s was declined: %(reason)s"), url=_royalties_url)
register("payout_request", "royalties",  # to finance staff
         N_("%(name)s asks for a payout of %(amount)s."))

# Announcements (staff write the text in each language: params {"title": localized(...)})
register("announcement", "announcements", N_("Announcement: %(title)s"))
register("survey_invitation", "announcements",  # app.services.surveys, sent to a segment
         N_("A survey for you: “%(title)s”. A few questions, once."))

# Campaigns and staff picks (app.services.campaigns): to the creators, entrants and voters
register("staff_pick", "status", N_("Staff picked your idea “%(title)s”: %(reason)s"))
register("campaign_shortlisted", "status",
         N_("“%(title)s” is on the shortlist of the campaign “%(campaign)s”: the community "
            "vote comes next."))
register("campaign_winners", "status",
         N_("The winners of the campaign “%(campaign)s” are announced: %(winners)s."))
# Members' data rights (to finance staff: a deleted account's balance stays in the ledger)
register("account_deleted_balance", "royalties",
         N_("A member deleted their account (ledger account of member %(account)s) with a "
            "remaining balance of %(amount)s."))

# New ideas and updates from members I follow (app.services.people)
register("member_new_idea", "following",
         N_("%(name)s, whom you follow, published a new idea: “%(title)s”."))
register("member_update", "following",
         N_("%(name)s, whom you follow, posted an update on “%(title)s”."))

# Reminders to share ideas I support (app.services.nudges; marketing: only with consent)
register("support_nudge", "nudges",
         N_("“%(title)s” needs %(count)s more supporters by %(date)s: share it!"))
register("support_nudge_one", "nudges",
         N_("“%(title)s” needs one more supporter by %(date)s: share it!"))
# Forum and recognition (app.services.forum, app.services.recognition)
register("forum_reply", "replies", N_("%(name)s replied to your forum thread “%(title)s”."))
register("forum_post_removed", "status", N_("A moderator removed your forum post."))
register("thanked", "supports", N_("%(name)s thanked you: %(message)s"))
register("reward_granted", "status", N_("You have a reward: %(description)s."))
register("reward_delivered", "status", N_("Your reward is on its way: %(description)s."))

# Co-creation sessions and product tests (issue 15)
def _my_sessions_url(params: dict) -> str:
    return "/co-creation/sessions"


def _product_test_url(params: dict) -> str:
    return f"/product-tests/{params.get('test_id', '')}"


register("session_invite", "sessions",
         N_("You are invited to the co-creation session “%(title)s” on %(when)s. Open My sessions "
            "to accept or decline."), url=_my_sessions_url)
register("session_place", "sessions",
         N_("A place became free: you now have a place in the co-creation session “%(title)s” "
            "on %(when)s."), url=_my_sessions_url)
register("session_reminder", "sessions",
         N_("Reminder: the co-creation session “%(title)s” starts %(when)s (%(where)s)."),
         url=_my_sessions_url)
register("session_cancelled", "sessions",
         N_("The co-creation session “%(title)s” on %(when)s is cancelled: %(reason)s"),
         url=_my_sessions_url)
register("product_test_selected", "sessions",
         N_("You were selected to test “%(title)s”. Please send your report by %(date)s."),
         url=_product_test_url)
