"""Recovery and fine postings (pure): a decision → balanced entries, a receipt → balanced entries.

docs/reference/fund-rules.md: "Recoveries from fraud return to the fund they were paid from; fines are owed to
the treasury and are recorded as such, not as fund revenue."

- `recovery_due`   per paying fund: Dr 应收追回款 (recovery_receivable, party = the institution or
  person who owes) / Cr 其他收入（追回基金） (revenue_other) — in the books of each fund that paid,
  in the county whose sub-ledger paid;
- `recovery_receipt` per fund: Dr 银行存款 (bank) / Cr 应收追回款;
- `fine_due`       in the treasury-fines books (a fund of its own, never an insurance fund):
  Dr 应收罚款 (fine_receivable, party) / Cr 应缴国库款 (due_to_treasury);
- `fine_receipt`   Dr bank / Cr 应收罚款; `fine_remit` Dr 应缴国库款 / Cr bank (paid over to the treasury).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Mapping

from tongchou.ledger.accounts import Account, Fund, Title, fund_of
from tongchou.ledger.postings import PAYMENT_FIELDS, Entry, Line, PostingError, balanced_entry, move
from tongchou.money import Fen


TREASURY_FINES = Fund.TREASURY_FINES
RECOVERY_RECEIVABLE = Title.RECOVERY_RECEIVABLE
FINE_RECEIVABLE = Title.FINE_RECEIVABLE
DUE_TO_TREASURY = Title.DUE_TO_TREASURY
REVENUE_OTHER = Title.REVENUE_OTHER
BANK = Title.BANK


# ---------------------------------------------------------------- what was paid, and the split of a recovery

@dataclass(frozen=True)
class PaidSettlement:
    """What the funds paid on one settlement (the payment fields, fen), and whose sub-ledger paid."""

    setl_id: str
    insutype: str
    med_type: str
    county: str
    amounts: Mapping[str, Fen]
    hifmi_insurer: str | None = None  # critical illness run by an insurer: its part is the insurer's to recover


@dataclass(frozen=True)
class Share:
    fund: Fund | str
    county: str
    amount: Fen
    setl_id: str
    field: str


def recoverable(paid: Iterable[PaidSettlement]) -> list[Share]:
    """Every fund payment a recovery can return to: fund payment fields, not the insurer-run layer."""
    out = []
    for s in paid:
        for name in PAYMENT_FIELDS:
            amount = int(s.amounts.get(name, 0) or 0)
            if amount <= 0 or (name == "hifmi_pay" and s.hifmi_insurer):
                continue
            out.append(Share(fund_of(s.insutype, s.med_type, name), s.county, amount, s.setl_id, name))
    return out


def allocate(amount: Fen, pools: list[Share], field_name: str = "amount") -> list[Share]:
    """Split `amount` over the pools in proportion to what each paid (largest remainder, exact in fen)."""
    total = sum(p.amount for p in pools)
    if amount < 0:
        raise PostingError(field_name, f"{field_name}：追回金额不能为负数")
    if amount > total:
        raise PostingError(field_name, f"{field_name}：追回金额{amount}分超过基金就这些结算实际支付的{total}分")
    if amount == 0:
        return []
    base = [amount * p.amount // total for p in pools]
    rest = amount - sum(base)
    order = sorted(range(len(pools)), key=lambda i: (-(amount * pools[i].amount % total), i))
    for i in order[:rest]:
        base[i] += 1
    return [Share(p.fund, p.county, a, p.setl_id, p.field) for p, a in zip(pools, base) if a]


def by_fund(shares: Iterable[Share]) -> dict[tuple[str, str], Fen]:
    out: dict[tuple[str, str], Fen] = {}
    for s in shares:
        key = (str(s.fund), s.county)
        out[key] = out.get(key, 0) + s.amount
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- entries

def recovery_due_entry(case_no: str, debtor: str, booked_on: dt.date, shares: Iterable[Share], county: str) -> Entry:
    """The decision to recover: the debtor owes each paying fund its share (应收追回款 / 其他收入)."""
    lines: list[Line] = []
    for (fund, fund_county), amount in by_fund(shares).items():
        f = _fund(fund)
        lines += move(amount, Account(f, RECOVERY_RECEIVABLE, fund_county, debtor),
                       Account(f, REVENUE_OTHER, fund_county), "recover")
    return balanced_entry("recovery_due", case_no, county, booked_on, lines, f"追回医保基金（案件{case_no}，{debtor}应退回）")


def recovery_receipt_entry(cause_id: str, debtor: str, booked_on: dt.date, outstanding: Mapping[tuple[str, str], Fen],
                           amount: Fen, county: str) -> Entry:
    """Money received from the debtor, split over the funds it still owes in proportion to what it owes."""
    pools = [Share(fund, c, owed, "", "") for (fund, c), owed in sorted(outstanding.items()) if owed > 0]
    if amount > sum(p.amount for p in pools):
        raise PostingError("amount", f"amount：收款{amount}分超过尚欠的{sum(p.amount for p in pools)}分")
    lines: list[Line] = []
    for (fund, fund_county), part in by_fund(allocate(amount, pools)).items():
        f = _fund(fund)
        lines += move(part, Account(f, BANK, fund_county), Account(f, RECOVERY_RECEIVABLE, fund_county, debtor),
                       "amount")
    return balanced_entry("recovery_receipt", cause_id, county, booked_on, lines, f"收到{debtor}退回的医保基金")


def fine_due_entry(case_no: str, debtor: str, county: str, booked_on: dt.date, amount: Fen) -> Entry:
    """A fine: owed to the treasury (应缴国库款), in the treasury-fines books — never fund revenue."""
    f = TREASURY_FINES
    lines = move(amount, Account(f, FINE_RECEIVABLE, county, debtor), Account(f, DUE_TO_TREASURY, county), "fine")
    return balanced_entry("fine_due", case_no, county, booked_on, lines, f"罚款（案件{case_no}，{debtor}），应缴国库")


def fine_receipt_entry(cause_id: str, debtor: str, county: str, booked_on: dt.date, amount: Fen) -> Entry:
    f = TREASURY_FINES
    lines = move(amount, Account(f, BANK, county), Account(f, FINE_RECEIVABLE, county, debtor), "amount")
    return balanced_entry("fine_receipt", cause_id, county, booked_on, lines, f"收到{debtor}缴纳的罚款（代收，应缴国库）")


def fine_remit_entry(cause_id: str, county: str, booked_on: dt.date, amount: Fen) -> Entry:
    f = TREASURY_FINES
    lines = move(amount, Account(f, DUE_TO_TREASURY, county), Account(f, BANK, county), "amount")
    return balanced_entry("fine_remit", cause_id, county, booked_on, lines, "罚没款上缴国库")


def _fund(value: str) -> Fund:
    return Fund(value)
