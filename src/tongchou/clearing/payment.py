"""Clearing against the ledger (pure): what each settlement left due to the institution, what a monthly
run pays, withholds and pre-pays, what the year end settles — and the balanced entries that do it.

Accounts are the ledger's: what is due sits on ``<fund>/due_to_institution/<county>/<institution>``, one
per fund and insured person's county (the settlement posting rules). So every amount here is kept per
`Pocket` = (fund, county); an amount of the institution as a whole (a DIP pre-payment, a capitation
balance, a global budget adjustment) is split over its pockets in proportion to what they owe
(`split`, largest remainder to the fen: the parts add up exactly).

Monthly run (cause ``clearing``, id ``monthly:<institution>:<YYYY-MM>``), per pocket:

    cleared (each field of clearing.cleared_fields; the DIP cases' hifp_pay excepted under DIP)
        Dr due_to_institution / Cr bank          — the insurer-run hifmi_pay: Cr due_to_insurer (the insurer pays)
    quality reserve = round(cleared hifp_pay of the pocket × rate)
        of the above, Cr quality_reserve/<institution> instead of bank
    DIP pre-payment (split by the month's DIP dues)      Dr due_to_institution / Cr bank
    capitation balance (split by the month's costs)      Dr expense_benefit / Cr due; Dr due / Cr bank (negative: reversed)

Year end (cause ``clearing``, id ``year_end:<institution>:<YYYY>``), per pocket:

    global budget adjustment a      Dr expense_benefit / Cr due; Dr due / Cr bank (a < 0: reversed: recovered)
    DIP: final f (split by the year's DIP dues d), pre-paid p
                                    Dr expense_benefit / Cr due (f − d); Dr due / Cr bank (f − p)
    quality reserve w, released r   Dr quality_reserve / Cr due (r); Dr due / Cr bank (r);
                                    Dr quality_reserve / Cr expense_benefit (w − r, forfeited: the fund never pays it)

A negative amount swaps the debit and the credit. Paid to the institution = bank credits − bank
debits + what insurers paid; it equals the statements' payable.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tongchou.clearing.records import Institution
from tongchou.ledger.accounts import Account, Fund, Title, fund_of
from tongchou.ledger.postings import PAYMENT_FIELDS, Entry, Line, SettlementFacts, balanced_entry
from tongchou.money import Fen

Pocket = tuple[str, str]  # (fund, county)


@dataclass(frozen=True)
class Member:
    """An institution with its county, whose resident pooled fund is its home pocket (where an amount of
    the institution as a whole falls when it has nothing due to split it by)."""

    institution: Institution
    county: str

    @property
    def home(self) -> Pocket:
        return (Fund.RESIDENT_POOLED.value, self.county)


@dataclass(frozen=True, order=True)
class DueKey:
    """What a settlement left due: a field, in a fund and county; `insurer` when an insurer pays it."""

    field: str
    fund: str
    county: str
    insurer: str = ""

    @property
    def pocket(self) -> Pocket:
        return (self.fund, self.county)


def dues_of(facts: SettlementFacts, sign: int = 1) -> dict[DueKey, Fen]:
    """The amounts a settlement (sign 1) or its cancellation (−1) put on due_to_institution, by key —
    the same accounts as `ledger.postings.settlement_entry`."""
    dues: dict[DueKey, Fen] = {}
    for name in PAYMENT_FIELDS:
        amount = facts.amounts.get(name, 0)
        if amount:
            insurer = (facts.hifmi_insurer or "") if name == "hifmi_pay" else ""
            key = DueKey(name, fund_of(facts.insutype, facts.med_type, name).value, facts.county, insurer)
            dues[key] = dues.get(key, 0) + sign * amount
    if facts.amounts.get("acct_pay", 0):
        key = DueKey("acct_pay", Fund.PERSONAL_ACCOUNT.value, facts.county)
        dues[key] = dues.get(key, 0) + sign * facts.amounts["acct_pay"]
    return dues


def add(into: dict, items: Mapping) -> dict:
    for key, value in items.items():
        into[key] = into.get(key, 0) + value
    return into


def split(amount: Fen, weights: Mapping[Pocket, Fen], fallback: Pocket | None = None) -> dict[Pocket, Fen]:
    """`amount` in proportion to the (non-negative parts of the) weights, largest remainder to the fen
    (ties by pocket); the parts add up to `amount`. No positive weight: all on `fallback`."""
    if amount == 0:
        return {}
    positive = {k: w for k, w in sorted(weights.items()) if w > 0}
    if not positive:
        if fallback is None:
            raise ValueError("nothing to split the amount by")
        return {fallback: amount}
    sign, whole = (1 if amount > 0 else -1), abs(amount)
    total = sum(positive.values())
    parts = {k: whole * w // total for k, w in positive.items()}
    left = whole - sum(parts.values())
    for key in sorted(positive, key=lambda k: (-(whole * positive[k] % total), k))[:left]:
        parts[key] += 1
    return {k: sign * v for k, v in parts.items() if v}


def signed(amount: Fen, debit: Account, credit: Account) -> tuple[Line, ...]:
    """Dr `debit` / Cr `credit` by `amount`; a negative amount the other way round; nothing for 0."""
    if amount == 0:
        return ()
    if amount < 0:
        debit, credit, amount = credit, debit, -amount
    return Line(debit, debit=amount), Line(credit, credit=amount)


def _due(pocket: Pocket, institution: str) -> Account:
    return Account(Fund(pocket[0]), Title.DUE_TO_INSTITUTION, pocket[1], institution)


def _bank(pocket: Pocket) -> Account:
    return Account(Fund(pocket[0]), Title.BANK, pocket[1])


def _expense(pocket: Pocket) -> Account:
    return Account(Fund(pocket[0]), Title.EXPENSE_BENEFIT, pocket[1])


def _reserve(pocket: Pocket, institution: str) -> Account:
    return Account(Fund(pocket[0]), Title.QUALITY_RESERVE, pocket[1], institution)


def _entry(cause_id: str, county: str, booked_on: dt.date, lines: Iterable[Line], memo: str) -> Entry:
    return balanced_entry("clearing", cause_id, county, booked_on, lines, memo)


# ---------------------------------------------------------------- monthly

@dataclass(frozen=True)
class MonthlyPayment:
    """What a monthly run pays one institution, per pocket (the ledger side of its statement)."""

    institution: str
    period: str
    cleared: Mapping[DueKey, Fen]
    reserve: Mapping[Pocket, Fen]
    dip_prepaid: Mapping[Pocket, Fen]
    capitation: Mapping[Pocket, Fen]

    @property
    def cleared_amount(self) -> Fen:
        return sum(self.cleared.values())

    @property
    def reserve_amount(self) -> Fen:
        return sum(self.reserve.values())

    @property
    def payable(self) -> Fen:
        return (self.cleared_amount - self.reserve_amount + sum(self.dip_prepaid.values())
                + sum(self.capitation.values()))

    def entry(self, county: str, booked_on: dt.date) -> Entry:
        code, lines = self.institution, []
        for key, amount in sorted(self.cleared.items()):
            due = _due(key.pocket, code)
            if key.insurer:
                lines += signed(amount, due, Account(Fund(key.fund), Title.DUE_TO_INSURER, key.county, key.insurer))
            else:
                withheld = self.reserve.get(key.pocket, 0) if key.field == "hifp_pay" else 0
                lines += signed(amount - withheld, due, _bank(key.pocket))
                lines += signed(withheld, due, _reserve(key.pocket, code))
        for pocket, amount in sorted(self.dip_prepaid.items()):
            lines += signed(amount, _due(pocket, code), _bank(pocket))
        for pocket, amount in sorted(self.capitation.items()):
            lines += signed(amount, _expense(pocket), _due(pocket, code))
            lines += signed(amount, _due(pocket, code), _bank(pocket))
        return _entry(f"monthly:{code}:{self.period}", county, booked_on, lines, f"{self.period} 清算 {code}")


def reserve_by_pocket(cleared: Mapping[DueKey, Fen], base_fields: Iterable[str], rate, apply_rate
                      ) -> dict[Pocket, Fen]:
    """Quality reserve per pocket: round(the pocket's cleared base fields × rate); none on a net refund."""
    base: dict[Pocket, Fen] = defaultdict(int)
    wanted = set(base_fields)
    for key, amount in cleared.items():
        if key.field in wanted and not key.insurer:
            base[key.pocket] += amount
    return {p: apply_rate(v, rate) for p, v in sorted(base.items()) if v > 0 and apply_rate(v, rate)}


# ---------------------------------------------------------------- year end

@dataclass(frozen=True)
class YearEndPayment:
    institution: str
    year: int
    global_budget: Mapping[Pocket, Fen]     # adjustment per pocket
    dip_final: Mapping[Pocket, Fen]         # final DIP payment per pocket
    dip_dues: Mapping[Pocket, Fen]          # DIP cases' hifp_pay recorded due in the year
    dip_prepaid: Mapping[Pocket, Fen]
    reserve_withheld: Mapping[Pocket, Fen]
    reserve_released: Mapping[Pocket, Fen]

    @property
    def dip_liquidation(self) -> Fen:
        return sum(self.dip_final.values()) - sum(self.dip_prepaid.values())

    @property
    def payable(self) -> Fen:
        return sum(self.global_budget.values()) + self.dip_liquidation + sum(self.reserve_released.values())

    @property
    def forfeited(self) -> Fen:
        return sum(self.reserve_withheld.values()) - sum(self.reserve_released.values())

    def entry(self, county: str, booked_on: dt.date) -> Entry:
        code, lines = self.institution, []
        for pocket, amount in sorted(self.global_budget.items()):
            lines += signed(amount, _expense(pocket), _due(pocket, code))
            lines += signed(amount, _due(pocket, code), _bank(pocket))
        for pocket in sorted(set(self.dip_final) | set(self.dip_dues) | set(self.dip_prepaid)):
            final = self.dip_final.get(pocket, 0)
            lines += signed(final - self.dip_dues.get(pocket, 0), _expense(pocket), _due(pocket, code))
            lines += signed(final - self.dip_prepaid.get(pocket, 0), _due(pocket, code), _bank(pocket))
        for pocket, withheld in sorted(self.reserve_withheld.items()):
            released = self.reserve_released.get(pocket, 0)
            lines += signed(released, _reserve(pocket, code), _due(pocket, code))
            lines += signed(released, _due(pocket, code), _bank(pocket))
            lines += signed(withheld - released, _reserve(pocket, code), _expense(pocket))
        return _entry(f"year_end:{code}:{self.year}", county, booked_on, lines, f"{self.year} 年终清算 {code}")


def paid_to_institution(entry: Entry) -> Fen:
    """What an entry pays the institution: bank credits − bank debits, plus what insurers paid for it."""
    paid = 0
    for line in entry.lines:
        if line.account.title == Title.BANK:
            paid += line.credit - line.debit
        elif line.account.title == Title.DUE_TO_INSURER:
            paid += line.credit - line.debit
    return paid
