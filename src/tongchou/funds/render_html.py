"""The fund operation report as one self-contained web page with ECharts charts.

The page inlines ECharts (`src/tongchou/web/static/echarts.min.js`, copied
from the npm package by `scripts/build-assets.sh`): it loads nothing from the
network. Chart data are written from Decimals as JSON numbers, never via float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import tongchou
from tongchou import documents
from tongchou.documents import load_echarts
from tongchou.funds import wording as w
from tongchou.funds.render_json import dumps
from tongchou.funds.documents import build_view, labels, shown_groups, shown_tiers

ECHARTS_PATH = Path(tongchou.__file__).parent / "web" / "static" / "echarts.min.js"


def inline_script(text: str) -> Markup:
    """Script text safe inside <script>…</script> (the shared documents' rule), for the Jinja page."""
    return Markup(documents.inline_script(text))
TEMPLATES = Path(__file__).parent / "templates"


# --------------------------------------------------------------------------- charts


def axis_max(values: list[Any], mark: Decimal | None) -> int | None:
    """An axis top that shows the mark line when the bars are all below it (ECharts scales to the data only)."""
    numbers = [Decimal(v) for v in values if v is not None]
    if mark is None or (numbers and max(numbers) >= mark):
        return None
    step = 20 if mark > 50 else 10 if mark > 10 else 1
    return int(-(-Decimal(mark) * Decimal("1.1") // step) * step)


def bar_chart(title: str, unit: str, categories: list[str], series: list[tuple[str, list[Any]]],
              *, mark_line: Decimal | None = None) -> dict[str, Any]:
    """An ECharts bar chart option with its title, unit subtitle and y-axis unit."""
    chart_series = []
    for name, values in series:
        label = {"show": True, "position": "top"}
        chart_series.append({"name": name, "type": "bar", "data": values, "label": label})
    if mark_line is not None and chart_series:
        chart_series[0]["markLine"] = {"symbol": "none", "data": [{"yAxis": mark_line, "name": "可用基金"}],
                                       "label": {"formatter": "{b} {c}" + unit, "position": "insideEndTop"}}
    return {
        "title": {"text": title, "subtext": f"单位：{unit}", "left": "center"},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 62},
        "grid": {"top": 100, "left": 70, "right": 30, "bottom": 60},
        "xAxis": {"type": "category", "data": categories, "axisLabel": {"interval": 0}},
        "yAxis": value_axis(unit, series, mark_line),
        "series": chart_series,
    }


def value_axis(unit: str, series: list[tuple[str, list[Any]]], mark_line: Decimal | None) -> dict[str, Any]:
    axis: dict[str, Any] = {"type": "value", "name": unit}
    top = axis_max([v for _, values in series for v in values], mark_line)
    if top is not None:
        axis["max"] = top
    return axis


def _series(report: Mapping[str, Any], label: str, compare_label: str | None,
            pick: Any) -> list[tuple[str, list[Any]]]:
    series = [(label, pick(report))]
    if compare_label is not None:
        series.append((compare_label, pick(report["compare"])))
    return series


def chart_options(report: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    label, compare_label = labels(report)
    tiers = shown_tiers(report)
    groups = shown_groups(report)
    tier_names = [w.tier_name(t) for t in tiers]
    types = ["inpatient", "general_outpatient", "chronic_outpatient", "other"]

    def tier_values(key: str, convert: Any) -> Any:
        return lambda figures: [convert(figures["inpatient"]["by_tier"][t][key]) for t in tiers]

    charts = {
        "inpatient_by_tier": bar_chart(
            "住院人次（按机构级别）", "人次", tier_names, _series(report, label, compare_label, tier_values("count", int))
        ),
        "fund_paid_by_type": bar_chart(
            "基金支出构成", "万元", [w.VISIT_TYPE_NAMES[t] for t in types],
            _series(report, label, compare_label, lambda f: [w.wan_number(f["fund_paid"][t]) for t in types]),
        ),
        "fund_paid_by_tier": bar_chart(
            "住院基金支出（按机构级别）", "万元", tier_names,
            _series(report, label, compare_label, tier_values("fund_paid", w.wan_number)),
        ),
        "avg_medfee_by_tier": bar_chart(
            "住院次均费用（按机构级别）", "元/人次", tier_names + [w.tier_name(g) for g in groups],
            _series(report, label, compare_label, lambda f: [
                None if f["inpatient"]["by_tier"][t]["avg_medfee"] is None
                else w.two_places(f["inpatient"]["by_tier"][t]["avg_medfee"]) for t in tiers
            ] + [None if f["inpatient"]["tier_groups"][g]["avg_medfee"] is None
                 else w.two_places(f["inpatient"]["tier_groups"][g]["avg_medfee"]) for g in groups]),
        ),
    }
    if "projection" in report:
        values = [w.percent_number(report["period"]["time_progress"]), w.percent_number(report["spending_progress"]),
                  w.percent_number(report["projection"]["full_year_share"])]
        charts["progress"] = bar_chart(
            "时间进度、基金支出进度与全年预测", "%", ["时间进度", "基金支出进度", "全年预测占可用基金"],
            [(label, values)], mark_line=Decimal(100),
        )
    return charts


# --------------------------------------------------------------------------- the page


def render_html(report: Mapping[str, Any], echarts_path: Path | None = None) -> str:
    echarts = load_echarts(echarts_path or ECHARTS_PATH)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    template = environment.get_template("fund_operation.html.j2")
    charts = chart_options(report)
    return template.render(
        view=build_view(report),
        charts={chart_id: inline_script(dumps(option, indent=None)) for chart_id, option in charts.items()},
        echarts_js=inline_script(echarts),
        report_json=inline_script(dumps(report, indent=None)),
        status_names=tuple(w.STATUS_NAMES.values()),
    )
