"""What `tongchou.funds` renders, in Chinese: the fund operation report and the fund's statements.

- The fund operation report as bureaus write it (seed 004 篇8): `build_view` turns the report
  structure (`tongchou.funds.operation`) into sections of Chinese prose and tables — 筹资情况, 就诊人次,
  基金使用情况, 住院次均费用, 同比分析 (with a comparison period), 全年基金支出预测, 预警 — which the
  console's page, the HTML report (`render_html`: one self-contained page, ECharts inlined through the
  shared `tongchou.documents.load_echarts`, nothing loaded from the network) and the Markdown report lay
  out, so all say exactly the same thing. Markdown is the shared document model's (`tongchou.documents`):
  `fund_operation_document` builds the `Document`, one per scheme. JSON (`render_json`) writes the report
  structure itself with every Decimal digit kept (the shared writer), never a float.
- The fund's statements from the store: balances (基金余额表), budget execution (预算执行情况表),
  final accounts (基金决算表), the monthly close (月结) and the risk adjustment fund's statement
  (风险调剂金收支表). Each is a shared `Document` (`fund_statement`): meta lines, one table (what a person
  reads, amounts in 元 with two decimals and thousands separators, rates in %) and its notes, and in the
  payload ``data`` (the same figures for programs: amounts in fen, rates as unrounded decimal strings)
  and ``unit``; `tongchou.documents.render` lays any of them out as Markdown, HTML or JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

import tongchou
from tongchou import documents as shared
from tongchou.funds import risk_adjustment as ra
from tongchou.funds import wording as w
from tongchou.funds.budget import POOL, BudgetLine, CloseRow, Execution, FinalAccounts, drafting_check
from tongchou.funds.operation import ADMIN_TIERS, EMPLOYEE, RESIDENT, SCHEME_NAMES, TIER_GROUPS
from tongchou.funds.subledger import Flows
from tongchou.ledger.accounts import FUND_NAMES, TITLE_NAMES, Fund, Title
from tongchou.ledger.figures import FundFigures
from tongchou.money import fen_to_str


# =========================================================================== the fund operation report

SECTION_NUMBERS = "一二三四五六七八九十"
# Earmarked items that stay with the fund's own books rather than going to an insurer: where they go.
KEPT_BY_FUND = {"personal_account": "不进入统筹基金", "critical_illness_fund": "转入本统筹区大病保险基金"}


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # chart ids (HTML only)


@dataclass
class ReportView:
    title: str
    subtitle: str
    sections: list[Section]


def _dates(section: Mapping[str, Any]) -> tuple[date, date]:
    return date.fromisoformat(section["from"]), date.fromisoformat(section["to"])


def labels(report: Mapping[str, Any]) -> tuple[str, str | None]:
    """The period's label and the comparison's (e.g. 2018年上半年, 2017年同期)."""
    current = _dates(report["period"])
    label = w.period_label(*current)
    if "compare" not in report:
        return label, None
    return label, w.comparison_label(current, _dates(report["compare"]["period"]))


def shown_tiers(report: Mapping[str, Any]) -> list[str]:
    """Tiers with admissions in either period (all known tiers if none has any)."""
    tiers = list(report["inpatient"]["by_tier"])
    previous = report.get("compare", {}).get("inpatient", {}).get("by_tier", {})
    used = [t for t in tiers if report["inpatient"]["by_tier"][t]["count"] or previous.get(t, {}).get("count")]
    return used or [t for t in tiers if t in ADMIN_TIERS]


def shown_groups(report: Mapping[str, Any]) -> list[str]:
    """Groupings worth a line: more than one of their tiers has admissions."""
    tiers = set(shown_tiers(report))
    return [group for group, members in TIER_GROUPS.items() if len(tiers & set(members)) > 1]


def _joined(clauses: list[str]) -> str:
    return "；".join(clauses)


# --------------------------------------------------------------------------- 筹资情况


def funding_section(report: Mapping[str, Any], year: int) -> Section:
    funding = report["funding"]
    per_capita = funding["per_capita_by_source"]
    sources = "、".join(f"{w.source_name(s)}{w.yuan_text(v)}" for s, v in per_capita.items())
    amounts = "、".join(f"{w.source_name(s)}{w.wan(v)}" for s, v in funding["by_source"].items())
    text = (
        f"{year}年参保人数为{funding['insured']}人，筹资标准为人均{w.yuan_text(funding['per_capita'])}"
        f"（{sources}）；基金总量为{w.wan(funding['total'])}，其中：{amounts}。"
    )
    earmarked = funding["earmarked_by_item"]
    kept = {i: v for i, v in earmarked.items() if i in KEPT_BY_FUND}
    bought = {i: v for i, v in earmarked.items() if i not in KEPT_BY_FUND}
    for item, amount in kept.items():
        text += (f"{w.earmarked_name(item)}人均{w.yuan_text(funding['earmarked_per_capita_by_item'][item])}、"
                 f"计{w.wan(amount)}，{KEPT_BY_FUND[item]}。")
    if bought:
        items = "、".join(
            f"{w.earmarked_name(i)}按人均{w.yuan_text(funding['earmarked_per_capita_by_item'][i])}筹集{w.wan(v)}"
            for i, v in bought.items()
        )
        text += f"{items}，由基金统一划拨承办机构"
        text += f"，合计{w.wan(sum(bought.values()))}。" if len(bought) > 1 else "。"
    text += f"{year}年基金实际可用总量为{w.wan(funding['usable'])}。"
    rows = [[w.source_name(s), w.two_places(per_capita[s]).__str__(), str(w.wan_number(v))]
            for s, v in funding["by_source"].items()]
    rows.append(["筹资合计", str(w.two_places(funding["per_capita"])), str(w.wan_number(funding["total"]))])
    for item, amount in earmarked.items():
        per_head = funding["earmarked_per_capita_by_item"][item]
        rows.append([f"减：{w.earmarked_name(item)}", str(w.two_places(per_head)), str(w.wan_number(amount))])
    rows.append(["可用基金", "", str(w.wan_number(funding["usable"]))])
    table = Table("筹资构成", ["项目", "人均(元)", "金额(万元)"], rows)
    return Section("筹资情况", [text], [table])


# --------------------------------------------------------------------------- 就诊人次


def visits_paragraph(figures: Mapping[str, Any], label: str, tiers: list[str], groups: list[str]) -> str:
    visits, inpatient = figures["visits"], figures["inpatient"]
    by_tier = inpatient["by_tier"]
    tier_clauses = [
        f"{w.tier_name(t)}住院{by_tier[t]['count']}人次，占总住院人次的{w.pct(by_tier[t]['share'])}"
        for t in tiers if by_tier[t]["count"]
    ]
    group_clauses = [
        f"其中{w.tier_name(g)}合计{inpatient['tier_groups'][g]['count']}人次，"
        f"占{w.pct(inpatient['tier_groups'][g]['share'])}"
        for g in groups
    ]
    poverty = inpatient["poverty"]
    text = f"{label}总补偿人次为{visits['all']['count']}人次，住院补偿{visits['inpatient']['count']}人次"
    if tier_clauses:
        text += "，其中：" + _joined(tier_clauses)
    if group_clauses:
        text += "（" + "，".join(group_clauses) + "）"
    text += (
        f"。贫困人口(建档立卡)住院{poverty['count']}人次，占总住院人次的{w.pct(poverty['share'])}。"
        f"普通门诊{visits['general_outpatient']['count']}人次，门诊慢特病{visits['chronic_outpatient']['count']}人次"
    )
    if visits["other"]["count"]:
        text += f"，其他(急诊、购药、生育等){visits['other']['count']}人次"
    return text + "。"


def _with_comparison(paragraph, report: Mapping[str, Any], label: str, compare_label: str | None,
                     tiers: list[str], groups: list[str]) -> list[str]:
    """A section's paragraph for the period, and for the period compared with when there is one."""
    paragraphs = [paragraph(report, label, tiers, groups)]
    if report.get("compare") is not None:
        paragraphs.append(paragraph(report["compare"], compare_label or "", tiers, groups))
    return paragraphs


