"""The risk adjustment fund (风险调剂金, seed 002): remittance, allocation and the fund's statement.

- Remittance (上解): each member (a county of the pool, or a city of a region) remits
  ``rate`` × its previous year's pooled-fund revenue (筹资总额: the revenue causes of the rule,
  by default contributions and fiscal subsidies), rounded half-up to the fen.
- Allocation (下拨): a member's overspending = actual expenditure − planned expenditure. When
  every condition of the rule holds, the eligible part is min(overspending, eligible_cap × plan);
  the fund's part (the claim) is fund_share × eligible; the member bears the rest. If the fund
  cannot pay every claim, each is paid pro rata (largest remainder to the fen, so the grants
  add up exactly to the fund's balance).
- Statement: opening balance, remittances by member, allocations by member, other revenue
  (interest), closing balance = opening + remitted + other − allocated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import CONDITION_NAMES, RiskAdjustmentRule
from tongchou.funds.subledger import CURRENT, Movement, Pocket, balance_at, revenue_between, select
from tongchou.money import Fen, apply_rate, yuan_text


def adjustment_pocket(rule: RiskAdjustmentRule) -> Pocket:
    return Pocket("risk_adjustment", rule.holder, CURRENT)


# ---------------------------------------------------------------- remittance

def previous_year_revenue(movements: list[Movement], rule: RiskAdjustmentRule, year: int, member: str) -> Fen:
    """筹资总额 of a member's pooled funds (the rule's funds) in the year before `year`."""
    start, end = dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 31)
    return sum(revenue_between(movements, select(fund, member), start, end, rule.remittance.revenue_causes)
               for fund in rule.funds)


def remittance_amount(previous_revenue: Fen, rule: RiskAdjustmentRule) -> Fen:
    if previous_revenue < 0:
        raise FundInputError("previous_revenue", f"revenue must not be negative, got {previous_revenue}")
    return apply_rate(previous_revenue, rule.remittance.rate)


def percent(rate) -> str:
    """A rate as the seeds write it: 0.03 → '3%', 0.035 → '3.5%'."""
    return f"{(rate * 100).normalize():f}%"


def remittance_due_date(rule: RiskAdjustmentRule, year: int) -> dt.date:
    month, day = (int(part) for part in rule.remittance.due_month_day.split("-"))
    return dt.date(year, month, day)


def remittances(previous_revenue: Mapping[tuple[str, str], Fen], rule: RiskAdjustmentRule, on: dt.date
                ) -> list[Movement]:
    """上解: one movement per (fund, member) from the member's pooled fund to the adjustment fund."""
    movements = []
    for (fund, member), revenue in sorted(previous_revenue.items()):
        amount = remittance_amount(revenue, rule)
        if amount:
            movements.append(Movement(on, amount, "remittance", source=Pocket(fund, member),
                                      target=adjustment_pocket(rule), memo=f"按上年度统筹基金筹资总额的{percent(rule.remittance.rate)}上解风险调剂金"))
    return movements


def remitted_on_time(movements: Iterable[Movement], rule: RiskAdjustmentRule, year: int, member: str,
                     due: Fen) -> bool:
    """Whether the member remitted at least `due` in `year` by the rule's due day."""
    deadline, holder = remittance_due_date(rule, year), adjustment_pocket(rule)
    paid = sum(m.amount for m in movements if m.cause == "remittance" and m.target == holder
               and m.source is not None and m.source.county == member and m.on.year == year and m.on <= deadline)
    return paid >= due


# ---------------------------------------------------------------- allocation

