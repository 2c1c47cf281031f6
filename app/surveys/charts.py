"""Survey results as server-rendered SVG bar charts: one horizontal bar per answer, geometry in
integer pixels computed here, drawn by templates/surveys/_bars.html. No JavaScript, no CDN."""
from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 440
ROW = 30         # pixels per answer
LABEL = 130      # room for the answer labels on the left
COUNT = 80       # room for "12 (40%)" on the right
BAR_HEIGHT = 18
LABEL_CHARS = 18


@dataclass
class Row:
    label: str
    full_label: str
    count: int
    percent: int
    y: int
    width: int


@dataclass
class Bars:
    width: int = WIDTH
    height: int = ROW
    left: int = LABEL
    span: int = WIDTH - LABEL - COUNT
    bar_height: int = BAR_HEIGHT
    rows: list[Row] = field(default_factory=list)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def bars(counts: list[tuple[str, int]], answered: int) -> Bars:
    """Bars scaled to the largest count; percentages of the members who answered (a multiple
    choice question's add up to more than 100)."""
    chart = Bars(height=max(1, len(counts)) * ROW)
    top = max((count for _label, count in counts), default=0)
    for index, (label, count) in enumerate(counts):
        width = (chart.span * count // top) if top else 0
        percent = (100 * count + answered // 2) // answered if answered else 0
        chart.rows.append(Row(_short(label), label, count, percent, index * ROW,
                              max(width, 1 if count else 0)))
    return chart