def visits_section(report: Mapping[str, Any], label: str, compare_label: str | None) -> Section:
    tiers, groups = shown_tiers(report), shown_groups(report)
    previous = report.get("compare")
    paragraphs = _with_comparison(visits_paragraph, report, label, compare_label, tiers, groups)
    header = ["类别", f"{label}人次", "占住院人次"]
    if previous is not None:
        header += [f"{compare_label}人次", "占住院人次", "增减人次", "增长率"]

    def row(name: str, path: tuple[str, ...], share: bool) -> list[str]:
        now = _get(report, path)
        cells = [name, str(now["count"]), w.pct(now["share"]) if share else ""]
        if previous is not None:
            old, change = _get(previous, path), _get(report["change"], path)["count"]
            cells += [str(old["count"]), w.pct(old["share"]) if share else "", _signed(change["delta"]),
                      w.pct(change["growth"])]
        return cells

    rows = [row("总补偿人次", ("visits", "all"), False), row("住院", ("visits", "inpatient"), False)]
    rows += [row(f"　{w.tier_name(t)}", ("inpatient", "by_tier", t), True) for t in tiers]
    rows += [row(f"　（{w.tier_name(g)}）", ("inpatient", "tier_groups", g), True) for g in groups]
    rows.append(row("　贫困人口(建档立卡)住院", ("inpatient", "poverty"), True))
    rows.append(row("普通门诊", ("visits", "general_outpatient"), False))
    rows.append(row("门诊慢特病", ("visits", "chronic_outpatient"), False))
    if report["visits"]["other"]["count"] or (previous and previous["visits"]["other"]["count"]):
        rows.append(row("其他(急诊、购药、生育等)", ("visits", "other"), False))
    return Section("就诊人次", paragraphs, [Table("就诊人次", header, rows)], ["inpatient_by_tier"])


