"""Open a claims table (docs/reference/contracts.md "Claims table") on a backend and normalise its columns.

CSV (read as text), Parquet, or a directory of (Hive-partitioned) Parquet
files. The normalised table has typed columns: codes as trimmed text, dates
as DATE, flags as booleans, and every amount as BIGINT fen, parsed from its
text or DECIMAL exactly (a DOUBLE column goes through its shortest text, as
the contract never writes one). A missing amount or flag column reads as 0;
cancelled settlements (`refd_setl_flag` = 1) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis

from tongchou.claims_table import TRUE_TEXTS
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from tongchou.batch.fen import lit

SPLIT_COLUMNS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                 "inscp_essential_amt")
INPUT_AMOUNTS = (*SPLIT_COLUMNS, "hosp_part_amt")
SETTLEMENT_COLUMNS = ("act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
                      "oth_pay", "fund_pay_sumamt", "acct_pay", "psn_cash_pay", "psn_part_amt")
FUND_COLUMNS = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
REQUIRED = ("setl_id", "psn_no", "insutype", "med_type", "enddate", "hosp_lv", "admin_tier")
TEXT_COLUMNS = ("setl_id", "psn_no", "insutype", "insuplc_admdvs", "county_admdvs", "fixmedins_code", "psn_type",
                "tier", "assistance", "med_type", "dise_code", "admin_tier", "mdtrt_id")
FLAG_COLUMNS = ("accident", "poverty_flag", "refd_setl_flag", "third_party_liable", "student")
# The person-year partition and the replay order within it (docs/reference/contracts.md).
PARTITION = ("psn_no", "insutype", "yr")
ORDER = ("enddate", "begndate", "setl_id")


class ClaimsInputError(ValueError):
    """A claims table that cannot be replayed: names the option or the column."""

    def __init__(self, where: str, message: str):
        self.where = where
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Source:
    """A normalised claims table on a backend, and which optional columns it had."""

    table: ir.Table
    columns: frozenset[str]
    path: str


def open_raw(con, path: Path | str, engine: str, option: str = "--claims") -> ir.Table:
    """Register the file or directory with the backend; every CSV column as text."""
    if engine == "spark" and "://" in str(path):  # a cluster file system: Spark reads it as it is
        text = str(path)
        if text.rstrip("/").endswith(".csv"):
            return con.read_csv(text, header=True, inferSchema=False)
        return con.read_parquet(text, mergeSchema=True)
    path = Path(path)
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise ClaimsInputError(option, f"no .parquet files under the directory {path}")
        if engine == "duckdb":
            return con.read_parquet(str(path / "**" / "*.parquet"), hive_partitioning=True, union_by_name=True)
        return con.read_parquet(str(path), mergeSchema=True)
    if not path.exists():
        raise ClaimsInputError(option, f"no such file: {path}")
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        return con.read_parquet(str(path))
    if ".csv" in suffixes:
        if engine == "duckdb":
            return con.read_csv(str(path), header=True, all_varchar=True)
        return con.read_csv(str(path), header=True, inferSchema=False)
    raise ClaimsInputError(option, f"expected a .csv or .parquet file or a directory of .parquet files: {path}")


def _text(column: ir.Value, trim: bool = True) -> ir.StringValue:
    """Text with surrounding whitespace removed (CSV) and '' as NULL."""
    value = column if column.type().is_string() else column.cast("string")
    if trim:
        value = value.re_replace(r"^\s+|\s+$", "")  # not strip(): on Spark it trims the letter v
    return ibis.ifelse(value == "", ibis.null("string"), value)


def _amount_fen(column: ir.Value, name: str) -> ir.IntegerValue:
    kind = column.type()
    if kind.is_string():
        decimal = _text(column).cast(dt.Decimal(18, 2))
    elif kind.is_floating():
        decimal = column.cast("string").cast(dt.Decimal(18, 2))
    elif kind.is_integer():
        return (column.cast("int64") * 100).fill_null(0)
    elif kind.is_decimal():
        decimal = column.cast(dt.Decimal(18, 2))
    else:
        raise ClaimsInputError(f"column {name}", f"an amount column cannot be of type {kind}")
    return (decimal * 100).cast("int64").fill_null(0)


def _flag(column: ir.Value) -> ir.BooleanValue:
    kind = column.type()
    if kind.is_boolean():
        return column.fill_null(False)
    if kind.is_numeric():
        return (column != 0).fill_null(False)
    return _text(column).lower().isin(TRUE_TEXTS).fill_null(False)


def _date(column: ir.Value) -> ir.DateValue:
    kind = column.type()
    if kind.is_date():
        return column
    if kind.is_timestamp():
        return column.date()
    return _text(column).cast("date")


def _int(column: ir.Value, default: int | None) -> ir.IntegerValue:
    kind = column.type()
    value = column.cast("int64") if kind.is_numeric() else _text(column).cast("int64")
    return value if default is None else value.fill_null(default)


def normalise(raw: ir.Table, path: str = "--claims", *, trim: bool = True) -> Source:
    """Typed, named columns; amounts in fen; cancelled settlements left out. `trim`: strip text (CSV)."""
    present = {name.lower(): name for name in raw.columns}
    missing = [name for name in REQUIRED if name not in present]
    if missing:
        raise ClaimsInputError(f"--claims column {missing[0]}",
                               f"required column missing from {path} (has: {', '.join(sorted(present))})")

    def col(name: str) -> ir.Value:
        return raw[present[name]]

    out: dict[str, ir.Value] = {}
    for name in TEXT_COLUMNS:
        out[name] = _text(col(name), trim) if name in present else ibis.null("string")
    for name in FLAG_COLUMNS:
        out[name] = _flag(col(name)) if name in present else ibis.literal(False)
    for name in INPUT_AMOUNTS:
        out[name] = _amount_fen(col(name), name) if name in present else lit(0)
    out["hosp_lv"] = _int(col("hosp_lv"), None)
    out["continuous_years"] = _int(col("continuous_years"), 0) if "continuous_years" in present else lit(0)
    out["enddate"] = _date(col("enddate"))
    out["begndate"] = _date(col("begndate")).fill_null(out["enddate"]) if "begndate" in present else out["enddate"]
    table = raw.select(**out)
    table = table.filter(~table.refd_setl_flag).mutate(yr=table.enddate.year().cast("int64"))
    return Source(table, frozenset(present), path)
