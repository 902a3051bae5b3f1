"""The pure rules of a transfer and its ledger movements, worked by hand."""

import datetime as dt

import pytest

from tongchou.enrolment.rules import RuleError
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.postings import fund_totals, transfer_in_entry, transfer_out_entry
from tongchou.transfers import rules
from tongchou.transfers.rules import CoverFact

D = dt.date
ACCT = Fund.PERSONAL_ACCOUNT


def lines_of(entry):
    return sorted((str(line.account), line.debit, line.credit) for line in entry.lines)


def test_transfer_out_moves_the_balance_to_the_receiving_pool_and_pays_it():
    # 600.00 yuan leave 220102's account fund for 广州 (440100): holder → payable → bank
    entry = transfer_out_entry("transfer:1", "220102", D(2021, 6, 30), "CC0001", "440100", 60_000)
    assert lines_of(entry) == sorted([
        ("personal_account/account_holder/220102/CC0001", 60_000, 0),
        ("personal_account/due_to_other_pool/220102/440100", 0, 60_000),
        ("personal_account/due_to_other_pool/220102/440100", 60_000, 0),
        ("personal_account/bank/220102", 0, 60_000),
    ])
    assert fund_totals(entry.lines) == {ACCT: (120_000, 120_000)}
    unpaid = transfer_out_entry("transfer:1", "220102", D(2021, 6, 30), "CC0001", "440100", 60_000, paid=False)
    assert [line.account.title for line in unpaid.lines] == [Title.ACCOUNT_HOLDER, Title.DUE_TO_OTHER_POOL]


def test_transfer_in_credits_the_new_account_from_the_bank_or_a_receivable():
    received = transfer_in_entry("transfer:2", "220102", D(2021, 3, 1), "CC0003", "440100", 123_456)
    assert lines_of(received) == sorted([("personal_account/bank/220102", 123_456, 0),
                                          ("personal_account/account_holder/220102/CC0003", 0, 123_456)])
    owed = transfer_in_entry("transfer:2", "220102", D(2021, 3, 1), "CC0003", "440100", 123_456, received=False)
    assert owed.lines[0].account == Account(ACCT, Title.RECEIVABLE_FROM_OTHER_POOL, "220102", "440100")
    assert transfer_in_entry("t", "220102", D(2021, 3, 1), "CC0003", "440100", 0).lines == ()


@pytest.mark.parametrize("code, name, field, words", [
    ("4401", "广州市", "to_pool", "6位数字"),
    ("990100", "某市", "to_pool", "不是省级行政区划代码"),
    ("220100", "长春市", "to_pool", "是本统筹区"),
    ("440100", " ", "to_pool_name", "名称不能为空"),
])
def test_the_other_pool_is_checked(code, name, field, words):
    with pytest.raises(RuleError) as exc:
        rules.check_pool(code, name, "220100")
    assert exc.value.field == field and words in str(exc.value)
    assert rules.check_pool(" 440100 ", " 广州市 ", "220100") == rules.Pool("440100", "广州市")


def test_transfer_out_refusals_and_what_ends():
    covers = [CoverFact(1, "390", D(2020, 1, 1), D(2020, 12, 31)), CoverFact(2, "390", D(2021, 1, 1), D(2021, 12, 31)),
              CoverFact(3, "390", D(2022, 1, 1), D(2022, 12, 31))]
    assert [c.id for c in rules.check_transfer_out("P", D(2021, 6, 30), covers, None, None)] == [2]
    # the enrolment open on the date ends on it; the next year paid ahead is cut to cover no day
    assert rules.cut_after(covers[1], D(2021, 6, 30)) == D(2021, 6, 30)
    assert rules.cut_after(covers[2], D(2021, 6, 30)) == D(2021, 12, 31)
    assert rules.cut_after(covers[0], D(2021, 6, 30)) is None
    refusals = [
        (dict(on=D(2019, 12, 31)), "on", "早于参保开始日期2020年1月1日"),
        (dict(covers=[covers[0]], on=D(2021, 6, 30)), "on", "未参保"),
        (dict(covers=[]), "psn_no", "未在本统筹区参保"),
        (dict(death=D(2021, 5, 1)), "psn_no", "已于2021年5月1日死亡"),
        (dict(out=D(2021, 1, 31)), "psn_no", "已于2021年1月31日转出本统筹区"),
    ]
    for change, field, words in refusals:
        args = dict(on=D(2021, 6, 30), covers=covers, death=None, out=None) | change
        with pytest.raises(RuleError) as exc:
            rules.check_transfer_out("P", args["on"], args["covers"], args["death"], args["out"])
        assert exc.value.field == field and words in str(exc.value), change


def test_transfer_in_terms_default_the_start_to_the_day_after():
    terms = rules.transfer_in_terms({"from_pool": "440100", "from_pool_name": "广州市", "insutype": "310",
                                     "total_months": "40", "continuous_months": "30", "ended_on": "2021-02-28",
                                     "balance": "12.30"}, "220100")
    assert (terms.start, terms.end, terms.balance, terms.received) == (D(2021, 3, 1), None, 1_230, True)
    assert terms.note() == "由广州市（440100）转入，参保凭证—，认定缴费年限3年4个月，其中连续2年6个月。"
    resident = rules.transfer_in_terms({"from_pool": "440100", "from_pool_name": "广州市", "insutype": "390",
                                        "total_months": "12", "continuous_months": "12", "ended_on": "2021-06-30",
                                        "received": "否"}, "220100")
    assert (resident.start, resident.end, resident.received) == (D(2021, 7, 1), D(2021, 12, 31), False)
