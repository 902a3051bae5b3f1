"""Budgets (预算), their monthly execution, the monthly close and the final accounts (决算).

A budget is a revenue and an expenditure plan per year, fund and county (docs/reference/fund-rules.md:
"Budget per year, per fund and per county, drafted 以收定支、收支平衡、略有结余"). The pool's
plan is the sum of its counties' lines (plus any line kept under the pool's own code).

Budget files are CSV (``year,fund,county,revenue,expenditure``, yuan with at most two
decimals) or YAML (``year:``, ``lines: [{fund, county, revenue, expenditure}]``); parsing
is pure over the text, errors name the row and column.

Execution rate = actual year-to-date / annual plan; time progress = months elapsed / 12;
the spending gap = expenditure execution − time progress (positive: spending ahead of time).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import yaml

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.subledger import Flows, Movement, counties_of, flows_between, ratio, select
from tongchou.money import Fen, MoneyError, to_fen

POOL = "pool"
BUDGET_COLUMNS = ("year", "fund", "county", "revenue", "expenditure")


@dataclass(frozen=True)
class BudgetLine:
    year: int
    fund: str
    county: str
    revenue: Fen
    expenditure: Fen

    @property
    def surplus(self) -> Fen:
        return self.revenue - self.expenditure


# ---------------------------------------------------------------- import

def _amount(value: Any, field: str) -> Fen:
    if isinstance(value, int) and not isinstance(value, bool):
        fen = value * 100
    else:
        try:
            fen = to_fen(value)
        except MoneyError as exc:
            raise FundInputError(field, str(exc)) from None
    if fen < 0:
        raise FundInputError(field, f"a budget amount must not be negative, got {value!r}")
    return fen


def _year(value: Any, field: str) -> int:
    try:
        year = int(str(value).strip())
    except ValueError:
        raise FundInputError(field, f"expected a year, got {value!r}") from None
    if not 1990 <= year <= 2200:
        raise FundInputError(field, f"expected a year, got {value!r}")
    return year


def _text(value: Any, field: str) -> str:
    text = "" if value is None else str(value).strip()
    if not text:
        raise FundInputError(field, "must not be empty")
    return text


def budget_line(row: Mapping[str, Any], where: str) -> BudgetLine:
    """One line from a mapping with the budget columns; `where` prefixes the field names."""
    missing = [column for column in BUDGET_COLUMNS if column not in row]
    if missing:
        raise FundInputError(f"{where}.{missing[0]}", "missing")
    return BudgetLine(
        year=_year(row["year"], f"{where}.year"),
        fund=_text(row["fund"], f"{where}.fund"),
        county=_text(row["county"], f"{where}.county"),
        revenue=_amount(row["revenue"], f"{where}.revenue"),
        expenditure=_amount(row["expenditure"], f"{where}.expenditure"),
    )


def _no_duplicates(lines: list[BudgetLine], source: str) -> list[BudgetLine]:
    seen: set[tuple[int, str, str]] = set()
    for number, line in enumerate(lines, start=1):
        key = (line.year, line.fund, line.county)
        if key in seen:
            raise FundInputError(f"{source}[{number}]", f"a second line for {line.year} {line.fund} {line.county}")
        seen.add(key)
    return lines


def parse_budget_csv(text: str, source: str = "budget.csv") -> list[BudgetLine]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in BUDGET_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise FundInputError(f"{source}: {missing[0]}", "missing column")
    lines = [budget_line(row, f"{source}: row {number}") for number, row in enumerate(reader, start=2)]
    return _no_duplicates(lines, source)


def parse_budget_yaml(text: str, source: str = "budget.yaml") -> list[BudgetLine]:
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("lines"), list):
        raise FundInputError(f"{source}: lines", "expected `year:` and a list `lines:`")
    lines = []
    for number, row in enumerate(data["lines"]):
        if not isinstance(row, dict):
            raise FundInputError(f"{source}: lines[{number}]", "expected a mapping")
        lines.append(budget_line({"year": data.get("year"), **row}, f"{source}: lines[{number}]"))
    return _no_duplicates(lines, source)


# ---------------------------------------------------------------- plans

def plan_of(lines: Iterable[BudgetLine], year: int, fund: str, county: str) -> BudgetLine:
    """The plan of a county, or of the pool (``county="pool"``: the sum of every line of the fund)."""
    chosen = [line for line in lines if line.year == year and line.fund == fund
              and (county == POOL or line.county == county)]
    if not chosen:
        raise FundInputError("county", f"no budget line for {year} {fund} {county}")
    return BudgetLine(year, fund, county, sum(line.revenue for line in chosen),
                      sum(line.expenditure for line in chosen))


def drafting_check(line: BudgetLine) -> str:
    """以收定支、收支平衡、略有结余: a Chinese remark on how a draft line stands."""
    if line.expenditure > line.revenue:
        return "支出预算大于收入预算，收不抵支，不符合“以收定支、收支平衡”"
    if line.expenditure == line.revenue:
        return "收支平衡，无结余"
    return "收支平衡、略有结余"


def time_progress(month: int) -> Decimal:
    if not 1 <= month <= 12:
        raise FundInputError("month", f"expected 1–12, got {month}")
    return Decimal(month) / 12


def month_end(year: int, month: int) -> dt.date:
    first_of_next = dt.date(year + (month == 12), month % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


# ---------------------------------------------------------------- execution, close, final accounts

@dataclass(frozen=True)
class Execution:
    """预算执行 of a county (or the pool) up to the end of `month`."""

    year: int
    month: int
    fund: str
    county: str
    plan_revenue: Fen
    plan_expenditure: Fen
    actual_revenue: Fen
    actual_expenditure: Fen

    @property
    def revenue_rate(self) -> Decimal | None:
        return ratio(self.actual_revenue, self.plan_revenue)

    @property
    def expenditure_rate(self) -> Decimal | None:
        return ratio(self.actual_expenditure, self.plan_expenditure)

    @property
    def time_progress(self) -> Decimal:
        return time_progress(self.month)

    @property
    def spending_gap(self) -> Decimal | None:
        rate = self.expenditure_rate
        return None if rate is None else rate - self.time_progress


def _selection(fund: str, county: str):
    return select(fund, None if county == POOL else county)


def execution(movements: list[Movement], lines: list[BudgetLine], year: int, month: int, fund: str,
              county: str) -> Execution:
    plan = plan_of(lines, year, fund, county)
    done = flows_between(movements, _selection(fund, county), dt.date(year, 1, 1), month_end(year, month))
    return Execution(year, month, fund, county, plan.revenue, plan.expenditure, done.revenue, done.expenditure)


@dataclass(frozen=True)
class CloseRow:
    """月结 of one county or the pool: the month's flows and the year-to-date execution."""

    county: str
    month: Flows
    year_to_date: Execution


