"""Monthly clearing and year-end settlement against the store (a thin shell over the clearing core).

- `import_plan`: the year's clearing plan (DIP budget, global budgets, assessment scores, capitation);
- `run_month`: per institution, the statement of the settlement events (settlements and cancellations)
  booked up to the month's end and not yet cleared, by scheme, fund and med_type; the 3201
  reconciliation against the institution's declared totals; a draft `clearing_run` each (a new run
  replaces the month's drafts);
- `approve`: a draft becomes approved by a named user (a mismatched reconciliation only when accepted);
- `pay`: an approved run is paid: its journal entry (`clearing.payment`) is posted, the run is paid;
- `year_end`: global budget adjustments, DIP liquidation and the quality reserve's release
  (`yearend.settle_year` over the paid monthly runs), once every monthly run of the year is paid;
  approved and paid the same way.

The one module of the package that touches the store; every operation is one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.orm import Session

from tongchou.access.models import ManualClaim
from tongchou.clearing import dip as dip_core
from tongchou.clearing.documents import statement_document
from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.monthly import MonthEvent, MonthlySettlement, dip_units, settle_month
from tongchou.clearing.payment import DueKey, Member, MonthlyPayment, YearEndPayment
from tongchou.clearing.plan import ClearingPlan, parse_plan, stored_plan
from tongchou.clearing.records import TOTAL_FIELDS, Institution, Period, Totals
from tongchou.clearing.rules import ClearingRules
from tongchou.clearing.statement import DeclaredTotals
from tongchou.clearing.yearend import MonthlySummary, YearEndSettlement, settle_year
from tongchou.documents import to_json
from tongchou.ledger.service import record
from tongchou.ledger.postings import settlement_facts
from tongchou.money import Fen
from tongchou.store import models as m
from tongchou.store.uow import Store

MONTHLY, YEAR_END = "monthly", "year_end"


# ---------------------------------------------------------------- plan

def import_plan(store: Store, year: int, data: Any, by: str | None = None) -> dict[str, Any]:
    """Store the year's plan (replacing it); returns it as stored (amounts in fen)."""
    plan = parse_plan(data)

    def work(session: Session) -> dict[str, Any]:
        for code in plan.institutions():
            if session.get(m.Institution, code) is None:
                raise ClearingInputError(f"plan: {code}", "没有这个机构")
        stored = plan.stored()
        row = session.get(m.ClearingPlan, year)
        if row is None:
            session.add(m.ClearingPlan(year=year, plan=stored, updated_by=by))
        else:
            row.plan, row.updated_by, row.updated_at = stored, by, dt.datetime.now(dt.timezone.utc)
        return stored
    return store.transaction(work)


def load_plan(session: Session, year: int) -> ClearingPlan:
    row = session.get(m.ClearingPlan, year)
    return stored_plan(row.plan) if row is not None else ClearingPlan()


# ---------------------------------------------------------------- events

def _events(session: Session, end: dt.date) -> list[tuple[m.Settlement, int, dt.date]]:
    """Settlement events booked up to `end` not yet taken into a run: (settlement, sign, booked on).
    A manual reimbursement (零星报销, a `console_manual_claim` row) is left out: the person paid the institution
    in full, and the fund pays the person through a bank payment file (代发, `tongchou.payments`)."""
    entry = m.JournalEntry
    manual = ~exists().where(ManualClaim.setl_id == m.Settlement.setl_id)
    settled = (select(m.Settlement, entry.booked_on)
               .join(entry, and_(entry.cause_type == "settlement", entry.cause_id == m.Settlement.setl_id))
               .where(entry.booked_on <= end, manual,
                      ~exists().where(m.ClearingItem.setl_id == m.Settlement.setl_id, m.ClearingItem.sign == 1)))
    cancelled = (select(m.Settlement, entry.booked_on)
                 .join(entry, and_(entry.cause_type == "cancellation", entry.cause_id == m.Settlement.setl_id))
                 .where(entry.booked_on <= end, manual,
                        ~exists().where(m.ClearingItem.setl_id == m.Settlement.setl_id, m.ClearingItem.sign == -1)))
    events = [(row, 1, booked) for row, booked in session.execute(settled)]
    events += [(row, -1, booked) for row, booked in session.execute(cancelled)]
    return sorted(events, key=lambda e: (e[0].fixmedins_code, e[2], e[0].setl_id, -e[1]))


