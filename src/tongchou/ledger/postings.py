"""Posting rules as pure functions: a settlement, a cancellation, a contribution → one balanced entry.

Every entry balances inside each fund it touches (debits = credits per fund). Amounts are
non-negative fen; a zero amount produces no line. Nothing here reads or writes a database.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from tongchou.ledger.accounts import SUBSIDY_TITLES, Account, Fund, Title, fund_of
from tongchou.money import Fen

PAYMENT_FIELDS = ("hifp_pay", "hifob_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "maf_pay", "oth_pay")


class PostingError(ValueError):
    """A posting that cannot be made: names the field at fault."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Line:
    account: Account
    debit: Fen = 0
    credit: Fen = 0


@dataclass(frozen=True)
class Entry:
    """A journal entry: its cause (type and id: one entry per cause), county and lines."""

    cause_type: str
    cause_id: str
    county: str
    booked_on: dt.date
    lines: tuple[Line, ...]
    memo: str = ""

    def totals_by_fund(self) -> dict[Fund, tuple[Fen, Fen]]:
        return fund_totals(self.lines)

    def is_balanced(self) -> bool:
        return all(debit == credit for debit, credit in self.totals_by_fund().values())


def fund_totals(lines: Iterable[Line]) -> dict[Fund, tuple[Fen, Fen]]:
    debits: dict[Fund, Fen] = defaultdict(int)
    credits: dict[Fund, Fen] = defaultdict(int)
    for line in lines:
        debits[line.account.fund] += line.debit
        credits[line.account.fund] += line.credit
    return {fund: (debits[fund], credits[fund]) for fund in sorted(set(debits) | set(credits))}


def move(amount: Fen, debit: Account, credit: Account, field_name: str = "amount") -> tuple[Line, ...]:
    """Debit one account and credit another of the same fund by `amount` (nothing when 0)."""
    if amount < 0:
        raise PostingError(field_name, f"{field_name}: a posting amount must not be negative ({amount})")
    if debit.fund != credit.fund:
        raise PostingError(field_name, f"{field_name}: {debit} and {credit} are in different funds")
    if amount == 0:
        return ()
    return Line(debit, debit=amount), Line(credit, credit=amount)


def balanced_entry(cause_type: str, cause_id: str, county: str, booked_on: dt.date, lines: Iterable[Line],
                   memo: str = "") -> Entry:
    """An entry of the lines; an unbalanced one is a bug in a posting rule, never an input error."""
    entry = Entry(cause_type, cause_id, county, booked_on, tuple(lines), memo)
    if not entry.is_balanced():  # a rule bug, never an input error
        raise AssertionError(f"unbalanced entry {cause_type}:{cause_id}")
    return entry


# ---------------------------------------------------------------- settlements

@dataclass(frozen=True)
class SettlementFacts:
    """What the ledger needs of a settlement."""

    setl_id: str
    insutype: str
    med_type: str
    county: str  # the insured person's county: the sub-ledger that pays
    fixmedins_code: str
    psn_no: str
    booked_on: dt.date
    amounts: Mapping[str, Fen]  # the payment fields, acct_pay and acct_mulaid_pay
    mulaid_psn_no: str | None = None
    mulaid_county: str | None = None
    hifmi_insurer: str | None = None


def _benefit_lines(facts: SettlementFacts) -> list[Line]:
    lines: list[Line] = []
    for name in PAYMENT_FIELDS:
        amount = facts.amounts.get(name, 0)
        fund = fund_of(facts.insutype, facts.med_type, name)
        due = Account(fund, Title.DUE_TO_INSTITUTION, facts.county, facts.fixmedins_code)
        if name == "hifmi_pay" and facts.hifmi_insurer:
            paid_by = Account(fund, Title.DUE_TO_INSURER, facts.county, facts.hifmi_insurer)
        else:
            paid_by = Account(fund, Title.EXPENSE_BENEFIT, facts.county)
        lines.extend(move(amount, paid_by, due, name))
    return lines


