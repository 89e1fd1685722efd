"""Charts as inline SVG text: no script, no network, the same bytes for the same data.

Coordinates are rounded to a tenth of a pixel so that a rerun renders identical markup;
every label is escaped, and each chart carries a <title> that names what it shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from transforms.publish.labels import short_chinese_date

BLUE, ORANGE, GREEN, GREY, RED = "#1f5fa8", "#e07b1a", "#2e8b57", "#8a8f98", "#c0392b"
# Several series of one chart (difficulty kinds), told apart in this order.
PALETTE = (BLUE, ORANGE, GREEN, RED, "#7b4fa0", "#1a9c9c", "#8c5a2b", "#d4589b", GREY)
AXIS_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#555", "#e3e6ea", "#222"


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # one per x position; None leaves a gap
    colour: str
    stroke_width: float = 2.0


def percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def line_chart_svg(
    title: str,
    days: Sequence[date],
    series: Sequence[Series],
    *,
    width: int = 720,
    height: int = 300,
    compact: bool = False,
    css_class: str = "chart",
    axis_max: float = 1.0,
    tick_text: Callable[[float], str] = lambda tick: f"{tick * 100:.0f}%",
    value_text: Callable[[float], str] = percent,
) -> str:
    """Values 0–`axis_max` over days (by default fractions on a 0–100 % axis), with the
    latest value of each series written at its end. `compact` drops the legend and thins
    the axis labels (small multiples)."""
    left, right = (34, 44) if compact else (44, 64)
    top, bottom = (20, 20) if compact else (34, 28)
    plot_width, plot_height = width - left - right, height - top - bottom
    count = len(days)

    def x_of(index: int) -> float:
        return left + (plot_width * index / (count - 1) if count > 1 else plot_width / 2)

    def y_of(value: float) -> float:
        return top + plot_height * (1 - min(max(value / axis_max, 0.0), 1.0))

    parts = [_svg_open(title, width, height, css_class)]
    for share in (0, 0.5, 1) if compact else (0, 0.25, 0.5, 0.75, 1):
        y = y_of(share * axis_max)
        parts.append(_line(left, y, left + plot_width, y, GRID_COLOUR))
        parts.append(_text(left - 4, y + 4, tick_text(share * axis_max), anchor="end", size=10))
    parts.append(_line(left, top + plot_height, left + plot_width, top + plot_height, AXIS_COLOUR))
    for index in _tick_positions(count, 3 if compact else 7):
        x = x_of(index)
        parts.append(_line(x, top + plot_height, x, top + plot_height + 4, AXIS_COLOUR))
        parts.append(
            _text(x, top + plot_height + 16, short_chinese_date(days[index]), "middle", 10)
        )
    end_labels = []
    for entry in series:
        marks, end_label = _series_marks(entry, x_of, y_of, value_text)
        parts += marks
        end_labels += [end_label] if end_label else []
    parts += [
        _text(x + 5, y + 4, text, size=10, colour=colour)
        for x, y, text, colour in _spread(end_labels, gap=11)
    ]
    if not compact:
        parts += _legend(series, left, 14)
    else:
        parts.append(_text(left, 13, title, size=12, weight="bold"))
    parts.append("</svg>")
    return "".join(parts)


def count_lines_svg(
    title: str, days: Sequence[date], counts: Sequence[tuple[str, list[int]]]
) -> str:
    """Whole counts over days, one line per (label, counts), on an axis from 0 to a multiple
    of 4 at or above the largest count, so that every grid line is a whole number."""
    largest = max((max(values) for _, values in counts), default=0)
    axis_max = max(4, -(-largest // 4) * 4)
    series = [
        Series(label, values, PALETTE[n % len(PALETTE)]) for n, (label, values) in enumerate(counts)
    ]
    return line_chart_svg(
        title,
        days,
        series,
        axis_max=axis_max,
        tick_text=lambda tick: f"{tick:.0f}",
        value_text=lambda value: f"{value:.0f}",
    )


def _series_marks(
    entry: Series, x_of: Callable, y_of: Callable, value_text: Callable[[float], str]
) -> tuple[list[str], tuple | None]:
    """The series' lines and dots, and its end label (x, y, text, colour) if it has values."""
    marks, run = [], []
    points = [(i, v) for i, v in enumerate(entry.values)]
    for index, value in [*points, (len(points), None)]:
        if value is None:
            if len(run) == 1:  # a lone day between gaps still shows as a dot
                marks.append(_dot(*run[0], entry.colour, entry.stroke_width))
            elif run:
                coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                marks.append(
                    f'<polyline class="series" points="{coordinates}" fill="none" '
                    f'stroke="{entry.colour}" stroke-width="{entry.stroke_width}" '
                    'stroke-linejoin="round"/>'
                )
            run = []
        else:
            run.append((x_of(index), y_of(value)))
    last = next(((i, v) for i, v in reversed(points) if v is not None), None)
    if last is None:
        return marks, None
    x, y = x_of(last[0]), y_of(last[1])
    marks.append(_dot(x, y, entry.colour, entry.stroke_width + 1))
    return marks, (x, y, value_text(last[1]), entry.colour)