def _totals(row: m.Settlement, sign: int) -> Totals:
    return Totals(**{name: sign * (1 if name == "setl_cnt" else getattr(row, name)) for name in TOTAL_FIELDS})


def _institution(row: m.Institution) -> Institution:
    return Institution(row.code, row.name, row.hosp_lv)


def dip_case(row: m.Settlement, rules: ClearingRules, index,
             listed: tuple[str | None, str | None] | None = None) -> dip_core.CasePoints:
    """A settlement's DIP group and points, by its main diagnosis and procedure: those of its settlement list
    (医保结算清单, 4101/4101A; `listed`) when the institution uploaded one, else the settlement's own. Without a
    main diagnosis (settlements made before revision 0009, console claims) its disease code stands in: an
    admission's `dise_code` is the main diagnosis when the institution sends no disease code."""
    diag, oprn = listed if listed and listed[0] else (row.diag_code, row.oprn_code)
    group = dip_core.match_group(rules.dip, diag or row.dise_code or "", oprn or "", index)
    return dip_core.case_points(group, row.medfee_sumamt, rules.dip)


def listed_codes(session: Session, setl_ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """The main diagnosis and procedure of the settlement lists of these settlements, by setl_id."""
    ids = list(setl_ids)
    found: dict[str, tuple[str | None, str | None]] = {}
    for start in range(0, len(ids), 500):
        query = select(m.SetlList.setl_id, m.SetlList.diag_code, m.SetlList.oprn_code).where(
            m.SetlList.setl_id.in_(ids[start:start + 500]))
        found.update({setl_id: (diag, oprn) for setl_id, diag, oprn in session.execute(query)})
    return found


# ---------------------------------------------------------------- (de)serialising the ledger side

def _pockets(items: Mapping[tuple[str, str], Fen]) -> list[dict[str, Any]]:
    return [{"fund": f, "county": c, "amount": v} for (f, c), v in sorted(items.items()) if v]


def _from_pockets(items: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Fen]:
    return {(i["fund"], i["county"]): int(i["amount"]) for i in items}


def payment_json(p: MonthlyPayment) -> dict[str, Any]:
    return {"cleared": [{**asdict(k), "amount": v} for k, v in sorted(p.cleared.items()) if v],
            "reserve": _pockets(p.reserve), "dip_prepaid": _pockets(p.dip_prepaid),
            "capitation": _pockets(p.capitation), "payable": p.payable}


def payment_of(code: str, period: str, data: Mapping[str, Any]) -> MonthlyPayment:
    cleared = {DueKey(i["field"], i["fund"], i["county"], i["insurer"]): int(i["amount"]) for i in data["cleared"]}
    return MonthlyPayment(code, period, cleared, _from_pockets(data["reserve"]), _from_pockets(data["dip_prepaid"]),
                          _from_pockets(data["capitation"]))


def year_end_json(p: YearEndPayment) -> dict[str, Any]:
    return {name: _pockets(getattr(p, name)) for name in
            ("global_budget", "dip_final", "dip_dues", "dip_prepaid", "reserve_withheld", "reserve_released")
            } | {"payable": p.payable}


def year_end_of(code: str, year: int, data: Mapping[str, Any]) -> YearEndPayment:
    return YearEndPayment(code, year, *(_from_pockets(data[name]) for name in
                                        ("global_budget", "dip_final", "dip_dues", "dip_prepaid",
                                         "reserve_withheld", "reserve_released")))


# ---------------------------------------------------------------- monthly run

def _member(session: Session, code: str) -> Member:
    row = session.get(m.Institution, code)
    if row is None:
        raise ClearingInputError(f"plan: {code}", "没有这个机构")
    return Member(_institution(row), row.county)


def _month_events(session: Session, end: dt.date, done: set[str], rules: ClearingRules, dip_on: bool
                  ) -> dict[str, list[tuple[m.Settlement, MonthEvent]]]:
    index = dip_core.catalogue_index(rules.dip) if dip_on else None
    dip_types = set(rules.dip.med_types)
    events: dict[str, list[tuple[m.Settlement, MonthEvent]]] = defaultdict(list)
    rows = [(row, sign) for row, sign, _booked in _events(session, end) if row.fixmedins_code not in done]
    listed = listed_codes(session, (row.setl_id for row, _sign in rows)) if dip_on else {}
    for row, sign in rows:
        units = dip_case(row, rules, index, listed.get(row.setl_id)).units \
            if dip_on and row.med_type in dip_types else 0
        events[row.fixmedins_code].append((row, MonthEvent(settlement_facts(row), sign, _totals(row, sign), units)))
    return events


def run_month(store: Store, rules: ClearingRules, month: str,
              declared: Mapping[str, DeclaredTotals] | None = None) -> list[m.ClearingRun]:
    """Draft statements (`monthly.settle_month`) of every institution with events up to the month's end
    (replacing the month's drafts)."""
    period = Period.month(month)
    declared = declared or {}

    def work(session: Session) -> list[m.ClearingRun]:
        done = set(session.execute(select(m.ClearingRun.fixmedins_code).where(
            m.ClearingRun.kind == MONTHLY, m.ClearingRun.period == month, m.ClearingRun.status != "draft")).scalars())
        drafts = select(m.ClearingRun.id).where(m.ClearingRun.kind == MONTHLY, m.ClearingRun.period == month,
                                                m.ClearingRun.status == "draft")
        session.execute(delete(m.ClearingItem).where(m.ClearingItem.run_id.in_(drafts)))
        session.execute(delete(m.ClearingRun).where(m.ClearingRun.id.in_(drafts)))
        later = session.execute(select(m.ClearingRun.period).where(
            m.ClearingRun.kind == MONTHLY, m.ClearingRun.period > month)).scalars().first()
        if later is not None:
            raise ClearingInputError("--month", f"{later} 已有清算，不能再清算更早的 {month}")
        plan = load_plan(session, period.start.year)
        events = _month_events(session, period.end, done, rules, plan.dip_budget is not None)
        units = [dip_units((e for _row, e in items), rules) for items in events.values()]
        month_units = sum(u for u in units if u > 0) if plan.dip_budget is not None else 0
        codes = sorted(set(events) | {c for c, months in plan.capitation.items() if month in months} - done)
        missing = sorted(set(declared) - set(codes))
        if missing:
            raise ClearingInputError(f"--declared {missing[0]}", f"no settlements of this institution to clear in {month}")
        runs = []
        for code in codes:
            items = events.get(code, [])
            settlement = settle_month(_member(session, code), month, [e for _row, e in items], month_units, plan,
                                      rules, declared.get(code))
            runs.append(_save_month(session, settlement, [(row, e.sign) for row, e in items], rules))
        return runs
    return store.transaction(work)


def _monthly_document(s: MonthlySettlement, rules: ClearingRules) -> dict[str, Any]:
    doc = to_json(statement_document(s.statement, rules, s.reconciliation))
    prepayment, capitation = s.prepayment, s.capitation
    doc["ledger"] = payment_json(s.payment)
    doc["by_fund"] = _by_fund(s.dues, s.dip_dues)
    doc["adjustments"] = {
        "dip_dues": _pockets(s.dip_dues), "dip_units": s.dip_units,
        "dip_prepayment": None if prepayment is None else {
            "points": str(prepayment.points), "point_value": str(prepayment.point_value),
            "coefficient": str(prepayment.coefficient), "rate": str(prepayment.rate), "prepaid": prepayment.prepaid},
        "capitation": None if capitation is None else {
            "person_months": capitation.person_months, "per_person_month": capitation.per_person_month,
            "costs": capitation.costs, "balance": capitation.balance},
    }
    doc["payable_fen"] = s.payment.payable
    return doc


def _save_month(session: Session, s: MonthlySettlement, events: list[tuple[m.Settlement, int]],
                rules: ClearingRules) -> m.ClearingRun:
    row = m.ClearingRun(fixmedins_code=s.member.institution.code, period=s.month, kind=MONTHLY, status="draft",
                        county=s.member.county, payable=s.payment.payable, document=_jsonable(_monthly_document(s, rules)),
                        matched=None if s.reconciliation is None else s.reconciliation.matched)
    session.add(row)
    session.flush()
    if events:
        session.execute(m.ClearingItem.__table__.insert(),
                        [{"run_id": row.id, "setl_id": r.setl_id, "sign": sign} for r, sign in events])
    return row


def _by_fund(dues: Mapping[DueKey, Fen], dip_dues: Mapping[tuple[str, str], Fen]) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str, str], Fen] = defaultdict(int)
    for key, amount in dues.items():
        rows[(key.fund, key.field, key.insurer)] += amount
    for (fund, _county), amount in dip_dues.items():
        rows[(fund, "hifp_pay(DIP)", "")] += amount
    return [{"fund": f, "field": field, "insurer": insurer, "amount": v} for (f, field, insurer), v in sorted(rows.items())]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- approve, pay

