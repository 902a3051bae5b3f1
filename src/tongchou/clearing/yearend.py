"""The year end of clearing (pure): from what the year's paid monthly runs left, each institution's global
budget adjustment, DIP liquidation and quality reserve release, and the payment that posts them.

The service loads one `MonthlySummary` per paid monthly run and the institutions; `settle_year` does the
rest. Every amount is kept per pocket (fund, county) as the ledger holds it (see `clearing.payment`):

- global budget: the actual is the year's cleared `budget_fields` the fund pays itself (an insurer-run
  layer is left out); the adjustment is split over the pockets by what they were cleared;
- DIP: the year's points of every institution share the DIP budget (`dip.dip_year_end`); the final
  amount is split over the pockets by the year's DIP dues, against what was pre-paid;
- quality reserve: what was withheld is released at the assessment score's ratio (each pocket rounded
  to the fen); a withheld reserve without a score is refused.

An institution whose year end would post nothing gets no settlement.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from tongchou.clearing import dip as dip_core
from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.global_budget import (
    GlobalBudgetSettlement,
    ReserveRelease,
    global_budget_settlement,
    release_ratio,
)
from tongchou.clearing.payment import DueKey, Member, Pocket, YearEndPayment, add, split
from tongchou.clearing.plan import ClearingPlan
from tongchou.clearing.rules import ClearingRules
from tongchou.money import Fen, apply_rate


@dataclass(frozen=True)
class MonthlySummary:
    """What one paid monthly run of an institution left for the year end."""

    institution: str
    period: str
    cleared: Mapping[DueKey, Fen] = field(default_factory=dict)
    dip_dues: Mapping[Pocket, Fen] = field(default_factory=dict)
    dip_units: int = 0
    dip_prepaid: Mapping[Pocket, Fen] = field(default_factory=dict)
    reserve: Mapping[Pocket, Fen] = field(default_factory=dict)


@dataclass(frozen=True)
class DipYearFigures:
    budget: Fen
    total_points: Decimal
    point_value: Decimal


@dataclass(frozen=True)
class DipLiquidation:
    year: DipYearFigures | None  # None when no institution had DIP points this year
    points: Decimal
    final: Fen
    dues: Fen
    prepaid: Fen

    @property
    def liquidation(self) -> Fen:
        return self.final - self.prepaid


@dataclass(frozen=True)
class YearEndSettlement:
    member: Member
    year: int
    payment: YearEndPayment
    global_budget: GlobalBudgetSettlement | None = None
    dip: DipLiquidation | None = None
    quality_reserve: ReserveRelease | None = None  # released: the pockets' sum, each rounded


@dataclass
class _Year:
    """An institution's months added up."""

    budgeted: dict[Pocket, Fen] = field(default_factory=lambda: defaultdict(int))
    dip_dues: dict[Pocket, Fen] = field(default_factory=dict)
    dip_units: int = 0
    dip_prepaid: dict[Pocket, Fen] = field(default_factory=dict)
    reserve: dict[Pocket, Fen] = field(default_factory=dict)


def _add_up(months: Iterable[MonthlySummary], budget_fields: Iterable[str]) -> dict[str, _Year]:
    fields = set(budget_fields)
    years: dict[str, _Year] = defaultdict(_Year)
    for month in months:
        year = years[month.institution]
        for key, amount in month.cleared.items():
            if key.field in fields and not key.insurer:
                year.budgeted[key.pocket] += amount
        add(year.dip_dues, month.dip_dues)
        year.dip_units += month.dip_units
        add(year.dip_prepaid, month.dip_prepaid)
        add(year.reserve, month.reserve)
    return years


def _nonzero(items: Mapping[Pocket, Fen]) -> dict[Pocket, Fen]:
    return {pocket: amount for pocket, amount in items.items() if amount}


def _dip_finals(year: int, plan: ClearingPlan, years: Mapping[str, _Year], members: Mapping[str, Member],
                rules: ClearingRules) -> tuple[DipYearFigures | None, dict[str, Fen]]:
    if plan.dip_budget is None:
        return None, {}
    points = [dip_core.InstitutionPoints(members[code].institution, {str(year): years[code].dip_units})
              for code in sorted(years) if years[code].dip_units > 0]
    if not points:
        return None, {}
    result = dip_core.dip_year_end(year, plan.dip_budget, points, rules.dip)
    figures = DipYearFigures(plan.dip_budget, result.total_points, result.point_value)
    return figures, {s.institution.code: s.final for s in result.institutions}


def _reserve(member: Member, year: int, withheld: Mapping[Pocket, Fen], plan: ClearingPlan, rules: ClearingRules
             ) -> tuple[ReserveRelease | None, dict[Pocket, Fen]]:
    if not withheld:
        return None, {}
    code = member.institution.code
    if code not in plan.scores:
        raise ClearingInputError(f"plan.scores.{code}", f"{year} 年预留了质量保证金，需年终考核得分")
    score = plan.scores[code]
    ratio = release_ratio(score, rules.clearing)
    released = {pocket: apply_rate(amount, ratio) for pocket, amount in withheld.items()}
    release = ReserveRelease(member.institution, year, sum(withheld.values()), score, ratio, sum(released.values()))
    return release, released


def settle_year(year: int, months: Iterable[MonthlySummary], members: Mapping[str, Member], plan: ClearingPlan,
                rules: ClearingRules) -> tuple[YearEndSettlement, ...]:
    """The year-end settlement of every institution with paid runs or a global budget (`members` holds each
    of them), in code order."""
    years = _add_up(months, rules.global_budget.budget_fields)
    dip_year, dip_finals = _dip_finals(year, plan, years, members, rules)
    settlements = []
    for code in sorted(set(years) | set(plan.global_budgets)):
        member, item = members[code], years.get(code, _Year())
        gb, gb_split = None, {}
        if code in plan.global_budgets:
            actual = sum(item.budgeted.values())
            gb = global_budget_settlement(member.institution, year, plan.global_budgets[code], max(0, actual),
                                          rules.global_budget)
            gb_split = split(gb.adjustment, item.budgeted, member.home)
        dip, final_split = None, {}
        if code in dip_finals or item.dip_dues or item.dip_prepaid:
            final = dip_finals.get(code, 0)
            final_split = split(final, item.dip_dues, member.home)
            dip = DipLiquidation(dip_year, dip_core.units_to_points(item.dip_units), final,
                                 sum(item.dip_dues.values()), sum(item.dip_prepaid.values()))
        withheld = _nonzero(item.reserve)
        reserve, released = _reserve(member, year, withheld, plan, rules)
        payment = YearEndPayment(code, year, gb_split, final_split, _nonzero(item.dip_dues),
                                 _nonzero(item.dip_prepaid), withheld, released)
        if payment.entry(member.county, dt.date(year, 12, 31)).lines:
            settlements.append(YearEndSettlement(member, year, payment, gb, dip, reserve))
    return tuple(settlements)