# --------------------------------------------------------------------------- 基金使用情况


def fund_paragraph(figures: Mapping[str, Any], label: str, tiers: list[str], groups: list[str]) -> str:
    paid, of_spending = figures["fund_paid"], figures["fund_paid_share_of_spending"]
    usable = figures.get("funding", {}).get("usable")

    def of_usable(amount: Decimal) -> str:
        return "" if not usable else f"，占可用基金总量的{w.pct(amount / usable)}"

    text = f"{label}基金支出{w.wan(paid['all'])}{of_usable(paid['all'])}。其中："
    parts = [
        f"{w.VISIT_TYPE_NAMES[t]}基金支出{w.wan(paid[t])}{of_usable(paid[t])}，占基金支出的{w.pct(of_spending[t])}"
        for t in ("inpatient", "general_outpatient", "chronic_outpatient", "other") if paid[t] or t != "other"
    ]
    by_tier = figures["inpatient"]["by_tier"]
    parts += [f"{w.tier_name(t)}住院基金支出{w.wan(by_tier[t]['fund_paid'])}{of_usable(by_tier[t]['fund_paid'])}"
              for t in tiers if by_tier[t]["count"]]
    parts += [f"{w.tier_name(g)}合计{w.wan(figures['inpatient']['tier_groups'][g]['fund_paid'])}"
              f"{of_usable(figures['inpatient']['tier_groups'][g]['fund_paid'])}" for g in groups]
    poverty = figures["inpatient"]["poverty"]
    parts.append(f"贫困人口(建档立卡)住院基金支出{w.wan(poverty['fund_paid'])}")
    return text + _joined(parts) + "。"


def fund_section(report: Mapping[str, Any], label: str, compare_label: str | None) -> Section:
    tiers, groups = shown_tiers(report), shown_groups(report)
    previous = report.get("compare")
    paragraphs = _with_comparison(fund_paragraph, report, label, compare_label, tiers, groups)
    has_usable = "funding" in report
    header = ["类别", f"{label}基金支出(万元)"] + (["占可用基金"] if has_usable else []) + ["占基金支出"]
    if previous is not None:
        header += [f"{compare_label}(万元)", "增减(万元)", "增长率"]
    paid_all = report["fund_paid"]["all"]

    def row(name: str, path: tuple[str, ...]) -> list[str]:
        amount = _get(report, path)
        cells = [name, str(w.wan_number(amount))]
        if has_usable:
            cells.append(w.pct(amount / report["funding"]["usable"]) if report["funding"]["usable"] else "—")
        cells.append(w.pct(amount / paid_all) if paid_all else "—")
        if previous is not None:
            change = _get(report["change"], path)
            cells += [str(w.wan_number(_get(previous, path))), _signed(w.wan_number(change["delta"])),
                      w.pct(change["growth"])]
        return cells

    rows = [row("基金支出合计", ("fund_paid", "all"))]
    rows += [row(w.VISIT_TYPE_NAMES[t], ("fund_paid", t))
             for t in ("inpatient", "general_outpatient", "chronic_outpatient", "other")
             if t != "other" or report["fund_paid"]["other"] or (previous and previous["fund_paid"]["other"])]
    rows += [row(f"　{w.tier_name(t)}住院", ("inpatient", "by_tier", t, "fund_paid")) for t in tiers]
    rows += [row(f"　（{w.tier_name(g)}）", ("inpatient", "tier_groups", g, "fund_paid")) for g in groups]
    rows.append(row("　贫困人口(建档立卡)住院", ("inpatient", "poverty", "fund_paid")))
    charts = ["fund_paid_by_type", "fund_paid_by_tier"]
    return Section("基金使用情况", paragraphs, [Table("基金支出", header, rows)], charts)


# --------------------------------------------------------------------------- 住院次均费用