def _runs(session: Session, kind: str, period: str, status: str, institution: str | None) -> list[m.ClearingRun]:
    query = select(m.ClearingRun).where(m.ClearingRun.kind == kind, m.ClearingRun.period == period,
                                        m.ClearingRun.status == status)
    if institution is not None:
        query = query.where(m.ClearingRun.fixmedins_code == institution)
    return list(session.execute(query.order_by(m.ClearingRun.fixmedins_code).with_for_update()).scalars())


def approve(store: Store, kind: str, period: str, by: str, institution: str | None = None,
            accept_difference: bool = False) -> list[m.ClearingRun]:
    if not by.strip():
        raise ClearingInputError("--by", "an approval names who approves")

    def work(session: Session) -> list[m.ClearingRun]:
        runs = _runs(session, kind, period, "draft", institution)
        if not runs:
            raise ClearingInputError("--institution" if institution else "--month", f"{period} 没有待审核的清算单")
        for run in runs:
            if run.matched is False and not accept_difference:
                raise ClearingInputError(f"{run.fixmedins_code}", "对账不一致：核实后以 --accept-difference 审核")
            run.status, run.approved_by = "approved", by.strip()
            run.approved_at = dt.datetime.now(dt.timezone.utc)
        return runs
    return store.transaction(work)


