"""The fund against the store: the one module of `tongchou.funds` that reads and writes it.

Budgets, balances, fund movements posted to the ledger, monthly closes, final accounts, the risk
adjustment fund's statement, and the fund operation report from the store.

Every operation that writes is ONE transaction: its entries are all posted or none is. Posting is
idempotent: an entry whose cause is already in the ledger with the same lines is skipped (a retried
command posts nothing twice); with different lines it is an error naming the cause. Entries dated in a
closed month are refused (here with a Chinese message; a database trigger refuses them anyway).

The fund operation report (`tongchou report fund-operation --db URL`, the console's report page):
Each scheme (`insutype` 390 resident, 310 employee) is reported on its own, from its own claims and
its own fund's income; nothing here adds one scheme's figure to another's.

Claims: the period's settlements (non-cancelled, `enddate` in the period, of the insured person's
county with a county) summed by scheme, visit type, institution tier and poverty flag in one SQL
query (no export to a claims table).

Funding of the period's year, of the pool or one county, from the ledger (entries booked in the year):

- 390: total = contributions and fiscal subsidies credited to the resident pooled fund, by source;
  earmarked = entries caused by `premium`: `premiums` paid to an insurer (expense_premium) and
  `critical_illness_fund`, the transfer to the self-run critical illness fund;
- 310: total = the employer share and the whole individual share (the part to the pooled fund and
  the part credited to personal accounts, causes `contribution`); earmarked = the personal-account
  part (it never reaches the pooled fund);
- insured = persons with an enrolment of the scheme in force at some time of the year.

`funding.total`, `.earmarked`, `.usable` are these exact sums; per-head figures are the sums divided
by the scheme's insured, half-up to the fen.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, func, or_, select, text
from sqlalchemy.orm import Session

from tongchou.funds import deficit as deficit_core
from tongchou.funds import risk_adjustment as ra
from tongchou.funds.budget import POOL, BudgetLine, CloseRow, Execution, FinalAccounts, month_end
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import DeficitSharingRule, LegacyHandoverRule, RiskAdjustmentRule
from tongchou.funds.indicators import WarningThresholds, with_warnings
from tongchou.funds.operation import (EMPLOYEE, RESIDENT, ClaimsCell, Funding, Period, PeriodFigures,
                                      build_fund_operation_report, totals_funding, visit_type_of, with_schemes)
from tongchou.funds.postings import legacy_opening_entry, movement_entry, premium_entry
from tongchou.funds.subledger import Flows, Movement, Pocket
from tongchou.funds.transition import Arrear, HandoverPlan, handover_plan
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.figures import REVENUE_TITLES, FundFigures
from tongchou.ledger.service import figures_between, revenue_by_county, title_sums
from tongchou.ledger.service import closed_to, entry_lines, record
from tongchou.ledger.postings import Entry
from tongchou.money import Fen
from tongchou.store import models as m
from tongchou.store.uow import Store

# ---------------------------------------------------------------- posting

def ensure_open(session: Session, day: dt.date, field: str = "on") -> None:
    last = closed_to(session)
    if last is not None and day <= last:
        raise FundInputError(field, f"{day} 所在月份已月结（已结至 {last}），更正请记入未结月份")


def post(session: Session, entry: Entry) -> tuple[int, bool]:
    """Record an entry unless its cause is already posted with the same lines: (entry id, newly posted)."""
    found = entry_lines(session, entry.cause_type, entry.cause_id)
    if found is not None:
        if Counter(found[1]) != Counter(entry.lines):
            raise FundInputError(f"{entry.cause_type}:{entry.cause_id}",
                                 "已记账，且金额或科目与本次不同；更正请做冲正凭证")
        return found[0], False
    ensure_open(session, entry.booked_on)
    return record(session, entry), True


@dataclass(frozen=True)
class Posted:
    cause_type: str
    cause_id: str
    entry_id: int
    new: bool
    booked_on: dt.date
    amount: Fen
    memo: str

    def to_json(self) -> dict:
        return {"cause_type": self.cause_type, "cause_id": self.cause_id, "entry_id": self.entry_id,
                "new": self.new, "booked_on": self.booked_on.isoformat(), "amount_fen": self.amount,
                "memo": self.memo}


def post_all(session: Session, entries: Iterable[Entry]) -> list[Posted]:
    done = []
    for entry in entries:
        entry_id, new = post(session, entry)
        amount = sum(line.debit for line in entry.lines) // max(1, len({line.account.fund for line in entry.lines}))
        done.append(Posted(entry.cause_type, entry.cause_id, entry_id, new, entry.booked_on, amount, entry.memo))
    return done


# ---------------------------------------------------------------- budgets

def _check_fund(fund: str, field: str = "fund") -> None:
    if fund not in {f.value for f in Fund}:
        raise FundInputError(field, f"unknown fund {fund!r} (known: {', '.join(f.value for f in Fund)})")


def _check_county(session: Session, county: str, field: str = "county") -> None:
    if session.get(m.CountyRow, county) is None and session.get(m.PoolRegion, county) is None:
        raise FundInputError(field, f"unknown county {county!r}")


def save_budget(store: Store, lines: Iterable[BudgetLine], by: str | None = None) -> int:
    """Insert or replace budget lines (one transaction)."""
    lines = list(lines)

    def work(session: Session) -> int:
        for number, line in enumerate(lines, start=1):
            _check_fund(line.fund, f"lines[{number}].fund")
            _check_county(session, line.county, f"lines[{number}].county")
            row = session.get(m.FundBudget, (line.year, line.fund, line.county))
            if row is None:
                session.add(m.FundBudget(year=line.year, fund=line.fund, county=line.county, revenue=line.revenue,
                                         expenditure=line.expenditure, updated_by=by))
            else:
                row.revenue, row.expenditure, row.updated_by = line.revenue, line.expenditure, by
                row.updated_at = dt.datetime.now(dt.timezone.utc)
        session.flush()
        return len(lines)
    return store.transaction(work)


def budget_lines(session: Session, year: int, fund: str | None = None) -> list[BudgetLine]:
    query = select(m.FundBudget).where(m.FundBudget.year == year)
    if fund is not None:
        query = query.where(m.FundBudget.fund == fund)
    return [BudgetLine(r.year, r.fund, r.county, r.revenue, r.expenditure)
            for r in session.execute(query.order_by(m.FundBudget.fund, m.FundBudget.county)).scalars()]


def _plan(lines: list[BudgetLine], fund: str, county: str) -> tuple[Fen, Fen]:
    chosen = [line for line in lines if line.fund == fund and (county == POOL or line.county == county)]
    return sum(line.revenue for line in chosen), sum(line.expenditure for line in chosen)


def _scopes(lines: list[BudgetLine], rows: Mapping[tuple[str, str], FundFigures], fund: str) -> list[str]:
    counties = {line.county for line in lines if line.fund == fund} | {c for f, c in rows if f == fund and c != POOL}
    return [*sorted(counties), POOL]


def _flows(rows: Mapping[tuple[str, str], FundFigures], fund: str, county: str) -> Flows:
    found = rows.get((fund, county))
    return found.flows if found is not None else Flows(0, 0, 0, 0, 0)


def execution_rows(session: Session, year: int, month: int, fund: str) -> list[Execution]:
    """预算执行 of a fund to the end of `month`: every county with a budget line or postings, then the pool."""
    lines = budget_lines(session, year, fund)
    rows = figures_between(session, dt.date(year, 1, 1), month_end(year, month), funds=[fund])
    result = []
    for county in _scopes(lines, rows, fund):
        plan_revenue, plan_expenditure = _plan(lines, fund, county)
        done = _flows(rows, fund, county)
        result.append(Execution(year, month, fund, county, plan_revenue, plan_expenditure, done.revenue,
                                done.expenditure))
    return result


def final_accounts_rows(session: Session, year: int, fund: str) -> list[FinalAccounts]:
    """决算 of a fund for the year, per county then the pool, from the ledger and the budget."""
    lines = budget_lines(session, year, fund)
    rows = figures_between(session, dt.date(year, 1, 1), dt.date(year, 12, 31), funds=[fund])
    result = []
    for county in _scopes(lines, rows, fund):
        plan_revenue, plan_expenditure = _plan(lines, fund, county)
        flows = _flows(rows, fund, county)
        result.append(FinalAccounts(year, fund, county, flows, plan_revenue, plan_expenditure,
                                    Decimal(flows.expenditure) / 12))
    return result


# ---------------------------------------------------------------- balances

def balances(store: Store, on: dt.date, county: str | None = None) -> dict[tuple[str, str], FundFigures]:
    """Every fund's balance at the end of `on` (and the year's revenue and spending to that day),
    per county (one county when given) and for the pool."""
    return store.read(lambda session: figures_between(session, dt.date(on.year, 1, 1), on, county=county))


# ---------------------------------------------------------------- monthly close

def parse_month(text: str, field: str = "--month") -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        dt.date(year, month, 1)
    except ValueError:
        raise FundInputError(field, f"expected YYYY-MM, got {text!r}") from None
    return year, month


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def close_rows(session: Session, year: int, month: int) -> dict[str, list[CloseRow]]:
    """月结 figures per fund that has postings: the month's flows and the year-to-date execution."""
    start, end = dt.date(year, month, 1), month_end(year, month)
    month_rows = figures_between(session, start, end)
    result: dict[str, list[CloseRow]] = {}
    for fund in sorted({f for f, _ in month_rows}):
        executions = {e.county: e for e in execution_rows(session, year, month, fund)}
        result[fund] = [CloseRow(county, _flows(month_rows, fund, county), executions[county])
                        for county in executions]
    return result


