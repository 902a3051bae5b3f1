"""Policy simulation (政策测算) from the console: the store's settlements of one scheme are exported as
a claims table and replayed under two policies of THAT scheme by `tongchou.batch` (the same replay as
`tongchou simulate --insutype`); the page shows its summary with tables and charts, by name.

The sample is the scheme's settlements of the chosen year as `tongchou export claims` writes them,
capped at `MAX_CLAIMS` so that the page answers quickly. A policy of another scheme is refused with
the reason (an employee claim is never replayed under a resident policy), as is the same policy
twice or a year without data; the page shows every refusal.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tongchou.codes import AdminTier, Insutype, MedType
from tongchou.policy.registry import Registry
from tongchou.store.export import claim_rows, write_parquet
from tongchou.store.uow import Store
from tongchou.web import charts, queries
from tongchou.web.format import AMOUNT_LABELS, labelled

MAX_CLAIMS = 20_000
SHOWN = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
FUND_FIELDS = ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
SHORT_LABELS = {"hifp_pay": "统筹基金", "hifmi_pay": "大病保险", "maf_pay": "医疗救助", "fund_pay_sumamt": "基金支付合计",
                "psn_part_amt": "个人负担"}  # a chart's axis: the table above gives the full names
SCOPES = (("by_county", "区县"), ("by_admin_tier", "机构层级"), ("by_med_type", "医疗类别"))


class SimulationError(ValueError):
    """The simulation cannot run (Chinese message); `field` is the form field at fault, `_` the whole form."""

    def __init__(self, message: str, field: str = "_"):
        super().__init__(message)
        self.field = field


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    note: str | None = None


@dataclass
class Simulation:
    policies: list[str]
    names: dict[str, str]
    claims: int
    summary: dict[str, Any]
    rows: list[list[str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    silences: list[str] = field(default_factory=list)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)


def base_policies(registry: Registry, scheme: str) -> list[tuple[str, str]]:
    """(id, name) of the base policies of `scheme` — the only ones offered for its claims."""
    return sorted(((p.id, p.name) for p in registry.policies.values() if p.kind == "base" and p.scheme == scheme),
                  key=lambda pair: pair[1])


def export_sample(store: Store, scheme: str, year: int, path: Path) -> int:
    def work(session) -> int:
        rows = (r for r in claim_rows(session, dt.date(year, 1, 1), dt.date(year, 12, 31)) if r["insutype"] == scheme)
        return write_parquet(itertools.islice(rows, MAX_CLAIMS), path)
    return store.read(work)


def check_policies(registry: Registry, scheme: str, baseline: str, candidate: str) -> None:
    """Both policies exist, are base policies, are of `scheme`, and differ — else the field's reason."""
    label = Insutype.label_of(scheme)
    for name, pid, role in (("baseline", baseline, "现行政策"), ("candidate", candidate, "拟调整政策")):
        policy = registry.policies.get(pid)
        if policy is None or policy.kind != "base":
            raise SimulationError(f"{role}“{pid}”不是可测算的基本政策，请从列表中选择。", name)
        if policy.scheme != scheme:
            raise SimulationError(f"{role}“{policy.name}”适用于{Insutype.label_of(policy.scheme)}，不能用来重放"
                                  f"{label}的结算（结算只按本险种的政策重放），请选择{label}的政策。", name)
    if baseline == candidate:
        raise SimulationError("现行政策与拟调整政策是同一项政策，请选择两项不同的政策进行比较。", "candidate")


def simulate(store: Store, registry: Registry, scheme: str, year: int, baseline: str, candidate: str) -> Simulation:
    from tongchou.batch.cli import run_simulation  # ibis and duckdb load only when a simulation runs
    from tongchou.batch.source import ClaimsInputError

    check_policies(registry, scheme, baseline, candidate)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "claims.parquet"
        count = export_sample(store, scheme, year, path)
        if count == 0:
            raise SimulationError(f"{year}年本库没有{Insutype.label_of(scheme)}的结算数据，无法测算；请换一个年度。", "year")
        try:
            summary = run_simulation(registry, path, [baseline, candidate], "duckdb", None, insutype=scheme)
        except ClaimsInputError as exc:
            raise SimulationError(f"结算数据不能用于测算：{exc}") from None
    policies = [baseline, candidate]
    names = {pid: registry.policies[pid].name for pid in policies}
    counties = store.read(queries.county_names)
    result = Simulation(policies, names, count, summary)
    result.rows = _rows(summary, policies)
    result.tables = _affected_tables(summary, policies, counties)
    result.silences = _silences(summary, policies, names)
    result.charts = _charts(summary, policies, names, counties)
    return result


# ---------------------------------------------------------------- reading the summary

def _amount(cell: dict[str, Any], name: str) -> Decimal:
    return Decimal(str(cell.get(name) or "0"))


def _money(value: Decimal, signed: bool = False) -> str:
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def _rows(summary: dict[str, Any], policies: list[str]) -> list[list[str]]:
    cells = [summary["by_policy"][p]["all"] for p in policies]
    rows = [["结算笔数", *[f"{c['claims']:,}" for c in cells], ""],
            ["参保人数", *[f"{c['persons']:,}" for c in cells], ""]]
    for name in SHOWN:
        values = [_amount(c, name) for c in cells]
        rows.append([AMOUNT_LABELS[name], *[_money(v) for v in values], _money(values[1] - values[0], True)])
    return rows


