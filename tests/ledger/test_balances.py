"""Balances from postings (ledger/balances.py), the fund movements' posting rules (funds/postings.py) and
the clearing's split and entries (clearing/payment.py): pure."""

from __future__ import annotations

import datetime as dt

import pytest

from tongchou.clearing.payment import DueKey, MonthlyPayment, YearEndPayment, paid_to_institution, split
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.postings import legacy_opening_entry, movement_entry, premium_entry
from tongchou.funds.subledger import CURRENT, LEGACY, Movement, Pocket
from tongchou.ledger.figures import TitleSum, figures
from tongchou.ledger.postings import fund_totals

D = dt.date(2021, 6, 30)


def sums(entries) -> list[TitleSum]:
    out: dict[tuple, list[int]] = {}
    for entry in entries:
        for line in entry.lines:
            key = (line.account.fund.value, line.account.county, line.account.title.value)
            out.setdefault(key, [0, 0])
            out[key][0] += line.debit
            out[key][1] += line.credit
    return [TitleSum(*key, d, c) for key, (d, c) in out.items()]


def test_handover_remittance_and_allocation_are_balanced_and_keep_the_pool_whole():
    entries = [
        legacy_opening_entry("resident_pooled", "330602", dt.date(2020, 12, 31), 100_000),
        movement_entry(Movement(dt.date(2021, 1, 1), 8_000, "arrears_clearing",
                                source=Pocket("resident_pooled", "330602", LEGACY), party="H001")),
        movement_entry(Movement(D, 36_800, "handover", source=Pocket("resident_pooled", "330602", LEGACY),
                                target=Pocket("resident_pooled", "330602", CURRENT))),
        movement_entry(Movement(D, 3_000, "remittance", source=Pocket("resident_pooled", "330602"),
                                target=Pocket("risk_adjustment", "330600"))),
        movement_entry(Movement(D, 1_000, "allocation", source=Pocket("risk_adjustment", "330600"),
                                target=Pocket("resident_pooled", "330603"))),
        movement_entry(Movement(D, 500, "interest", target=Pocket("resident_pooled", "330603"))),
    ]
    for entry in entries:
        assert entry.is_balanced()
    assert entries[3].cause_id == "remittance:resident_pooled:330602:2021"
    rows = figures([], sums(entries))
    county = rows[("resident_pooled", "330602")]
    assert county.legacy == 100_000 - 8_000 - 36_800
    assert county.balance == 36_800 - 3_000
    assert (county.flows.transfers_in, county.flows.transfers_out, county.revenue) == (36_800, 3_000, 0)
    other = rows[("resident_pooled", "330603")]
    assert (other.revenue, other.flows.transfers_in, other.balance) == (500, 1_000, 1_500)
    assert rows[("risk_adjustment", "pool")].balance == 2_000
    pool = rows[("resident_pooled", "pool")]
    assert pool.balance == county.balance + other.balance
    # the whole system: everything in the pools and legacy = revenue + carried-in balance − arrears
    assert sum(f.balance + f.legacy for (_, c), f in rows.items() if c == "pool") == 100_000 - 8_000 + 500


def test_premium_leaves_the_pooled_fund_as_an_earmarked_expenditure():
    bought = premium_entry("premium:x", "371525", D, 6_000, "某保险公司")
    assert {(l.account.fund.value, l.account.title.value) for l in bought.lines} == {
        ("resident_pooled", "expense_premium"), ("resident_pooled", "bank")}
    self_run = premium_entry("premium:y", "371525", D, 6_000, None)
    assert set(fund_totals(self_run.lines)) == {"critical_illness", "resident_pooled"}
    assert self_run.is_balanced()
    with pytest.raises(FundInputError) as error:
        premium_entry("premium:z", "371525", D, 0, None)
    assert error.value.field == "amount"


def test_expenditure_movements_other_than_arrears_belong_to_their_own_service():
    with pytest.raises(FundInputError) as error:
        movement_entry(Movement(D, 10, "settlement", source=Pocket("resident_pooled", "330602")))
    assert error.value.field == "cause"


def test_split_adds_up_exactly_and_handles_refunds():
    weights = {("resident_pooled", "A"): 1, ("resident_pooled", "B"): 2}
    assert split(100, weights) == {("resident_pooled", "A"): 33, ("resident_pooled", "B"): 67}
    assert sum(split(-101, weights).values()) == -101
    assert split(5, {}, ("resident_pooled", "A")) == {("resident_pooled", "A"): 5}


def test_monthly_and_year_end_payments_post_what_they_show():
    cleared = {DueKey("hifp_pay", "resident_pooled", "371525"): 10_000,
               DueKey("hifmi_pay", "critical_illness", "371525", "某保险公司"): 3_000,
               DueKey("acct_pay", "personal_account", "371525"): -200}
    payment = MonthlyPayment("H1", "2018-03", cleared, {("resident_pooled", "371525"): 500},
                             {("resident_pooled", "371599"): 1_000}, {("resident_pooled", "371525"): -50})
    entry = payment.entry("371525", D)
    assert entry.is_balanced() and paid_to_institution(entry) == payment.payable == 10_000 + 3_000 - 200 - 500 + 1_000 - 50
    year_end = YearEndPayment("H1", 2018, {("resident_pooled", "371525"): -300},
                              {("resident_pooled", "371525"): 9_000}, {("resident_pooled", "371525"): 8_000},
                              {("resident_pooled", "371525"): 7_000}, {("resident_pooled", "371525"): 600},
                              {("resident_pooled", "371525"): 400})
    entry = year_end.entry("371525", D)
    assert entry.is_balanced() and paid_to_institution(entry) == year_end.payable == -300 + 2_000 + 400
    assert year_end.forfeited == 200
