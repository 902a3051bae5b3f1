"""The batch over a claims table with DuckDB: the imperative shell of clearing.

Reads the claims table of docs/reference/contracts.md (CSV with header, Parquet, or a
directory of Parquet files), extended for DIP with `diag_code` (main
diagnosis, ICD-10) and `oprn_code` (main procedure, ICD-9-CM-3; empty for
conservative treatment) — see docs/clearing.md. Cancelled settlements
(`refd_setl_flag` = 1) are left out; a settlement belongs to the month of
its `enddate`. Amounts are cast to DECIMAL(18,2) (CSV columns from their
text, never through a float), summed exactly and handed over as integer fen.

DIP case points are computed in SQL with exact integer arithmetic, the same
formula as `tongchou.clearing.dip.case_points` (a test checks they agree
case by case); only per-institution, per-month sums leave DuckDB.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from tongchou.claims_table import (
    column_types,
    amount_expression,
    date_expression,
    decimal_to_fen,
    first_line,
    flag_expression,
    quote_identifier,
    scan_expression,
)

from tongchou.clearing.dip import InstitutionPoints, point_units
from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.records import TOTAL_FIELDS, Institution, Period, SettlementCell, Totals
from tongchou.clearing.rules import DipRules

AMOUNT_FIELDS: tuple[str, ...] = tuple(name for name in TOTAL_FIELDS if name != "setl_cnt")
__all__ = ["AMOUNT_FIELDS", "ClaimsTable", "Period", "decimal_to_fen"]


@dataclass
class ClaimsTable:
    """A claims table opened with DuckDB."""

    path: Path
    option: str = "--claims"
    connection: duckdb.DuckDBPyConnection = field(default_factory=duckdb.connect, repr=False)

    def __post_init__(self) -> None:
        try:
            self.scan = scan_expression(self.path, self.option, ClearingInputError)
            self.types = column_types(self.connection, self.scan, self.path, self.option, ClearingInputError)
            self.require("fixmedins_code", "enddate")
        except ClearingInputError:
            self.connection.close()
            raise

    def __enter__(self) -> ClaimsTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    def require(self, *columns: str) -> None:
        for column in columns:
            if column not in self.types:
                raise ClearingInputError(f"{self.option} column {column}",
                                         f"required column missing from {self.path}")

    # ----------------------------------------------------------------- column expressions

    def amount(self, column: str) -> str:
        """DECIMAL(18,2) amount; a missing column or an empty value reads as 0."""
        return amount_expression(column, self.types.get(column))

    def text(self, column: str) -> str:
        if column not in self.types:
            return "''"
        return f"COALESCE(trim(CAST({quote_identifier(column)} AS VARCHAR)), '')"

    def flag(self, column: str) -> str:
        return flag_expression(column, self.types.get(column))

    def date(self) -> str:
        return date_expression("enddate", self.types["enddate"])

    def hosp_lv(self) -> str:
        if "hosp_lv" not in self.types:
            return "0"
        return f"COALESCE(TRY_CAST(trim(CAST({quote_identifier('hosp_lv')} AS VARCHAR)) AS INTEGER), 0)"

    def where(self, extra: Iterable[str] = ()) -> str:
        conditions = [f"NOT {self.flag('refd_setl_flag')}", f"{self.date()} BETWEEN ? AND ?", *extra]
        return " AND ".join(conditions)

    def execute(self, sql: str, parameters: list[object]) -> list[tuple]:
        try:
            return self.connection.execute(sql, parameters).fetchall()
        except duckdb.ConversionException as exc:
            raise ClearingInputError(self.option, f"a value cannot be read: {first_line(exc)}") from None
        except duckdb.Error as exc:
            raise ClearingInputError(self.option, f"cannot read {self.path}: {first_line(exc)}") from None

    # ----------------------------------------------------------------- queries

    def institutions(self, period: Period) -> dict[str, int]:
        """Institutions with settlements in the period → hospital level (the highest the table gives)."""
        rows = self.execute(
            f"SELECT {self.text('fixmedins_code')} AS code, max({self.hosp_lv()}) FROM {self.scan} "
            f"WHERE {self.where()} GROUP BY code ORDER BY code", [period.start, period.end])
        return {code: int(level) for code, level in rows}

    def settlement_cells(self, institution: str, period: Period) -> tuple[SettlementCell, ...]:
        """The institution's non-cancelled settlements of the period, summed by insutype and med_type."""
        self.require("insutype", "med_type")
        sums = ", ".join(f"sum({self.amount(name)})" for name in AMOUNT_FIELDS)
        code_filter = f"{self.text('fixmedins_code')} = ?"
        rows = self.execute(
            f"SELECT {self.text('insutype')} AS insutype, {self.text('med_type')} AS med_type, count(*), {sums} "
            f"FROM {self.scan} WHERE {self.where([code_filter])} "
            "GROUP BY ALL ORDER BY ALL", [period.start, period.end, institution])
        return tuple(
            SettlementCell(insutype, med_type, Totals(int(count), *(decimal_to_fen(v) for v in values)))
            for insutype, med_type, count, *values in rows
        )

    def monthly_sums(self, period: Period, fields: Iterable[str],
                     med_types: Iterable[str] | None = None) -> dict[tuple[str, str], dict[str, int]]:
        """(institution, 'YYYY-MM') → field → fen, over the non-cancelled settlements of the period."""
        fields = tuple(fields)
        extra = []
        parameters: list[object] = [period.start, period.end]
        if med_types is not None:
            self.require("med_type")
            med_types = tuple(med_types)
            extra.append(f"{self.text('med_type')} IN ({', '.join('?' for _ in med_types)})")
            parameters.extend(med_types)
        sums = ", ".join(f"sum({self.amount(name)})" for name in fields)
        rows = self.execute(
            f"SELECT {self.text('fixmedins_code')} AS code, strftime({self.date()}, '%Y-%m') AS month, {sums} "
            f"FROM {self.scan} WHERE {self.where(extra)} GROUP BY ALL ORDER BY ALL", parameters)
        return {(code, month): dict(zip(fields, (decimal_to_fen(v) for v in values), strict=True))
                for code, month, *values in rows}

    def dip_points(self, period: Period, rules: DipRules,
                   names: Mapping[str, str] | None = None) -> tuple[InstitutionPoints, ...]:
        """Each institution's DIP case points of the period by month (exact integer SQL)."""
        self.require("med_type", "diag_code", "medfee_sumamt")
        names = names or {}
        self._register_catalogue(rules)
        low_n, low_d = rules.low_cost_ratio.as_integer_ratio()
        high_n, high_d = rules.high_cost_ratio.as_integer_ratio()
        med_types = tuple(rules.med_types)
        marks = ", ".join("?" for _ in med_types)
        fallback = rules.group(rules.fallback_group)
        p_fb, k_fb = point_units(fallback.points), fallback.standard_cost
        sql = f"""
            WITH cases AS (
                SELECT {self.text('fixmedins_code')} AS code, {self.hosp_lv()} AS hosp_lv,
                       strftime({self.date()}, '%Y-%m') AS month,
                       {self.text('diag_code')} AS diag, {self.text('oprn_code')} AS oprn,
                       CAST({self.amount('medfee_sumamt')} * 100 AS HUGEINT) AS c
                FROM {self.scan}
                WHERE {self.where([f"{self.text('med_type')} IN ({marks})"])}
            ), grouped AS (
                SELECT cases.code, cases.hosp_lv, cases.month, cases.c,
                       CAST(COALESCE(g1.p, g2.p, {p_fb}) AS HUGEINT) AS p,
                       CAST(COALESCE(g1.k, g2.k, {k_fb}) AS HUGEINT) AS k
                FROM cases
                LEFT JOIN dip_catalogue g1 ON g1.diag = cases.diag AND g1.oprn = cases.oprn
                LEFT JOIN dip_catalogue g2 ON g2.diag = cases.diag AND g2.oprn = ''
            )
            SELECT code, month, max(hosp_lv), count(*), min(c),
                   sum(CASE
                       WHEN c * {low_d} < k * {low_n} THEN (2 * p * c + k) // (2 * k)
                       WHEN c * {high_d} > k * {high_n}
                           THEN (2 * p * ({high_d} * c - {high_n - high_d} * k) + {high_d} * k) // (2 * {high_d} * k)
                       ELSE p END)
            FROM grouped GROUP BY code, month ORDER BY code, month
        """
        rows = self.execute(sql, [period.start, period.end, *med_types])
        monthly: dict[str, dict[str, int]] = defaultdict(dict)
        levels: dict[str, int] = {}
        cases: dict[str, int] = defaultdict(int)
        for code, month, level, count, smallest, units in rows:
            if smallest is not None and smallest < 0:
                raise ClearingInputError(f"{self.option} column medfee_sumamt",
                                         f"a negative medfee_sumamt in a DIP case of {code} ({month})")
            monthly[code][month] = int(units)
            levels[code] = max(levels.get(code, 0), int(level))
            cases[code] += int(count)
        return tuple(InstitutionPoints(Institution(code, names.get(code, ""), levels[code]), monthly[code], cases[code])
                     for code in sorted(monthly))

    def _register_catalogue(self, rules: DipRules) -> None:
        self.connection.execute("CREATE OR REPLACE TEMP TABLE dip_catalogue (diag VARCHAR, oprn VARCHAR, "
                                "p BIGINT, k BIGINT)")
        self.connection.executemany("INSERT INTO dip_catalogue VALUES (?, ?, ?, ?)", [
            (g.diag_code, g.oprn_code, point_units(g.points), g.standard_cost)
            for g in rules.groups if g.code != rules.fallback_group])