def close_month(store: Store, month_text: str, by: str, summary_of=None) -> m.LedgerClose:
    """Close a month: record the close (who, the last entry seen, the month's figures); from then on no
    entry may be booked on or before its last day. Months close in order."""
    year, month = parse_month(month_text)
    if not by.strip():
        raise FundInputError("--by", "a close names who closed the month")

    def work(session: Session) -> m.LedgerClose:
        if store.dialect == "postgresql":  # wait for writers in flight; none may start until we commit
            session.execute(text("LOCK TABLE journal_entry IN SHARE MODE"))
        key = f"{year:04d}-{month:02d}"
        if session.get(m.LedgerClose, key) is not None:
            raise FundInputError("--month", f"{key} 已月结")
        last = session.execute(select(m.LedgerClose).order_by(m.LedgerClose.period_end.desc()).limit(1)
                               ).scalar_one_or_none()
        if last is not None:
            expected = "%04d-%02d" % _next_month(*parse_month(last.month))
            if key != expected:
                raise FundInputError("--month", f"月结须按月顺序进行：上次月结 {last.month}，下一个应为 {expected}")
        rows = close_rows(session, year, month)
        summary = summary_of(rows) if summary_of is not None else {}
        last_id = session.execute(select(func.max(m.JournalEntry.id))).scalar_one_or_none() or 0
        row = m.LedgerClose(month=key, period_end=month_end(year, month), closed_by=by.strip(),
                            last_entry_id=int(last_id), summary=summary)
        session.add(row)
        session.flush()
        return row
    return store.transaction(work)


