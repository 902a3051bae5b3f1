"""The pooling transition (seed 000): 存量基金逐步到位，增量基金一步到位，理清历史欠帐.

- New revenue at once: from the pooling start every revenue of a county goes to its
  sub-ledger in the pool (`revenue_pocket`).
- Legacy balance on a schedule: the county's balance at the start (存量基金, in the ``legacy``
  account) is handed over in tranches; tranche k hands over
  round(base × cumulative share up to k) − round(base × cumulative share up to k−1),
  so the tranches add up to the base exactly, whatever the rounding.
- Arrears first (摸底清算): the recorded arrears of the county fund (what it owes for the time
  before pooling: institutions' unpaid bills and the like) are paid from the legacy balance
  first, in the order recorded. The handover base is the legacy balance less the arrears
  paid; arrears beyond the balance stay the county's to clear (`arrears_outstanding`) and are
  never handed to the pool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import LegacyHandoverRule
from tongchou.funds.subledger import CURRENT, LEGACY, Movement, Pocket
from tongchou.money import Fen, apply_rate, yuan_text


@dataclass(frozen=True)
class Arrear:
    """A recorded arrear of the county fund: who is owed, how much, why (Chinese)."""

    creditor: str
    amount: Fen
    memo: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise FundInputError("arrears.amount", f"an arrear is a positive number of fen, got {self.amount!r}")
        if not self.creditor:
            raise FundInputError("arrears.creditor", "an arrear names who is owed")


@dataclass(frozen=True)
class HandoverPlan:
    fund: str
    county: str
    legacy_balance: Fen
    arrears_cleared: Fen
    arrears_outstanding: Fen
    handover_base: Fen
    tranches: tuple[tuple[dt.date, Fen], ...]
    movements: tuple[Movement, ...]

    @property
    def reason(self) -> str:
        text = (f"存量基金{yuan_text(self.legacy_balance)}，先清偿历史欠账{yuan_text(self.arrears_cleared)}，"
                f"应移交{yuan_text(self.handover_base)}，分{len(self.tranches)}次移交")
        if self.arrears_outstanding:
            text += f"；尚有欠账{yuan_text(self.arrears_outstanding)}超出存量基金，由县级负责清偿，不移交统筹基金"
        return text


def revenue_pocket(fund: str, county: str, on: dt.date, rule: LegacyHandoverRule) -> Pocket:
    """增量基金一步到位: revenue from the pooling start goes to the pool; before it, to the legacy balance."""
    return Pocket(fund, county, CURRENT if on >= rule.start else LEGACY)


def clear_arrears(legacy_balance: Fen, arrears: Iterable[Arrear]) -> tuple[list[tuple[Arrear, Fen]], Fen]:
    """Pay the arrears in order from the legacy balance: (each arrear with what it got, what is still owed)."""
    left, paid, outstanding = legacy_balance, [], 0
    for arrear in arrears:
        payment = min(arrear.amount, left)
        left -= payment
        outstanding += arrear.amount - payment
        paid.append((arrear, payment))
    return paid, outstanding


def tranche_amounts(base: Fen, shares: Iterable) -> list[Fen]:
    """Amounts of the tranches: differences of the rounded cumulative amounts (they add up to `base`)."""
    amounts, cumulative_share, handed = [], 0, 0
    for share in shares:
        cumulative_share += share
        due = apply_rate(base, cumulative_share)
        amounts.append(due - handed)
        handed = due
    return amounts


def handover_plan(fund: str, county: str, legacy_balance: Fen, arrears: Iterable[Arrear],
                  rule: LegacyHandoverRule) -> HandoverPlan:
    """Arrears cleared on the pooling start, then the rest handed over on the county's schedule."""
    if isinstance(legacy_balance, bool) or not isinstance(legacy_balance, int) or legacy_balance < 0:
        raise FundInputError("legacy_balance", f"a balance in fen, not negative, got {legacy_balance!r}")
    legacy = Pocket(fund, county, LEGACY)
    paid, outstanding = clear_arrears(legacy_balance, arrears)
    cleared = sum(payment for _, payment in paid)
    movements = [Movement(rule.start, payment, "arrears_clearing", source=legacy, party=arrear.creditor,
                          memo=arrear.memo or "清偿历史欠账")
                 for arrear, payment in paid if payment]
    base = legacy_balance - cleared
    schedule = rule.schedule_of(county)
    amounts = tranche_amounts(base, (t.share for t in schedule))
    tranches = tuple((t.date, amount) for t, amount in zip(schedule, amounts, strict=True))
    movements += [Movement(on, amount, "handover", source=legacy, target=Pocket(fund, county, CURRENT),
                           memo=f"存量基金移交（第{number}次）")
                  for number, (on, amount) in enumerate(tranches, start=1) if amount]
    return HandoverPlan(fund, county, legacy_balance, cleared, outstanding, base, tranches, tuple(movements))
