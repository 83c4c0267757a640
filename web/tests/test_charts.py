"""The server-drawn SVG bar chart: whole-number grid, every bar, labels that fit, names escaped, no inline style."""
from __future__ import annotations

import re

from web.charts import _nice_top, bar_chart


def test_the_axis_top_is_a_round_number_at_least_the_largest_value() -> None:
    assert [_nice_top(v) for v in (0, 3, 6, 10, 11, 199, 201, 4999)] == [5, 5, 10, 10, 20, 200, 500, 5000]


def test_a_month_of_days_draws_a_bar_each_with_a_few_labels_and_whole_grid_values() -> None:
    series = [(f"2026-11-{day:02d}", day) for day in range(1, 31)]

    svg = str(bar_chart(series, "每日耗用量：<发票识别>"))

    assert svg.count('<rect class="bar"') == 30 and "<title>2026-11-30: 30</title>" in svg
    assert re.findall(r'text-anchor="end">(\d+)</text>', svg) == ["0", "10", "20", "30", "40", "50"]
    labels = re.findall(r'text-anchor="(?:middle|end)">(\d\d-\d\d)</text>', svg)
    assert 4 <= len(labels) <= 7 and labels[-1] == "11-30"
    assert "&lt;发票识别&gt;" in svg and 'role="img"' in svg and "style=" not in svg


def test_no_days_draws_an_empty_grid() -> None:
    svg = str(bar_chart([], "nothing"))

    assert '<rect class="bar"' not in svg and svg.count('<line class="grid"') == 6