def closes(session: Session) -> list[m.LedgerClose]:
    return list(session.execute(select(m.LedgerClose).order_by(m.LedgerClose.period_end)).scalars())


# ---------------------------------------------------------------- legacy handover

def handover(store: Store, rule: LegacyHandoverRule, fund: str, county: str, legacy_balance: Fen,
             arrears: list[Arrear], until: dt.date) -> tuple[HandoverPlan, list[Posted]]:
    """Record the county's legacy balance (once), clear its arrears on the pooling start and hand over
    the tranches due by `until`; later runs post the later tranches."""
    _check_fund(fund, "--fund")
    plan = handover_plan(fund, county, legacy_balance, arrears, rule)
    opening_day = rule.start - dt.timedelta(days=1)

    def work(session: Session) -> list[Posted]:
        _check_county(session, county, "--county")
        entries = [legacy_opening_entry(fund, county, opening_day, legacy_balance)] if legacy_balance else []
        entries += [movement_entry(mv) for mv in plan.movements if mv.on <= until]
        return post_all(session, entries)
    return plan, store.transaction(work)


# ---------------------------------------------------------------- risk adjustment

def _holder_check(rule: RiskAdjustmentRule) -> None:
    if len(rule.holder) > 6:
        raise FundInputError("holder", f"the holder's code must be a 6-digit admdvs, got {rule.holder!r}")