def month_close(movements: list[Movement], lines: list[BudgetLine], year: int, month: int, fund: str
                ) -> list[CloseRow]:
    """The monthly close: a row per county of the budget or the movements, then the pool."""
    counties = sorted({line.county for line in lines if line.year == year and line.fund == fund}
                      | set(counties_of(movements, fund)))
    start, end = dt.date(year, month, 1), month_end(year, month)
    rows = []
    for county in [*counties, POOL]:
        month_flows = flows_between(movements, _selection(fund, county), start, end)
        rows.append(CloseRow(county, month_flows, _execution_or_unplanned(movements, lines, year, month, fund,
                                                                          county)))
    return rows


def _execution_or_unplanned(movements: list[Movement], lines: list[BudgetLine], year: int, month: int, fund: str,
                            county: str) -> Execution:
    if any(line.year == year and line.fund == fund and (county == POOL or line.county == county) for line in lines):
        return execution(movements, lines, year, month, fund, county)
    done = flows_between(movements, _selection(fund, county), dt.date(year, 1, 1), month_end(year, month))
    return Execution(year, month, fund, county, 0, 0, done.revenue, done.expenditure)


@dataclass(frozen=True)
class FinalAccounts:
    """决算 of a county or the pool for a year."""

    year: int
    fund: str
    county: str
    flows: Flows
    plan_revenue: Fen
    plan_expenditure: Fen
    average_monthly_expenditure: Decimal

    @property
    def current_surplus(self) -> Fen:
        return self.flows.current_surplus

    @property
    def current_surplus_ratio(self) -> Decimal | None:
        return ratio(self.flows.current_surplus, self.flows.revenue)

    @property
    def revenue_rate(self) -> Decimal | None:
        return ratio(self.flows.revenue, self.plan_revenue)

    @property
    def expenditure_rate(self) -> Decimal | None:
        return ratio(self.flows.expenditure, self.plan_expenditure)

    @property
    def months_covered(self) -> Decimal | None:
        """累计结余可支付月数 = closing balance / average monthly expenditure."""
        return ratio(self.flows.closing, self.average_monthly_expenditure)


def final_accounts(movements: list[Movement], lines: list[BudgetLine], year: int, fund: str
                   ) -> list[FinalAccounts]:
    """决算 per county, then the pool."""
    rows = []
    for close in month_close(movements, lines, year, 12, fund):
        flows = flows_between(movements, _selection(fund, close.county), dt.date(year, 1, 1), dt.date(year, 12, 31))
        plan = close.year_to_date
        rows.append(FinalAccounts(year, fund, close.county, flows, plan.plan_revenue, plan.plan_expenditure,
                                  Decimal(flows.expenditure) / 12))
    return rows
