"""The harmonisation page (政策测算对比): the summary as a Chinese HTML page with ECharts inlined.

ECharts comes from `scripts/build-assets.sh` (src/tongchou/web/static/echarts.min.js);
the page is one self-contained file, no CDN.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from tongchou.codes import MedType

ECHARTS = Path(__file__).resolve().parent.parent / "web" / "static" / "echarts.min.js"
AMOUNT_NAMES = {
    "medfee_sumamt": "医疗费总额", "inscp_scp_amt": "政策范围内费用", "act_pay_dedc": "起付线",
    "hifp_pay": "统筹基金支付", "cvlserv_pay": "公务员医疗补助", "hifes_pay": "企业补充医疗保险",
    "hifmi_pay": "大病保险支付", "hifob_pay": "职工大额医疗补助", "maf_pay": "医疗救助",
    "oth_pay": "其他支付", "fund_pay_sumamt": "基金支付合计", "psn_part_amt": "个人负担",
}


class AssetMissing(RuntimeError):
    """echarts.min.js has not been built."""


def echarts_source() -> str:
    if not ECHARTS.is_file():
        raise AssetMissing(f"{ECHARTS} is missing: run `bash scripts/build-assets.sh` to build the HTML assets")
    return ECHARTS.read_text(encoding="utf-8")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cap_notes(summary: dict[str, Any]) -> str:
    items = []
    for pid, data in summary["by_policy"].items():
        for facts in data["policy"]:
            for line in facts["lines"]:
                if line.get("annual_cap") == "absent":
                    items.append(f"<li><b>{escape(facts['name'])}</b>·{escape(line['name'])}："
                                 f"{escape(line['annual_cap_note'])}</li>")
                else:
                    caps = "、".join(f"{c['name']}{c['amount']}元" for c in line["annual_caps"])
                    items.append(f"<li>{escape(facts['name'])}·{escape(line['name'])}：年度限额 {escape(caps)}</li>")
    return "<ul>" + "".join(items) + "</ul>"


def _chart(div: str, option: dict[str, Any]) -> str:
    option = {"animation": False, **option}
    return (f'<div id="{div}" class="chart"></div><script>echarts.init(document.getElementById("{div}"))'
            f".setOption({json.dumps(option, ensure_ascii=False)});</script>")


def render(summary: dict[str, Any], title: str = "医保政策测算对比") -> str:
    policies = summary["policies"]
    names = {pid: summary["by_policy"][pid]["policy"][0]["name"] for pid in policies}
    totals = [[AMOUNT_NAMES[a]] + [summary["by_policy"][p]["all"][a] for p in policies] for a in AMOUNT_NAMES]
    totals.insert(0, ["结算笔数"] + [str(summary["by_policy"][p]["all"]["claims"]) for p in policies])
    funds = ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
    bar = {"tooltip": {}, "legend": {}, "xAxis": {"type": "category", "data": [AMOUNT_NAMES[f] for f in funds]},
           "yAxis": {"type": "value", "name": "元"},
           "series": [{"type": "bar", "name": names[p], "data": [summary["by_policy"][p]["all"][f] for f in funds]}
                      for p in policies]}
    med_types = sorted({m for p in policies for m in summary["by_policy"][p]["by_med_type"]})
    by_med = {"tooltip": {}, "legend": {}, "yAxis": {"type": "value", "name": "元"},
              "xAxis": {"type": "category", "data": [MedType.label_of(m) for m in med_types]},
              "series": [{"type": "bar", "name": names[p],
                          "data": [summary["by_policy"][p]["by_med_type"].get(m, {}).get("hifp_pay", "0")
                                   for m in med_types]} for p in policies]}
    parts = [f"<h1>{escape(title)}</h1>",
             f"<p>同一批结算数据（{summary['by_policy'][policies[0]]['all']['claims']}笔）分别按以下政策重放，"
             f"金额单位：元。</p>", _table(["项目"] + [names[p] for p in policies], totals),
             "<h2>基金支付与个人负担</h2>", _chart("funds", bar),
             "<h2>统筹基金支付（按医疗类别）</h2>", _chart("medtype", by_med),
             "<h2>年度最高支付限额</h2>", _cap_notes(summary)]
    for index, (pid, change) in enumerate(summary.get("change", {}).items()):
        dist = change["person_change"]
        labels = [f"{b['from'] or '−∞'}~{b['to'] or '+∞'}" for b in dist["histogram"]]
        hist = {"tooltip": {}, "xAxis": {"type": "category", "data": labels, "axisLabel": {"rotate": 40}},
                "yAxis": {"type": "value", "name": "人·年"},
                "series": [{"type": "bar", "name": "人数", "data": [b["persons"] for b in dist["histogram"]]}]}
        q = dist["quantiles"]
        parts += [f"<h2>{escape(names[pid])} 与 {escape(names[change['against']])} 比较</h2>",
                  _table(["项目", "变化"], [[AMOUNT_NAMES[a], change["all"][a]] for a in AMOUNT_NAMES]),
                  f"<p>个人年度负担减少 {change['persons_better_off']} 人·年，增加 {change['persons_worse_off']} 人·年，"
                  f"不变 {change['persons_unchanged']} 人·年；中位数变化 {q.get('p50')} 元，"
                  f"P10 {q.get('p10')} 元，P90 {q.get('p90')} 元。</p>",
                  _chart(f"hist_{index}", hist)]
    engine = [[names[p], str(v["persons"]), str(v["claims"])] for p, v in summary["engine_path"].items()]
    parts += ["<h2>逐笔引擎结算</h2><p>不能以累计和精确表达的人·年改由结算引擎逐笔结算：</p>",
              _table(["政策", "人·年", "笔数"], engine)]
    style = ("body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}"
             ".chart{width:100%;height:380px}")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{style}</style><script>{echarts_source()}</script></head><body>{''.join(parts)}"
            f"<script type=\"application/json\" id=\"summary\">{escape(json.dumps(summary, ensure_ascii=False))}"
            "</script></body></html>")