def remittance_base(session: Session, rule: RiskAdjustmentRule, year: int) -> dict[tuple[str, str], Fen]:
    """筹资总额 of the previous year per (fund, county) of the rule's funds, from the ledger."""
    return revenue_by_county(session, dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31), rule.funds,
                             rule.remittance.revenue_causes)


def remit(store: Store, rule: RiskAdjustmentRule, year: int, on: dt.date
          ) -> tuple[dict[tuple[str, str], Fen], list[Movement], list[Posted]]:
    """上解: each county remits rate × its previous year's pooled-fund revenue (from the ledger)."""
    _holder_check(rule)

    def work(session: Session):
        base = {key: amount for key, amount in remittance_base(session, rule, year).items() if amount > 0}
        moves = ra.remittances(base, rule, on)
        return base, moves, post_all(session, [movement_entry(mv, year=year) for mv in moves])
    return store.transaction(work)


def adjustment_balance(session: Session, rule: RiskAdjustmentRule, on: dt.date) -> Fen:
    rows = figures_between(session, dt.date(on.year, 1, 1), on, county=rule.holder, funds=[Fund.RISK_ADJUSTMENT])
    found = rows.get((Fund.RISK_ADJUSTMENT.value, rule.holder))
    return found.balance if found is not None else 0


def allocate(store: Store, rule: RiskAdjustmentRule, fund: str, year: int, on: dt.date,
             conditions: Mapping[str, Iterable[str]]) -> tuple[list[ra.Claim], Fen, list[Movement], list[Posted]]:
    """下拨 for `year`: each county's overspend against its budget (from the ledger and the store's budget),
    the rule's claim, pro rata when the fund is short; posted as allocations."""
    _holder_check(rule)
    _check_fund(fund, "--fund")

    def work(session: Session):
        lines = budget_lines(session, year, fund)
        if not lines:
            raise FundInputError("--year", f"{year} 年 {fund} 没有预算，无法计算超支")
        rows = figures_between(session, dt.date(year, 1, 1), dt.date(year, 12, 31), funds=[fund])
        claims = []
        for line in lines:
            actual = _flows(rows, fund, line.county).expenditure
            met = frozenset(conditions.get(line.county, ()))
            claims.append(ra.allocation_claim(ra.MemberYear(line.county, line.expenditure, actual, met), rule))
        available = adjustment_balance(session, rule, on)
        moves = ra.allocations(claims, max(0, available), rule, fund, on)
        return claims, available, moves, post_all(session, [movement_entry(mv, year=year) for mv in moves])
    return store.transaction(work)