def key_label(scope: str, key: str, counties: dict[str, str]) -> str:
    if key in (None, "(none)"):
        return "未填写"
    if scope == "by_county":
        return counties.get(key, f"区县{key}")
    if scope == "by_admin_tier":
        return labelled(key, AdminTier)
    return labelled(key, MedType)


def _affected_tables(summary: dict[str, Any], policies: list[str], counties: dict[str, str]) -> list[Table]:
    """Who is affected, by county, institution tier and med_type, and by the person-year's amount band."""
    change = summary.get("change", {}).get(policies[1])
    if not change:
        return []
    header = ["结算笔数", "个人负担减少（笔）", "个人负担增加（笔）", "基金支付变化（元）", "个人负担变化（元）"]
    tables = []
    for scope, label in SCOPES:
        cells = sorted(change["claims_affected"][scope].items(), key=lambda kv: _order(scope, kv[0]))
        rows = [[key_label(scope, key, counties), f"{cell['claims']:,}", f"{cell['lower']:,}", f"{cell['higher']:,}",
                 _money(_amount(cell, "fund_pay_sumamt"), True), _money(_amount(cell, "psn_part_amt"), True)]
                for key, cell in cells]
        tables.append(Table(f"受影响的结算（按{label}）", [label, *header], rows))
    bands = [[band_label(b), f"{b['persons']:,}"] for b in change["person_change"]["histogram"]]
    tables.append(Table("参保人年度个人负担变化分布（按金额区间）", ["个人负担年度变化", "人·年"], bands,
                        note=f"共{change['person_change']['person_years']:,}人·年；减少"
                             f"{change['persons_better_off']:,}、增加{change['persons_worse_off']:,}、"
                             f"不变{change['persons_unchanged']:,}；人均变化{change['person_change']['mean']}元。"))
    return tables


TIER_ORDER = {tier.value: index for index, tier in enumerate(AdminTier)}


def _order(scope: str, key: str) -> tuple[int, str]:
    return (TIER_ORDER.get(key, 99) if scope == "by_admin_tier" else 0, str(key))


def band_label(band: dict[str, Any]) -> str:
    """A histogram bin of the yearly change in words, by its edges: `{"from": "-5000.00", "to": "-1000.01"}`
    → 减少1,000～5,000元; `{"from": "0.01", "to": "9.99"}` → 增加不超过10元; the zero bin → 不变."""
    cent = Decimal("0.01")
    low = None if band["from"] is None else Decimal(band["from"])
    high = None if band["to"] is None else Decimal(band["to"]) + cent  # the next edge
    if low == 0 and high == cent:
        return "不变"
    if high is not None and high <= 0:
        near, far = -high, None if low is None else -low
        if far is None:
            return f"减少超过{_yuan(near)}元"
        return f"减少不超过{_yuan(far)}元" if near == 0 else f"减少{_yuan(near)}～{_yuan(far)}元"
    if high is None:
        return f"增加{_yuan(low)}元及以上"
    return f"增加不超过{_yuan(high)}元" if low == cent else f"增加{_yuan(low)}～{_yuan(high)}元"


def _yuan(value: Decimal) -> str:
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _silences(summary: dict[str, Any], policies: list[str], names: dict[str, str]) -> list[str]:
    """Where a policy says nothing about an annual cap: said as silence, not as 'unlimited'."""
    out = []
    for pid in policies:
        for facts in summary["by_policy"][pid]["policy"]:
            silent = [line["name"] for line in facts["lines"] if line.get("annual_cap") == "absent"]
            if silent:
                out.append(f"“{names[pid]}”第{facts['version']}版的{'、'.join(silent)}：政策未规定年度最高支付限额"
                           "（原文未写明，并非不设限额）；测算中这些待遇不受年度限额约束，结果可能偏高。")
    return out


def _wan(value: Decimal) -> Decimal:
    return (value / 10_000).quantize(Decimal("0.01"))


def _charts(summary: dict[str, Any], policies: list[str], names: dict[str, str],
            counties: dict[str, str]) -> dict[str, dict[str, Any]]:
    by = summary["by_policy"]
    result = {"funds": charts.bar("基金支付与个人负担对比", "万元", [SHORT_LABELS[f] for f in FUND_FIELDS],
                                  [(names[p], [_wan(_amount(by[p]["all"], f)) for f in FUND_FIELDS]) for p in policies])}
    keys = sorted({k for p in policies for k in by[p]["by_county"]})
    if keys:
        result["counties"] = charts.bar("统筹基金支出对比（按区县）", "万元", [key_label("by_county", k, counties) for k in keys],
                                        [(names[p], [_wan(_amount(by[p]["by_county"].get(k, {}), "hifp_pay"))
                                                     for k in keys]) for p in policies])
    change = summary.get("change", {}).get(policies[1])
    if change:
        affected = change["claims_affected"]["by_county"]
        labels = [key_label("by_county", k, counties) for k in affected]
        result["affected"] = charts.bar("个人负担变化的结算笔数（按区县）", "笔", labels, [
            ("个人负担减少", [c["lower"] for c in affected.values()]),
            ("个人负担增加", [c["higher"] for c in affected.values()])], counts=True)
        bands = change["person_change"]["histogram"]
        result["bands"] = charts.bar("参保人年度个人负担变化分布", "人·年", [band_label(b) for b in bands],
                                     [("人·年", [b["persons"] for b in bands])], horizontal=True, counts=True)
    return result
