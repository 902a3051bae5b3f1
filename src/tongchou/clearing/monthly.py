"""The monthly run of clearing (pure): from an institution's settlement events of the month, its statement,
its 3201 reconciliation and the payment that posts it (see `clearing.payment` for the ledger side).

Per event (a settlement, sign 1, or its cancellation, −1), what it left due is cleared field by field,
except under DIP: a DIP case's `hifp_pay` stays due and the month pre-pays the institution's points at the
month's provisional point value instead, split over the pockets by those dues. The quality reserve is
withheld per pocket on the cleared `reserve_base_fields`; a capitation balance is split by the month's
outpatient costs. An amount of the institution as a whole falls on its home pocket when it has no dues.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tongchou.clearing import dip as dip_core
from tongchou.clearing.capitation import CapitationSettlement, capitation_settlement
from tongchou.clearing.payment import DueKey, Member, MonthlyPayment, Pocket, dues_of, reserve_by_pocket, split
from tongchou.clearing.plan import ClearingPlan
from tongchou.clearing.records import SettlementCell, Totals
from tongchou.clearing.rules import ClearingRules
from tongchou.clearing.statement import DeclaredTotals, MonthlyStatement, Reconciliation, reconcile, totals_by
from tongchou.ledger.postings import SettlementFacts
from tongchou.money import Fen, apply_rate


@dataclass(frozen=True)
class MonthEvent:
    """A settlement (sign 1) or its cancellation (−1) to clear. `case_units`: its DIP points (10 000 units
    a point) by its group, when it is an admission of a DIP med_type."""

    facts: SettlementFacts
    sign: int
    totals: Totals  # signed: a cancellation counts −1 settlement and its amounts negative
    case_units: int = 0


@dataclass(frozen=True)
class MonthlySettlement:
    member: Member
    month: str
    statement: MonthlyStatement
    payment: MonthlyPayment
    dues: Mapping[DueKey, Fen]  # what the events left due, DIP cases' hifp_pay excepted under DIP
    dip_dues: Mapping[Pocket, Fen]
    dip_units: int
    prepayment: dip_core.MonthlyPrepayment | None
    capitation: CapitationSettlement | None
    reconciliation: Reconciliation | None


def dip_units(events: Iterable[MonthEvent], rules: ClearingRules) -> int:
    """The institution's DIP points of the month: its DIP cases the pooled fund paid, net of cancellations."""
    types = set(rules.dip.med_types)
    return sum(e.sign * e.case_units for e in events if e.facts.med_type in types and e.facts.amounts.get("hifp_pay"))


def _dues(events: Iterable[MonthEvent], rules: ClearingRules, dip_on: bool
          ) -> tuple[dict[DueKey, Fen], dict[Pocket, Fen], dict[Pocket, Fen]]:
    """(dues cleared field by field, DIP dues, capitation costs), each per pocket."""
    dues: dict[DueKey, Fen] = {}
    dip_dues: dict[Pocket, Fen] = defaultdict(int)
    costs: dict[Pocket, Fen] = defaultdict(int)
    for event in events:
        med_type = event.facts.med_type
        for key, amount in dues_of(event.facts, event.sign).items():
            if dip_on and key.field == "hifp_pay" and med_type in rules.dip.med_types:
                dip_dues[key.pocket] += amount
            else:
                dues[key] = dues.get(key, 0) + amount
            if key.field in rules.capitation.cost_fields and med_type in rules.capitation.med_types:
                costs[key.pocket] += amount
    return dues, dip_dues, costs


def _statement(member: Member, month: str, events: Sequence[MonthEvent], cleared: Mapping[DueKey, Fen],
               reserve: Fen, rules: ClearingRules) -> MonthlyStatement:
    cells: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for event in events:
        cells[(event.facts.insutype, event.facts.med_type)] += event.totals
    cell_list = tuple(SettlementCell(i, t, totals) for (i, t), totals in sorted(cells.items()))
    by_field: dict[str, Fen] = defaultdict(int)
    for key, amount in cleared.items():
        by_field[key.field] += amount
    params = rules.clearing
    return MonthlyStatement(member.institution, month, sum((c.totals for c in cell_list), Totals()),
                            totals_by(cell_list, "insutype"), totals_by(cell_list, "med_type"),
                            {f: by_field.get(f, 0) for f in params.cleared_fields},
                            params.quality_reserve_rate, {"hifp_pay": reserve})


def settle_month(member: Member, month: str, events: Sequence[MonthEvent], month_units: int, plan: ClearingPlan,
                 rules: ClearingRules, declared: DeclaredTotals | None = None) -> MonthlySettlement:
    """The institution's monthly settlement; `month_units` are the DIP points of every institution this month."""
    params, dip_on = rules.clearing, plan.dip_budget is not None
    institution = member.institution
    dues, dip_dues, costs = _dues(events, rules, dip_on)
    cleared = {k: v for k, v in dues.items() if k.field in params.cleared_fields and v}
    reserve = reserve_by_pocket(cleared, params.reserve_base_fields, params.quality_reserve_rate, apply_rate)
    units = dip_units(events, rules) if dip_on else 0
    prepayment, dip_prepaid = None, {}
    if dip_on and units > 0 and month_units > 0:
        value = dip_core.monthly_point_value(plan.dip_budget, month_units)
        prepayment = dip_core.monthly_prepayment(institution, month, units, value,
                                                 rules.dip.coefficient(institution.hosp_lv), rules.dip.prepayment_rate)
        dip_prepaid = split(prepayment.prepaid, dip_dues, member.home)
    capitation, capitation_split = None, {}
    enrolled = plan.capitation.get(institution.code, {})
    if month in enrolled:
        capitation = capitation_settlement(institution, month, {month: enrolled[month]}, max(0, sum(costs.values())),
                                           rules.capitation)
        capitation_split = split(capitation.balance, costs, member.home)
    payment = MonthlyPayment(institution.code, month, cleared, reserve, dip_prepaid, capitation_split)
    statement = _statement(member, month, events, cleared, payment.reserve_amount, rules)
    reconciliation = reconcile(declared, DeclaredTotals.of(statement.totals)) if declared is not None else None
    return MonthlySettlement(member, month, statement, payment, dues, dict(dip_dues), units, prepayment, capitation,
                             reconciliation)
