"""The server-rendered earnings chart: integer geometry, round ticks, bars from the zero line."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.ledger.charts import MAX_BARS, bar_chart, nice_step


def test_ticks_are_round_and_cover_every_value():
    chart = bar_chart([("2026-01", 3_500), ("2026-02", -840), ("2026-03", 8_610)], "USD")
    assert [tick.value for tick in chart.ticks] == [-2_500, 0, 2_500, 5_000, 7_500, 10_000]
    negative = chart.bars[1]
    assert negative.negative and negative.y == chart.zero_y
    assert chart.bars[2].y < chart.bars[0].y < chart.zero_y


def test_an_empty_chart_has_no_bars():
    assert bar_chart([], "JPY").bars == []


@given(st.lists(st.tuples(st.text(max_size=7), st.integers(-10**12, 10**12)), min_size=1,
                max_size=40))
def test_geometry_stays_inside_the_plot(points):
    chart = bar_chart(points, "USD")
    assert len(chart.bars) == min(len(points), MAX_BARS)
    lowest, highest = chart.ticks[0].value, chart.ticks[-1].value
    for bar, (_label, value) in zip(chart.bars, points[-MAX_BARS:]):
        assert all(isinstance(n, int) for n in (bar.x, bar.y, bar.width, bar.height))
        assert chart.top <= bar.y and bar.y + bar.height <= chart.bottom + 1
        assert chart.left <= bar.x and bar.x + bar.width <= chart.right
        assert lowest <= value <= highest


@given(st.integers(1, 10**15))
def test_nice_steps_are_round_and_large_enough(raw):
    step = nice_step(raw)
    assert step >= raw
    digits = str(step).rstrip("0")
    assert digits in ("1", "2", "25", "5")
