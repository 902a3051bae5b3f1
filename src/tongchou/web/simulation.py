"""Policy simulation (政策测算) from the console: the store's settlements of one scheme are exported as
a claims table and replayed under two policies by `tongchou.batch` (the same replay as
`tongchou simulate`); the page shows its summary with charts.

The sample is the scheme's non-cancelled and cancelled settlements of the chosen year as
`tongchou export claims` writes them, capped at `MAX_CLAIMS` so that the page answers quickly.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tongchou.policy.registry import Registry
from tongchou.store.export import claim_rows, write_parquet
from tongchou.store.uow import Store
from tongchou.web import charts
from tongchou.web.format import AMOUNT_LABELS

MAX_CLAIMS = 20_000
SHOWN = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")
FUND_FIELDS = ("hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "psn_part_amt")


class SimulationError(ValueError):
    """The simulation cannot run (Chinese message)."""


@dataclass
class Simulation:
    policies: list[str]
    names: dict[str, str]
    claims: int
    summary: dict[str, Any]
    rows: list[list[str]] = field(default_factory=list)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)


def base_policies(registry: Registry, scheme: str) -> list[tuple[str, str]]:
    return sorted((p.id, p.name) for p in registry.policies.values() if p.kind == "base" and p.scheme == scheme)


def export_sample(store: Store, scheme: str, year: int, path: Path) -> int:
    def work(session) -> int:
        rows = (r for r in claim_rows(session, dt.date(year, 1, 1), dt.date(year, 12, 31)) if r["insutype"] == scheme)
        return write_parquet(itertools.islice(rows, MAX_CLAIMS), path)
    return store.read(work)


def simulate(store: Store, registry: Registry, scheme: str, year: int, baseline: str, candidate: str) -> Simulation:
    from tongchou.batch.cli import run_simulation  # ibis and duckdb load only when a simulation runs
    from tongchou.batch.source import ClaimsInputError

    if baseline == candidate:
        raise SimulationError("请选择两项不同的政策进行比较。")
    for pid in (baseline, candidate):
        if pid not in registry.policies:
            raise SimulationError(f"政策{pid}不存在。")
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "claims.parquet"
        count = export_sample(store, scheme, year, path)
        if count == 0:
            raise SimulationError(f"{year}年没有该险种的结算数据，无法测算。")
        try:
            summary = run_simulation(registry, path, [baseline, candidate], "duckdb", None)
        except ClaimsInputError as exc:
            raise SimulationError(f"结算数据不能用于测算：{exc}") from None
    names = {pid: registry.policies[pid].name for pid in (baseline, candidate)}
    result = Simulation([baseline, candidate], names, count, summary)
    result.rows = _rows(summary, [baseline, candidate])
    result.charts = _charts(summary, [baseline, candidate], names)
    return result


def _amount(cell: dict[str, Any], name: str) -> Decimal:
    return Decimal(str(cell.get(name) or "0"))


def _rows(summary: dict[str, Any], policies: list[str]) -> list[list[str]]:
    cells = [summary["by_policy"][p]["all"] for p in policies]
    rows = [["结算笔数", *[str(c["claims"]) for c in cells], ""]]
    for name in SHOWN:
        values = [_amount(c, name) for c in cells]
        rows.append([AMOUNT_LABELS[name], *[f"{v:,.2f}" for v in values], f"{values[1] - values[0]:+,.2f}"])
    return rows


def _wan(value: Decimal) -> Decimal:
    return (value / 10_000).quantize(Decimal("0.01"))


def _charts(summary: dict[str, Any], policies: list[str], names: dict[str, str]) -> dict[str, dict[str, Any]]:
    by = summary["by_policy"]
    result = {"funds": charts.bar("基金支付与个人负担对比", "万元", [AMOUNT_LABELS[f] for f in FUND_FIELDS],
                                  [(names[p], [_wan(_amount(by[p]["all"], f)) for f in FUND_FIELDS]) for p in policies])}
    counties = sorted({k for p in policies for k in by[p]["by_county"]})
    if counties:
        result["counties"] = charts.bar("统筹基金支出对比（按区县）", "万元", counties,
                                        [(names[p], [_wan(_amount(by[p]["by_county"].get(c, {}), "hifp_pay"))
                                                     for c in counties]) for p in policies])
    return result