def risk_statement(session: Session, rule: RiskAdjustmentRule, year: int) -> ra.Statement:
    """风险调剂金收支表 of a year from the ledger (remittances and allocations by county)."""
    fund, holder = Fund.RISK_ADJUSTMENT.value, rule.holder
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rows = figures_between(session, start, end, county=holder, funds=[fund])
    found = rows.get((fund, holder))
    flows = found.flows if found is not None else Flows(0, 0, 0, 0, 0)
    by_cause: dict[str, dict[str, Fen]] = {"remittance": defaultdict(int), "allocation": defaultdict(int)}
    query = (select(m.JournalEntry.cause_type, m.JournalEntry.county, func.sum(m.Posting.debit),
                    func.sum(m.Posting.credit))
             .join(m.Posting, m.Posting.entry_id == m.JournalEntry.id)
             .where(m.JournalEntry.cause_type.in_(("remittance", "allocation")), m.Posting.fund == fund,
                    m.Posting.county == holder, m.Posting.title == str(Title.BANK),
                    m.JournalEntry.booked_on >= start, m.JournalEntry.booked_on <= end)
             .group_by(m.JournalEntry.cause_type, m.JournalEntry.county))
    for cause, county, debit, credit in session.execute(query):
        by_cause[cause][county] += int(debit or 0) - int(credit or 0) if cause == "remittance" else \
            int(credit or 0) - int(debit or 0)
    remitted, allocated = dict(sorted(by_cause["remittance"].items())), dict(sorted(by_cause["allocation"].items()))
    other_in = flows.revenue
    other_out = flows.opening + sum(remitted.values()) + other_in - sum(allocated.values()) - flows.closing
    return ra.Statement(year, flows.opening, remitted, allocated, other_in, other_out)


# ---------------------------------------------------------------- deficit, premium

def cover_deficit(store: Store, rule: DeficitSharingRule, fund: str, county: str, year: int, on: dt.date,
                  conditions_met: bool, adjustment_holder: str | None = None
                  ) -> tuple[deficit_core.Resolution, list[Posted]]:
    """Meet the county's current gap of `year` in the funding order; the accumulated balance brought into
    the year, the allocation already posted for the year and the term deposits are what the steps have."""
    _check_fund(fund, "--fund")

    def work(session: Session):
        _check_county(session, county, "--county")
        rows = figures_between(session, dt.date(year, 1, 1), dt.date(year, 12, 31), county=county, funds=[fund])
        flows = _flows(rows, fund, county)
        gap = deficit_core.current_gap(flows.revenue, flows.expenditure)
        allocated = 0
        for s in title_sums(session, start=dt.date(year, 1, 1), end=on, cause_types=["allocation"], funds=[fund]):
            if s.county == county and s.title == Title.REVENUE_TRANSFER_IN:
                allocated += s.credit - s.debit
        deposits = rows[(fund, county)].deposit if (fund, county) in rows else 0
        available = deficit_core.Available(max(0, flows.opening), max(0, allocated), max(0, deposits),
                                            conditions_met)
        holder = Pocket(Fund.RISK_ADJUSTMENT.value, adjustment_holder) if adjustment_holder else None
        if allocated and holder is None:
            raise FundInputError("--adjustment-holder", "an allocation was posted: name the adjustment fund's holder")
        resolution = deficit_core.cover_gap(gap, available, rule, fund, county, on, holder)
        return resolution, post_all(session, [movement_entry(mv, year=year) for mv in resolution.movements])
    return store.transaction(work)


def post_premium(store: Store, county: str, year: int, period: str, on: dt.date, amount: Fen,
                 insurer: str | None) -> Posted:
    """购买大病保险: the premium leaves the resident pooled fund as an earmarked amount."""
    def work(session: Session) -> Posted:
        _check_county(session, county, "--county")
        return post_all(session, [premium_entry(f"premium:{insurer or 'self'}:{county}:{year}:{period}", county, on,
                                                amount, insurer)])[0]
    return store.transaction(work)


# ---------------------------------------------------------------- the fund operation report

