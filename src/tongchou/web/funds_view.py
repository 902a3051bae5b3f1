"""The fund pages' view models: dashboard, fund operation report, budgets and the risk adjustment fund.

All figures come from the funds core and the ledger (`ledger.service` and `ledger.figures`, `funds.indicators`,
`funds.service`, `funds.operation`, `funds.documents`); this module only selects the scope
(county users see their county, never the pool) and shapes what the templates show.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tongchou.funds import service as fund_service
from tongchou.funds import documents as fund_documents
from tongchou.funds.budget import POOL, time_progress
from tongchou.funds.fund_rules import RiskAdjustmentRule
from tongchou.funds.indicators import Indicator, ScopeFigures, indicators_of
from tongchou.funds.wording import STATUS_NAMES
from tongchou.documents import Document
from tongchou.ledger.accounts import Fund
from tongchou.ledger.figures import FundFigures
from tongchou.ledger.service import balances_on
from tongchou.web import charts
from tongchou.web.format import fund_name, pct_number, wan_number
from tongchou.store.models import JournalEntry

MAIN_FUNDS = (Fund.RESIDENT_POOLED.value, Fund.EMPLOYEE_POOLED.value)
STATUS_ORDER = {"alarm": 0, "watch": 1, "normal": 2}
# The personal accounts belong to their holders (net assets 0 by construction); fines are the treasury's.
HIDDEN_FUNDS = frozenset({Fund.PERSONAL_ACCOUNT.value, Fund.TREASURY_FINES.value})


def scope_label(county: str, names: dict[str, str]) -> str:
    return "全统筹区" if county == POOL else names.get(county, county)


# ---------------------------------------------------------------- dashboard

@dataclass
class ProgressRow:
    fund: str
    county: str
    plan: int | None
    spent: int
    spending: Decimal | None  # spent / plan
    time: Decimal


@dataclass
class Dashboard:
    on: dt.date
    balances: list[FundFigures]
    progress: list[ProgressRow]
    warnings: list[Indicator]
    has_budget: bool
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)


def dashboard(session: Session, on: dt.date, scope: str | None, names: dict[str, str]) -> Dashboard:
    rows = balances_on(session, on, county=scope)
    shown = [f for (fund, county), f in sorted(rows.items())
             if (scope is None or county == scope) and fund not in HIDDEN_FUNDS]
    plans = _plans(session, on.year, scope)
    progress = [_progress(f, plans, on) for f in shown if f.fund in MAIN_FUNDS]
    warnings = sorted((i for f in shown if f.fund in MAIN_FUNDS for i in indicators_of(_scope_figures(f, plans, on))),
                      key=lambda i: (STATUS_ORDER.get(i.status, 3), i.scope))
    board = Dashboard(on, shown, progress, warnings, bool(plans))
    board.charts = _dashboard_charts(board, names)
    return board


def _plans(session: Session, year: int, scope: str | None) -> dict[tuple[str, str], int]:
    plans: dict[tuple[str, str], int] = {}
    for line in fund_service.budget_lines(session, year):
        if scope is not None and line.county != scope:
            continue
        plans[(line.fund, line.county)] = line.expenditure
        plans[(line.fund, POOL)] = plans.get((line.fund, POOL), 0) + line.expenditure
    return plans


def _progress(f: FundFigures, plans: dict[tuple[str, str], int], on: dt.date) -> ProgressRow:
    plan = plans.get((f.fund, f.county))
    spending = Decimal(f.expenditure) / plan if plan else None
    return ProgressRow(f.fund, f.county, plan, f.expenditure, spending, time_progress(on.month))


def _scope_figures(f: FundFigures, plans: dict[tuple[str, str], int], on: dt.date) -> ScopeFigures:
    scope = f"{fund_name(f.fund)}·{f.county}"
    return ScopeFigures(scope=scope, months=on.month, accumulated_balance=f.balance, revenue=f.revenue,
                        expenditure=f.expenditure, annual_plan_expenditure=plans.get((f.fund, f.county)))


def _dashboard_charts(board: Dashboard, names: dict[str, str]) -> dict[str, dict[str, Any]]:
    counties = sorted({f.county for f in board.balances if f.county != POOL})
    funds = [fund for fund in MAIN_FUNDS if any(f.fund == fund for f in board.balances)] or \
        sorted({f.fund for f in board.balances})
    by_key = {(f.fund, f.county): f for f in board.balances}
    labels = [names.get(c, c) for c in counties]
    result = {"balances": charts.bar(f"各区县基金累计结余（截至{board.on.isoformat()}）", "万元", labels, [
        (fund_name(fund), [wan_number(by_key[(fund, c)].balance) if (fund, c) in by_key else 0 for c in counties])
        for fund in funds])}
    planned = [p for p in board.progress if p.spending is not None]
    for fund in MAIN_FUNDS:  # one chart per fund: the schemes are accounted separately
        rows = [p for p in planned if p.fund == fund]
        if rows:
            result[f"progress-{fund}"] = charts.bar(
                f"{fund_name(fund)}支出进度与时间进度", "%", [scope_label(p.county, names) for p in rows],
                [("支出进度", [pct_number(p.spending) for p in rows])], mark_line=("时间进度", pct_number(rows[0].time)))
    if not planned:
        def flow(fund: str, county: str, attribute: str) -> Decimal:
            found = by_key.get((fund, county))
            return wan_number(getattr(found, attribute) if found else 0)

        result["flows"] = charts.bar(f"{board.on.year}年基金收入与支出（各基金分别列示）", "万元", labels, [
            (f"{fund_name(fund)}{word}", [flow(fund, c, attribute) for c in counties])
            for fund in funds for word, attribute in (("收入", "revenue"), ("支出", "expenditure"))])
    return result


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


# ---------------------------------------------------------------- fund operation report

@dataclass
class OperationReport:
    view: Any  # funds.documents.ReportView of the scheme shown
    charts: dict[str, dict[str, Any]]
    start: dt.date
    end: dt.date
    insutype: str
    schemes: list[str]  # every scheme of the store, each reported on its own


_REPORTS: dict[tuple, dict[str, Any]] = {}
_REPORTS_KEPT = 32


def operation_report(store, start: dt.date, end: dt.date, county: str | None, name: str | None,
                     insutype: str) -> OperationReport:
    """基金运行分析 of one scheme; the schemes' figures are computed again only when the books have changed
    (a new journal entry) since the last time."""
    from tongchou.funds.operation import EMPLOYEE, RESIDENT, Period
    from tongchou.funds.documents import chart_options
    from tongchou.funds.documents import build_view
    from tongchou.funds.service import fund_operation_from_store

    books = store.read(lambda s: s.execute(select(func.max(JournalEntry.id))).scalar())
    key = (id(store.engine), store.county, start, end, county, name, books)  # a scoped store is a new object
    report = _REPORTS.get(key)
    if report is None:
        report = store.read(lambda s: fund_operation_from_store(s, Period(start, end), None, county, name))
        if len(_REPORTS) >= _REPORTS_KEPT:
            _REPORTS.clear()
        _REPORTS[key] = report
    schemes = [code for code in (RESIDENT, EMPLOYEE) if code in report["by_scheme"]]
    shown = report["by_scheme"].get(insutype) or report["by_scheme"].get(RESIDENT) or report
    return OperationReport(build_view(shown), chart_options(shown), start, end, shown["insutype"], schemes)


# ---------------------------------------------------------------- budgets and the risk adjustment fund

@dataclass
class BudgetPage:
    year: int
    budget: Document | None        # funds.documents statement, or None when no budget is entered
    executions: list[Document]
    risk: Document | None
    risk_rule: str | None
    risk_note: str | None = None  # why no statement is shown
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)


def risk_rule_of(rule: RiskAdjustmentRule | None, pool: tuple[str, str] | None
                 ) -> tuple[RiskAdjustmentRule | None, str | None]:
    """The configured rule when it is the pool's region's own, else None and the reason shown instead."""
    if rule is None:
        return None, "本统筹区未配置风险调剂金规则。"
    if pool is None or not rule.applies_to(pool[0]):
        where = f"本统筹区（{pool[1]}，{pool[0]}）" if pool else "本统筹区"
        return None, (f"已配置的风险调剂金规则“{rule.name}”适用于区划{rule.region}，不适用于{where}；"
                      "本统筹区未配置本地区的风险调剂金规则，故不显示调剂金收支。")
    return rule, None


def budget_page(session: Session, year: int, month: int, scope: str | None, names: dict[str, str],
                rule: RiskAdjustmentRule | None, pool: tuple[str, str] | None = None) -> BudgetPage:
    lines = [line for line in fund_service.budget_lines(session, year) if scope is None or line.county == scope]
    executions, chart_rows = [], []
    for fund in sorted({line.fund for line in lines}):
        rows = [e for e in fund_service.execution_rows(session, year, month, fund)
                if scope is None or e.county == scope]
        executions.append(fund_documents.execution_document(rows, names))
        chart_rows += [e for e in rows if e.expenditure_rate is not None]
    rule, note = risk_rule_of(rule, pool)
    page = BudgetPage(year, fund_documents.budget_document(lines, year, names) if lines else None, executions,
                      None, rule.name if rule else None, note)
    if rule is not None and scope is None:
        page.risk = fund_documents.risk_statement_document(fund_service.risk_statement(session, rule, year), rule.name,
                                                        rule.holder, names)
    for fund in sorted({e.fund for e in chart_rows}):  # one chart per fund: the schemes are accounted separately
        rows = [e for e in chart_rows if e.fund == fund]
        page.charts[f"execution-{fund}"] = charts.bar(
            f"{year}年{fund_name(fund)}预算执行（截至{month}月）", "%", [scope_label(e.county, names) for e in rows],
            [("支出执行率", [pct_number(e.expenditure_rate) for e in rows]),
             ("收入执行率", [pct_number(e.revenue_rate) for e in rows])],
            mark_line=("时间进度", pct_number(rows[0].time_progress)))
    return page