def _account_lines(facts: SettlementFacts) -> list[Line]:
    acct_pay = facts.amounts.get("acct_pay", 0)
    mulaid = facts.amounts.get("acct_mulaid_pay", 0)
    if mulaid > acct_pay:
        raise PostingError("acct_mulaid_pay", "acct_mulaid_pay is a part of acct_pay and cannot exceed it")
    if mulaid and not facts.mulaid_psn_no:
        raise PostingError("mulaid_psn_no", "a family mutual-aid payment needs the relative whose account pays")
    fund = Fund.PERSONAL_ACCOUNT
    due = Account(fund, Title.DUE_TO_INSTITUTION, facts.county, facts.fixmedins_code)
    lines = list(move(acct_pay - mulaid, Account(fund, Title.ACCOUNT_HOLDER, facts.county, facts.psn_no), due,
                      "acct_pay"))
    if mulaid:
        relative = Account(fund, Title.ACCOUNT_HOLDER, facts.mulaid_county or facts.county, facts.mulaid_psn_no or "")
        lines.extend(move(mulaid, relative, due, "acct_mulaid_pay"))
    return lines


def settlement_entry(facts: SettlementFacts) -> Entry:
    """结算: each paying fund's expense (or the insurer's part) against what is due to the institution;
    the personal account (own and family mutual-aid) against what is due to the institution."""
    return balanced_entry("settlement", facts.setl_id, facts.county, facts.booked_on,
                  [*_benefit_lines(facts), *_account_lines(facts)], f"结算 {facts.setl_id}")


def opposite(entry: Entry, cause_type: str, cause_id: str, booked_on: dt.date, memo: str = "") -> Entry:
    """The exact opposite of an entry (撤销/冲正): every debit becomes a credit and back."""
    lines = tuple(Line(line.account, debit=line.credit, credit=line.debit) for line in entry.lines)
    return balanced_entry(cause_type, cause_id, entry.county, booked_on, lines, memo or f"撤销 {entry.cause_id}")


def cancellation_entry(facts: SettlementFacts, booked_on: dt.date) -> Entry:
    return opposite(settlement_entry(facts), "cancellation", facts.setl_id, booked_on, f"撤销结算 {facts.setl_id}")


# ---------------------------------------------------------------- contributions

def resident_contribution_entry(cause_id: str, county: str, booked_on: dt.date, individual: Fen,
                                subsidies: Mapping[str, Fen] | None = None, cause_type: str = "contribution"
                                ) -> Entry:
    """Resident contribution: individual share, and fiscal subsidies by level, into the resident pooled fund."""
    fund = Fund.RESIDENT_POOLED
    bank = Account(fund, Title.BANK, county)
    lines = list(move(individual, bank, Account(fund, Title.REVENUE_INDIVIDUAL, county), "individual"))
    for level, amount in sorted((subsidies or {}).items()):
        if level not in SUBSIDY_TITLES:
            raise PostingError("level", f"unknown subsidy level {level!r}: one of {', '.join(SUBSIDY_TITLES)}")
        lines.extend(move(amount, bank, Account(fund, SUBSIDY_TITLES[level], county), f"subsidies.{level}"))
    return balanced_entry(cause_type, cause_id, county, booked_on, lines, "居民医保缴费" if individual else "居民医保财政补助")


def employee_contribution_entry(cause_id: str, county: str, booked_on: dt.date, psn_no: str, employer: Fen,
                                individual_to_account: Fen, individual_to_pool: Fen) -> Entry:
    """Employee contribution: employer share and the rest of the individual share to the pooled fund,
    the account part of the individual share to the person's account."""
    pool, acct = Fund.EMPLOYEE_POOLED, Fund.PERSONAL_ACCOUNT
    lines = [
        *move(employer, Account(pool, Title.BANK, county), Account(pool, Title.REVENUE_EMPLOYER, county), "employer"),
        *move(individual_to_pool, Account(pool, Title.BANK, county),
              Account(pool, Title.REVENUE_INDIVIDUAL, county), "individual"),
        *move(individual_to_account, Account(acct, Title.BANK, county),
              Account(acct, Title.ACCOUNT_HOLDER, county, psn_no), "individual"),
    ]
    return balanced_entry("contribution", cause_id, county, booked_on, lines, "职工医保缴费")


def late_fee_entry(cause_id: str, county: str, booked_on: dt.date, employer: str, amount: Fen) -> Entry:
    """An employer's late fee (滞纳金, 社会保险法 第八十六条) collected by the tax bureau: revenue of the
    employee pooled fund under other revenue (其他收入); the employee bears none of it."""
    pool = Fund.EMPLOYEE_POOLED
    lines = move(amount, Account(pool, Title.BANK, county), Account(pool, Title.REVENUE_OTHER, county), "late_fee")
    return balanced_entry("late_fee", cause_id, county, booked_on, lines, f"用人单位滞纳金 {employer}")


