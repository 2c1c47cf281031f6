"""Exact money arithmetic: integer minor units with an ISO 4217 currency.

Amounts are always ``int`` counts of the currency's minor unit (cents for USD,
yen for JPY, fils for BHD). Nothing here ever touches a float: rounding is done
with integer division, parsing with string operations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: Basis points in one whole (100%). The only place this number lives.
BPS_WHOLE = 10_000

#: Decimal places of the minor unit for active ISO 4217 currencies
#: (funds, precious metals and testing codes are left out on purpose).
CURRENCY_MINOR_UNITS: dict[str, int] = {
    # Three decimals.
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    # No decimals.
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
    "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0,
    "XOF": 0, "XPF": 0,
    # Two decimals.
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2,
    "AUD": 2, "AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2,
    "BMD": 2, "BND": 2, "BOB": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2,
    "BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHF": 2, "CNY": 2, "COP": 2,
    "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DKK": 2, "DOP": 2, "DZD": 2,
    "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2,
    "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GTQ": 2, "GYD": 2, "HKD": 2,
    "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IRR": 2,
    "JMD": 2, "KES": 2, "KGS": 2, "KHR": 2, "KPW": 2, "KYD": 2, "KZT": 2,
    "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "MAD": 2, "MDL": 2,
    "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
    "MVR": 2, "MWK": 2, "MXN": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2,
    "NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "PAB": 2, "PEN": 2, "PGK": 2,
    "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2,
    "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2,
    "SLE": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2,
    "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TOP": 2, "TRY": 2, "TTD": 2,
    "TWD": 2, "TZS": 2, "UAH": 2, "USD": 2, "UYU": 2, "UZS": 2, "VES": 2,
    "WST": 2, "XCD": 2, "XCG": 2, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
}  # fmt: skip

# Optional sign, an integer part (plain digits, or digits grouped by commas in
# threes), then an optional fractional part. ASCII digits only: "\d" would also
# accept Arabic-Indic and other Unicode digits.
_AMOUNT_RE = re.compile(r"(?P<sign>[+-]?)(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?")


def _require_int(name: str, value: object) -> int:
    """Return ``value`` if it is a real ``int`` (not a bool); raise TypeError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return value


def is_currency(code: str) -> bool:
    """Return True if ``code`` is a known ISO 4217 code (upper case, e.g. "USD")."""
    return code in CURRENCY_MINOR_UNITS


def minor_units(currency: str) -> int:
    """Return the number of decimals of ``currency``'s minor unit.

    Raises ValueError for a code not in ``CURRENCY_MINOR_UNITS``. Codes are
    case-sensitive: callers normalise user input with ``.strip().upper()``.
    """
    try:
        return CURRENCY_MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise ValueError(f"unknown currency: {currency!r}") from None


def royalty_minor(net_sales_minor: int, rate_bps: int) -> int:
    """Return ``net_sales_minor * rate_bps / 10000`` rounded half-to-even.

    Integer arithmetic only, so the result is exact for any size of amount.
    The function is odd: ``royalty_minor(-x, r) == -royalty_minor(x, r)``, so
    the royalty on a return exactly reverses the royalty on the sale.
    ``rate_bps`` must be >= 0 (it may exceed 10000); otherwise ValueError.
    """
    _require_int("net_sales_minor", net_sales_minor)
    _require_int("rate_bps", rate_bps)
    if rate_bps < 0:
        raise ValueError("rate_bps must not be negative")
    return royalty_of_checked(net_sales_minor, rate_bps)


def royalty_of_checked(net_sales_minor: int, rate_bps: int) -> int:
    """royalty_minor for values the caller has already checked (ints, a rate >= 0: e.g. read
    from the ledger's integer columns): the same result without re-checking them."""
    quotient, remainder = divmod(abs(net_sales_minor) * rate_bps, BPS_WHOLE)
    twice = 2 * remainder
    if twice > BPS_WHOLE or (twice == BPS_WHOLE and quotient % 2 == 1):
        quotient += 1
    return -quotient if net_sales_minor < 0 else quotient


