"""County sub-ledgers under one pool (基金统收统支、分级管理): movements of money and what they sum to.

A `Pocket` is where money sits: a fund (named as in `tongchou.ledger.accounts.Fund`, e.g.
``resident_pooled``), a county (or the code of the pool, province or region for money held
above the counties, e.g. the risk adjustment fund) and an account:

- ``current``: the county's sub-ledger in the city's unified account (统收统支);
- ``deposit``: the part of it placed on term deposit (定期存款), liquidated when a fund cannot pay;
- ``legacy``: the county's balance from before pooling, not yet handed over (存量基金).

A `Movement` moves a positive amount in fen on a day, for a cause, from one pocket to another.
A movement with no source is revenue (money entering the pool from a ``party`` outside it),
one with no target is expenditure (money leaving to a party outside). Every function of the
fund's core returns movements; a shell posts each as a balanced double-entry posting
(docs/funds.md "Movements and postings").

Views over movements are pure: the balance of any set of pockets at any date, and its
flows over a period — revenue, expenditure, transfers in and out — where a transfer between
two pockets of the same set is internal and cancels out. So a county, a fund of the whole
pool, or the whole pool are the same computation with a different selection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from tongchou.funds.fund_errors import FundInputError
from tongchou.ledger.accounts import Flows
from tongchou.money import Fen

CURRENT, DEPOSIT, LEGACY = "current", "deposit", "legacy"
ACCOUNT_NAMES = {CURRENT: "统筹账户", DEPOSIT: "定期存款", LEGACY: "存量基金（未移交）"}
IN_POOL: frozenset[str] = frozenset({CURRENT, DEPOSIT})

CAUSE_NAMES: dict[str, str] = {
    # the causes of docs/reference/fund-rules.md "Ledger"
    "contribution": "缴费收入",
    "subsidy": "财政补助收入",
    "settlement": "待遇支出",
    "cancellation": "撤销结算",
    "clearing": "清算",
    "transfer": "转移",
    "interest": "利息收入",
    # the causes of the fund's core
    "recovery": "追回基金",
    "other_revenue": "其他收入",
    "remittance": "上解风险调剂金",
    "allocation": "下拨风险调剂金",
    "handover": "存量基金移交",
    "arrears_clearing": "清偿历史欠账",
    "deposit_placement": "存入定期",
    "deposit_liquidation": "提前支取定期存款",
    "deficit_subsidy": "财政补助弥补缺口",
    "opening_balance": "期初余额",
}
REVENUE, EXPENDITURE, TRANSFER = "revenue", "expenditure", "transfer"


@dataclass(frozen=True, order=True)
class Pocket:
    fund: str
    county: str
    account: str = CURRENT

    def __post_init__(self) -> None:
        if not self.fund:
            raise FundInputError("fund", "a pocket needs a fund")
        if not self.county:
            raise FundInputError("county", "a pocket needs a county (or the code of the pool)")
        if self.account not in ACCOUNT_NAMES:
            raise FundInputError("account", f"unknown account {self.account!r} (known: {', '.join(ACCOUNT_NAMES)})")

    def __str__(self) -> str:
        return f"{self.fund}/{self.county}/{self.account}"


@dataclass(frozen=True)
class Movement:
    """One movement of money: `amount` fen from `source` to `target` on `on` because of `cause`."""

    on: dt.date
    amount: Fen
    cause: str
    source: Pocket | None = None
    target: Pocket | None = None
    party: str = ""
    memo: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int) or self.amount <= 0:
            raise FundInputError("amount", f"a movement is a positive whole number of fen, got {self.amount!r}")
        if self.cause not in CAUSE_NAMES:
            raise FundInputError("cause", f"unknown cause {self.cause!r} (known: {', '.join(CAUSE_NAMES)})")
        if self.source is None and self.target is None:
            raise FundInputError("source", "a movement needs a source, a target or both")
        if self.source == self.target:
            raise FundInputError("target", f"a movement from {self.source} to itself")

    @property
    def kind(self) -> str:
        if self.source is None:
            return REVENUE
        if self.target is None:
            return EXPENDITURE
        return TRANSFER


Selection = Callable[[Pocket], bool]


def select(fund: str | None = None, county: str | None = None,
           accounts: Iterable[str] = IN_POOL) -> Selection:
    """Pockets of a fund (any fund when None), a county (the whole pool when None), in these accounts."""
    wanted = frozenset(accounts)

    def chosen(pocket: Pocket) -> bool:
        return ((fund is None or pocket.fund == fund) and (county is None or pocket.county == county)
                and pocket.account in wanted)

    return chosen


def _inside(pocket: Pocket | None, chosen: Selection) -> bool:
    return pocket is not None and chosen(pocket)


def net_effect(movement: Movement, chosen: Selection) -> Fen:
    """What a movement adds to (or takes from) the selected pockets taken together."""
    into, out_of = _inside(movement.target, chosen), _inside(movement.source, chosen)
    if into == out_of:
        return 0
    return movement.amount if into else -movement.amount


def balance_at(movements: Iterable[Movement], chosen: Selection, on: dt.date) -> Fen:
    """The balance of the selected pockets at the end of day `on`."""
    return sum(net_effect(m, chosen) for m in movements if m.on <= on)


def flows_between(movements: Iterable[Movement], chosen: Selection, start: dt.date, end: dt.date,
                  causes: Iterable[str] | None = None) -> Flows:
    """Flows of the selected pockets from `start` to `end` inclusive; `causes` restricts revenue
    and expenditure to those causes (the others then count as neither)."""
    if end < start:
        raise FundInputError("end", f"the period ends ({end}) before it starts ({start})")
    wanted = None if causes is None else frozenset(causes)
    opening = revenue = expenditure = transfers_in = transfers_out = 0
    for m in movements:
        effect = net_effect(m, chosen)
        if effect == 0 or m.on > end:
            continue
        if m.on < start:
            opening += effect
        elif m.kind == REVENUE:
            revenue += m.amount if wanted is None or m.cause in wanted else 0
        elif m.kind == EXPENDITURE:
            expenditure += m.amount if wanted is None or m.cause in wanted else 0
        elif effect > 0:
            transfers_in += effect
        else:
            transfers_out -= effect
    return Flows(opening, revenue, expenditure, transfers_in, transfers_out)


def revenue_between(movements: Iterable[Movement], chosen: Selection, start: dt.date, end: dt.date,
                    causes: Iterable[str] | None = None) -> Fen:
    return flows_between(movements, chosen, start, end, causes).revenue


def counties_of(movements: Iterable[Movement], fund: str | None = None) -> list[str]:
    """Every county that a movement touches (of one fund when given), sorted."""
    found: set[str] = set()
    for m in movements:
        for pocket in (m.source, m.target):
            if pocket is not None and (fund is None or pocket.fund == fund):
                found.add(pocket.county)
    return sorted(found)


def flows_by_county(movements: list[Movement], fund: str, start: dt.date, end: dt.date,
                    counties: Iterable[str] | None = None) -> dict[str, Flows]:
    """Flows of one fund for each county, then ``"pool"`` for the whole pool (internal transfers cancel)."""
    rows = {county: flows_between(movements, select(fund, county), start, end)
            for county in (counties if counties is not None else counties_of(movements, fund))}
    rows["pool"] = flows_between(movements, select(fund), start, end)
    return rows


def balances_at(movements: Iterable[Movement], on: dt.date) -> dict[Pocket, Fen]:
    """The balance of every pocket at the end of day `on`."""
    balances: dict[Pocket, Fen] = {}
    for m in movements:
        if m.on > on:
            continue
        if m.source is not None:
            balances[m.source] = balances.get(m.source, 0) - m.amount
        if m.target is not None:
            balances[m.target] = balances.get(m.target, 0) + m.amount
    return dict(sorted(balances.items()))


def outside_net(movements: Iterable[Movement], on: dt.date) -> Fen:
    """Revenue minus expenditure of the whole system up to `on`: what the pockets must hold together."""
    return sum(m.amount if m.kind == REVENUE else -m.amount if m.kind == EXPENDITURE else 0
               for m in movements if m.on <= on)


def ratio(numerator: Fen | Decimal, denominator: Fen | Decimal) -> Decimal | None:
    """An exact ratio, or None when the denominator is zero."""
    return None if denominator == 0 else Decimal(numerator) / Decimal(denominator)


def movement_record(movement: Movement) -> dict[str, object]:
    """A movement as a plain record for a shell (JSON): pockets as fund/county/account, amount in fen."""
    def side(pocket: Pocket | None) -> dict[str, str] | None:
        return None if pocket is None else {"fund": pocket.fund, "county": pocket.county, "account": pocket.account}

    return {"on": movement.on.isoformat(), "kind": movement.kind, "cause": movement.cause,
            "cause_name": CAUSE_NAMES[movement.cause], "from": side(movement.source), "to": side(movement.target),
            "amount_fen": movement.amount, "party": movement.party, "memo": movement.memo}