def account_transfer_entry(cause_id: str, booked_on: dt.date, psn_no: str, from_county: str, to_county: str,
                           amount: Fen) -> Entry:
    """A personal account moving with its holder from one county's sub-ledger to another's."""
    acct = Fund.PERSONAL_ACCOUNT
    lines = [
        *move(amount, Account(acct, Title.ACCOUNT_HOLDER, from_county, psn_no), Account(acct, Title.BANK, from_county)),
        *move(amount, Account(acct, Title.BANK, to_county), Account(acct, Title.ACCOUNT_HOLDER, to_county, psn_no)),
    ]
    return balanced_entry("transfer", cause_id, to_county, booked_on, lines, "个人账户随参保关系转移")


def transfer_out_entry(cause_id: str, county: str, booked_on: dt.date, psn_no: str, pool: str, amount: Fen,
                       paid: bool = True) -> Entry:
    """关系转出: the personal account's balance leaves the pool with its holder — the holder's balance becomes an
    amount payable to the receiving pool (`pool`, its admdvs), and, `paid`, is paid to it from the account
    fund's bank account on the same day."""
    acct = Fund.PERSONAL_ACCOUNT
    due = Account(acct, Title.DUE_TO_OTHER_POOL, county, pool)
    lines = [*move(amount, Account(acct, Title.ACCOUNT_HOLDER, county, psn_no), due)]
    if paid:
        lines += move(amount, due, Account(acct, Title.BANK, county))
    return balanced_entry("transfer_out", cause_id, county, booked_on, lines, "个人账户随参保关系转出统筹区")


def transfer_in_entry(cause_id: str, county: str, booked_on: dt.date, psn_no: str, pool: str, amount: Fen,
                      received: bool = True) -> Entry:
    """关系转入: the balance the sending pool (`pool`) transfers credits the person's new account — from the bank
    when the money has arrived (`received`), else as an amount receivable from that pool."""
    acct = Fund.PERSONAL_ACCOUNT
    source = Account(acct, Title.BANK, county) if received else Account(acct, Title.RECEIVABLE_FROM_OTHER_POOL,
                                                                            county, pool)
    lines = move(amount, source, Account(acct, Title.ACCOUNT_HOLDER, county, psn_no))
    return balanced_entry("transfer_in", cause_id, county, booked_on, lines, "个人账户随参保关系转入统筹区")


def account_credit_entry(cause_id: str, county: str, booked_on: dt.date, psn_no: str, amount: Fen) -> Entry:
    """A retiree's monthly account credit: out of the employee pooled fund, into the person's account."""
    pool, acct = Fund.EMPLOYEE_POOLED, Fund.PERSONAL_ACCOUNT
    lines = [
        *move(amount, Account(pool, Title.EXPENSE_TRANSFER_OUT, county), Account(pool, Title.BANK, county)),
        *move(amount, Account(acct, Title.BANK, county), Account(acct, Title.ACCOUNT_HOLDER, county, psn_no)),
    ]
    return balanced_entry("account_credit", cause_id, county, booked_on, lines, "退休人员个人账户划入")


def relative_contribution_entry(cause_id: str, booked_on: dt.date, payer: str, payer_county: str,
                                relative_county: str, amount: Fen) -> Entry:
    """An employee's account pays a relative's resident contribution (家庭共济)."""
    acct, resident = Fund.PERSONAL_ACCOUNT, Fund.RESIDENT_POOLED
    lines = [
        *move(amount, Account(acct, Title.ACCOUNT_HOLDER, payer_county, payer), Account(acct, Title.BANK, payer_county)),
        *move(amount, Account(resident, Title.BANK, relative_county),
              Account(resident, Title.REVENUE_INDIVIDUAL, relative_county)),
    ]
    return balanced_entry("contribution", cause_id, relative_county, booked_on, lines, "个人账户代缴近亲属居民医保")


def account_contribution_entry(cause_id: str, booked_on: dt.date, payer: str, payer_county: str, fund: Fund,
                               county: str, amount: Fen, memo: str) -> Entry:
    """The personal account pays a contribution into another fund (家庭共济, seed 003): the person's own
    large-expense supplement (`large_expense`) or long-term care (`long_term_care`) contribution — out of
    the payer's account, into that fund's individual contribution revenue."""
    if fund == Fund.PERSONAL_ACCOUNT:
        raise PostingError("fund", "an account cannot pay a contribution into the personal account fund")
    acct = Fund.PERSONAL_ACCOUNT
    lines = [
        *move(amount, Account(acct, Title.ACCOUNT_HOLDER, payer_county, payer), Account(acct, Title.BANK, payer_county)),
        *move(amount, Account(fund, Title.BANK, county), Account(fund, Title.REVENUE_INDIVIDUAL, county)),
    ]
    return balanced_entry("contribution", cause_id, county, booked_on, lines, memo)


