"""The pure rules of payments (代发), 双人复核 and 家庭共济, with the figures worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tongchou.errors import InvalidRequest, Refused
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.postings import (
    account_contribution_entry, payable_to_person_entry, payment_returned_entry, payment_sent_entry,
)
from tongchou.payments import rules
from tongchou.payments.review import ReviewRule

D = dt.date(2018, 12, 31)


def line(seq, amount, name="张三"):
    return rules.FileLine(seq, name, "中国工商银行冠县支行", "6222021234567890123", amount, "医保零星报销", f"MR{seq}")


def test_batch_total_and_file_rows_by_hand():
    # 1,860.35 + 12,000.00 + 0.65 = 13,861.00 (three payments)
    lines = [line(2, 1_200_000), line(1, 186_035), line(3, 65)]
    assert rules.batch_total(lines) == (3, 1_386_100)
    rows = rules.batch_rows("DF37152520181231001", lines)
    assert [r[1] for r in rows] == ["1", "2", "3", "合计"]
    assert rows[0] == ("DF37152520181231001", "1", "张三", "中国工商银行冠县支行", "6222021234567890123", "1860.35",
                       "医保零星报销", "MR1")
    assert rows[-1] == ("DF37152520181231001", "合计", "共3笔", "", "", "13861.00", "", "")


def test_batch_number():
    assert rules.batch_number("371525", "20181231", 1) == "DF37152520181231001"


def test_bank_details_checked_and_masked():
    details = rules.bank_details(" 张三 ", "工行冠县支行", "6222 0212 3456 7890 123")
    assert details.account_no == "6222021234567890123" and details.masked == "6222***********0123"
    with pytest.raises(InvalidRequest) as err:
        rules.bank_details("张三", "工行", "62220A")
    assert err.value.field == "account_no" and "8至30位数字" in err.value.message
    with pytest.raises(InvalidRequest) as err:
        rules.bank_details("", "工行", "6222021234567890")
    assert err.value.field == "payee_name"
    with pytest.raises(InvalidRequest) as err:
        rules.bank_details("张三", " ", "6222021234567890")
    assert err.value.field == "bank_name"


@pytest.mark.parametrize("amount, needs", [(999_999, False), (1_000_000, False), (1_000_001, True)])
def test_review_threshold_boundary(amount, needs):
    # exactly 10,000.00 needs no reviewer; 10,000.01 does
    rule = ReviewRule()
    assert rule.needs_review(amount) is needs
    if needs:
        with pytest.raises(Refused) as err:
            rule.check(amount, "clerk_a", None, "代发退回重发")
        assert err.value.code == "review_required" and "10,000.01元超过10,000.00元" in err.value.message
        with pytest.raises(Refused) as err:
            rule.check(amount, "clerk_a", "clerk_a", "代发退回重发")
        assert err.value.code == "same_person"
        rule.check(amount, "clerk_a", "reviewer_a", "代发退回重发")
    else:
        rule.check(amount, "clerk_a", None, "代发退回重发")


def test_a_configured_threshold():
    assert ReviewRule(threshold=50_000).needs_review(50_001)
    assert not ReviewRule(threshold=50_000).needs_review(50_000)


def test_return_lines_parsed_and_matched():
    ok = rules.return_line(2, {"batch_no": "DF1", "seq": "1", "amount": "1,860.35", "code": "00"})
    assert ok.amount == 186_035 and not ok.returned
    back = rules.return_line(3, {"batch_no": "DF1", "seq": "2", "amount": "12000.00", "code": "r02", "note": "销户"})
    assert back.code == "R02" and back.returned
    assert rules.match_return(ok, rules.SENT, 186_035, None) == rules.PAID
    assert rules.match_return(back, rules.SENT, 1_200_000, None) == rules.RETURNED
    assert rules.match_return(back, rules.RETURNED, 1_200_000, "R02") == "already"  # never booked twice
    with pytest.raises(InvalidRequest) as err:
        rules.match_return(back, rules.SENT, 1_200_001, None)
    assert err.value.field == "amount" and "不符" in err.value.message
    with pytest.raises(InvalidRequest) as err:
        rules.match_return(back, rules.PAID, 1_200_000, None)
    assert err.value.field == "code"
    with pytest.raises(InvalidRequest) as err:
        rules.return_line(4, {"batch_no": "DF1", "seq": "1", "amount": "1.00", "code": "X9"})
    assert err.value.field == "code" and "R01（账号不存在）" in err.value.message
    with pytest.raises(InvalidRequest) as err:
        rules.return_line(5, {"batch_no": "DF1", "seq": "一", "amount": "1.00", "code": "00"})
    assert err.value.field == "seq"


def test_a_return_booked_back_by_hand():
    # a 12,000.00 reimbursement: 11,000.00 resident pooled + 1,000.00 critical illness, returned (R02)
    amounts = {Fund.RESIDENT_POOLED: 1_100_000, Fund.CRITICAL_ILLNESS: 100_000}
    owed = {f: Account(f, Title.DUE_TO_INSTITUTION, "371525", "H1") for f in amounts}
    payable = payable_to_person_entry("7", D, "GX0001", "371525", owed, amounts, "m")
    sent = payment_sent_entry("7", D, "GX0001", "371525", amounts, "m")
    back = payment_returned_entry("7", D, "GX0001", "371525", amounts, "m")
    for entry in (payable, sent, back):
        assert entry.is_balanced()
    net: dict = {}
    for entry in (payable, sent, back):
        for l in entry.lines:
            net[l.account] = net.get(l.account, 0) + l.credit - l.debit
    due = Account(Fund.RESIDENT_POOLED, Title.DUE_TO_PERSON, "371525", "GX0001")
    bank = Account(Fund.RESIDENT_POOLED, Title.BANK, "371525")
    assert net[due] == 1_100_000 and net[bank] == 0  # payable to the person again, the bank as before sending
    assert net[Account(Fund.CRITICAL_ILLNESS, Title.DUE_TO_PERSON, "371525", "GX0001")] == 100_000
    assert {l.account.title for l in back.lines} == {Title.BANK, Title.DUE_TO_PERSON}


def test_account_pays_own_long_term_care_balanced():
    entry = account_contribution_entry("account:long_term_care:CC0001:2021", D, "CC0001", "220102",
                                       Fund.LONG_TERM_CARE, "220102", 6_000, "个人账户缴纳长期护理保险")
    assert entry.is_balanced()
    assert {(l.account.fund, l.account.title, l.debit, l.credit) for l in entry.lines} == {
        (Fund.PERSONAL_ACCOUNT, Title.ACCOUNT_HOLDER, 6_000, 0), (Fund.PERSONAL_ACCOUNT, Title.BANK, 0, 6_000),
        (Fund.LONG_TERM_CARE, Title.BANK, 6_000, 0), (Fund.LONG_TERM_CARE, Title.REVENUE_INDIVIDUAL, 0, 6_000)}
