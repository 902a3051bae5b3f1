"""Write the replayed claims table: the contract's columns, amounts as DECIMAL(18,2) yuan, plus `policy_id`."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from tongchou.batch.source import INPUT_AMOUNTS, SETTLEMENT_COLUMNS

IDENTITY = ("setl_id", "psn_no", "psn_type", "tier", "assistance", "continuous_years", "insutype", "insuplc_admdvs",
            "county_admdvs", "fixmedins_code", "hosp_lv", "admin_tier", "med_type", "dise_code", "accident",
            "begndate", "enddate", "poverty_flag")
FLAGS = ("accident", "poverty_flag")
_CENT = ibis.literal(Decimal("0.01"), type=dt.Decimal(38, 2))


def yuan(fen: ir.IntegerValue) -> ir.DecimalValue:
    """Fen as DECIMAL(18,2) yuan, exactly (a decimal product, never a float)."""
    return (fen.cast(dt.Decimal(38, 2)) * _CENT).cast(dt.Decimal(18, 2))


def claims_table(source: ir.Table, result: ir.Table) -> ir.Table:
    """The claims-table shape of docs/reference/contracts.md, one row per claim and policy: the claims' own columns
    joined back by setl_id to the replayed amounts."""
    amounts = result.select("setl_id", "policy_id", "needs_engine", *SETTLEMENT_COLUMNS)
    result = source.join(amounts, "setl_id")
    columns: dict[str, ir.Value] = {}
    for name in IDENTITY:
        columns[name] = ibis.ifelse(result[name], 1, 0).cast("int8") if name in FLAGS else result[name]
    for name in (*INPUT_AMOUNTS, *SETTLEMENT_COLUMNS):
        columns[name] = yuan(result[name])
    columns["refd_setl_flag"] = ibis.literal(0, type="int8")
    columns["policy_id"] = result.policy_id
    columns["replay_path"] = ibis.ifelse(result.needs_engine, "engine", "window")
    return result.select(**columns)


def write_parquet(table: ir.Table, path: Path) -> None:
    """DuckDB writes one file; Spark writes a directory of part files under the same name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_parquet(str(path))