def pay(store: Store, kind: str, period: str, on: dt.date, institution: str | None = None) -> list[m.ClearingRun]:
    """Post the payment entry of every approved run of the period and mark it paid (one transaction)."""
    def work(session: Session) -> list[m.ClearingRun]:
        last = session.execute(select(m.LedgerClose.period_end).order_by(m.LedgerClose.period_end.desc())
                               ).scalars().first()
        if last is not None and on <= last:
            raise ClearingInputError("--on", f"{on} 所在月份已月结（已结至 {last}），请在未结月份支付")
        runs = _runs(session, kind, period, "approved", institution)
        if not runs:
            raise ClearingInputError("--institution" if institution else "--month", f"{period} 没有已审核待支付的清算单")
        for run in runs:
            ledger = run.document["ledger"]
            payment = (payment_of(run.fixmedins_code, period, ledger) if kind == MONTHLY
                       else year_end_of(run.fixmedins_code, int(period), ledger))
            entry = payment.entry(run.county, on)
            run.entry_id = record(session, entry) if entry.lines else None
            run.status, run.paid_on = "paid", on
        return runs
    return store.transaction(work)


# ---------------------------------------------------------------- year end

def _monthly_summary(run: m.ClearingRun) -> MonthlySummary:
    payment, adjustments = payment_of(run.fixmedins_code, run.period, run.document["ledger"]), run.document["adjustments"]
    return MonthlySummary(run.fixmedins_code, run.period, payment.cleared, _from_pockets(adjustments["dip_dues"]),
                          int(adjustments["dip_units"]), payment.dip_prepaid, payment.reserve)


