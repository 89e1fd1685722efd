"""Inline SVG charts: gaps where a day has no value, readable end labels, stable markup."""

from __future__ import annotations

import re
from datetime import date, timedelta

from transforms.publish.charts import Series, count_lines_svg, horizontal_bars_svg, line_chart_svg

DAYS = [date(2020, 3, 1) + timedelta(days=n) for n in range(6)]


def test_a_missing_day_splits_the_line():
    svg = line_chart_svg(
        "复工率", DAYS, [Series("复工率", [0.1, 0.2, None, 0.4, 0.5, 0.6], "#000")]
    )
    lines = re.findall(r'<polyline class="series" points="([^"]+)"', svg)
    assert [len(points.split()) for points in lines] == [2, 3]


def test_a_lone_day_between_gaps_is_a_dot():
    svg = line_chart_svg("x", DAYS, [Series("x", [None, 0.5, None, None, None, None], "#123456")])
    assert "<polyline" not in svg
    dots = re.findall(r'<circle cx="([\d.]+)"[^>]*fill="#123456"', svg)
    assert len(dots) == 2 and dots[0] == dots[1]  # the lone day, and the end marker on it


def test_close_end_values_get_labels_apart():
    svg = line_chart_svg(
        "x",
        DAYS,
        [Series("a", [0.5] * 6, "#111111"), Series("b", [0.501] * 6, "#222222")],
    )
    label_y = [float(y) for y in re.findall(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>50\.\d%', svg)]
    assert len(label_y) == 2 and abs(label_y[0] - label_y[1]) >= 11


def test_labels_are_escaped_and_the_markup_is_stable():
    svg = horizontal_bars_svg("<b>缺口</b>", ["甲&乙"], [3.0])
    assert "<b>" not in svg and "&lt;b&gt;缺口" in svg and "甲&amp;乙" in svg
    assert svg == horizontal_bars_svg("<b>缺口</b>", ["甲&乙"], [3.0])


def test_negative_bars_grow_left_of_zero_and_missing_ones_say_so():
    svg = horizontal_bars_svg("同比", ["甲", "乙", "丙"], [5.0, -5.0, None])
    zero = float(re.search(r'<line x1="([\d.]+)"', svg).group(1))
    (up_x, up_w), (down_x, down_w) = [
        (float(x), float(w))
        for x, w in re.findall(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    ]
    assert up_x == zero and down_x + down_w == zero and up_w == down_w
    assert "无数据" in svg


def test_counts_get_a_whole_number_axis_and_their_own_end_labels():
    svg = count_lines_svg(
        "困难类型", DAYS, [("口罩", [3, 5, 6, 2, 1, 1]), ("用工", [0, 0, 1, 1, 0, 0])]
    )
    ticks = re.findall(r'text-anchor="end"[^>]*>(\d+)</text>', svg)
    assert ticks == ["0", "2", "4", "6", "8"]  # up to 8: the multiple of 4 at or above 6
    assert ">1</text>" in svg and ">0</text>" in svg  # each line's last value, as a count
    assert "%" not in svg


def test_an_empty_count_chart_still_has_an_axis():
    svg = count_lines_svg("困难类型", DAYS, [])
    assert re.findall(r'text-anchor="end"[^>]*>(\d+)</text>', svg) == ["0", "1", "2", "3", "4"]
