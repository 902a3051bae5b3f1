"""The fund against the store (a thin shell): budgets, balances, fund movements posted to the ledger,
monthly closes, final accounts and the risk adjustment fund's statement.

Every operation that writes is ONE transaction: its entries are all posted or none is. Posting is
idempotent: an entry whose cause is already in the ledger with the same lines is skipped (a retried
command posts nothing twice); with different lines it is an error naming the cause. Entries dated in a
closed month are refused (here with a Chinese message; a database trigger refuses them anyway).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tongchou.funds import deficit as deficit_core
from tongchou.funds import risk_adjustment as ra
from tongchou.funds.budget import POOL, BudgetLine, CloseRow, Execution, FinalAccounts, month_end
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import DeficitSharingRule, LegacyHandoverRule, RiskAdjustmentRule
from tongchou.funds.postings import legacy_opening_entry, movement_entry, premium_entry
from tongchou.funds.subledger import Flows, Movement, Pocket
from tongchou.funds.transition import Arrear, HandoverPlan, handover_plan
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.balances import FundFigures, figures_between, revenue_by_county, title_sums
from tongchou.ledger.book import closed_to, entry_lines, record
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
