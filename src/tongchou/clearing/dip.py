"""DIP (按病种分值付费): case points, point value, institution payment, pre-payment, liquidation.

Points are exact: kept as integer units of 1/10 000 point (`POINT_SCALE`).

Case points (国家医保局 DIP 技术规范, 费用偏差病例), with P the group's points,
C the case's medfee_sumamt and K the group's standard cost (次均费用):

    C < low_cost_ratio × K   (低倍率, 0.5):  points = P × C / K
    C > high_cost_ratio × K  (高倍率, 2):    points = P × (C / K − high_cost_ratio + 1)
                                               (= P + P × (C − 2K) / K: extra points for the excess)
    otherwise:                                points = P
    each rounded half-up to 1/10 000 point.

Point value (元/分) = budget / total points, rounded half-up to
`POINT_VALUE_PLACES` (12) decimal places. Institution payment = its points ×
point value × coefficient, rounded half-up to the fen. Monthly pre-payment =
round_half_up(month's points × monthly point value × coefficient) ×
prepayment_rate (half-up), with monthly point value = (budget / 12) / the
month's total points. Liquidation = final payment − Σ pre-payments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from tongchou.clearing.records import DIP_LIQUIDATION, DIP_PREPAYMENT, ClearingEntry, Institution
from tongchou.clearing.rules import DipGroup, DipRules
from tongchou.money import Fen, apply_rate

POINT_SCALE = 10_000  # points are integers of 1/10 000 point
POINT_VALUE_PLACES = 12  # point values (元/分) are Decimals with 12 decimal places
_POINT_VALUE_QUANTUM = Decimal(1).scaleb(-POINT_VALUE_PLACES)

LOW, NORMAL, HIGH = "low", "normal", "high"


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up (away from zero on a tie), exact integers; denominator > 0."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator >= 0:
        return (2 * numerator + denominator) // (2 * denominator)
    return -((-2 * numerator + denominator) // (2 * denominator))


def point_units(points: Decimal) -> int:
    """Points as integer units of 1/10 000 point (the catalogue allows at most 4 decimals)."""
    units = points * POINT_SCALE
    if units != units.to_integral_value():
        raise ValueError(f"points have more than 4 decimals: {points}")
    return int(units)


def units_to_points(units: int) -> Decimal:
    return Decimal(units).scaleb(-4)


# --------------------------------------------------------------------------- grouping and case points


def catalogue_index(rules: DipRules) -> dict[tuple[str, str], DipGroup]:
    return {(group.diag_code, group.oprn_code): group for group in rules.groups}


def match_group(rules: DipRules, diag_code: str, oprn_code: str,
                index: Mapping[tuple[str, str], DipGroup] | None = None) -> DipGroup:
    """The case's group: (diagnosis, procedure); else the diagnosis's conservative group; else the fallback."""
    index = index if index is not None else catalogue_index(rules)
    diag_code, oprn_code = (diag_code or "").strip(), (oprn_code or "").strip()
    return (index.get((diag_code, oprn_code))
            or index.get((diag_code, ""))
            or rules.group(rules.fallback_group))


@dataclass(frozen=True)
class CasePoints:
    group_code: str
    kind: str  # low, normal, high
    units: int

    @property
    def points(self) -> Decimal:
        return units_to_points(self.units)


def case_kind(medfee: Fen, standard_cost: Fen, rules: DipRules) -> str:
    """低倍率 / 正常 / 高倍率 by exact comparison of the case cost with the ratios of the standard cost."""
    if medfee < standard_cost * rules.low_cost_ratio:
        return LOW
    if medfee > standard_cost * rules.high_cost_ratio:
        return HIGH
    return NORMAL


def case_points(group: DipGroup, medfee: Fen, rules: DipRules) -> CasePoints:
    """The case's points after the cost-deviation adjustment, in 1/10 000 point units."""
    group_units = point_units(group.points)
    cost = group.standard_cost
    kind = case_kind(medfee, cost, rules)
    if kind == LOW:
        units = divide_half_up(group_units * medfee, cost)
    elif kind == HIGH:
        # P × (C/K − h + 1) = P × (C − (h − 1)·K) / K; h as an exact fraction n/d
        n, d = rules.high_cost_ratio.as_integer_ratio()
        units = divide_half_up(group_units * (d * medfee - (n - d) * cost), d * cost)
    else:
        units = group_units
    return CasePoints(group.code, kind, units)


# --------------------------------------------------------------------------- point value and payment


def point_value(budget: Fen, total_units: int) -> Decimal:
    """元 per point = (budget in yuan) / (total points), half-up to 12 decimal places."""
    if total_units <= 0:
        raise ValueError("no DIP points in the period: the point value is undefined")
    # yuan/point = (budget/100) / (units/10 000) = budget × 100 / units; scaled by 10^12 for the quantum
    scaled = divide_half_up(budget * 100 * 10**POINT_VALUE_PLACES, total_units)
    return Decimal(scaled).scaleb(-POINT_VALUE_PLACES)


