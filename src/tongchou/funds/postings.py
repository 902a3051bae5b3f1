"""Posting rules of the fund movements (pure): a `Movement` of the fund's core → one balanced ledger `Entry`.

A pocket maps to a bank title of its fund and county: ``current`` → ``bank``, ``deposit`` →
``bank_deposit``, ``legacy`` → ``bank_legacy``. Then (docs/ledger.md "Fund movements"):

| movement | lines |
| --- | --- |
| revenue into a pocket | Dr its bank title / Cr the revenue title of the cause (`interest` → revenue_interest, `deficit_subsidy` → revenue_subsidy_city or _county by the treasury, `recovery`/`other_revenue` → revenue_other, `opening_balance` → opening_balance) |
| `arrears_clearing` from the legacy pocket | Dr opening_balance / Cr bank_legacy: the carried-in balance pays the county's old debts (never the pool's expenditure) |
| transfer inside one fund (handover, deposits, county → county) | Dr the target's bank title / Cr the source's |
| transfer across funds (`remittance`, `allocation`) | source fund: Dr expense_transfer_out / Cr bank; target fund: Dr bank / Cr revenue_transfer_in |

The entry's cause is the movement's cause; its id is given by the caller (`movement_cause_id`).
"""

from __future__ import annotations

import datetime as dt

from tongchou.funds.deficit import CITY_TREASURY, COUNTY_TREASURY
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.subledger import CURRENT, DEPOSIT, LEGACY, Movement, Pocket
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.postings import Entry, Line, balanced_entry, move
from tongchou.money import Fen

BANK_OF = {CURRENT: Title.BANK, DEPOSIT: Title.BANK_DEPOSIT, LEGACY: Title.BANK_LEGACY}
REVENUE_OF_CAUSE = {
    "interest": Title.REVENUE_INTEREST,
    "recovery": Title.REVENUE_OTHER,
    "other_revenue": Title.REVENUE_OTHER,
    "opening_balance": Title.OPENING_BALANCE,
    "subsidy": Title.REVENUE_SUBSIDY,
}
DEFICIT_SUBSIDY_OF = {CITY_TREASURY: Title.REVENUE_SUBSIDY_CITY, COUNTY_TREASURY: Title.REVENUE_SUBSIDY_COUNTY}


def _fund(pocket: Pocket) -> Fund:
    try:
        return Fund(pocket.fund)
    except ValueError:
        raise FundInputError("fund", f"unknown fund {pocket.fund!r} (known: {', '.join(f.value for f in Fund)})"
                             ) from None


def bank(pocket: Pocket) -> Account:
    return Account(_fund(pocket), BANK_OF[pocket.account], pocket.county)


def _revenue_title(movement: Movement) -> Title:
    if movement.cause == "deficit_subsidy":
        if movement.party not in DEFICIT_SUBSIDY_OF:
            raise FundInputError("party", f"a deficit subsidy comes from {CITY_TREASURY} or {COUNTY_TREASURY}, "
                                          f"got {movement.party!r}")
        return DEFICIT_SUBSIDY_OF[movement.party]
    if movement.cause not in REVENUE_OF_CAUSE:
        raise FundInputError("cause", f"revenue of cause {movement.cause!r} is posted by its own service, "
                                      f"not as a fund movement")
    return REVENUE_OF_CAUSE[movement.cause]


def movement_lines(movement: Movement) -> tuple[Line, ...]:
    source, target, amount = movement.source, movement.target, movement.amount
    if source is None and target is not None:
        return move(amount, bank(target), Account(_fund(target), _revenue_title(movement), target.county))
    if target is None and source is not None:
        if movement.cause == "arrears_clearing" and source.account == LEGACY:
            return move(amount, Account(_fund(source), Title.OPENING_BALANCE, source.county), bank(source))
        raise FundInputError("cause", f"an expenditure of cause {movement.cause!r} is posted by its own service "
                                      f"(settlements, clearing), not as a fund movement")
    assert source is not None and target is not None
    if source.fund == target.fund:
        return move(amount, bank(target), bank(source))
    if source.account != CURRENT or target.account != CURRENT:
        raise FundInputError("account", "a transfer between funds moves between their current accounts")
    return (*move(amount, Account(_fund(source), Title.EXPENSE_TRANSFER_OUT, source.county), bank(source)),
            *move(amount, bank(target), Account(_fund(target), Title.REVENUE_TRANSFER_IN, target.county)))


def movement_cause_id(movement: Movement, year: int | None = None) -> str:
    """The ledger id of a movement (docs/funds.md): what makes it unique in its computation."""
    s, t = movement.source, movement.target
    if movement.cause == "remittance" and s is not None:
        return f"remittance:{s.fund}:{s.county}:{year or movement.on.year}"
    if movement.cause == "allocation" and t is not None:
        return f"allocation:{t.fund}:{t.county}:{year or movement.on.year}"
    if movement.cause == "handover" and t is not None:
        return f"handover:{t.fund}:{t.county}:{movement.on.isoformat()}"
    if movement.cause == "arrears_clearing" and s is not None:
        return f"arrears_clearing:{s.fund}:{s.county}:{movement.party}"
    if movement.cause == "deficit_subsidy" and t is not None:
        level = "city" if movement.party == CITY_TREASURY else "county"
        return f"deficit_subsidy:{t.fund}:{t.county}:{year or movement.on.year}:{level}"
    pocket = t or s
    assert pocket is not None
    return f"{movement.cause}:{pocket.fund}:{pocket.county}:{pocket.account}:{movement.on.isoformat()}"


def movement_entry(movement: Movement, cause_id: str | None = None, year: int | None = None) -> Entry:
    """One balanced entry for a movement; its county is the source's (the target's for revenue)."""
    pocket = movement.source or movement.target
    assert pocket is not None
    county = (movement.target if movement.cause == "allocation" else pocket).county  # type: ignore[union-attr]
    return balanced_entry(movement.cause, cause_id or movement_cause_id(movement, year), county, movement.on,
                  movement_lines(movement), movement.memo)


def legacy_opening_entry(fund: str, county: str, on: dt.date, amount: Fen) -> Entry:
    """存量基金: the county's balance at the pooling start, held outside the pool until handed over."""
    movement = Movement(on, amount, "opening_balance", target=Pocket(fund, county, LEGACY), memo="存量基金期初余额")
    return movement_entry(movement, f"legacy:{fund}:{county}")


def premium_entry(cause_id: str, county: str, on: dt.date, amount: Fen, insurer: str | None,
                  fund: Fund = Fund.RESIDENT_POOLED) -> Entry:
    """Premium of a layer bought from an insurer (大病保险保费): an earmarked expenditure of the pooled
    fund (Dr expense_premium / Cr bank), paid to the insurer named in the memo. Without an insurer the
    layer is run by the fund itself: the amount is transferred to the critical illness fund instead."""
    if amount <= 0:
        raise FundInputError("amount", f"a premium is a positive number of fen, got {amount}")
    if insurer:
        lines = move(amount, Account(fund, Title.EXPENSE_PREMIUM, county), Account(fund, Title.BANK, county))
        return balanced_entry("premium", cause_id, county, on, lines, f"购买大病保险 付{insurer}")
    illness = Fund.CRITICAL_ILLNESS
    lines = (*move(amount, Account(fund, Title.EXPENSE_TRANSFER_OUT, county), Account(fund, Title.BANK, county)),
             *move(amount, Account(illness, Title.BANK, county), Account(illness, Title.REVENUE_TRANSFER_IN, county)))
    return balanced_entry("premium", cause_id, county, on, lines, "划转大病保险基金（自办）")