# ---------------------------------------------------------------- payments to persons (代发)

def payable_to_person_entry(cause_id: str, booked_on: dt.date, psn_no: str, county: str,
                            owed_by: Mapping[Fund, Account], amounts: Mapping[Fund, Fen], memo: str) -> Entry:
    """What a fund owes a person becomes payable to the person (应付参保人): per fund, Dr the account that
    held it (`owed_by[fund]`: what was due to the institution for a manual reimbursement, the person's account
    balance for an account payout) Cr `<fund>/due_to_person/<psn>`."""
    lines: list[Line] = []
    for fund, amount in sorted(amounts.items()):
        lines.extend(move(amount, owed_by[fund], Account(fund, Title.DUE_TO_PERSON, county, psn_no), str(fund)))
    return balanced_entry("payment_payable", cause_id, county, booked_on, lines, memo)


def payment_sent_entry(cause_id: str, booked_on: dt.date, psn_no: str, county: str,
                       amounts: Mapping[Fund, Fen], memo: str) -> Entry:
    """A payment sent to the bank in a batch file (已发): per fund Dr due_to_person/<psn> Cr bank."""
    lines: list[Line] = []
    for fund, amount in sorted(amounts.items()):
        lines.extend(move(amount, Account(fund, Title.DUE_TO_PERSON, county, psn_no), Account(fund, Title.BANK, county),
                          str(fund)))
    return balanced_entry("payment_sent", cause_id, county, booked_on, lines, memo)


def payment_returned_entry(cause_id: str, booked_on: dt.date, psn_no: str, county: str,
                           amounts: Mapping[Fund, Fen], memo: str) -> Entry:
    """A payment the bank returned (退回): the money back in the bank and payable to the person again —
    the exact opposite of its sent entry (Dr bank Cr due_to_person/<psn>)."""
    lines: list[Line] = []
    for fund, amount in sorted(amounts.items()):
        lines.extend(move(amount, Account(fund, Title.BANK, county), Account(fund, Title.DUE_TO_PERSON, county, psn_no),
                          str(fund)))
    return balanced_entry("payment_return", cause_id, county, booked_on, lines, memo)


def opening_balance_entry(cause_id: str, county: str, booked_on: dt.date, psn_no: str, amount: Fen) -> Entry:
    """An account balance carried over from before the store (fixture, migration of a legacy system)."""
    acct = Fund.PERSONAL_ACCOUNT
    lines = move(amount, Account(acct, Title.BANK, county), Account(acct, Title.ACCOUNT_HOLDER, county, psn_no))
    return balanced_entry("opening_balance", cause_id, county, booked_on, lines, "个人账户期初余额")


def account_interest_entry(cause_id: str, county: str, booked_on: dt.date, psn_no: str, amount: Fen,
                           memo: str) -> Entry:
    """The year-end interest credited to a personal account (年度结转计息): the interest the personal-account
    fund's bank earned becomes the holder's."""
    acct = Fund.PERSONAL_ACCOUNT
    lines = move(amount, Account(acct, Title.BANK, county), Account(acct, Title.ACCOUNT_HOLDER, county, psn_no))
    return balanced_entry("account_interest", cause_id, county, booked_on, lines, memo)


def first_open_day(closed: dt.date | None, day: dt.date) -> dt.date:
    """`day`, or the first day after the closed months when `day` falls in one: a late settlement or a
    correction is booked in the open month (the closed books stay as they were reported)."""
    return day if closed is None or day > closed else closed + dt.timedelta(days=1)


def settlement_facts(row, booked_on: dt.date | None = None) -> SettlementFacts:
    """What the ledger needs of a stored settlement (a `store.models.Settlement` row), booked on its end date
    unless another day is given."""
    amounts = {name: getattr(row, name) for name in (*PAYMENT_FIELDS, "acct_pay", "acct_mulaid_pay")}
    return SettlementFacts(setl_id=row.setl_id, insutype=row.insutype, med_type=row.med_type, county=row.county,
                           fixmedins_code=row.fixmedins_code, psn_no=row.psn_no,
                           booked_on=booked_on or row.enddate,
                           amounts=amounts, mulaid_psn_no=row.mulaid_psn_no, mulaid_county=row.mulaid_county,
                           hifmi_insurer=row.hifmi_insurer)
