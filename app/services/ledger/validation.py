"""The plain values the ledger accepts, and how it writes an amount in plain text.

Forms, the JSON API and the services check with the same functions, so a value the form accepts
is a value the service accepts; each check returns None or the reason the user can act on.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.errors import Invalid
from app.i18n import _
from app.money import format_amount, is_currency

#: Largest amount (in minor units) accepted for one sale or payout: far beyond any real figure,
#: far below what a BIGINT column holds, so sums cannot overflow.
MAX_AMOUNT_MINOR = 10**15
MAX_UNITS = 10**9
ID_MAX = 2**31 - 1
REF_MAX = 100
MEMO_MAX = 300

_PERIOD = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_REF = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")  # printable ASCII, trimmed


def money_text(amount_minor: int, currency: str) -> str:
    """Plain "1234.56 USD" (for notifications, CSV and messages that are not localised)."""
    return f"{format_amount(amount_minor, currency)} {currency}"


def is_int(value: Any) -> bool:
    """A real integer: not a bool, not a float that happens to be whole, not a string."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_id(value: Any) -> bool:
    """An integer that can be a row id (a 32-bit positive integer)."""
    return is_int(value) and 0 < value <= ID_MAX


def check_period(value: Any) -> str | None:
    """None when `value` is a period "YYYY-MM", else the reason."""
    if not isinstance(value, str) or not _PERIOD.fullmatch(value):
        return _("Use the form YYYY-MM (e.g. 2026-04).")
    return None


def check_currency(value: Any) -> str | None:
    if not isinstance(value, str) or not is_currency(value):
        return _("Use an ISO 4217 currency code such as JPY, USD or EUR.")
    return None


def check_reference(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return _("A reference is required.")
    if len(value) > REF_MAX:
        return _("At most %(n)s characters.", n=REF_MAX)
    if not _REF.fullmatch(value):
        return _("Use printable ASCII characters only, without leading or trailing spaces.")
    return None


def check_amount(value: Any, *, allow_negative: bool = True, allow_zero: bool = True) -> str | None:
    if not is_int(value):
        return _("The amount must be an integer number of minor units.")
    if abs(value) >= MAX_AMOUNT_MINOR:
        return _("The amount is too large.")
    if value < 0 and not allow_negative:
        return _("The amount must be positive.")
    if value == 0 and not allow_zero:
        return _("The amount must be positive.")
    return None


def check_units(value: Any) -> str | None:
    if not is_int(value):
        return _("Units must be an integer.")
    if abs(value) >= MAX_UNITS:
        return _("Too many units.")
    return None


def _raise_if(problems: Mapping[str, str | None]) -> None:
    fields = {name: message for name, message in problems.items() if message}
    if fields:
        raise Invalid(fields)
