"""ECharts options for the console's charts: every chart has a title and its unit (subtitle and axis).

Options are plain dicts, serialised into the chart element's `data-option` attribute (escaped) that
`static/console.js` reads (no inline script: the CSP forbids it). Values are Decimals (JSON numbers).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tongchou.funds.documents import value_axis as funds_value_axis
from tongchou.funds.documents import dumps
from markupsafe import Markup

PALETTE = ["#2f6fb0", "#c23531", "#2f8f4e", "#d48265", "#6e7074", "#546570"]


def bar(title: str, unit: str, categories: list[str], series: list[tuple[str, list[Any]]],
        *, mark_line: tuple[str, Decimal] | None = None, horizontal: bool = False) -> dict[str, Any]:
    chart_series = [{"name": name, "type": "bar", "data": values, "label": {"show": len(categories) <= 8,
                                                                             "position": "right" if horizontal else "top"}}
                    for name, values in series]
    if mark_line is not None and chart_series:
        label, value = mark_line
        chart_series[0]["markLine"] = {"symbol": "none", "data": [{"yAxis" if not horizontal else "xAxis": value,
                                                                  "name": label}],
                                       "label": {"formatter": "{b} {c}" + unit, "position": "insideEndTop"}}
    category_axis = {"type": "category", "data": categories, "axisLabel": {"interval": 0}}
    value_axis = funds_value_axis(unit, series, None if mark_line is None else mark_line[1])
    return {
        "color": PALETTE,
        "title": {"text": title, "subtext": f"单位：{unit}", "left": "center", "textStyle": {"fontSize": 15}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 58},
        "grid": {"top": 96, "left": 90 if horizontal else 64, "right": 40, "bottom": 40, "containLabel": True},
        "xAxis": value_axis if horizontal else category_axis,
        "yAxis": category_axis if horizontal else value_axis,
        "series": chart_series,
        "animation": False,
    }


def as_json(option: dict[str, Any]) -> Markup:
    """The option as JSON text (the template escapes it into an attribute)."""
    return Markup(dumps(option, indent=None).replace("</", "<\\/"))
