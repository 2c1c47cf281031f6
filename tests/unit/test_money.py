"""Exact money: royalty rounding, largest-remainder splits, parsing and formatting."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.money import (
    CURRENCY_MINOR_UNITS,
    format_amount,
    is_currency,
    minor_units,
    parse_amount,
    royalty_minor,
    split_largest_remainder,
)

amounts = st.integers(min_value=-(10**15), max_value=10**15)
rates = st.integers(min_value=0, max_value=10_000)
currencies = st.sampled_from(sorted(CURRENCY_MINOR_UNITS))


@st.composite
def shares(draw: st.DrawFn) -> list[int]:
    """Non-negative basis-point shares summing to 10000 (1 to 10 of them, zeros allowed)."""
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), max_size=9)))
    bounds = [0, *cuts, 10_000]
    return [high - low for low, high in itertools.pairwise(bounds)]


# --- currencies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "decimals"),
    [
        ("JPY", 0), ("KRW", 0), ("ISK", 0), ("CLP", 0), ("VND", 0),
        ("USD", 2), ("EUR", 2), ("GBP", 2), ("CHF", 2), ("CAD", 2), ("AUD", 2),
        ("CNY", 2), ("DKK", 2), ("SEK", 2), ("NOK", 2), ("NZD", 2), ("SGD", 2),
        ("HKD", 2), ("BHD", 3), ("KWD", 3), ("JOD", 3), ("TND", 3), ("OMR", 3),
    ],
)  # fmt: skip
def test_currency_minor_units_follow_iso_4217(code: str, decimals: int) -> None:
    assert is_currency(code)
    assert minor_units(code) == decimals


@pytest.mark.parametrize("code", ["XYZ", "usd", "", "US", "USDX", "BTC"])
def test_unknown_currency_is_refused(code: str) -> None:
    assert not is_currency(code)
    with pytest.raises(ValueError):
        minor_units(code)


# --- royalty --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("net_sales_minor", "rate_bps", "expected"),
    [
        (50, 100, 0),  # 0.5 -> 0
        (150, 100, 2),  # 1.5 -> 2
        (250, 100, 2),  # 2.5 -> 2
        (350, 100, 4),  # 3.5 -> 4
        (149, 100, 1),  # 1.49 -> 1
        (151, 100, 2),  # 1.51 -> 2
        (1, 5_000, 0),  # 0.5 -> 0
        (3, 5_000, 2),  # 1.5 -> 2
        (5, 5_000, 2),  # 2.5 -> 2
        (123_456, 100, 1_235),  # 1234.56 -> 1235
        (123_450, 100, 1_234),  # 1234.5 -> 1234
        (0, 100, 0),
        (999, 0, 0),
        (7, 10_000, 7),
    ],
)
def test_royalty_rounds_half_to_even(net_sales_minor: int, rate_bps: int, expected: int) -> None:
    assert royalty_minor(net_sales_minor, rate_bps) == expected


@pytest.mark.parametrize(("net", "expected"), [(-50, 0), (-150, -2), (-250, -2), (-350, -4)])
def test_royalty_on_a_return_rounds_half_to_even(net: int, expected: int) -> None:
    assert royalty_minor(net, 100) == expected


@given(amounts, rates)
def test_royalty_equals_exact_half_even_rounding(net: int, rate: int) -> None:
    # Fraction.__round__ rounds half to even: an independent exact reference.
    assert royalty_minor(net, rate) == round(Fraction(net * rate, 10_000))


@given(amounts, rates)
def test_royalty_of_a_return_reverses_the_sale(net: int, rate: int) -> None:
    assert royalty_minor(-net, rate) == -royalty_minor(net, rate)


def test_royalty_is_exact_beyond_float_precision() -> None:
    assert royalty_minor(10**20 + 50, 100) == 10**18  # 10**18 + 0.5 -> even


def test_royalty_refuses_negative_rate_and_non_integers() -> None:
    with pytest.raises(ValueError):
        royalty_minor(100, -1)
    with pytest.raises(TypeError):
        royalty_minor(1.5, 100)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        royalty_minor(100, True)  # type: ignore[arg-type]


# --- largest-remainder split ---------------------------------------------------------


@given(amounts, shares())
def test_split_parts_always_sum_to_the_total(total: int, split: list[int]) -> None:
    parts = split_largest_remainder(total, split)
    assert len(parts) == len(split)
    assert sum(parts) == total


@given(amounts, shares())
def test_each_part_is_within_one_minor_unit_of_its_exact_share(total: int, split: list[int]) -> None:
    for part, share in zip(split_largest_remainder(total, split), split, strict=True):
        exact = Fraction(total * share, 10_000)
        assert abs(part - exact) < 1
        if share == 0:
            assert part == 0


@given(amounts, shares())
def test_split_of_a_return_exactly_reverses_the_sale(total: int, split: list[int]) -> None:
    assert split_largest_remainder(-total, split) == [-part for part in split_largest_remainder(total, split)]


@given(st.integers(min_value=0, max_value=10**15), shares())
def test_extra_units_go_to_largest_remainders_then_earlier_index(total: int, split: list[int]) -> None:
    parts = split_largest_remainder(total, split)
    remainders = [(total * share) % 10_000 for share in split]
    bumped = [i for i, share in enumerate(split) if parts[i] != (total * share) // 10_000]
    kept = [i for i in range(len(split)) if i not in bumped]
    for i in bumped:
        assert parts[i] == (total * split[i]) // 10_000 + 1
        for j in kept:
            assert (remainders[i], -i) > (remainders[j], -j)


@pytest.mark.parametrize(
    ("total", "split", "expected"),
    [
        (100, [3_333, 3_333, 3_334], [33, 33, 34]),
        (1, [5_000, 5_000], [1, 0]),  # tie: earlier index wins
        (-1, [5_000, 5_000], [-1, 0]),  # mirrored, not [0, -1]
        (2, [3_334, 3_333, 3_333], [1, 1, 0]),
        (10, [10_000], [10]),
        (7, [0, 10_000], [0, 7]),
        (0, [2_500, 7_500], [0, 0]),
        (101, [2_500, 2_500, 2_500, 2_500], [26, 25, 25, 25]),
    ],
)
def test_split_examples(total: int, split: list[int], expected: list[int]) -> None:
    assert split_largest_remainder(total, split) == expected


@pytest.mark.parametrize("split", [[], [5_000, 4_999], [10_001], [12_000, -2_000]])
def test_split_refuses_shares_that_do_not_make_a_whole(split: list[int]) -> None:
    with pytest.raises(ValueError):
        split_largest_remainder(100, split)


# --- parsing and formatting ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1234.56", "USD", 123_456),
        ("1,234.56", "USD", 123_456),
        ("1,234,567.8", "EUR", 123_456_780),
        ("-3.5", "USD", -350),
        ("+3.5", "USD", 350),
        ("7", "USD", 700),
        ("0.05", "USD", 5),
        ("-0.05", "USD", -5),
        ("  12.30 ", "GBP", 1_230),
        ("1200", "JPY", 1_200),
        ("1,200", "JPY", 1_200),
        ("1200.00", "JPY", 1_200),  # zeros beyond the minor unit change nothing
        ("1.230", "USD", 123),
        ("1.234", "BHD", 1_234),
        ("0.001", "KWD", 1),
        ("12345678901234567890.12", "USD", 1_234_567_890_123_456_789_012),
    ],
)
def test_parse_amount_reads_exact_minor_units(text: str, currency: str, expected: int) -> None:
    assert parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("1.234", "USD"),  # a third decimal for a two-decimal currency
        ("1.5", "JPY"),
        ("0.0001", "BHD"),
        ("", "USD"),
        ("   ", "USD"),
        ("abc", "USD"),
        ("1e3", "USD"),
        ("1.", "USD"),
        (".5", "USD"),
        ("1,23", "USD"),
        ("12,34.5", "USD"),
        ("1 234.56", "USD"),
        ("1.2.3", "USD"),
        ("--1", "USD"),
        ("NaN", "USD"),
        ("Infinity", "USD"),
        ("$5", "USD"),
        ("٣", "USD"),  # Arabic-Indic digit three
        ("5", "XYZ"),
    ],
)
def test_parse_amount_refuses_bad_input(text: str, currency: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (123_456, "USD", "1234.56"),
        (-5, "USD", "-0.05"),
        (0, "USD", "0.00"),
        (100, "EUR", "1.00"),
        (1_200, "JPY", "1200"),
        (-1_200, "KRW", "-1200"),
        (1, "BHD", "0.001"),
        (-12_345, "KWD", "-12.345"),
    ],
)
def test_format_amount(amount: int, currency: str, expected: str) -> None:
    assert format_amount(amount, currency) == expected


def test_format_amount_refuses_unknown_currency_and_floats() -> None:
    with pytest.raises(ValueError):
        format_amount(100, "XYZ")
    with pytest.raises(TypeError):
        format_amount(1.0, "USD")  # type: ignore[arg-type]


@given(amounts, currencies)
def test_format_then_parse_round_trips(amount: int, currency: str) -> None:
    assert parse_amount(format_amount(amount, currency), currency) == amount
