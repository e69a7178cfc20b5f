"""Charts as plain geometry, drawn as SVG by the templates (no script needed).

Each mark keeps its category, series and value; the templates write them as
``data-*`` attributes and a ``<title>``, so the figures can be read (and
tested) from the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Mapping, Optional, Sequence, Tuple

WIDTH = 720
LEFT = 150  # room for row labels
TOP = 10
ROW = 22


@dataclass(frozen=True)
class Mark:
    """One rectangle of a chart."""

    x: float
    y: float
    width: float
    height: float
    category: str
    series: str
    value: float
    shade: float = 1.0  # fill opacity (heatmaps)


@dataclass(frozen=True)
class Label:
    """A text on a chart."""

    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass
class Chart:
    """An SVG chart: its size, marks and labels, and its series for the legend."""

    name: str
    width: float
    height: float
    marks: List[Mark] = field(default_factory=list)
    labels: List[Label] = field(default_factory=list)
    series: List[str] = field(default_factory=list)

    def css_class(self, series: str) -> str:
        """The legend/fill class of a series (its index, so CSS needs no names)."""
        return f"s{self.series.index(series) % 10}" if series in self.series else "s0"


def columns(
    name: str,
    categories: Sequence[str],
    series: Sequence[str],
    values: Mapping[Tuple[str, str], float],
    height: float = 180,
    stacked: bool = True,
    scale_to: Optional[float] = None,
) -> Chart:
    """Columns, one group per category (e.g. a day), one per series.

    Stacked, the series of a category share one column; otherwise they stand
    side by side. ``scale_to`` fixes the top of the scale (100 for shares).
    """
    chart = Chart(name, WIDTH, height + 40, series=list(series))
    totals = [
        [values.get((c, s), 0) for s in series] for c in categories
    ]  # per category, per series
    top = scale_to or max(
        (sum(v) if stacked else max(v, default=0) for v in totals), default=0
    )
    scale = height / top if top else 0
    step = min((WIDTH - 40) / max(len(categories), 1), 60)
    width = step * 0.8 if stacked else step * 0.8 / max(len(series), 1)
    label_every = max(1, len(categories) // 12)
    for i, category in enumerate(categories):
        x, base = 30 + i * step, TOP + height
        for j, serie in enumerate(series):
            value = totals[i][j]
            if not value:
                continue
            size = value * scale
            if stacked:
                base -= size
                mark = Mark(x, base, max(width, 1), size, category, serie, value)
            else:
                left = x + j * width
                mark = Mark(
                    left,
                    TOP + height - size,
                    max(width, 1),
                    size,
                    category,
                    serie,
                    value,
                )
            chart.marks.append(mark)
        if i % label_every == 0:
            chart.labels.append(Label(x, TOP + height + 16, category[5:]))
    chart.labels.append(Label(0, TOP + 10, f"{top:g}"))
    return chart


def bars(name: str, items: Sequence[Tuple[str, float]], unit: str = "") -> Chart:
    """Horizontal bars, one per item, labelled with their value."""
    chart = Chart(name, WIDTH, TOP * 2 + ROW * max(len(items), 1))
    chart.series = [label for label, _ in items]
    top = max((v for _, v in items), default=0)
    span = WIDTH - LEFT - 90
    for i, (label, value) in enumerate(items):
        y = TOP + i * ROW
        size = span * value / top if top else 0
        chart.marks.append(Mark(LEFT, y, size, ROW - 6, label, label, value))
        chart.labels.append(Label(LEFT - 6, y + ROW - 10, label, "end"))
        chart.labels.append(Label(LEFT + size + 6, y + ROW - 10, f"{value:g}{unit}"))
    return chart


def heatmap(
    name: str,
    rows: Sequence[str],
    cols: Sequence[str],
    values: Mapping[Tuple[str, str], float],
) -> Chart:
    """A grid of cells shaded by value: rows (treatments) by columns (topics)."""
    cell = (WIDTH - LEFT) / max(len(cols), 1)
    head = 150
    chart = Chart(name, WIDTH, head + ROW * len(rows) + TOP)
    top = max(values.values(), default=0)
    for j, col in enumerate(cols):
        chart.labels.append(Label(LEFT + j * cell + cell / 2, head - 6, col, "rotate"))
    for i, row in enumerate(rows):
        y = head + i * ROW
        chart.labels.append(Label(LEFT - 6, y + ROW - 8, row, "end"))
        for j, col in enumerate(cols):
            value = values.get((row, col), 0)
            shade = 0.08 + 0.92 * value / top if top and value else 0.0
            chart.marks.append(
                Mark(LEFT + j * cell, y, cell - 2, ROW - 2, row, col, value, shade)
            )
    return chart
