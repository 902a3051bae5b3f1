"""ECharts options for the console's charts: every chart has a title and its unit (subtitle and axis).

Options are plain dicts, serialised into the chart element's `data-option` attribute (escaped) that
`static/console.js` reads (no inline script: the CSP forbids it). Values are Decimals (JSON numbers);
console.js writes every value axis, tooltip and bar label with thousands separators.

Readable at 1366×768: a chart is about `CHART_WIDTH` pixels wide (half the main column); every
category label is shown (`interval: 0`) and turned when the labels would not fit side by side
(`rotate`), and `grid.containLabel` keeps turned labels inside the chart.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from markupsafe import Markup

from tongchou.documents import CHART_WIDTH, category_axis, text_width
from tongchou.funds.documents import dumps
from tongchou.funds.documents import value_axis as funds_value_axis

PALETTE = ["#2f6fb0", "#c23531", "#2f8f4e", "#d48265", "#6e7074", "#546570"]
def legend_rows(names: list[str], width: int = CHART_WIDTH) -> int:
    """How many lines the legend takes (a marker and a gap beside each name)."""
    rows, used = 1, 0
    for name in names:
        item = text_width(name) + 40
        if used and used + item > width:
            rows, used = rows + 1, 0
        used += item
    return rows


def bar(title: str, unit: str, categories: list[str], series: list[tuple[str, list[Any]]],
        *, mark_line: tuple[str, Decimal] | None = None, horizontal: bool = False,
        counts: bool = False) -> dict[str, Any]:
    """A bar chart; `counts`: the values are counts (no fractional ticks)."""
    chart_series = [{"name": name, "type": "bar", "data": values,
                     "label": {"show": len(categories) * len(series) <= 8,
                               "position": "right" if horizontal else "top"}}
                    for name, values in series]
    if mark_line is not None and chart_series:
        label, value = mark_line
        chart_series[0]["markLine"] = {"symbol": "none", "data": [{"yAxis" if not horizontal else "xAxis": value,
                                                                  "name": label}],
                                       "label": {"formatter": "{b} {c}" + unit, "position": "insideEndTop"}}
    value_axis = {**funds_value_axis(unit, series, None if mark_line is None else mark_line[1]),
                  "axisLabel": {"hideOverlap": True}, **({"minInterval": 1} if counts else {})}
    return {
        "color": PALETTE,
        "title": {"text": title, "subtext": f"单位：{unit}", "left": "center", "textStyle": {"fontSize": 15}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 58},
        "grid": {"top": 78 + 22 * legend_rows([name for name, _values in series]), "left": 16, "right": 40,
                 "bottom": 16, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis(categories),
        "yAxis": category_axis(categories, horizontal=True) if horizontal else value_axis,
        "series": chart_series,
        "animation": False,
    }


def as_json(option: dict[str, Any]) -> Markup:
    """The option as JSON text (the template escapes it into an attribute)."""
    return Markup(dumps(option, indent=None).replace("</", "<\\/"))
