"""Monthly clearing and year-end settlement against the store (a thin shell over the clearing core).

- `import_plan`: the year's clearing plan (DIP budget, global budgets, assessment scores, capitation);
- `run_month`: per institution, the statement of the settlement events (settlements and cancellations)
  booked up to the month's end and not yet cleared, by scheme, fund and med_type; the 3201
  reconciliation against the institution's declared totals; a draft `clearing_run` each (a new run
  replaces the month's drafts);
- `approve`: a draft becomes approved by a named user (a mismatched reconciliation only when accepted);
- `pay`: an approved run is paid: its journal entry (`clearing.payment`) is posted, the run is paid;
- `year_end`: global budget adjustments, DIP liquidation and the quality reserve's release, once every
  monthly run of the year is paid; approved and paid the same way.

Every operation is one transaction.
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

from tongchou.clearing import dip as dip_core
from tongchou.clearing.capitation import capitation_settlement
from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.global_budget import global_budget_settlement, release_ratio
from tongchou.clearing.payment import DueKey, MonthlyPayment, YearEndPayment, add, dues_of, reserve_by_pocket, split
from tongchou.clearing.records import TOTAL_FIELDS, Institution, SettlementCell, Totals
from tongchou.clearing.rules import ClearingRules
from tongchou.clearing.source import Period
from tongchou.clearing.statement import DeclaredTotals, MonthlyStatement, reconcile, totals_by
from tongchou.clearing.views import statement_document
from tongchou.ledger.accounts import pooled_fund
from tongchou.ledger.book import record, settlement_facts
from tongchou.money import apply_rate, to_fen
from tongchou.store import models as m
from tongchou.store.uow import Store

Fen = int
MONTHLY, YEAR_END = "monthly", "year_end"


# ---------------------------------------------------------------- plan

def _fen(value: Any, where: str) -> Fen:
    try:
        fen = to_fen(value)
    except ValueError as exc:
        raise ClearingInputError(where, str(exc)) from None
    if fen < 0:
        raise ClearingInputError(where, "must not be negative")
    return fen


def parse_plan(data: Any, where: str = "plan") -> dict[str, Any]:
    """The plan file: ``dip_budget`` (yuan), ``global_budgets: {code: yuan}``, ``scores: {code: 分}``,
    ``capitation: {code: {YYYY-MM: persons}}``; amounts stored in fen."""
    if not isinstance(data, dict):
        raise ClearingInputError(where, "expected a mapping")
    unknown = set(data) - {"year", "dip_budget", "global_budgets", "scores", "capitation"}
    if unknown:
        raise ClearingInputError(f"{where}.{sorted(unknown)[0]}", "unknown key")
    plan: dict[str, Any] = {"dip_budget": None, "global_budgets": {}, "scores": {}, "capitation": {}}
    if data.get("dip_budget") is not None:
        plan["dip_budget"] = _fen(data["dip_budget"], f"{where}.dip_budget")
    for code, amount in (data.get("global_budgets") or {}).items():
        plan["global_budgets"][str(code)] = _fen(amount, f"{where}.global_budgets.{code}")
        if plan["global_budgets"][str(code)] == 0:
            raise ClearingInputError(f"{where}.global_budgets.{code}", "a global budget must be above 0")
    for code, score in (data.get("scores") or {}).items():
        try:
            value = Decimal(str(score))
        except ArithmeticError:
            raise ClearingInputError(f"{where}.scores.{code}", f"not a number: {score!r}") from None
        if not value.is_finite() or value < 0:
            raise ClearingInputError(f"{where}.scores.{code}", f"a score is a number ≥ 0, got {score!r}")
        plan["scores"][str(code)] = str(value)
    for code, months in (data.get("capitation") or {}).items():
        if not isinstance(months, dict):
            raise ClearingInputError(f"{where}.capitation.{code}", "expected {YYYY-MM: persons}")
        for month, persons in months.items():
            Period.month(str(month), f"{where}.capitation.{code}")
            if not isinstance(persons, int) or isinstance(persons, bool) or persons < 0:
                raise ClearingInputError(f"{where}.capitation.{code}.{month}", f"persons ≥ 0, got {persons!r}")
        plan["capitation"][str(code)] = {str(k): v for k, v in months.items()}
    return plan


def import_plan(store: Store, year: int, data: Any, by: str | None = None) -> dict[str, Any]:
    plan = parse_plan(data)

    def work(session: Session) -> dict[str, Any]:
        for code in [*plan["global_budgets"], *plan["scores"], *plan["capitation"]]:
            if session.get(m.Institution, code) is None:
                raise ClearingInputError(f"plan: {code}", "no such institution")
        row = session.get(m.ClearingPlan, year)
        if row is None:
            session.add(m.ClearingPlan(year=year, plan=plan, updated_by=by))
        else:
            row.plan, row.updated_by, row.updated_at = plan, by, dt.datetime.now(dt.timezone.utc)
        return plan
    return store.transaction(work)


def load_plan(session: Session, year: int) -> dict[str, Any]:
    row = session.get(m.ClearingPlan, year)
    return row.plan if row is not None else parse_plan({})


# ---------------------------------------------------------------- events

def _events(session: Session, end: dt.date) -> list[tuple[m.Settlement, int, dt.date]]:
    """Settlement events booked up to `end` not yet taken into a run: (settlement, sign, booked on)."""
    entry = m.JournalEntry
    settled = (select(m.Settlement, entry.booked_on)
               .join(entry, and_(entry.cause_type == "settlement", entry.cause_id == m.Settlement.setl_id))
               .where(entry.booked_on <= end,
                      ~exists().where(m.ClearingItem.setl_id == m.Settlement.setl_id, m.ClearingItem.sign == 1)))
    cancelled = (select(m.Settlement, entry.booked_on)
                 .join(entry, and_(entry.cause_type == "cancellation", entry.cause_id == m.Settlement.setl_id))
                 .where(entry.booked_on <= end,
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

def run_month(store: Store, rules: ClearingRules, month: str,
              declared: Mapping[str, DeclaredTotals] | None = None) -> list[m.ClearingRun]:
    """Draft statements of every institution with events up to the month's end (replacing the month's drafts)."""
    period = Period.month(month)
    year = period.start.year
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
        plan = load_plan(session, year)
        events: dict[str, list[tuple[m.Settlement, int]]] = defaultdict(list)
        for row, sign, _booked in _events(session, period.end):
            if row.fixmedins_code not in done:
                events[row.fixmedins_code].append((row, sign))
        dip_on = plan["dip_budget"] is not None
        index = dip_core.catalogue_index(rules.dip) if dip_on else None
        dip_types = set(rules.dip.med_types)
        listed = listed_codes(session, (row.setl_id for items in events.values() for row, _ in items)) if dip_on else {}
        units = {code: sum(sign * dip_case(row, rules, index, listed.get(row.setl_id)).units for row, sign in items
                           if row.med_type in dip_types and row.hifp_pay) if dip_on else 0
                 for code, items in events.items()}
        month_units = sum(u for u in units.values() if u > 0)
        codes = sorted(set(events) | {c for c, months in plan["capitation"].items() if month in months} - done)
        runs = []
        for code in codes:
            institution_row = session.get(m.Institution, code)
            if institution_row is None:
                raise ClearingInputError(f"plan: {code}", "no such institution")
            runs.append(_monthly_run(session, rules, plan, month, _institution(institution_row), institution_row.county,
                                     events.get(code, []), units.get(code, 0), month_units, declared.get(code)))
        missing = sorted(set(declared) - set(codes))
        if missing:
            raise ClearingInputError(f"--declared {missing[0]}", f"no settlements of this institution to clear in {month}")
        return runs
    return store.transaction(work)


def _monthly_run(session: Session, rules: ClearingRules, plan: Mapping[str, Any], month: str,
                 institution: Institution, county: str, events: list[tuple[m.Settlement, int]], units: int,
                 month_units: int, declared: DeclaredTotals | None) -> m.ClearingRun:
    params, dip_on = rules.clearing, plan["dip_budget"] is not None
    cells: dict[tuple[str, str], Totals] = defaultdict(Totals)
    dues: dict[DueKey, Fen] = {}
    dip_dues: dict[tuple[str, str], Fen] = defaultdict(int)
    costs: dict[tuple[str, str], Fen] = defaultdict(int)
    for row, sign in events:
        cells[(row.insutype, row.med_type)] += _totals(row, sign)
        for key, amount in dues_of(settlement_facts(row), sign).items():
            if dip_on and key.field == "hifp_pay" and row.med_type in rules.dip.med_types:
                dip_dues[key.pocket] += amount
            else:
                dues[key] = dues.get(key, 0) + amount
            if key.field in rules.capitation.cost_fields and row.med_type in rules.capitation.med_types:
                costs[key.pocket] += amount
    cleared = {k: v for k, v in dues.items() if k.field in params.cleared_fields and v}
    reserve = reserve_by_pocket(cleared, params.reserve_base_fields, params.quality_reserve_rate, apply_rate)
    home = (pooled_fund("390").value, county)
    prepayment = None
    dip_prepaid: dict[tuple[str, str], Fen] = {}
    if dip_on and units > 0 and month_units > 0:
        value = dip_core.monthly_point_value(plan["dip_budget"], month_units)
        prepayment = dip_core.monthly_prepayment(institution, month, units, value,
                                                 rules.dip.coefficient(institution.hosp_lv), rules.dip.prepayment_rate)
        dip_prepaid = split(prepayment.prepaid, dip_dues, home)
    capitation = None
    capitation_split: dict[tuple[str, str], Fen] = {}
    enrolled = plan["capitation"].get(institution.code, {})
    if month in enrolled:
        capitation = capitation_settlement(institution, month, {month: enrolled[month]}, max(0, sum(costs.values())),
                                           rules.capitation)
        capitation_split = split(capitation.balance, costs, home)
    payment = MonthlyPayment(institution.code, month, cleared, reserve, dip_prepaid, capitation_split)
    cell_list = tuple(SettlementCell(i, t, totals) for (i, t), totals in sorted(cells.items()))
    totals = sum((c.totals for c in cell_list), Totals())
    by_field: dict[str, Fen] = defaultdict(int)
    for key, amount in cleared.items():
        by_field[key.field] += amount
    statement = MonthlyStatement(institution, month, totals, totals_by(cell_list, "insutype"),
                                 totals_by(cell_list, "med_type"),
                                 {f: by_field.get(f, 0) for f in params.cleared_fields},
                                 params.quality_reserve_rate, {"hifp_pay": payment.reserve_amount})
    reconciliation = reconcile(declared, DeclaredTotals.of(totals)) if declared is not None else None
    doc = statement_document(statement, rules, reconciliation)
    doc["ledger"] = payment_json(payment)
    doc["by_fund"] = _by_fund(dues, dip_dues)
    doc["adjustments"] = {
        "dip_dues": _pockets(dip_dues), "dip_units": units,
        "dip_prepayment": None if prepayment is None else {
            "points": str(prepayment.points), "point_value": str(prepayment.point_value),
            "coefficient": str(prepayment.coefficient), "rate": str(prepayment.rate), "prepaid": prepayment.prepaid},
        "capitation": None if capitation is None else {
            "person_months": capitation.person_months, "per_person_month": capitation.per_person_month,
            "costs": capitation.costs, "balance": capitation.balance},
    }
    doc["payable_fen"] = payment.payable
    row = m.ClearingRun(fixmedins_code=institution.code, period=month, kind=MONTHLY, status="draft", county=county,
                        payable=payment.payable, document=_jsonable(doc),
                        matched=None if reconciliation is None else reconciliation.matched)
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

def year_end(store: Store, rules: ClearingRules, year: int) -> list[m.ClearingRun]:
    """Draft year-end settlements: global budget adjustment, DIP liquidation, quality reserve release."""
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
        per: dict[str, dict[str, Any]] = defaultdict(lambda: {"gb": defaultdict(int), "dip_dues": {}, "units": 0,
                                                              "prepaid": {}, "reserve": {}})
        for run in runs:
            item, ledger, adjust = per[run.fixmedins_code], run.document["ledger"], run.document["adjustments"]
            for c in ledger["cleared"]:
                if c["field"] in rules.global_budget.budget_fields and not c["insurer"]:
                    item["gb"][(c["fund"], c["county"])] += c["amount"]
            add(item["dip_dues"], _from_pockets(adjust["dip_dues"]))
            item["units"] += adjust["dip_units"]
            add(item["prepaid"], _from_pockets(ledger["dip_prepaid"]))
            add(item["reserve"], _from_pockets(ledger["reserve"]))
        institutions = {code: session.get(m.Institution, code) for code in set(per) | set(plan["global_budgets"])}
        dip_final: dict[str, Fen] = {}
        dip_doc: dict[str, Any] = {}
        if plan["dip_budget"] is not None:
            points = [dip_core.InstitutionPoints(_institution(institutions[c]), {str(year): per[c]["units"]})
                      for c in sorted(per) if per[c]["units"] > 0]
            if points:
                result = dip_core.dip_year_end(year, plan["dip_budget"], points, rules.dip)
                dip_doc = {"budget": plan["dip_budget"], "total_points": str(result.total_points),
                           "point_value": str(result.point_value)}
                dip_final = {s.institution.code: s.final for s in result.institutions}
        drafted = []
        for code in sorted(institutions):
            inst_row, item = institutions[code], per[code]
            institution = _institution(inst_row)
            home = (pooled_fund("390").value, inst_row.county)
            doc: dict[str, Any] = {"institution": asdict(institution), "year": year}
            gb_split: dict[tuple[str, str], Fen] = {}
            if code in plan["global_budgets"]:
                actual = sum(item["gb"].values())
                gb = global_budget_settlement(institution, year, plan["global_budgets"][code], max(0, actual),
                                              rules.global_budget)
                gb_split = split(gb.adjustment, item["gb"], home)
                doc["global_budget"] = {"budget": gb.budget, "actual": gb.actual, "overspend": gb.overspend,
                                        "surplus": gb.surplus, "fund_bears": gb.fund_bears,
                                        "institution_bears": gb.institution_bears, "surplus_reward": gb.surplus_reward,
                                        "recognised": gb.recognised, "adjustment": gb.adjustment}
            final_split: dict[tuple[str, str], Fen] = {}
            if code in dip_final or item["dip_dues"] or item["prepaid"]:
                final = dip_final.get(code, 0)
                final_split = split(final, item["dip_dues"], home)
                doc["dip"] = {**dip_doc, "points": str(dip_core.units_to_points(item["units"])), "final": final,
                              "dues": sum(item["dip_dues"].values()), "prepaid": sum(item["prepaid"].values()),
                              "liquidation": final - sum(item["prepaid"].values())}
            released: dict[tuple[str, str], Fen] = {}
            withheld = {k: v for k, v in item["reserve"].items() if v}
            if withheld:
                if code not in plan["scores"]:
                    raise ClearingInputError(f"plan.scores.{code}", f"{year} 年预留了质量保证金，需年终考核得分")
                score = Decimal(plan["scores"][code])
                ratio = release_ratio(score, rules.clearing)
                released = {k: apply_rate(v, ratio) for k, v in withheld.items()}
                doc["quality_reserve"] = {"score": str(score), "ratio": str(ratio), "withheld": sum(withheld.values()),
                                          "released": sum(released.values()),
                                          "forfeited": sum(withheld.values()) - sum(released.values())}
            payment = YearEndPayment(code, year, gb_split, final_split,
                                     {k: v for k, v in item["dip_dues"].items() if v},
                                     {k: v for k, v in item["prepaid"].items() if v}, withheld, released)
            if not payment.entry(inst_row.county, dt.date(year, 12, 31)).lines:
                continue
            doc["ledger"] = year_end_json(payment)
            doc["payable_fen"] = payment.payable
            run = m.ClearingRun(fixmedins_code=code, period=str(year), kind=YEAR_END, status="draft",
                                county=inst_row.county, payable=payment.payable, document=_jsonable(doc))
            session.add(run)
            drafted.append(run)
        session.flush()
        return drafted
    return store.transaction(work)


def runs_of(session: Session, kind: str, period: str) -> list[m.ClearingRun]:
    return list(session.execute(select(m.ClearingRun).where(m.ClearingRun.kind == kind, m.ClearingRun.period == period)
                                .order_by(m.ClearingRun.fixmedins_code)).scalars())
