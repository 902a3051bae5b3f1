"""Reading the claims table of docs/reference/contracts.md with DuckDB: one place for every reader.

CSV (every column read as text), a Parquet file, or a directory of partitioned
Parquet; amounts become DECIMAL(18,2) exactly (never through DOUBLE), a
missing amount or flag column reads as 0. The SQL fragments here are shared by
the fund reports, clearing and the batch replay.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

# The columns of the claims table, in the order docs/reference/contracts.md lists them.
CLAIM_COLUMNS = (
    "setl_id", "psn_no", "psn_type", "tier", "assistance", "continuous_years", "insutype", "insuplc_admdvs",
    "county_admdvs", "fixmedins_code", "hosp_lv", "admin_tier", "med_type", "dise_code", "accident", "begndate",
    "enddate", "poverty_flag", "medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
    "inscp_scp_amt", "inscp_essential_amt", "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay",
    "hifob_pay", "maf_pay", "oth_pay", "fund_pay_sumamt", "acct_pay", "psn_cash_pay", "hosp_part_amt",
    "refd_setl_flag",
)
# The two columns clearing adds for DIP grouping (docs/clearing.md "Claims table extension").
DIP_COLUMNS = ("diag_code", "oprn_code")
TEXT_TYPES = ("VARCHAR",)
FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
TRUE_TEXTS = ("1", "true", "t", "y", "yes")
ZERO_AMOUNT = "CAST(0 AS DECIMAL(18,2))"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def scan_expression(path: Path, option: str, error: type[Exception]) -> str:
    """The DuckDB table function that reads the claims table at `path`; `error(option, message)` if it can't."""
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise error(option, f"no .parquet files under the directory {path}")
        pattern = quote_literal(str(path / "**" / "*.parquet"))
        return f"read_parquet({pattern}, hive_partitioning = true, union_by_name = true)"
    if not path.exists():
        raise error(option, f"no such file: {path}")
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        return f"read_parquet({quote_literal(str(path))})"
    if ".csv" in suffixes:
        # Every column as text: amounts are then cast to DECIMAL exactly, never via DOUBLE.
        return f"read_csv({quote_literal(str(path))}, header = true, all_varchar = true)"
    raise error(option, f"expected a .csv or .parquet file or a directory of .parquet files: {path}")


def column_types(connection, scan: str, path: Path, option: str, error: type[Exception]) -> dict[str, str]:
    """The table's columns (lower case) and their DuckDB types (upper case); `error(option, message)` if unreadable."""
    import duckdb

    try:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise error(option, f"cannot read {path}: {first_line(exc)}") from None
    return {str(name).lower(): str(kind).upper() for name, kind, *_ in rows}


def amount_expression(column: str, column_type: str | None) -> str:
    """A DECIMAL(18,2) amount; a missing column or an empty value reads as 0."""
    if column_type is None:
        return ZERO_AMOUNT
    name = quote_identifier(column)
    if column_type.startswith(TEXT_TYPES):
        value = f"CAST(NULLIF(trim({name}), '') AS DECIMAL(18,2))"
    elif column_type.startswith(FLOAT_TYPES):
        # A float column (not what the contract writes): go through its shortest decimal text.
        value = f"CAST(CAST({name} AS VARCHAR) AS DECIMAL(18,2))"
    else:
        value = f"CAST({name} AS DECIMAL(18,2))"
    return f"COALESCE({value}, {ZERO_AMOUNT})"


def flag_expression(column: str, column_type: str | None) -> str:
    """A 0/1 flag as a boolean; a missing column or an empty value reads as 0 (false)."""
    if column_type is None:
        return "false"
    texts = ", ".join(quote_literal(text) for text in TRUE_TEXTS)
    return f"COALESCE(lower(trim(CAST({quote_identifier(column)} AS VARCHAR))) IN ({texts}), false)"


def date_expression(column: str, column_type: str) -> str:
    name = quote_identifier(column)
    if column_type.startswith(TEXT_TYPES):
        return f"CAST(NULLIF(trim({name}), '') AS DATE)"
    return f"CAST({name} AS DATE)"


def text_expression(column: str) -> str:
    return f"trim(CAST({quote_identifier(column)} AS VARCHAR))"


def decimal_to_fen(amount: Decimal | int | None) -> int:
    """A DuckDB DECIMAL sum with two places as integer fen (exact)."""
    if amount is None:
        return 0
    fen = Decimal(amount) * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"not a whole number of fen: {amount}")
    return int(fen)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