def average_paragraph(figures: Mapping[str, Any], label: str, tiers: list[str], groups: list[str]) -> str:
    inpatient = figures["inpatient"]
    parts = [f"{w.tier_name(t)}住院次均费用{w.per_visit(inpatient['by_tier'][t]['avg_medfee'])}"
             for t in tiers if inpatient["by_tier"][t]["count"]]
    parts += [f"{w.tier_name(g)}住院次均费用{w.per_visit(inpatient['tier_groups'][g]['avg_medfee'])}" for g in groups]
    text = f"{label}住院次均费用为{w.per_visit(inpatient['avg_medfee'])}"
    if parts:
        text += "，其中：" + "，".join(parts)
    chronic = figures["visits"]["chronic_outpatient"]["avg_medfee"]
    return text + f"；门诊慢特病次均费用{w.per_visit(chronic)}。"


def average_section(report: Mapping[str, Any], label: str, compare_label: str | None) -> Section:
    tiers, groups = shown_tiers(report), shown_groups(report)
    previous = report.get("compare")
    paragraphs = _with_comparison(average_paragraph, report, label, compare_label, tiers, groups)
    header = ["类别", f"{label}(元/人次)"]
    if previous is not None:
        header += [f"{compare_label}(元/人次)", "增减(元)", "增长率"]

    def row(name: str, path: tuple[str, ...]) -> list[str]:
        average = _get(report, path)
        cells = [name, _amount(average)]
        if previous is not None:
            change = _get(report["change"], path)
            cells += [_amount(_get(previous, path)), _signed(change["delta"]), w.pct(change["growth"])]
        return cells

    rows = [row("住院", ("inpatient", "avg_medfee"))]
    rows += [row(f"　{w.tier_name(t)}", ("inpatient", "by_tier", t, "avg_medfee")) for t in tiers]
    rows += [row(f"　（{w.tier_name(g)}）", ("inpatient", "tier_groups", g, "avg_medfee")) for g in groups]
    rows.append(row("　贫困人口(建档立卡)", ("inpatient", "poverty", "avg_medfee")))
    rows.append(row("普通门诊", ("visits", "general_outpatient", "avg_medfee")))
    rows.append(row("门诊慢特病", ("visits", "chronic_outpatient", "avg_medfee")))
    return Section("住院次均费用", paragraphs, [Table("次均费用", header, rows)], ["avg_medfee_by_tier"])


# --------------------------------------------------------------------------- 同比分析


def _change_clause(name: str, change: Mapping[str, Any], unit: str, *, wan_amount: bool = False) -> str:
    delta = change["delta"]
    if delta is None:
        return f"{name}无可比数据"
    size = w.wan_number(abs(delta)) if wan_amount else (w.two_places(abs(delta)) if isinstance(delta, Decimal)
                                                         else abs(delta))
    verb = "增加" if delta >= 0 else "减少"
    growth = "" if change["growth"] is None else f"，{'增长' if delta >= 0 else '下降'}{w.pct(abs(change['growth']))}"
    return f"{name}{verb}{size}{unit}{growth}"


def comparison_section(report: Mapping[str, Any], label: str, compare_label: str) -> Section:
    change, tiers = report["change"], shown_tiers(report)
    visit_parts = [
        _change_clause("总补偿人次", change["visits"]["all"]["count"], "人次"),
        _change_clause("住院补偿人次", change["visits"]["inpatient"]["count"], "人次"),
    ]
    visit_parts += [_change_clause(f"{w.tier_name(t)}住院", change["inpatient"]["by_tier"][t]["count"], "人次")
                    for t in tiers]
    visit_parts += [
        _change_clause("贫困人口(建档立卡)住院", change["inpatient"]["poverty"]["count"], "人次"),
        _change_clause("普通门诊", change["visits"]["general_outpatient"]["count"], "人次"),
        _change_clause("门诊慢特病", change["visits"]["chronic_outpatient"]["count"], "人次"),
    ]
    fund_parts = [_change_clause("基金支出", change["fund_paid"]["all"], "万元", wan_amount=True)]
    fund_parts += [_change_clause(f"{w.VISIT_TYPE_NAMES[t]}基金支出", change["fund_paid"][t], "万元", wan_amount=True)
                   for t in ("inpatient", "general_outpatient", "chronic_outpatient")]
    fund_parts += [_change_clause(f"{w.tier_name(t)}住院基金支出", change["inpatient"]["by_tier"][t]["fund_paid"],
                                  "万元", wan_amount=True) for t in tiers]
    fund_parts.append(_change_clause("贫困人口(建档立卡)住院基金支出", change["inpatient"]["poverty"]["fund_paid"],
                                     "万元", wan_amount=True))
    average_parts = [_change_clause("住院次均费用", change["inpatient"]["avg_medfee"], "元")]
    average_parts += [_change_clause(f"{w.tier_name(t)}住院次均费用", change["inpatient"]["by_tier"][t]["avg_medfee"],
                                     "元") for t in tiers]
    average_parts.append(_change_clause("门诊慢特病次均费用", change["visits"]["chronic_outpatient"]["avg_medfee"], "元"))
    paragraphs = [
        f"{label}与{compare_label}相比：" + "；".join(visit_parts) + "。",
        "基金支出方面：" + "；".join(fund_parts) + "。",
        "次均费用方面：" + "；".join(average_parts) + "。",
    ]
    if "funding" in change:
        paragraphs.append("筹资方面：" + "；".join([
            _change_clause("参保人数", change["funding"]["insured"], "人"),
            _change_clause("可用基金", change["funding"]["usable"], "万元", wan_amount=True),
        ]) + "。")
    return Section("同比分析", paragraphs)


