"""Read a claims table with DuckDB and sum it into `ClaimsCell`s: the imperative shell.

The claims table (docs/reference/contracts.md "Claims table") is a CSV file with a
header, a Parquet file, or a directory of (Hive-partitioned) Parquet files.
Only the columns the fund operation report uses are read:

- required: `enddate`, `med_type`, `admin_tier` (and `county_admdvs` with a
  county filter);
- read as 0 when absent: `medfee_sumamt`, `hifp_pay` (amounts, DECIMAL(18,2))
  and `poverty_flag`, `refd_setl_flag` (flags).

Amounts are cast to DECIMAL(18,2) — CSV columns from their text, never through
a float — and summed exactly by DuckDB (DECIMAL(38,2)), then handed over as
integer fen. Cancelled settlements (`refd_setl_flag` = 1) are left out; the
period filter is on `enddate`, both ends included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tongchou.claims_table import (
    column_types,
    TEXT_TYPES,
    amount_expression,
    date_expression,
    decimal_to_fen,
    first_line,
    flag_expression,
    quote_identifier,
    scan_expression,
    text_expression,
)

from tongchou.funds.errors import ReportInputError
from tongchou.funds.operation import ClaimsCell, Period

REQUIRED_COLUMNS = ("enddate", "med_type", "admin_tier")
AMOUNT_COLUMNS = ("medfee_sumamt", "hifp_pay")
FLAG_COLUMNS = ("poverty_flag", "refd_setl_flag")
COUNTY_COLUMN = "county_admdvs"
SCHEME_COLUMN = "insutype"

def visit_type_expression(med_type: str) -> str:
    """Map `med_type` to the report's visit types: 2x inpatient, 11 general, 14 chronic."""
    return (
        f"CASE WHEN {med_type} LIKE '2%' THEN 'inpatient' "
        f"WHEN {med_type} = '11' THEN 'general_outpatient' "
        f"WHEN {med_type} = '14' THEN 'chronic_outpatient' "
        "ELSE 'other' END"
    )


# --------------------------------------------------------------------------- the table


@dataclass
class ClaimsTable:
    """A claims table opened with DuckDB; `cells(period)` sums one period."""

    path: Path
    option: str = "--claims"
    connection: duckdb.DuckDBPyConnection = field(default_factory=duckdb.connect, repr=False)

    def __post_init__(self) -> None:
        try:
            self.scan = scan_expression(self.path, self.option, ReportInputError)
            self.column_types = column_types(self.connection, self.scan, self.path, self.option, ReportInputError)
            self._check_required_columns()
        except ReportInputError:
            self.connection.close()
            raise

    def _check_required_columns(self) -> None:
        missing = [column for column in REQUIRED_COLUMNS if column not in self.column_types]
        if missing:
            raise ReportInputError(
                f"{self.option} column {missing[0]}",
                f"required column missing from {self.path} (has: {', '.join(sorted(self.column_types))})",
            )

    def aggregate_sql(self, county_admdvs: str | None, insutype: str | None = None) -> str:
        types: Mapping[str, str] = self.column_types
        med_type = text_expression("med_type")
        conditions = [
            f"NOT {flag_expression('refd_setl_flag', types.get('refd_setl_flag'))}",
            f"{date_expression('enddate', types['enddate'])} BETWEEN ? AND ?",
        ]
        if county_admdvs is not None:
            if COUNTY_COLUMN not in types:
                raise ReportInputError(
                    f"--county (column {COUNTY_COLUMN})", f"the claims table {self.path} has no {COUNTY_COLUMN} column"
                )
            conditions.append(f"{text_expression(COUNTY_COLUMN)} = ?")
        if self.filters_scheme(insutype):
            conditions.append(f"{text_expression(SCHEME_COLUMN)} = ?")
        tier = f"COALESCE(NULLIF(lower({text_expression('admin_tier')}), ''), 'unknown')"
        return (
            "SELECT visit_type, admin_tier, poverty, count(*) AS visits, "
            "sum(medfee) AS medfee, sum(fund_paid) AS fund_paid FROM ("
            f"SELECT {visit_type_expression(med_type)} AS visit_type, {tier} AS admin_tier, "
            f"{flag_expression('poverty_flag', types.get('poverty_flag'))} AS poverty, "
            f"{amount_expression('medfee_sumamt', types.get('medfee_sumamt'))} AS medfee, "
            f"{amount_expression('hifp_pay', types.get('hifp_pay'))} AS fund_paid "
            f"FROM {self.scan} WHERE {' AND '.join(conditions)}"
            ") GROUP BY ALL ORDER BY ALL"
        )

    def filters_scheme(self, insutype: str | None) -> bool:
        """A table without an `insutype` column holds one scheme's claims: the funding file's."""
        return insutype is not None and SCHEME_COLUMN in self.column_types

    def cells(self, period: Period, county_admdvs: str | None = None, insutype: str | None = None
              ) -> tuple[ClaimsCell, ...]:
        """The period's non-cancelled claims (of scheme `insutype` when given) summed by visit type, tier
        and poverty flag."""
        sql = self.aggregate_sql(county_admdvs, insutype)
        parameters: list[object] = [period.start, period.end]
        if county_admdvs is not None:
            parameters.append(county_admdvs)
        if self.filters_scheme(insutype):
            parameters.append(insutype)
        try:
            rows = self.connection.execute(sql, parameters).fetchall()
        except duckdb.ConversionException as exc:
            raise self._bad_value_error(exc) from None
        except duckdb.Error as exc:
            raise ReportInputError(self.option, f"cannot read {self.path}: {first_line(exc)}") from None
        return tuple(cell_from_row(row) for row in rows)

    def _bad_value_error(self, exc: duckdb.Error) -> ReportInputError:
        """Name the column and the first value DuckDB could not convert."""
        checks = [("enddate", "DATE")] + [(column, "DECIMAL(18,2)") for column in AMOUNT_COLUMNS]
        for column, target in checks:
            if not self.column_types.get(column, "").startswith(TEXT_TYPES):
                continue
            name = quote_identifier(column)
            bad = self.connection.execute(
                f"SELECT {name} FROM {self.scan} WHERE NULLIF(trim({name}), '') IS NOT NULL "
                f"AND TRY_CAST(trim({name}) AS {target}) IS NULL LIMIT 1"
            ).fetchone()
            if bad is not None:
                kind = "a date YYYY-MM-DD" if target == "DATE" else "an amount in yuan"
                return ReportInputError(f"{self.option} column {column}", f"not {kind}: {bad[0]!r}")
        return ReportInputError(self.option, f"a value cannot be read: {first_line(exc)}")

    def close(self) -> None:
        self.connection.close()


def cell_from_row(row: tuple) -> ClaimsCell:
    visit_type, admin_tier, poverty, count, medfee, fund_paid = row
    return ClaimsCell(
        visit_type=visit_type,
        admin_tier=admin_tier,
        poverty=bool(poverty),
        count=int(count),
        medfee_fen=decimal_to_fen(medfee),
        fund_paid_fen=decimal_to_fen(fund_paid),
    )
