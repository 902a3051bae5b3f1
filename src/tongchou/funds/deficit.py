"""Deficit sharing (缺口合理分担, seed 000) following the funding order of docs/reference/fund-rules.md.

When a fund of a county (or of the pool) cannot pay — its current gap is expenditure beyond
revenue — the gap is met step by step in the rule's order (default: accumulated balance →
risk adjustment fund → liquidation of term deposits → same-level fiscal subsidy → a change
of contributions or benefits), each step taking min(what is left, what the step has).

- accumulated balance (累计结余): the balance already in the county's sub-ledger pays; no movement;
- risk adjustment fund: the grant of the allocation rule (`risk_adjustment.allocation_claim`,
  after any pro-rata shortage); a movement from the adjustment fund;
- deposits: term deposits liquidated early; a movement deposit → current;
- fiscal subsidy: the rest is shared by the city and county treasuries in the rule's shares
  (the city's part rounded half-up, the county's the remainder); a revenue movement each;
- contribution or benefit change: what is still unfunded is not money that moves: it is the
  amount the next year's contributions or benefits must make up, reported with a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import FUNDING_STEP_NAMES, DeficitSharingRule
from tongchou.funds.subledger import CURRENT, DEPOSIT, Movement, Pocket
from tongchou.money import Fen, apply_rate, yuan_text

CITY_TREASURY, COUNTY_TREASURY = "city_treasury", "county_treasury"


@dataclass(frozen=True)
class Available:
    """What each step of the funding order has for this gap (fen)."""

    accumulated_balance: Fen = 0
    risk_adjustment: Fen = 0
    deposits: Fen = 0
    conditions_met: bool = True

    def __post_init__(self) -> None:
        for name in ("accumulated_balance", "risk_adjustment", "deposits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise FundInputError(name, f"a non-negative number of fen, got {value!r}")


@dataclass(frozen=True)
class Step:
    step: str
    amount: Fen
    left_after: Fen

    @property
    def name(self) -> str:
        return FUNDING_STEP_NAMES[self.step]


@dataclass(frozen=True)
class Resolution:
    fund: str
    county: str
    gap: Fen
    steps: tuple[Step, ...]
    city_subsidy: Fen
    county_subsidy: Fen
    unfunded: Fen
    movements: tuple[Movement, ...]

    @property
    def reason(self) -> str:
        if self.gap == 0:
            return "收支平衡，无缺口"
        parts = [f"{step.name}弥补{yuan_text(step.amount)}" for step in self.steps
                 if step.amount and step.step != "fiscal_subsidy" and step.step != "contribution_or_benefit_change"]
        if self.city_subsidy or self.county_subsidy:
            parts.append(f"同级财政补助{yuan_text(self.city_subsidy + self.county_subsidy)}"
                         f"（市级{yuan_text(self.city_subsidy)}、县级{yuan_text(self.county_subsidy)}）")
        text = f"基金缺口{yuan_text(self.gap)}：" + "，".join(parts)
        if self.unfunded:
            text += f"；仍有缺口{yuan_text(self.unfunded)}，需调整筹资标准或待遇水平"
        return text


def current_gap(revenue: Fen, expenditure: Fen) -> Fen:
    """当期缺口 = expenditure beyond revenue (0 when revenue suffices)."""
    return max(0, expenditure - revenue)


def split_fiscal(amount: Fen, rule: DeficitSharingRule, conditions_met: bool) -> tuple[Fen, Fen]:
    """(city, county) parts of a fiscal subsidy under the rule's shares."""
    shares = rule.fiscal_shares
    if not conditions_met and rule.fiscal_shares_if_conditions_unmet is not None:
        shares = rule.fiscal_shares_if_conditions_unmet
    city = apply_rate(amount, shares.city)
    return city, amount - city


def cover_gap(gap: Fen, available: Available, rule: DeficitSharingRule, fund: str, county: str, on: dt.date,
              adjustment_holder: Pocket | None = None) -> Resolution:
    """Meet `gap` in the rule's funding order; the movements a shell posts, and what is left unfunded."""
    if isinstance(gap, bool) or not isinstance(gap, int) or gap < 0:
        raise FundInputError("gap", f"a non-negative number of fen, got {gap!r}")
    if available.risk_adjustment and adjustment_holder is None:
        raise FundInputError("adjustment_holder", "a risk adjustment grant needs the pocket that pays it")
    pocket = Pocket(fund, county, CURRENT)
    has = {"accumulated_balance": available.accumulated_balance, "risk_adjustment": available.risk_adjustment,
           "deposit_liquidation": available.deposits}
    left, steps, movements = gap, [], []
    city = county_part = 0
    for name in rule.funding_order:
        if name == "fiscal_subsidy":
            amount = left
            city, county_part = split_fiscal(amount, rule, available.conditions_met)
            movements += [Movement(on, part, "deficit_subsidy", target=pocket, party=party, memo=memo)
                          for part, party, memo in ((city, CITY_TREASURY, "市级财政补助弥补基金缺口"),
                                                    (county_part, COUNTY_TREASURY, "县级财政补助弥补基金缺口"))
                          if part]
        elif name == "contribution_or_benefit_change":
            amount = 0  # nothing moves: what is left is reported as unfunded
        else:
            amount = min(left, has[name])
            if amount and name == "risk_adjustment":
                movements.append(Movement(on, amount, "allocation", source=adjustment_holder, target=pocket,
                                          memo="下拨风险调剂金弥补基金缺口"))
            if amount and name == "deposit_liquidation":
                movements.append(Movement(on, amount, "deposit_liquidation", source=Pocket(fund, county, DEPOSIT),
                                          target=pocket, memo="提前支取定期存款弥补基金缺口"))
        left -= amount
        steps.append(Step(name, amount, left))
    return Resolution(fund, county, gap, tuple(steps), city, county_part, left, tuple(movements))