def split_largest_remainder(total_minor: int, shares_bps: list[int]) -> list[int]:
    """Split ``total_minor`` into parts proportional to ``shares_bps``.

    Promises, for shares that are non-negative ints summing to 10000:

    * ``sum(parts) == total_minor`` exactly, and ``len(parts) == len(shares_bps)``;
    * each part is the floor of its exact share (of the absolute total), plus
      one for the parts with the largest remainders, ties going to the earlier
      index;
    * for a negative total the split of ``abs(total)`` is negated, so the split
      of a return exactly reverses the split of the matching sale.

    Raises ValueError for an empty list, a negative share or shares not
    summing to 10000.
    """
    _require_int("total_minor", total_minor)
    if not shares_bps:
        raise ValueError("shares_bps must not be empty")
    for share in shares_bps:
        _require_int("share", share)
        if share < 0:
            raise ValueError("shares must not be negative")
    if sum(shares_bps) != BPS_WHOLE:
        raise ValueError(f"shares must sum to {BPS_WHOLE}, got {sum(shares_bps)}")

    return split_by_checked_shares(total_minor, shares_bps)


def split_by_checked_shares(total_minor: int, shares_bps: Sequence[int]) -> list[int]:
    """split_largest_remainder for shares the caller has already checked (non-negative ints
    summing to 10000, e.g. a product's frozen split): the same parts, without re-checking the
    shares on every call (posting and verifying a million sales split each one)."""
    magnitude = -total_minor if total_minor < 0 else total_minor
    parts = [magnitude * share // BPS_WHOLE for share in shares_bps]
    leftover = magnitude - sum(parts)  # always < len(shares_bps)
    if leftover:
        # Largest remainder first; on equal remainders the earlier index wins (sorted is
        # stable, so sorting by the negated remainder alone keeps equal ones in index order).
        negated = [-(magnitude * share % BPS_WHOLE) for share in shares_bps]
        for index in sorted(range(len(parts)), key=negated.__getitem__)[:leftover]:
            parts[index] += 1
    if total_minor < 0:
        parts = [-part for part in parts]
    return parts


def parse_amount(text: str, currency: str) -> int:
    """Parse a decimal string into an exact count of ``currency``'s minor units.

    Accepts an optional sign, an integer part written either as plain digits
    or with commas grouping thousands ("1,234,567"), and an optional fraction
    after a ".". Surrounding whitespace is ignored. Examples for USD:
    "1234.56" -> 123456, "1,234.56" -> 123456, "-3.5" -> -350, "7" -> 700.

    Trailing zeros beyond the currency's decimals are accepted because they
    do not change the value ("1200.00" JPY -> 1200); any other extra decimal
    ("1.234" USD) raises ValueError, as does anything that is not such a
    number (empty, "1e3", "1.", ".5", "1,23", "NaN", "$5"). Unknown
    currencies raise ValueError; a non-string raises TypeError.
    """
    decimals = minor_units(currency)
    if not isinstance(text, str):
        raise TypeError("amount must be a string")
    match = _AMOUNT_RE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a valid amount: {text!r}")
    integer_digits = match["int"].replace(",", "")
    fraction = match["frac"] or ""
    significant, extra = fraction[:decimals], fraction[decimals:]
    if extra.strip("0"):
        raise ValueError(f"{currency} allows at most {decimals} decimal places: {text!r}")
    minor = int(integer_digits + significant.ljust(decimals, "0"))
    return -minor if match["sign"] == "-" else minor


def format_amount(amount_minor: int, currency: str) -> str:
    """Format minor units as a plain decimal string with the currency's decimals.

    No grouping, no symbol, "." as the decimal point; this is the form that
    ``parse_amount`` reads back. Examples: (123456, "USD") -> "1234.56",
    (-5, "USD") -> "-0.05", (1200, "JPY") -> "1200", (1, "BHD") -> "0.001".
    Locale-aware display belongs to the templates, not here.
    """
    _require_int("amount_minor", amount_minor)
    decimals = minor_units(currency)
    sign = "-" if amount_minor < 0 else ""
    if decimals == 0:
        return f"{sign}{abs(amount_minor)}"
    whole, fraction = divmod(abs(amount_minor), 10**decimals)
    return f"{sign}{whole}.{fraction:0{decimals}d}"


def format_money_for_locale(amount_minor: int, currency: str, locale: str) -> str:
    """Money for a reader: ¥86,036 / $12.50 in English, 86,036円 / $12.50 in Japanese.

    Babel's currency format for the locale (symbol, grouping, decimals of the currency),
    computed from the exact decimal string (never a float); yen in Japanese text is written
    the Japanese way, with 円 after the number. An unknown currency is "amount CODE".
    """
    from decimal import Decimal

    from babel.numbers import format_currency, format_decimal

    try:
        plain = format_amount(amount_minor, currency)
    except ValueError:
        return f"{amount_minor} {currency}"
    if currency == "JPY" and locale.split("_")[0] == "ja":
        return format_decimal(Decimal(plain), locale=locale) + "円"
    return format_currency(Decimal(plain), currency, locale=locale)