def _spread(labels: list[tuple], gap: float) -> list[tuple]:
    """End labels moved apart vertically so that two close values stay readable."""
    placed: list[tuple] = []
    for x, y, text, colour in sorted(labels, key=lambda label: label[1]):
        if placed and y - placed[-1][1] < gap:
            y = placed[-1][1] + gap
        placed.append((x, y, text, colour))
    return placed


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    marks = []
    for entry in series:
        marks.append(_line(x, y - 4, x + 18, y - 4, entry.colour, entry.stroke_width + 1))
        marks.append(_text(x + 22, y, entry.label, size=12))
        x += 30 + 13 * len(entry.label)
    return marks


def horizontal_bars_svg(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    colour: str = BLUE,
    negative_colour: str = RED,
    value_text: Callable[[float], str] = lambda v: f"{v:,.0f}",
    width: int = 420,
    label_width: int = 110,
    bar_height: int = 18,
    css_class: str = "chart bars",
) -> str:
    """One bar per label; negative values grow left of a zero line; None shows as 无数据."""
    value_width, top = 70, 26
    height = top + len(labels) * (bar_height + 6) + 6
    present = [v for v in values if v is not None]
    low, high = min([0.0, *present]), max([0.0, *present])
    # Negative bars carry their value text on their left: leave it room after the labels.
    negative_text_room = 44 if low < 0 else 0
    plot_left = label_width + negative_text_room
    plot_width = width - plot_left - value_width
    span = (high - low) or 1.0

    def x_of(value: float) -> float:
        return plot_left + plot_width * (value - low) / span

    parts = [_svg_open(title, width, height, css_class)]
    parts.append(_text(0, 14, title, size=12, weight="bold"))
    zero = x_of(0.0)
    parts.append(_line(zero, top - 4, zero, height - 4, AXIS_COLOUR))
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + row * (bar_height + 6)
        parts.append(_text(label_width - 6, y + bar_height - 5, label, anchor="end", size=11))
        if value is None:
            parts.append(_text(zero + 4, y + bar_height - 5, "无数据", size=10, colour=GREY))
            continue
        start, end = sorted((zero, x_of(value)))
        fill = negative_colour if value < 0 else colour
        parts.append(
            f'<rect x="{start:.1f}" y="{y:.1f}" width="{max(end - start, 0.5):.1f}" '
            f'height="{bar_height}" fill="{fill}"/>'
        )
        text_x = end + 4 if value >= 0 else start - 4
        parts.append(
            _text(
                text_x,
                y + bar_height - 5,
                value_text(value),
                anchor="start" if value >= 0 else "end",
                size=10,
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def _tick_positions(count: int, most: int) -> list[int]:
    """Up to `most` evenly spread indexes, always the first and the last."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return sorted({round(step * n) for n in range(most)})


def _svg_open(title: str, width: int, height: int, css_class: str) -> str:
    return (
        f'<svg class="{css_class}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{escape(title)}</title>"
    )


def _line(x1, y1, x2, y2, colour: str, width: float = 1) -> str:
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
        f'stroke="{colour}" stroke-width="{width}"/>'
    )


def _dot(x: float, y: float, colour: str, radius: float) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}"/>'


def _text(
    x: float,
    y: float,
    text: str,
    anchor: str = "start",
    size: int = 11,
    colour: str = TEXT_COLOUR,
    weight: str = "normal",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{colour}" '
        f'text-anchor="{anchor}" font-weight="{weight}">{escape(text)}</text>'
    )
