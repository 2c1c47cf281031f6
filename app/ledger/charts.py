"""Server-rendered SVG charts: the geometry is computed here in integer pixels (money stays
integer minor units throughout), templates/ledger/_chart.html draws it. No JavaScript, no CDN."""
from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 640
HEIGHT = 260
LEFT = 78     # room for the y-axis labels
RIGHT = 12
TOP = 16
BOTTOM = 40   # room for the period labels
TICKS = 4
MAX_BARS = 24
MAX_BAR_WIDTH = 56


def nice_step(raw: int) -> int:
    """The smallest 1, 2, 2.5 or 5 x 10^k (an integer) that is >= raw >= 1: round tick steps."""
    magnitude = 10 ** (len(str(raw)) - 1)
    for tenths in (10, 20, 25, 50, 100):
        step, remainder = divmod(tenths * magnitude, 10)
        if remainder == 0 and step >= raw:
            return step
    return 10 * magnitude  # pragma: no cover - the loop always returns


@dataclass
class Bar:
    x: int
    y: int
    width: int
    height: int
    label: str
    value: int
    label_x: int
    negative: bool


@dataclass
class Tick:
    y: int
    value: int


@dataclass
class BarChart:
    currency: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    zero_y: int = HEIGHT - BOTTOM
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    label_every: int = 1

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def bar_chart(points: list[tuple[str, int]], currency: str) -> BarChart:
    """Bars for (label, amount) points, oldest first (the last MAX_BARS of them). The value axis
    spans zero to the largest amount (and down to the most negative one, if any)."""
    points = points[-MAX_BARS:]
    chart = BarChart(currency=currency)
    if not points:
        return chart
    high = max(0, *(value for _, value in points))
    low = min(0, *(value for _, value in points))
    if high == low:
        high = low + 1
    step = nice_step(-(-(high - low) // TICKS))
    high = -(-high // step) * step   # round the axis out to whole steps
    low = (low // step) * step
    span = high - low
    ticks = span // step
    plot_height = chart.bottom - chart.top

    def y_of(value: int) -> int:
        # Integer arithmetic: rounded to the nearest pixel.
        return chart.top + ((high - value) * plot_height * 2 + span) // (span * 2)

    chart.zero_y = y_of(0)
    chart.ticks = [Tick(y=y_of(low + step * i), value=low + step * i) for i in range(ticks + 1)]
    slot = (chart.right - chart.left) // len(points)
    bar_width = max(4, min(MAX_BAR_WIDTH, slot * 3 // 5))
    chart.label_every = max(1, (len(points) + 11) // 12)
    for index, (label, value) in enumerate(points):
        x = chart.left + index * slot + (slot - bar_width) // 2
        y_value = y_of(value)
        top, bottom = min(y_value, chart.zero_y), max(y_value, chart.zero_y)
        chart.bars.append(Bar(x=x, y=top, width=bar_width, height=max(1, bottom - top),
                              label=label, value=value, label_x=x + bar_width // 2,
                              negative=value < 0))
    return chart