def _year_end_document(s: YearEndSettlement) -> dict[str, Any]:
    doc: dict[str, Any] = {"institution": asdict(s.member.institution), "year": s.year}
    if s.global_budget is not None:
        gb = s.global_budget
        doc["global_budget"] = {"budget": gb.budget, "actual": gb.actual, "overspend": gb.overspend,
                                "surplus": gb.surplus, "fund_bears": gb.fund_bears,
                                "institution_bears": gb.institution_bears, "surplus_reward": gb.surplus_reward,
                                "recognised": gb.recognised, "adjustment": gb.adjustment}
    if s.dip is not None:
        year = {} if s.dip.year is None else {"budget": s.dip.year.budget, "total_points": str(s.dip.year.total_points),
                                              "point_value": str(s.dip.year.point_value)}
        doc["dip"] = {**year, "points": str(s.dip.points), "final": s.dip.final, "dues": s.dip.dues,
                      "prepaid": s.dip.prepaid, "liquidation": s.dip.liquidation}
    if s.quality_reserve is not None:
        r = s.quality_reserve
        doc["quality_reserve"] = {"score": str(r.score), "ratio": str(r.ratio), "withheld": r.withheld,
                                  "released": r.released, "forfeited": r.forfeited}
    return {**doc, "ledger": year_end_json(s.payment), "payable_fen": s.payment.payable}


def year_end(store: Store, rules: ClearingRules, year: int) -> list[m.ClearingRun]:
    """Draft year-end settlements (`yearend.settle_year`) once every monthly run of the year is paid."""
    def work(session: Session) -> list[m.ClearingRun]:
        runs = list(session.execute(select(m.ClearingRun).where(
            m.ClearingRun.kind == MONTHLY, m.ClearingRun.period.like(f"{year}-%"))).scalars())
        open_runs = sorted(r.period for r in runs if r.status != "paid")
        if open_runs:
            raise ClearingInputError("--year", f"{open_runs[0]} 的月度清算尚未支付，不能年终清算")
        left = [row.setl_id for row, _sign, booked in _events(session, dt.date(year, 12, 31)) if booked.year == year]
        if left:
            raise ClearingInputError("--year", f"{year} 年尚有 {len(left)} 笔结算未清算（如 {left[0]}），请先完成月度清算")
        session.execute(delete(m.ClearingRun).where(m.ClearingRun.kind == YEAR_END, m.ClearingRun.period == str(year),
                                                    m.ClearingRun.status == "draft"))
        if session.execute(select(m.ClearingRun.id).where(m.ClearingRun.kind == YEAR_END,
                                                          m.ClearingRun.period == str(year))).first():
            raise ClearingInputError("--year", f"{year} 年终清算已审核或已支付")
        plan = load_plan(session, year)
        months = [_monthly_summary(run) for run in runs]
        members = {code: _member(session, code) for code in {s.institution for s in months} | set(plan.global_budgets)}
        drafted = []
        for settlement in settle_year(year, months, members, plan, rules):
            run = m.ClearingRun(fixmedins_code=settlement.member.institution.code, period=str(year), kind=YEAR_END,
                                status="draft", county=settlement.member.county, payable=settlement.payment.payable,
                                document=_jsonable(_year_end_document(settlement)))
            session.add(run)
            drafted.append(run)
        session.flush()
        return drafted
    return store.transaction(work)
