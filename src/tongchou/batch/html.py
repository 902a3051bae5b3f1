"""The harmonisation page (政策测算对比): the simulation summary as a `tongchou.documents.Document`, rendered
as one self-contained Chinese HTML page with ECharts inlined (`to_html`; no CDN).

The summary itself travels in the page's JSON under `summary`.
"""

from __future__ import annotations

from typing import Any

from tongchou.codes import MedType
from tongchou.documents import (
    ECHARTS_PATH as ECHARTS,
    AssetMissingError,
    Chart,
    Document,
    DocumentMeta,
    Paragraph,
    Section,
    Table,
    to_html,
)

__all__ = ["ECHARTS", "AssetMissingError", "render", "simulation_document"]

AMOUNT_NAMES = {
    "medfee_sumamt": "医疗费总额", "inscp_scp_amt": "政策范围内费用", "act_pay_dedc": "起付线",
    "hifp_pay": "统筹基金支付", "cvlserv_pay": "公务员医疗补助", "hifes_pay": "企业补充医疗保险",
    "hifmi_pay": "大病保险支付", "hifob_pay": "职工大额医疗补助", "maf_pay": "医疗救助",
    "oth_pay": "其他支付", "fund_pay_sumamt": "基金支付合计", "psn_part_amt": "个人负担",
}
CHART_HEIGHT = 380


def _bar_chart(title: str, categories: list[str], series: list[dict[str, Any]], unit: str = "元",
               rotate: int = 0) -> Chart:
    axis: dict[str, Any] = {"type": "category", "data": categories}
    if rotate:
        axis["axisLabel"] = {"rotate": rotate}
    option = {"animation": False, "tooltip": {}, "legend": {}, "xAxis": axis,
              "yAxis": {"type": "value", "name": unit}, "series": series}
    return Chart(title, option, CHART_HEIGHT)


def _totals_section(summary: dict[str, Any], names: dict[str, str]) -> Section:
    policies = summary["policies"]
    rows = [["结算笔数"] + [str(summary["by_policy"][p]["all"]["claims"]) for p in policies]]
    rows += [[AMOUNT_NAMES[a]] + [summary["by_policy"][p]["all"][a] for p in policies] for a in AMOUNT_NAMES]
    claims = summary["by_policy"][policies[0]]["all"]["claims"]
    return Section("测算汇总", (
        Paragraph(f"同一批结算数据（{claims}笔）分别按以下政策重放，金额单位：元。"),
        Table("", ["项目"] + [names[p] for p in policies], rows),
    ))


def _funds_section(summary: dict[str, Any], names: dict[str, str]) -> Section:
    funds = ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
    series = [{"type": "bar", "name": names[p], "data": [summary["by_policy"][p]["all"][f] for f in funds]}
              for p in summary["policies"]]
    return Section("基金支付与个人负担", (_bar_chart("基金支付与个人负担", [AMOUNT_NAMES[f] for f in funds], series),))


def _med_type_section(summary: dict[str, Any], names: dict[str, str]) -> Section:
    policies = summary["policies"]
    med_types = sorted({m for p in policies for m in summary["by_policy"][p]["by_med_type"]})
    series = [{"type": "bar", "name": names[p],
               "data": [summary["by_policy"][p]["by_med_type"].get(m, {}).get("hifp_pay", "0") for m in med_types]}
              for p in policies]
    categories = [MedType.label_of(m) for m in med_types]
    return Section("统筹基金支付（按医疗类别）", (_bar_chart("统筹基金支付（按医疗类别）", categories, series),))


def _caps_section(summary: dict[str, Any]) -> Section:
    rows = []
    for data in summary["by_policy"].values():
        for facts in data["policy"]:
            for line in facts["lines"]:
                if line.get("annual_cap") == "absent":
                    cap = line["annual_cap_note"]
                else:
                    cap = "年度限额 " + "、".join(f"{c['name']}{c['amount']}元" for c in line["annual_caps"])
                rows.append([facts["name"], line["name"], cap])
    return Section("年度最高支付限额", (Table("", ["政策", "支付项目", "年度最高支付限额"], rows),))


def _change_section(pid: str, change: dict[str, Any], names: dict[str, str]) -> Section:
    dist = change["person_change"]
    q = dist["quantiles"]
    labels = [f"{b['from'] or '−∞'}~{b['to'] or '+∞'}" for b in dist["histogram"]]
    histogram = _bar_chart(f"个人年度负担变化分布（{names[pid]}）", labels,
                           [{"type": "bar", "name": "人数", "data": [b["persons"] for b in dist["histogram"]]}],
                           unit="人·年", rotate=40)
    return Section(f"{names[pid]} 与 {names[change['against']]} 比较", (
        Table("", ["项目", "变化"], [[AMOUNT_NAMES[a], change["all"][a]] for a in AMOUNT_NAMES]),
        Paragraph(f"个人年度负担减少 {change['persons_better_off']} 人·年，增加 {change['persons_worse_off']} 人·年，"
                  f"不变 {change['persons_unchanged']} 人·年；中位数变化 {q.get('p50')} 元，"
                  f"P10 {q.get('p10')} 元，P90 {q.get('p90')} 元。"),
        histogram,
    ))


def _engine_section(summary: dict[str, Any], names: dict[str, str]) -> Section:
    rows = [[names[p], str(v["persons"]), str(v["claims"])] for p, v in summary["engine_path"].items()]
    return Section("逐笔引擎结算", (
        Paragraph("不能以累计和精确表达的人·年改由结算引擎逐笔结算："),
        Table("", ["政策", "人·年", "笔数"], rows),
    ))


def simulation_document(summary: dict[str, Any], title: str = "医保政策测算对比") -> Document:
    policies = summary["policies"]
    names = {pid: summary["by_policy"][pid]["policy"][0]["name"] for pid in policies}
    sections = [_totals_section(summary, names), _funds_section(summary, names), _med_type_section(summary, names),
                _caps_section(summary)]
    sections += [_change_section(pid, change, names) for pid, change in summary.get("change", {}).items()]
    sections.append(_engine_section(summary, names))
    meta = DocumentMeta(fields=(("政策", "、".join(names[p] for p in policies)),))
    return Document(title, meta, tuple(sections), footer="金额单位：元。", payload={"summary": summary})


def render(summary: dict[str, Any], title: str = "医保政策测算对比") -> str:
    return to_html(simulation_document(summary, title))