SOURCES = {
    Title.REVENUE_INDIVIDUAL: "individual", Title.REVENUE_EMPLOYER: "employer",
    Title.REVENUE_SUBSIDY_CENTRAL: "central_subsidy", Title.REVENUE_SUBSIDY_PROVINCIAL: "provincial_subsidy",
    Title.REVENUE_SUBSIDY_CITY: "city_subsidy", Title.REVENUE_SUBSIDY_COUNTY: "county_subsidy",
    Title.REVENUE_SUBSIDY: "subsidy",
}
POOLED_FUND = {RESIDENT: Fund.RESIDENT_POOLED.value, EMPLOYEE: Fund.EMPLOYEE_POOLED.value}


# ---------------------------------------------------------------- funding from the ledger

def _year(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def insured_of(session: Session, year: int, county: str | None, insutype: str) -> int:
    start, end = _year(year)
    query = select(func.count(func.distinct(m.Enrolment.psn_no))).where(
        m.Enrolment.insutype == insutype, m.Enrolment.start <= end,
        or_(m.Enrolment.end.is_(None), m.Enrolment.end >= start))
    if county is not None:
        query = query.where(m.Enrolment.county == county)
    return int(session.execute(query).scalar_one())


FUNDING_CAUSES = ("contribution", "subsidy", "premium")


@dataclass(frozen=True)
class CauseSum:
    """Σ debit and Σ credit of a fund's title in a county, for entries of one cause type."""

    fund: str
    county: str
    title: str
    cause_type: str
    debit: int
    credit: int


def funding_sums(session: Session, year: int) -> list[CauseSum]:
    """The year's postings of the causes that fund a scheme, summed per fund, county, title and cause
    (one scan of the ledger for every scheme's funding)."""
    start, end = _year(year)
    query = (select(m.Posting.fund, m.Posting.county, m.Posting.title, m.JournalEntry.cause_type,
                    func.sum(m.Posting.debit), func.sum(m.Posting.credit))
             .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
             .where(m.JournalEntry.booked_on >= start, m.JournalEntry.booked_on <= end,
                    m.JournalEntry.cause_type.in_(FUNDING_CAUSES))
             .group_by(m.Posting.fund, m.Posting.county, m.Posting.title, m.JournalEntry.cause_type))
    return [CauseSum(fund, county, title, cause, int(debit or 0), int(credit or 0))
            for fund, county, title, cause, debit, credit in session.execute(query)]


def _sums(sums: list[CauseSum], county: str | None, fund: str, causes: tuple[str, ...]) -> list[CauseSum]:
    return [s for s in sums if s.fund == fund and s.cause_type in causes and (county is None or s.county == county)]


def funding_of(sums: list[CauseSum], insured: int, county: str | None, insutype: str,
               name: str | None = None) -> Funding:
    """A scheme's funding from the year's `funding_sums` (pure)."""
    by_source: dict[str, int] = defaultdict(int)
    for s in _sums(sums, county, POOLED_FUND[insutype], ("contribution", "subsidy")):
        if s.title in REVENUE_TITLES and s.title in SOURCES:
            by_source[SOURCES[Title(s.title)]] += s.credit - s.debit
    earmarked: dict[str, int] = {}
    if insutype == EMPLOYEE:
        account = sum(s.credit for s in _sums(sums, county, Fund.PERSONAL_ACCOUNT.value, ("contribution",))
                      if s.title == Title.ACCOUNT_HOLDER)  # a relative's payment debits an account: not counted
        if account:
            by_source["individual"] += account
            earmarked["personal_account"] = account
    else:
        for item, title in (("premiums", Title.EXPENSE_PREMIUM), ("critical_illness_fund", Title.EXPENSE_TRANSFER_OUT)):
            amount = sum(s.debit - s.credit for s in _sums(sums, county, Fund.RESIDENT_POOLED.value, ("premium",))
                         if s.title == title)
            if amount:
                earmarked[item] = amount
    return totals_funding(insutype, insured, dict(sorted(by_source.items())), earmarked, name)


# ---------------------------------------------------------------- claims from the settlements

def claims_cells(session: Session, period: Period, county: str | None) -> dict[str, tuple[ClaimsCell, ...]]:
    """The period's non-cancelled settlements summed per scheme by visit type, tier and poverty flag."""
    s = m.Settlement
    cancelled = select(m.SettlementCancellation.setl_id)
    query = (select(s.insutype, s.med_type, s.admin_tier, cast(s.assistance, String), func.count(),
                    func.sum(s.medfee_sumamt), func.sum(s.hifp_pay))
             .where(s.enddate >= period.start, s.enddate <= period.end, s.setl_id.not_in(cancelled))
             .group_by(s.insutype, s.med_type, s.admin_tier, cast(s.assistance, String)))
    if county is not None:
        query = query.where(s.county == county)
    return cells_of(session.execute(query).all())


def _poverty(assistance: str | None) -> bool:
    return bool(assistance) and "poverty" in (json.loads(assistance) or [])


def cells_of(rows: list[tuple]) -> dict[str, tuple[ClaimsCell, ...]]:
    """Grouped settlement rows (insutype, med_type, admin_tier, assistance JSON, count, medfee, fund paid)
    as cells per scheme, merged by visit type, tier and poverty flag."""
    sums: dict[str, dict[tuple[str, str, bool], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for insutype, med_type, admin_tier, assistance, count, medfee, paid in rows:
        key = (visit_type_of(str(med_type)), (admin_tier or "").strip().lower() or "unknown", _poverty(assistance))
        total = sums[str(insutype)][key]
        total[0] += int(count)
        total[1] += int(medfee or 0)
        total[2] += int(paid or 0)
    return {insutype: tuple(ClaimsCell(v, t, p, *total) for (v, t, p), total in sorted(cells.items()))
            for insutype, cells in sums.items()}


def schemes_of(session: Session) -> list[str]:
    """The schemes the store has insured persons of (390 and 310 in a city pool)."""
    found = set(session.execute(select(m.Enrolment.insutype).distinct()).scalars())
    return [insutype for insutype in (RESIDENT, EMPLOYEE) if insutype in found] or [RESIDENT]


# ---------------------------------------------------------------- the report

def scheme_reports(session: Session, period: Period, comparison: Period | None, county: str | None,
                   name: str | None, thresholds: WarningThresholds) -> dict[str, dict[str, Any]]:
    """Each scheme's report (with its warnings) from its own claims and its own fund's income."""
    cells = claims_cells(session, period, county)
    before = claims_cells(session, comparison, county) if comparison is not None else {}
    sums = funding_sums(session, period.start.year)
    earlier = funding_sums(session, comparison.start.year) if comparison is not None else []

    def funding(year_sums: list[CauseSum], year: int, insutype: str) -> Funding:
        return funding_of(year_sums, insured_of(session, year, county, insutype), county, insutype, name)

    reports = {}
    for insutype in schemes_of(session):
        current = PeriodFigures(period, cells.get(insutype, ()), funding(sums, period.start.year, insutype))
        previous = None if comparison is None else PeriodFigures(
            comparison, before.get(insutype, ()), funding(earlier, comparison.start.year, insutype))
        report = build_fund_operation_report(current, previous, county_admdvs=county, insutype=insutype)
        reports[insutype] = with_warnings(report, thresholds)
    return reports


def fund_operation_from_store(session: Session, period: Period, comparison: Period | None, county: str | None,
                              name: str | None, main: str = RESIDENT,
                              thresholds: WarningThresholds | None = None) -> dict[str, Any]:
    """The report of scheme `main` at the top level and every scheme under `by_scheme`."""
    reports = scheme_reports(session, period, comparison, county, name, thresholds or WarningThresholds())
    return with_schemes(main, reports)