# --------------------------------------------------------------------------- 预测与预警


def projection_section(report: Mapping[str, Any]) -> Section:
    projection, usable = report["projection"], report["funding"]["usable"]
    end = _dates(report["period"])[1]
    text = (
        f"截至{end.year}年{end.month}月{end.day}日，时间进度为{w.pct(report['period']['time_progress'])}，基金支出进度(基金支出占可用基金)为"
        f"{w.pct(report['spending_progress'])}。按当前支出进度测算，全年基金支出将达到"
        f"{w.wan(projection['full_year_fund_paid'])}，为可用基金的{w.pct(projection['full_year_share'])}"
    )
    if projection["overrun"] > 0:
        excess = projection["full_year_share"] - 1
        text += f"，超支{w.points(excess)}个百分点，约{w.wan(projection['overrun'])}。"
    else:
        text += f"，预计结余{w.wan(usable - projection['full_year_fund_paid'])}。"
    text += f"人均基金支出{w.yuan_text(report['per_capita_fund_paid'])}，住院率{w.pct(report['inpatient']['admission_rate'])}。"
    rows = [
        ["时间进度", w.pct(report["period"]["time_progress"])],
        ["基金支出进度", w.pct(report["spending_progress"])],
        ["全年预计基金支出(万元)", str(w.wan_number(projection["full_year_fund_paid"]))],
        ["占可用基金", w.pct(projection["full_year_share"])],
        ["预计超支(万元)", str(w.wan_number(projection["overrun"]))],
    ]
    return Section("全年基金支出预测", [text], [Table("全年预测", ["指标", "数值"], rows)], ["progress"])


INDICATOR_NAMES = {
    "spending_progress": "支出进度与时间进度",
    "projection": "全年支出预测",
    "inpatient_avg_medfee_growth": "住院次均费用增长",
    "spending_vs_funding_growth": "基金支出增长与筹资增长",
}


def warnings_section(report: Mapping[str, Any]) -> Section:
    warnings = report.get("warnings", [])
    if not warnings:
        return Section("预警", ["本期无可计算的预警指标(需要筹资数据或对比期间)。"])
    rows = [[INDICATOR_NAMES.get(item["indicator"], item["indicator"]),
             "全部" if item["scope"] == "all" else w.tier_name(item["scope"]),
             w.STATUS_NAMES[item["status"]], item["reason"]] for item in warnings]
    alarms = [item for item in warnings if item["status"] == "alarm"]
    summary = (
        f"共{len(warnings)}项指标，其中预警{len(alarms)}项、关注"
        f"{sum(1 for item in warnings if item['status'] == 'watch')}项。"
    )
    if alarms:
        summary += "基金运行存在较大风险：" + "；".join(item["reason"] for item in alarms) + "。"
    return Section("预警", [summary], [Table("预警指标", ["指标", "范围", "状态", "说明"], rows)])


# --------------------------------------------------------------------------- the whole view


def build_view(report: Mapping[str, Any]) -> ReportView:
    label, compare_label = labels(report)
    start, end = _dates(report["period"])
    name = (report.get("region") or {}).get("name") or ""
    county = (report.get("region") or {}).get("county_admdvs")
    sections: list[Section] = []
    if "funding" in report:
        sections.append(funding_section(report, end.year))
    sections += [visits_section(report, label, compare_label), fund_section(report, label, compare_label),
                 average_section(report, label, compare_label)]
    if compare_label is not None:
        sections.append(comparison_section(report, label, compare_label))
    if "projection" in report:
        sections.append(projection_section(report))
    sections.append(warnings_section(report))
    for number, section in zip(SECTION_NUMBERS, sections):
        section.title = f"{number}、{section.title}"
    scheme = report.get("insutype", RESIDENT)
    subtitle = f"险种：{SCHEME_NAMES.get(scheme, scheme)}（{scheme}）；统计期间：{start.isoformat()}至{end.isoformat()}（{label}）"
    if compare_label is not None:
        old_start, old_end = _dates(report["compare"]["period"])
        subtitle += f"；对比期间：{old_start.isoformat()}至{old_end.isoformat()}（{compare_label}）"
    if county:
        subtitle += f"；参保地县区：{county}"
    scheme_word = "职工" if scheme == EMPLOYEE else ""
    return ReportView(f"{name}{scheme_word}医保基金运行情况分析（{label}）", subtitle, sections)


