"""Posting rules (pure): every entry balances per fund; a cancellation is the exact opposite."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from tongchou.ledger.accounts import Account, Fund, Title, fund_of
from tongchou.ledger.postings import (
    PostingError, SettlementFacts, cancellation_entry, employee_contribution_entry, fund_totals, late_fee_entry,
    relative_contribution_entry, resident_contribution_entry, settlement_entry,
)

DAY = dt.date(2018, 5, 10)


def facts(insutype="390", med_type="21", **amounts) -> SettlementFacts:
    return SettlementFacts("S1", insutype, med_type, "371525", "H1", "P1", DAY, amounts,
                           mulaid_psn_no=amounts.pop("relative", None) if "relative" in amounts else None)


def test_settlement_debits_the_paying_funds_and_credits_the_institution():
    entry = settlement_entry(facts(hifp_pay=70_000, hifmi_pay=5_000, maf_pay=1_000))
    assert entry.is_balanced()
    due = {(l.account.fund, l.credit) for l in entry.lines if l.account.title == Title.DUE_TO_INSTITUTION}
    assert due == {(Fund.RESIDENT_POOLED, 70_000), (Fund.CRITICAL_ILLNESS, 5_000), (Fund.MEDICAL_ASSISTANCE, 1_000)}


def test_insurer_run_layer_is_owed_by_the_insurer():
    entry = settlement_entry(SettlementFacts("S1", "390", "21", "371525", "H1", "P1", DAY, {"hifmi_pay": 500},
                                             hifmi_insurer="人保冠县支公司"))
    assert Account(Fund.CRITICAL_ILLNESS, Title.DUE_TO_INSURER, "371525", "人保冠县支公司") in {
        l.account for l in entry.lines if l.debit}


def test_employee_account_and_family_mutual_aid():
    entry = settlement_entry(SettlementFacts("S1", "310", "11", "220102", "H1", "P1", DAY,
                                             {"acct_pay": 10_000, "acct_mulaid_pay": 8_000}, "P2", "220104"))
    debits = {(l.account.party, l.account.county, l.debit) for l in entry.lines if l.debit}
    assert debits == {("P1", "220102", 2_000), ("P2", "220104", 8_000)}
    with pytest.raises(PostingError) as err:
        settlement_entry(SettlementFacts("S1", "310", "11", "220102", "H1", "P1", DAY,
                                         {"acct_pay": 100, "acct_mulaid_pay": 200}))
    assert err.value.field == "acct_mulaid_pay"


def test_maternity_and_employee_funds():
    assert fund_of("310", "52", "hifp_pay") == Fund.MATERNITY
    assert fund_of("310", "21", "hifp_pay") == Fund.EMPLOYEE_POOLED
    assert fund_of("310", "21", "hifob_pay") == Fund.LARGE_EXPENSE
    assert fund_of("390", "21", "hifmi_pay") == Fund.CRITICAL_ILLNESS


def test_an_employers_late_fee_is_other_revenue_of_the_employee_pooled_fund():
    entry = late_fee_entry("E1:P1:2021-03", "220102", DAY, "E1", 675)
    assert entry.is_balanced() and entry.cause_type == "late_fee"
    assert {(l.account.fund, l.account.title, l.debit, l.credit) for l in entry.lines} == {
        (Fund.EMPLOYEE_POOLED, Title.BANK, 675, 0), (Fund.EMPLOYEE_POOLED, Title.REVENUE_OTHER, 0, 675)}
    assert late_fee_entry("E1:P1:2021-04", "220102", DAY, "E1", 0).lines == ()
    with pytest.raises(PostingError) as err:
        late_fee_entry("E1:P1:2021-05", "220102", DAY, "E1", -1)
    assert err.value.field == "late_fee"


def test_negative_amounts_are_refused_naming_the_field():
    with pytest.raises(PostingError) as err:
        settlement_entry(facts(hifp_pay=-1))
    assert err.value.field == "hifp_pay"


def test_contribution_entries_balance():
    for entry in (
        resident_contribution_entry("c1", "371525", DAY, 19_000, {"central": 30_000, "county": 1_000}),
        employee_contribution_entry("c2", "220102", DAY, "P1", 40_000, 10_000, 0),
        relative_contribution_entry("c3", DAY, "P1", "220102", "220104", 32_000),
    ):
        assert entry.is_balanced() and entry.lines


def test_a_party_is_required_exactly_where_the_title_needs_one():
    with pytest.raises(ValueError):
        Account(Fund.RESIDENT_POOLED, Title.DUE_TO_INSTITUTION, "371525")
    with pytest.raises(ValueError):
        Account(Fund.RESIDENT_POOLED, Title.BANK, "371525", "someone")


amount = st.integers(min_value=0, max_value=10**10)


@settings(max_examples=200, deadline=None)
@given(insutype=st.sampled_from(["310", "390"]), med_type=st.sampled_from(["11", "14", "21", "52"]),
       pays=st.fixed_dictionaries({f: amount for f in ("hifp_pay", "hifob_pay", "cvlserv_pay", "hifes_pay",
                                                        "hifmi_pay", "maf_pay", "oth_pay")}),
       acct=amount, mulaid_share=st.floats(min_value=0, max_value=1))
def test_any_settlement_balances_and_its_cancellation_is_its_negative(insutype, med_type, pays, acct, mulaid_share):
    mulaid = int(acct * mulaid_share)
    f = SettlementFacts("S", insutype, med_type, "371525", "H1", "P1", DAY,
                        {**pays, "acct_pay": acct, "acct_mulaid_pay": mulaid}, "P2" if mulaid else None, "371525")
    entry, undo = settlement_entry(f), cancellation_entry(f, DAY)
    assert entry.is_balanced() and undo.is_balanced()
    both = fund_totals(entry.lines + undo.lines)
    assert all(debit == credit for debit, credit in both.values())
    assert sum(l.debit for l in entry.lines) == sum(pays.values()) + acct
