"""Enrolment, filings and contributions through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.store.support import TEST_CIPHER, request
from tongchou.enrolment.service import EnrolmentService
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.service import balance, personal_account_balance
from tongchou.ledger.service import verify
from tongchou.policy.registry import Registry, default_policy_dir
from tongchou.store import models as m
from tongchou.errors import Conflict, InvalidRequest, Refused

D = dt.date


def revenue(store, fund: Fund, title: Title, county: str) -> int:
    return store.read(lambda s: -balance(s, Account(fund, title, county)))


def enrolment_rows(store, psn_no: str) -> list[tuple]:
    return store.read(lambda s: [(e.insutype, e.start, e.end, e.benefit_start, e.kind, e.county) for e in s.execute(
        select(m.Enrolment).where(m.Enrolment.psn_no == psn_no).order_by(m.Enrolment.start)).scalars()])


def assert_books_ok(store) -> None:
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def test_on_time_enrolment_benefits_from_1_january(store, enrolments, settlements):
    out = enrolments.enrol_resident("GX0003", 2018, D(2017, 10, 15))
    assert out.terms.benefit_start == D(2018, 1, 1) and out.terms.individual_due == 19_000
    assert revenue(store, Fund.RESIDENT_POOLED, Title.REVENUE_INDIVIDUAL, "371525") == 19_000
    assert settlements.settle(request("S1", psn_no="GX0003")).amounts["hifp_pay"] == 70_000
    with pytest.raises(Conflict):
        enrolments.enrol_resident("GX0003", 2018, D(2017, 11, 1))
    assert_books_ok(store)


def test_late_enrolment_pays_the_subsidy_and_waits(store, enrolments, settlements):
    out = enrolments.enrol_resident("GX0003", 2018, D(2018, 3, 10), entered_subsidy=45_000)
    assert out.terms.individual_due == 64_000 and out.terms.benefit_start == D(2018, 6, 10)
    with pytest.raises(Refused, match="等待期"):
        settlements.settle(request("S1", psn_no="GX0003", day="2018-06-09"))
    assert settlements.settle(request("S2", psn_no="GX0003", day="2018-06-10")).amounts["hifp_pay"] == 70_000


def test_late_enrolment_without_a_published_subsidy_writes_nothing(store, enrolments):
    with pytest.raises(InvalidRequest) as err:
        enrolments.enrol_resident("GX0003", 2018, D(2018, 3, 10))
    assert err.value.field == "contributions.subsidies"
    assert enrolment_rows(store, "GX0003") == []


def test_newborn_within_six_months_covered_from_birth(store, enrolments, settlements):
    out = enrolments.enrol_resident("GX0010", 2018, D(2018, 4, 10), newborn=True)
    assert out.terms.individual_due == 19_000
    rows = enrolment_rows(store, "GX0010")
    assert [(r[1], r[3]) for r in rows] == [(D(2017, 11, 20), D(2017, 11, 20)), (D(2018, 1, 1), D(2018, 1, 1))]
    assert_books_ok(store)


def test_transfer_between_counties_keeps_years_and_moves_settlements_county(store, enrolments, settlements):
    years_before = store.read(lambda s: s.get(m.Person, "GX0001").contribution_years)
    enrolments.transfer("GX0001", "371599", D(2018, 7, 1))
    rows = enrolment_rows(store, "GX0001")
    assert [(r[1], r[2], r[5]) for r in rows] == [(D(2018, 1, 1), D(2018, 6, 30), "371525"),
                                                 (D(2018, 7, 1), D(2018, 12, 31), "371599")]
    assert store.read(lambda s: s.get(m.Person, "GX0001").contribution_years) == years_before
    settlements.settle(request("S1", day="2018-08-01"))
    assert store.read(lambda s: s.execute(select(m.Settlement.county)).scalar_one()) == "371599"
    with pytest.raises(InvalidRequest):
        enrolments.transfer("GX0001", "220102", D(2018, 8, 1))  # another pool
    assert_books_ok(store)


def test_employee_contribution_credits_two_percent_to_the_account(store, enrolments):
    # seed 003: 计入标准为本人参保缴费基数的2%, 单位缴纳的基本医疗保险费全部计入统筹基金
    credited = enrolments.record_employee_contribution("CC0001", "2021-03", 500_000, 40_000, 10_000, D(2021, 3, 15))
    assert credited == 10_000
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 30_000 + 10_000
    assert revenue(store, Fund.EMPLOYEE_POOLED, Title.REVENUE_EMPLOYER, "220102") == 40_000
    assert_books_ok(store)


def test_a_month_paid_in_the_next_year_is_split_by_its_own_month_s_policy(store, enrolments):
    # the test registry holds the 长春 employee policy of 2021 only: December 2021 paid in January 2022 is
    # split by the 2021 policy (the month it belongs to, 费款所属期) and counted in 2021
    credited = enrolments.record_employee_contribution("CC0001", "2021-12", 500_000, 40_000, 10_000, D(2022, 1, 20))
    assert credited == 10_000
    line = store.read(lambda s: s.scalars(select(m.ContributionLine).where(m.ContributionLine.psn_no == "CC0001")).one())
    assert (line.year, line.paid_on) == (2021, D(2022, 1, 20))
    assert_books_ok(store)


def test_a_month_of_employee_contribution_is_recorded_once(store, enrolments):
    enrolments.record_employee_contribution("CC0001", "2021-03", 500_000, 40_000, 10_000, D(2021, 3, 15))
    with pytest.raises(Conflict) as err:
        enrolments.record_employee_contribution("CC0001", "2021-03", 500_000, 40_000, 10_000, D(2021, 3, 16))
    assert err.value.field == "month"
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 30_000 + 10_000
    assert_books_ok(store)


def test_retiree_monthly_credit_needs_the_average_pension_and_happens_once(store, enrolments):
    with pytest.raises(InvalidRequest) as err:
        enrolments.credit_retiree_month("CC0004", "2021-03", D(2021, 3, 31))
    assert err.value.field == "average_pension"
    # seed 003: the credit is reached gradually ("逐步调整为…2.8%"); in March 2021 the policy's (example) step is
    # 2.0 %: 3,000 yuan × 2.0 % = 60.00 yuan, not the 2.8 % target
    assert enrolments.credit_retiree_month("CC0004", "2021-03", D(2021, 3, 31), average_pension=300_000) == 6_000
    assert enrolments.credit_retiree_month("CC0004", "2021-03", D(2021, 3, 31), average_pension=300_000) == 6_000
    assert store.read(lambda s: personal_account_balance(s, "CC0004")) == 6_000
    with pytest.raises(Refused):
        enrolments.credit_retiree_month("CC0001", "2021-03", D(2021, 3, 31), average_pension=300_000)
    assert_books_ok(store)


def test_filings(store, enrolments, settlements):
    enrolments.file("GX0002", "chronic", D(2018, 2, 1), D(2018, 2, 1), D(2018, 12, 31), dise_code="冠心病")
    out = settlements.settle(request("S1", psn_no="GX0002", med_type="14", dise_code="GX-MB21",
                                     fixmedins="H37152500002"))
    assert out.amounts["hifp_pay"] > 0
    with pytest.raises(InvalidRequest):
        enrolments.file("GX0002", "chronic", D(2018, 2, 1), D(2018, 2, 1))


def test_subsidies_by_level_for_on_time_enrolments(store, enrolments):
    enrolments.enrol_resident("GX0003", 2018, D(2017, 10, 15))
    persons = enrolments.record_subsidies("371525", 2018, {"central": 30_000, "provincial": 10_000}, D(2018, 3, 1))
    assert persons == 2  # GX0001 (fixture) and GX0003
    with pytest.raises(Conflict) as err:
        enrolments.record_subsidies("371525", 2018, {"central": 30_000}, D(2018, 3, 1))
    assert err.value.field == "booked_on"
    assert revenue(store, Fund.RESIDENT_POOLED, Title.REVENUE_SUBSIDY_CENTRAL, "371525") == 60_000
    assert_books_ok(store)


def test_tax_bureau_batch_holds_bad_lines_with_a_reason(store, enrolments):
    lines = [
        {"psn_no": "GX0003", "insutype": "390", "year": 2018, "amount": "190.00", "paid_on": "2017-11-01"},
        {"id_number": "37152520000101999X", "insutype": "390", "year": 2018, "amount": "190", "paid_on": "2017-11-02"},
        {"id_number": "110101199001010000", "insutype": "390", "year": 2018, "amount": "190", "paid_on": "2017-11-01"},
        {"psn_no": "GX0001", "insutype": "390", "year": 2018, "amount": "190", "paid_on": "2017-11-01"},
        {"psn_no": "GX0010", "insutype": "390", "year": 2018, "amount": "100", "paid_on": "2017-11-01"},
        {"psn_no": "GX0010", "insutype": "390", "year": 2018, "amount": "abc", "paid_on": "2017-11-01"},
        {"psn_no": "CC0001", "insutype": "310", "amount": "100", "employer": "400", "base": "5000",
         "paid_on": "2021-03-15"},
    ]
    out = enrolments.import_tax_batch("TAX-2017-11", D(2017, 11, 5), lines, cipher=TEST_CIPHER)
    assert out.accepted == 3
    reasons = dict(out.held)
    assert set(reasons) == {3, 4, 5, 6}
    assert "未找到" in reasons[3] and "已参加" in reasons[4] and "不符" in reasons[5]
    held = store.read(lambda s: s.execute(select(func.count()).where(m.ContributionLine.status == "held")).scalar_one())
    assert held == 4
    masked = store.read(lambda s: [l.raw.get("id_number") for l in s.execute(select(m.ContributionLine).where(
        m.ContributionLine.status == "held")).scalars() if l.raw.get("id_number")])
    assert masked == ["110101********0000"]
    with pytest.raises(Conflict):
        enrolments.import_tax_batch("TAX-2017-11", D(2017, 11, 5), lines, cipher=TEST_CIPHER)
    assert_books_ok(store)


def test_employee_account_pays_a_relatives_resident_contribution(store, tmp_path):
    # seed 003: 个人账户还可以用于……配偶、父母、子女参加城乡居民基本医疗保险……的个人缴费
    shutil.copy(default_policy_dir() / "changchun-2021-employee.yaml", tmp_path)
    shutil.copy(Path(__file__).parent / "data" / "changchun-2021-resident-test.yaml", tmp_path)
    service = EnrolmentService(store, Registry.load(tmp_path))
    with pytest.raises(Refused) as err:  # 300 yuan in the father's account, 320 due
        service.enrol_resident("CC0003", 2021, D(2021, 2, 1), paid_from_account_of="CC0001")
    assert err.value.code == "insufficient_balance" and enrolment_rows(store, "CC0003") == []
    service.record_employee_contribution("CC0001", "2021-01", 500_000, 40_000, 10_000, D(2021, 1, 15))
    out = service.enrol_resident("CC0003", 2021, D(2021, 2, 1), paid_from_account_of="CC0001")
    assert out.terms.kind == "late" and out.terms.benefit_start == D(2021, 5, 1)
    assert store.read(lambda s: personal_account_balance(s, "CC0001")) == 30_000 + 10_000 - 32_000
    assert revenue(store, Fund.RESIDENT_POOLED, Title.REVENUE_INDIVIDUAL, "220102") == 32_000
    with pytest.raises(Refused):  # not a spouse, parent or child
        service.enrol_resident("CC0002", 2021, D(2021, 2, 2), paid_from_account_of="CC0005")
    assert_books_ok(store)