def _get(tree: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _amount(value: Decimal | None) -> str:
    return "—" if value is None else str(w.two_places(value))


def _signed(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else str(value)


# --------------------------------------------------------------------------- Markdown (the shared model)


def fund_operation_document(report: Mapping[str, Any]) -> shared.Document:
    """One scheme's report as the shared document model (charts are the HTML page's; their figures are
    in the tables beside them)."""
    view = build_view(report)
    sections = tuple(
        shared.Section(section.title, (*(shared.Paragraph(p) for p in section.paragraphs),
                                        *(shared.Table(t.caption, t.header, t.rows) for t in section.tables)))
        for section in view.sections)
    return shared.Document(view.title, shared.DocumentMeta(), sections, subtitle=view.subtitle)


def schemes_in_order(report: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The report's own scheme first, then every other scheme of `by_scheme`, each a report of its own."""
    others = [r for insutype, r in report.get("by_scheme", {}).items() if insutype != report.get("insutype")]
    return [report, *others]


def render_markdown(report: Mapping[str, Any]) -> str:
    return "\n".join(shared.to_markdown(fund_operation_document(scheme)) for scheme in schemes_in_order(report))


# --------------------------------------------------------------------------- JSON


def _no_float(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("a float reached the report; amounts and ratios must be Decimal")
    if isinstance(value, Mapping):
        for item in value.values():
            _no_float(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _no_float(item)


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON with every Decimal digit kept (the shared documents' writer); a float is refused."""
    _no_float(value)
    return shared.json_text(value, indent)


def render_json(report: Mapping[str, Any]) -> str:
    return dumps(report) + "\n"


# --------------------------------------------------------------------------- the HTML page with charts

ECHARTS_PATH = Path(tongchou.__file__).parent / "web" / "static" / "echarts.min.js"


def inline_script(text: str) -> Markup:
    """Script text safe inside <script>…</script> (the shared documents' rule), for the Jinja page."""
    return Markup(shared.inline_script(text))
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
        "grid": {"top": 100, "left": 70, "right": 30, "bottom": 30, "containLabel": True},
        "xAxis": shared.category_axis(categories),
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
    echarts = shared.load_echarts(echarts_path or ECHARTS_PATH)
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


# =========================================================================== the fund's statements from the store

def fund_name(fund: str) -> str:
    try:
        return FUND_NAMES[Fund(fund)]
    except ValueError:
        return fund


def scope_name(county: str, names: Mapping[str, str]) -> str:
    if county == POOL:
        return "全统筹区"
    return f"{names.get(county, county)}（{county}）" if county in names else county


def yuan(fen: int) -> str:
    return fen_to_str(fen, grouping=True)


def pct(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{(rate * 100).quantize(Decimal('0.01'))}%"


def rate_data(rate: Decimal | None) -> str | None:
    return None if rate is None else str(rate)


def flows_data(flows: Flows) -> dict[str, int]:
    return {"opening": flows.opening, "revenue": flows.revenue, "expenditure": flows.expenditure,
            "transfers_in": flows.transfers_in, "transfers_out": flows.transfers_out, "closing": flows.closing,
            "current_surplus": flows.current_surplus}


UNIT = "元"
# The statements' columns of words; every other column holds amounts, rates or counts (right-aligned).
TEXT_COLUMNS = frozenset({"基金", "范围", "区县", "项目", "编制说明", "说明"})


def fund_statement(title: str, meta: Mapping[str, str], columns: list[str], rows: list[list[str]], data: Any,
                   notes: Iterable[str] = ()) -> shared.Document:
    """A statement as the shared document model: one table, its notes, and `data` (the same figures for
    programs, amounts in fen) in the JSON payload beside `unit`."""
    numeric = tuple(column not in TEXT_COLUMNS for column in columns)
    blocks: list[shared.Block] = ([shared.Table("", columns, rows, numeric)] if rows
                                  else [shared.Paragraph("无数据。")])
    blocks += [shared.Notice("info", note) for note in notes]
    return shared.Document(title, shared.DocumentMeta(fields=tuple(meta.items())), (shared.Section("", blocks),),
                           subtitle=f"单位：{UNIT}", payload={"unit": UNIT, "data": data})


def with_payload(doc: shared.Document, **extra: Any) -> shared.Document:
    """The statement with further figures for programs (e.g. the entries an allocation posted)."""
    return replace(doc, payload={**doc.payload, **extra})


# ---------------------------------------------------------------- balances

def balances_document(rows: Mapping[tuple[str, str], FundFigures], on: str, names: Mapping[str, str]
                      ) -> shared.Document:
    columns = ["基金", "范围", "累计结余", "其中定期存款", "存量基金（未移交）", "本年收入", "本年支出", "转入", "转出"]
    table, data = [], []
    for (fund, county), f in rows.items():
        table.append([fund_name(fund), scope_name(county, names), yuan(f.balance), yuan(f.deposit), yuan(f.legacy),
                      yuan(f.revenue), yuan(f.expenditure), yuan(f.flows.transfers_in), yuan(f.flows.transfers_out)])
        data.append({"fund": fund, "county": county, "balance_fen": f.balance, "deposit_fen": f.deposit,
                     "legacy_fen": f.legacy, **{f"{k}_fen": v for k, v in flows_data(f.flows).items()},
                     "revenue_by_title": dict(f.revenue_by_title), "expenditure_by_title": dict(f.expenditure_by_title)})
    return fund_statement("基金余额表", {"截至": on}, columns, table, data,
                    ["累计结余 = 银行存款 + 定期存款 − 应付定点医药机构 − 质量保证金 ± 承办保险机构往来 − 个人账户；"
                     "存量基金未移交前不计入统筹基金结余。"])


# ---------------------------------------------------------------- budget

def budget_document(lines: list[BudgetLine], year: int, names: Mapping[str, str]) -> shared.Document:
    columns = ["基金", "区县", "收入预算", "支出预算", "预算结余", "编制说明"]
    table = [[fund_name(l.fund), scope_name(l.county, names), yuan(l.revenue), yuan(l.expenditure), yuan(l.surplus),
              drafting_check(l)] for l in lines]
    data = [{"year": l.year, "fund": l.fund, "county": l.county, "revenue_fen": l.revenue,
             "expenditure_fen": l.expenditure} for l in lines]
    return fund_statement(f"{year}年基金收支预算", {"年度": str(year)}, columns, table, data)


def execution_document(rows: list[Execution], names: Mapping[str, str]) -> shared.Document:
    if not rows:
        return fund_statement("预算执行情况表", {}, [], [], [])
    first = rows[0]
    columns = ["范围", "收入预算", "累计收入", "收入执行率", "支出预算", "累计支出", "支出执行率", "时间进度", "支出进度差"]
    table, data = [], []
    for e in rows:
        table.append([scope_name(e.county, names), yuan(e.plan_revenue), yuan(e.actual_revenue), pct(e.revenue_rate),
                      yuan(e.plan_expenditure), yuan(e.actual_expenditure), pct(e.expenditure_rate),
                      pct(e.time_progress), pct(e.spending_gap)])
        data.append({"county": e.county, "plan_revenue_fen": e.plan_revenue, "actual_revenue_fen": e.actual_revenue,
                     "revenue_rate": rate_data(e.revenue_rate), "plan_expenditure_fen": e.plan_expenditure,
                     "actual_expenditure_fen": e.actual_expenditure,
                     "expenditure_rate": rate_data(e.expenditure_rate), "time_progress": str(e.time_progress),
                     "spending_gap": rate_data(e.spending_gap)})
    return fund_statement(f"{first.year}年{fund_name(first.fund)}预算执行情况表（截至{first.month}月）",
                    {"基金": fund_name(first.fund), "年度": str(first.year), "截至月份": str(first.month)},
                    columns, table, data,
                    ["执行率 = 累计实际 ÷ 年度预算；时间进度 = 已过月数 ÷ 12；支出进度差 = 支出执行率 − 时间进度（正数为支出快于时间进度）。"])


def final_accounts_document(rows: list[FinalAccounts], names: Mapping[str, str], closed_to: str | None
                            ) -> shared.Document:
    if not rows:
        return fund_statement("基金决算表", {}, [], [], [])
    first = rows[0]
    columns = ["范围", "年初结余", "本年收入", "收入预算", "收入执行率", "本年支出", "支出预算", "支出执行率", "转入", "转出",
               "当期结余", "当期结余率", "年末累计结余", "可支付月数"]
    table, data = [], []
    for f in rows:
        months = f.months_covered
        table.append([scope_name(f.county, names), yuan(f.flows.opening), yuan(f.flows.revenue), yuan(f.plan_revenue),
                      pct(f.revenue_rate), yuan(f.flows.expenditure), yuan(f.plan_expenditure),
                      pct(f.expenditure_rate), yuan(f.flows.transfers_in), yuan(f.flows.transfers_out),
                      yuan(f.current_surplus), pct(f.current_surplus_ratio), yuan(f.flows.closing),
                      "—" if months is None else f"{months.quantize(Decimal('0.01'))}"])
        data.append({"county": f.county, **{f"{k}_fen": v for k, v in flows_data(f.flows).items()},
                     "plan_revenue_fen": f.plan_revenue, "plan_expenditure_fen": f.plan_expenditure,
                     "revenue_rate": rate_data(f.revenue_rate), "expenditure_rate": rate_data(f.expenditure_rate),
                     "current_surplus_ratio": rate_data(f.current_surplus_ratio),
                     "months_covered": rate_data(months)})
    return fund_statement(f"{first.year}年{fund_name(first.fund)}决算表",
                    {"基金": fund_name(first.fund), "年度": str(first.year), "已月结至": closed_to or "未月结"},
                    columns, table, data,
                    ["当期结余 = 本年收入 − 本年支出（转入转出不计）；年末累计结余 = 年初结余 + 收入 − 支出 + 转入 − 转出；"
                     "可支付月数 = 年末累计结余 ÷（本年支出 ÷ 12）。"])


def close_summary(rows: Mapping[str, list[CloseRow]]) -> dict[str, Any]:
    """What a close records: per fund and scope, the month's flows and the year-to-date execution (fen)."""
    return {fund: [{"county": r.county, "month": flows_data(r.month),
                    "ytd_revenue": r.year_to_date.actual_revenue, "ytd_expenditure": r.year_to_date.actual_expenditure,
                    "plan_revenue": r.year_to_date.plan_revenue, "plan_expenditure": r.year_to_date.plan_expenditure}
                   for r in fund_rows] for fund, fund_rows in rows.items()}


def close_document(month: str, by: str, summary: Mapping[str, list[dict]], names: Mapping[str, str]
                   ) -> shared.Document:
    columns = ["基金", "范围", "月初结余", "本月收入", "本月支出", "转入", "转出", "月末结余", "累计收入", "累计支出"]
    table = []
    for fund, rows in summary.items():
        for r in rows:
            f = r["month"]
            table.append([fund_name(fund), scope_name(r["county"], names), yuan(f["opening"]), yuan(f["revenue"]),
                          yuan(f["expenditure"]), yuan(f["transfers_in"]), yuan(f["transfers_out"]),
                          yuan(f["closing"]), yuan(r["ytd_revenue"]), yuan(r["ytd_expenditure"])])
    return fund_statement(f"{month} 月结", {"月份": month, "月结人": by}, columns, table, dict(summary),
                    [f"月结后，记账日期在 {month} 及以前的凭证一律拒绝；更正记入未结月份。"])


# ---------------------------------------------------------------- risk adjustment

def risk_statement_document(statement: ra.Statement, rule_name: str, holder: str, names: Mapping[str, str]
                            ) -> shared.Document:
    columns = ["项目", "区县", "金额"]
    table = [["年初余额", "", yuan(statement.opening)]]
    table += [["上解收入", scope_name(c, names), yuan(a)] for c, a in statement.remittances.items()]
    table += [["其他收入（利息等）", "", yuan(statement.other_revenue)]]
    table += [["下拨支出", scope_name(c, names), yuan(a)] for c, a in statement.allocations.items()]
    table += [["其他支出", "", yuan(statement.other_expenditure)], ["年末余额", "", yuan(statement.closing)]]
    data = {"year": statement.year, "opening_fen": statement.opening, "remittances_fen": statement.remittances,
            "allocations_fen": statement.allocations, "other_revenue_fen": statement.other_revenue,
            "other_expenditure_fen": statement.other_expenditure, "closing_fen": statement.closing}
    return fund_statement(f"{statement.year}年风险调剂金收支表", {"规则": rule_name, "管理层级": holder}, columns,
                          table, data,
                    ["年末余额 = 年初余额 + 上解收入 + 其他收入 − 下拨支出 − 其他支出。"])


def claims_document(claims: list[ra.Claim], available: int, granted: Mapping[str, int], names: Mapping[str, str]
                    ) -> shared.Document:
    columns = ["区县", "超支额", "可调剂部分", "申请调剂额", "实际下拨", "本级承担", "说明"]
    table, data = [], []
    for c in claims:
        grant = granted.get(c.member, 0)
        table.append([scope_name(c.member, names), yuan(c.overspend), yuan(c.eligible), yuan(c.claim), yuan(grant),
                      yuan(c.overspend - grant), c.reason])
        data.append({"county": c.member, "overspend_fen": c.overspend, "eligible_fen": c.eligible,
                     "claim_fen": c.claim, "granted_fen": grant, "unmet": list(c.unmet), "reason": c.reason})
    return fund_statement("风险调剂金下拨", {"调剂金可用余额": yuan(available)}, columns, table, data)


def title_name(title: str) -> str:
    try:
        return TITLE_NAMES[Title(title)]
    except ValueError:
        return title
