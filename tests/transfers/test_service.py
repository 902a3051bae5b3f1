"""关系转移接续 against the store, on SQLite and PostgreSQL: the certificate, transfer out, transfer in, the
years they leave, the ledger (`ledger verify` green) and a settlement that uses the computed years."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.store.support import TEST_CIPHER, fee, request
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.service import balance, personal_account_balance, verify
from tongchou.store import models as m
from tongchou.transfers.service import TransferService

D = dt.date


@pytest.fixture
def transfers(store, registry) -> TransferService:
    return TransferService(store, registry, TEST_CIPHER, today=lambda: D(2021, 7, 1))


def books_ok(store) -> None:
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def pay_months(enrolments, psn_no: str, months: list[str]) -> None:
    # base 5,000 yuan: employer 400, individual 100 (2 % of the base credits the account: 100 yuan)
    for month in months:
        enrolments.record_employee_contribution(psn_no, month, 500_000, 40_000, 10_000, D.fromisoformat(month + "-15"))


def test_employee_years_come_from_the_months_paid(store, enrolments, transfers):
    pay_months(enrolments, "CC0001", ["2021-01", "2021-02", "2021-03", "2021-05", "2021-06"])
    years = transfers.contribution_years("CC0001", D(2021, 6, 20))["310"]
    # 5 months paid; April unpaid is a gap of 1 ≤ 3 (the example policy): all 5 continuous
    assert (years.total_months, years.continuous_months) == (5, 5)


def test_transfer_out_issues_the_certificate_ends_cover_and_pays_the_balance(store, enrolments, transfers):
    pay_months(enrolments, "CC0001", ["2021-01", "2021-02", "2021-03"])
    # 300 yuan opening balance + 3 × 100 credited = 600 yuan
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 60_000
    out = transfers.transfer_out("CC0001", "440100", "广州市", D(2021, 6, 30), key="k1", by="clerk")
    cert = out.certificate
    assert cert["title"] == "基本医疗保险参保凭证" and cert["to_pool"] == {"code": "440100", "name": "广州市"}
    assert cert["from_pool"]["code"] == "220100" and cert["account_balance"] == "600.00"
    assert cert["person"]["id_number"].startswith("220102") and "*" in cert["person"]["id_number"]
    [scheme] = cert["schemes"]
    assert scheme["insutype"] == "310" and (scheme["total_months"], scheme["continuous_months"]) == (3, 3)
    assert [c["period"] for c in scheme["contributions"]] == ["2021-01", "2021-02", "2021-03"]
    assert scheme["contributions"][0] == {"period": "2021-01", "base": "5000.00", "amount": "500.00",
                                          "paid_on": "2021-01-15"}
    assert out.balance == 60_000 and not out.replayed
    ends = store.read(lambda s: [e.end for e in s.scalars(select(m.Enrolment).where(m.Enrolment.psn_no == "CC0001"))])
    assert ends == [D(2021, 6, 30)]
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 0
    # the payable to 广州 was raised and paid: nothing left due, the account fund's bank 600 lower
    due = store.read(lambda s: balance(s, Account(Fund.PERSONAL_ACCOUNT, Title.DUE_TO_OTHER_POOL, "220102", "440100")))
    assert due == 0
    books_ok(store)
    # the same form again: the first transfer answered, nothing written twice
    again = transfers.transfer_out("CC0001", "440100", "广州市", D(2021, 6, 30), key="k1", by="clerk")
    assert again.replayed and again.transfer_id == out.transfer_id
    assert store.read(lambda s: len(s.scalars(select(m.Transfer)).all())) == 1
    assert store.read(lambda s: len(s.scalars(select(m.JournalEntry).where(
        m.JournalEntry.cause_type == "transfer_out")).all())) == 1
    # a new form for the same person: already transferred out
    with pytest.raises(Refused) as refused:
        transfers.transfer_out("CC0001", "440100", "广州市", D(2021, 6, 30), key="k2", by="clerk")
    assert refused.value.field == "psn_no" and "已于2021年6月30日转出本统筹区" in refused.value.message


def test_transfer_out_refusals_name_the_field(store, transfers):
    cases = [
        (("CC0003", "440100", "广州市", D(2021, 6, 30)), "psn_no", "未在本统筹区参保"),
        (("CC0001", "999999", "某地", D(2021, 6, 30)), "to_pool", "未知的统筹区"),
        (("CC0001", "2201", "某地", D(2021, 6, 30)), "to_pool", "6位数字"),
        (("CC0001", "220100", "长春市", D(2021, 6, 30)), "to_pool", "是本统筹区"),
        (("CC0001", "440100", "", D(2021, 6, 30)), "to_pool_name", "名称不能为空"),
        (("CC0001", "440100", "广州市", D(2020, 12, 31)), "on", "早于参保开始日期2021年1月1日"),
        (("NOBODY", "440100", "广州市", D(2021, 6, 30)), "psn_no", "不存在"),
    ]
    for i, (args, field, words) in enumerate(cases):
        with pytest.raises((InvalidRequest, Refused, NotFound)) as exc:
            transfers.transfer_out(*args, key=f"r{i}", by="clerk")
        assert exc.value.field == field and words in exc.value.message, (args, exc.value.message)
    store.transaction(lambda s: setattr(s.get(m.Person, "CC0005"), "death_date", D(2021, 3, 1)))
    with pytest.raises(Refused) as dead:
        transfers.transfer_out("CC0005", "440100", "广州市", D(2021, 6, 30), key="d", by="clerk")
    assert dead.value.field == "psn_no" and "死亡" in dead.value.message
    assert store.read(lambda s: s.scalars(select(m.Transfer)).all()) == []


IN_FIELDS = {"from_pool": "440100", "from_pool_name": "广州市", "insutype": "310", "total_months": "125",
             "continuous_months": "96", "ended_on": "2021-02-28", "start": "2021-03-01", "balance": "1234.56",
             "certificate_no": "PZ44010020210228X"}


def test_transfer_in_recognises_years_books_the_balance_and_enrols(store, enrolments, settlements, transfers):
    out = transfers.transfer_in("CC0003", IN_FIELDS, key="in1", by="clerk")
    assert out.balance == 123_456 and out.enrolment_id
    rows = store.read(lambda s: [(e.insutype, e.start, e.end) for e in s.scalars(
        select(m.Enrolment).where(m.Enrolment.psn_no == "CC0003"))])
    assert rows == [("310", D(2021, 3, 1), None)]
    assert store.read(lambda s: personal_account_balance(s, "CC0003")) == 123_456
    years = transfers.contribution_years("CC0003", D(2021, 3, 15))["310"]
    assert (years.total_months, years.continuous_months) == (125, 96)
    pay_months(enrolments, "CC0003", ["2021-03", "2021-04", "2021-05"])
    years = transfers.contribution_years("CC0003", D(2021, 6, 1))["310"]
    # 125 + 3 = 128 months (10 years), 96 + 3 = 99 continuous (8 years)
    assert (years.total_months, years.continuous_months, years.total_years, years.continuous_years) == (128, 99, 10, 8)
    # the settlement uses the computed years, not the person's stored (opening) years
    assert store.read(lambda s: s.get(m.Person, "CC0003").contribution_years) == 0
    settlements.settle(request("E1", psn_no="CC0003", insutype="310", fixmedins="H22010200001", day="2021-06-01",
                               med_type="11", items=[fee("C000001", "100.00")]))
    assert store.read(lambda s: s.execute(select(m.Settlement.continuous_years)).scalar_one()) == 8
    # resubmitted: nothing twice
    assert transfers.transfer_in("CC0003", IN_FIELDS, key="in1", by="clerk").replayed
    assert store.read(lambda s: len(s.scalars(select(m.RecognisedYears)).all())) == 1
    books_ok(store)


def test_transfer_in_refusals(store, transfers):
    cases = [
        ({"continuous_months": "130"}, "continuous_months", "大于累计缴费月数125"),
        ({"start": "2021-02-28"}, "start", "应晚于转出地参保截止日期"),
        ({"insutype": "390"}, "balance", "没有个人账户"),
        ({"insutype": "999"}, "insutype", "310"),
        ({"from_pool": "220100"}, "from_pool", "是本统筹区"),
        ({"total_months": "十年"}, "total_months", "整数"),
        ({"balance": "1.234"}, "balance", "最多两位小数"),
    ]
    for i, (change, field, words) in enumerate(cases):
        with pytest.raises(InvalidRequest) as exc:
            transfers.transfer_in("CC0003", {**IN_FIELDS, **change}, key=f"x{i}", by="clerk")
        assert exc.value.field == field and words in exc.value.message, (change, exc.value.message)
    # already insured in the scheme on the date (CC0001, an employee since 2021-01-01)
    with pytest.raises(Conflict) as twice:
        transfers.transfer_in("CC0001", IN_FIELDS, key="y", by="clerk")
    assert twice.value.field == "start" and "参保记录" in twice.value.message


def test_a_resident_transferred_in_without_a_balance(store, transfers):
    fields = {**IN_FIELDS, "insutype": "390", "balance": "0", "total_months": "84", "continuous_months": "72",
              "ended_on": "2021-06-30", "start": "2021-07-01"}
    transfers.transfer_in("CC0003", fields, key="r", by="clerk")
    rows = store.read(lambda s: [(e.insutype, e.start, e.end, e.kind) for e in s.scalars(
        select(m.Enrolment).where(m.Enrolment.psn_no == "CC0003"))])
    assert rows == [("390", D(2021, 7, 1), D(2021, 12, 31), "transfer_in")]
    years = transfers.contribution_years("CC0003", D(2021, 9, 1))["390"]
    assert (years.total_years, years.continuous_years) == (7, 6)
    books_ok(store)


def test_out_and_back_in(store, enrolments, transfers):
    pay_months(enrolments, "CC0001", ["2021-01", "2021-02"])
    transfers.transfer_out("CC0001", "440100", "广州市", D(2021, 3, 31), key="o", by="clerk")
    back = {**IN_FIELDS, "total_months": "5", "continuous_months": "5", "ended_on": "2021-06-30",
            "start": "2021-07-01", "balance": "50.00"}
    transfers.transfer_in("CC0001", back, key="i", by="clerk")
    # the certificate received supersedes the history before the transfer out (it counts those 2 months)
    years = transfers.contribution_years("CC0001", D(2021, 7, 10))["310"]
    assert (years.total_months, years.continuous_months) == (5, 5)
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 5_000
    books_ok(store)


def test_transfers_and_years_recognised_are_append_only(store, transfers):
    from sqlalchemy import text

    transfers.transfer_in("CC0003", IN_FIELDS, key="a", by="clerk")
    for table in ("transfer", "recognised_years"):
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with pytest.raises(Exception, match="append-only"):
                store.transaction(lambda s: s.execute(text(statement)))