def monthly_point_value(annual_budget: Fen, month_units: int) -> Decimal:
    """The month's provisional point value: (annual budget / 12) / the month's total points."""
    if month_units <= 0:
        raise ValueError("no DIP points in the month: the point value is undefined")
    scaled = divide_half_up(annual_budget * 100 * 10**POINT_VALUE_PLACES, 12 * month_units)
    return Decimal(scaled).scaleb(-POINT_VALUE_PLACES)


def dip_payment(units: int, value: Decimal, coefficient: Decimal) -> Fen:
    """points × point value × coefficient, in fen, half-up (exact decimal arithmetic)."""
    with localcontext() as context:
        context.prec = 200
        fen = units_to_points(units) * value * coefficient * 100
        return int(fen.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --------------------------------------------------------------------------- pre-payment and liquidation


@dataclass(frozen=True)
class InstitutionPoints:
    """An institution's DIP points of a year, by month ('YYYY-MM' → units), and its case count."""

    institution: Institution
    monthly_units: Mapping[str, int]
    cases: int = 0

    @property
    def units(self) -> int:
        return sum(self.monthly_units.values())


@dataclass(frozen=True)
class MonthlyPrepayment:
    institution: Institution
    month: str
    units: int
    point_value: Decimal
    coefficient: Decimal
    estimated: Fen
    rate: Decimal
    prepaid: Fen

    @property
    def points(self) -> Decimal:
        return units_to_points(self.units)

    def entries(self) -> tuple[ClearingEntry, ...]:
        if not self.prepaid:
            return ()
        return (ClearingEntry(self.institution.code, self.month, DIP_PREPAYMENT, "hifp_pay", self.prepaid,
                              f"{self.month} DIP 预付 {self.points} 分 × {self.point_value} × {self.coefficient}"
                              f" × {self.rate}"),)


def monthly_prepayment(institution: Institution, month: str, units: int, value: Decimal,
                       coefficient: Decimal, rate: Decimal) -> MonthlyPrepayment:
    """Pre-payment = round(points × monthly point value × coefficient) × rate, each step half-up to the fen."""
    estimated = dip_payment(units, value, coefficient)
    return MonthlyPrepayment(institution, month, units, value, coefficient, estimated, rate,
                             apply_rate(estimated, rate))


@dataclass(frozen=True)
class DipInstitutionSettlement:
    institution: Institution
    year: int
    units: int
    cases: int
    point_value: Decimal
    coefficient: Decimal
    final: Fen
    prepayments: tuple[MonthlyPrepayment, ...]

    @property
    def points(self) -> Decimal:
        return units_to_points(self.units)

    @property
    def prepaid(self) -> Fen:
        return sum(p.prepaid for p in self.prepayments)

    @property
    def liquidation(self) -> Fen:
        """清算差额: final − pre-paid (positive: the fund pays the rest; negative: recovered)."""
        return self.final - self.prepaid

    def entries(self) -> tuple[ClearingEntry, ...]:
        if not self.liquidation:
            return ()
        return (ClearingEntry(self.institution.code, str(self.year), DIP_LIQUIDATION, "hifp_pay", self.liquidation,
                              f"{self.year} DIP 年终清算 {self.points} 分 × {self.point_value} × {self.coefficient}"
                              f" − 预付 {self.prepaid} 分"),)


@dataclass(frozen=True)
class DipYearEnd:
    year: int
    budget: Fen
    total_units: int
    point_value: Decimal
    monthly_point_values: Mapping[str, Decimal]
    institutions: tuple[DipInstitutionSettlement, ...]

    @property
    def total_points(self) -> Decimal:
        return units_to_points(self.total_units)

    @property
    def total_final(self) -> Fen:
        return sum(i.final for i in self.institutions)

    @property
    def total_prepaid(self) -> Fen:
        return sum(i.prepaid for i in self.institutions)

    def entries(self) -> tuple[ClearingEntry, ...]:
        return tuple(entry for settlement in self.institutions for entry in settlement.entries())


def month_totals(institutions: Iterable[InstitutionPoints]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for item in institutions:
        for month, units in item.monthly_units.items():
            totals[month] = totals.get(month, 0) + units
    return dict(sorted(totals.items()))


def dip_year_end(year: int, budget: Fen, institutions: Iterable[InstitutionPoints], rules: DipRules) -> DipYearEnd:
    """Point value of the year, each institution's final payment, its monthly pre-payments and the liquidation."""
    institutions = tuple(institutions)
    total = sum(item.units for item in institutions)
    value = point_value(budget, total)
    months = month_totals(institutions)
    monthly_values = {month: monthly_point_value(budget, units) for month, units in months.items() if units > 0}
    settlements = []
    for item in sorted(institutions, key=lambda i: i.institution.code):
        coefficient = rules.coefficient(item.institution.hosp_lv)
        prepayments = tuple(
            monthly_prepayment(item.institution, month, units, monthly_values[month], coefficient,
                               rules.prepayment_rate)
            for month, units in sorted(item.monthly_units.items()) if units > 0
        )
        settlements.append(DipInstitutionSettlement(
            item.institution, year, item.units, item.cases, value, coefficient,
            dip_payment(item.units, value, coefficient), prepayments))
    return DipYearEnd(year, budget, total, value, monthly_values, tuple(settlements))