@dataclass(frozen=True)
class MemberYear:
    """What the allocation rule needs of a member's year."""

    member: str
    plan_expenditure: Fen
    actual_expenditure: Fen
    conditions_met: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Claim:
    member: str
    overspend: Fen
    eligible: Fen
    claim: Fen
    member_part: Fen
    unmet: tuple[str, ...]

    @property
    def reason(self) -> str:
        if self.overspend <= 0:
            return "未超支，不申请风险调剂金"
        if self.unmet:
            names = "、".join(CONDITION_NAMES[c] for c in self.unmet)
            return f"超支{yuan_text(self.overspend)}，但未{names}，不予调剂，由本级承担"
        return (f"超支{yuan_text(self.overspend)}，可调剂部分{yuan_text(self.eligible)}，风险调剂金负担"
                f"{yuan_text(self.claim)}，本级承担{yuan_text(self.member_part)}")


def allocation_claim(year: MemberYear, rule: RiskAdjustmentRule) -> Claim:
    """What the fund owes a member under the rule, before any shortage of the fund."""
    overspend = max(0, year.actual_expenditure - year.plan_expenditure)
    unmet = tuple(c for c in rule.allocation.conditions if c not in year.conditions_met)
    if overspend == 0 or unmet:
        return Claim(year.member, overspend, 0, 0, overspend, unmet)
    eligible = min(overspend, apply_rate(year.plan_expenditure, rule.allocation.eligible_cap))
    claim = apply_rate(eligible, rule.allocation.fund_share)
    return Claim(year.member, overspend, eligible, claim, overspend - claim, unmet)


def pro_rata(claims: Mapping[str, Fen], available: Fen) -> dict[str, Fen]:
    """Grants: every claim in full when the fund suffices; else shares of `available` in proportion
    to the claims, the fen left by rounding down given one each to the largest remainders
    (ties: the member code in order). The grants add up to min(total claims, available)."""
    if available < 0:
        raise FundInputError("available", f"the fund's balance must not be negative, got {available}")
    total = sum(claims.values())
    if total <= available:
        return dict(claims)
    floors = {member: claim * available // total for member, claim in claims.items()}
    left = available - sum(floors.values())
    order = sorted(claims, key=lambda m: (-(claims[m] * available % total), m))
    for member in order[:left]:
        floors[member] += 1
    return floors


def allocations(claims: Iterable[Claim], available: Fen, rule: RiskAdjustmentRule, fund: str, on: dt.date
                ) -> list[Movement]:
    """下拨: the grants as movements from the adjustment fund to each member's pooled fund."""
    grants = pro_rata({c.member: c.claim for c in claims if c.claim}, available)
    return [Movement(on, amount, "allocation", source=adjustment_pocket(rule), target=Pocket(fund, member),
                     memo="下拨风险调剂金弥补超支")
            for member, amount in sorted(grants.items()) if amount]


# ---------------------------------------------------------------- statement

@dataclass(frozen=True)
class Statement:
    """风险调剂金收支表 of a year."""

    year: int
    opening: Fen
    remittances: dict[str, Fen]
    allocations: dict[str, Fen]
    other_revenue: Fen
    other_expenditure: Fen

    @property
    def closing(self) -> Fen:
        return (self.opening + sum(self.remittances.values()) + self.other_revenue
                - sum(self.allocations.values()) - self.other_expenditure)


def statement(movements: list[Movement], rule: RiskAdjustmentRule, year: int) -> Statement:
    holder = adjustment_pocket(rule)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    remitted: dict[str, Fen] = {}
    allocated: dict[str, Fen] = {}
    other_in = other_out = 0
    for m in movements:
        if not start <= m.on <= end or holder not in (m.source, m.target):
            continue
        if m.target == holder and m.cause == "remittance" and m.source is not None:
            remitted[m.source.county] = remitted.get(m.source.county, 0) + m.amount
        elif m.source == holder and m.cause == "allocation" and m.target is not None:
            allocated[m.target.county] = allocated.get(m.target.county, 0) + m.amount
        elif m.target == holder:
            other_in += m.amount
        else:
            other_out += m.amount
    opening = balance_at(movements, lambda p: p == holder, start - dt.timedelta(days=1))
    return Statement(year, opening, dict(sorted(remitted.items())), dict(sorted(allocated.items())),
                     other_in, other_out)
