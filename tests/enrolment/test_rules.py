"""Contribution and eligibility rules, with numbers worked by hand from the seeds.

冠县 = seed 004 篇4 (城乡居民医保政策明白纸); 长春 = seed 003 (职工医保市级统筹 新闻发布会).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tongchou.enrolment import rules
from tongchou.enrolment.rules import Period, RuleError
from tongchou.policy.registry import default_policy_dir, load_policy_file

D = dt.date


@pytest.fixture(scope="module")
def guanxian():
    return load_policy_file(default_policy_dir() / "guanxian-2018-resident.yaml").versions[0].contributions


@pytest.fixture(scope="module")
def changchun():
    return load_policy_file(default_policy_dir() / "changchun-2021-employee.yaml").versions[0].personal_account


def test_individual_contribution_2018(guanxian):
    # 篇4 一(一): "2018年个人缴费标准为每人190元" → 190 yuan = 19,000 fen
    assert rules.individual_contribution(guanxian, 2018) == 19_000


def test_no_individual_standard_for_a_year_the_policy_does_not_give(guanxian):
    with pytest.raises(RuleError) as err:
        rules.individual_contribution(guanxian, 2019)
    assert err.value.field == "contributions.individual"


def test_subsidy_2017_is_published_2018_is_not(guanxian):
    # 篇4 一(一): "2017年的政府补助为每人450元" and "政府补助资金标准待上级下达后公布" (2018)
    assert rules.subsidy_total(guanxian, 2017) == 45_000
    with pytest.raises(RuleError) as err:
        rules.subsidy_total(guanxian, 2018)
    assert err.value.field == "contributions.subsidies"
    assert rules.subsidy_total(guanxian, 2018, entered=45_000) == 45_000


@pytest.mark.parametrize("paid_on, on_time", [
    (D(2017, 8, 31), False), (D(2017, 9, 1), True), (D(2017, 12, 31), True), (D(2018, 1, 1), False),
])
def test_collection_period(guanxian, paid_on, on_time):
    # 篇4 一(三): "集中缴费期：每年9月1日至12月31日" — for the next year's benefits
    assert rules.collection_window(guanxian, 2018) == (D(2017, 9, 1), D(2017, 12, 31))
    assert rules.in_collection_period(guanxian, 2018, paid_on) is on_time


def test_on_time_payment_benefits_from_1_january(guanxian):
    terms = rules.resident_terms(guanxian, 2018, D(2017, 10, 15))
    assert (terms.kind, terms.benefit_start, terms.individual_due) == ("on_time", D(2018, 1, 1), 19_000)
    assert terms.subsidy_expected


def test_late_payment_pays_the_subsidy_too_and_waits_three_months(guanxian):
    # 篇4 一(七): "集中缴费结束后又参保的，需全额补缴当年包括政府补助在内的基本医疗保险费，且缴费满3个月后方可享受待遇"
    # paid 2018-03-10: 190 + 450 (the subsidy the bureau entered for 2018) = 640 yuan; 3 months → 2018-06-10
    terms = rules.resident_terms(guanxian, 2018, D(2018, 3, 10), entered_subsidy=45_000)
    assert (terms.kind, terms.individual_due, terms.benefit_start) == ("late", 64_000, D(2018, 6, 10))
    assert not terms.subsidy_expected
    assert "满3个月" in terms.reason


def test_late_payment_needs_the_year_subsidy(guanxian):
    with pytest.raises(RuleError) as err:
        rules.resident_terms(guanxian, 2018, D(2018, 3, 10))
    assert err.value.field == "contributions.subsidies" and "尚未公布" in str(err.value)


def test_late_payment_at_month_end_clamps(guanxian):
    # 2018-11-30 + 3 months = 2019-02-28 (February has no 30th): no benefits left in 2018
    terms = rules.resident_terms(guanxian, 2018, D(2018, 11, 30), entered_subsidy=45_000)
    assert terms.benefit_start == D(2019, 2, 28)


def test_payment_before_the_collection_period_or_after_the_year_is_refused(guanxian):
    with pytest.raises(RuleError):
        rules.resident_terms(guanxian, 2018, D(2017, 8, 1))
    with pytest.raises(RuleError):
        rules.resident_terms(guanxian, 2018, D(2019, 1, 2))


def test_newborn_enrolled_in_birth_year_from_birth_free(guanxian):
    # 篇4 一(五): "新生儿出生当年不缴费；新生儿出生当年或6个月内办理参保手续可自出生之日起享受待遇"
    terms = rules.newborn_terms(guanxian, D(2018, 3, 5), 2018, D(2018, 7, 20))
    assert (terms.kind, terms.benefit_start, terms.individual_due) == ("newborn", D(2018, 3, 5), 0)


def test_newborn_within_six_months_next_year_from_birth(guanxian):
    # born 2017-11-20, enrolled 2018-04-10: within 6 months (before 2018-05-20) → covered from birth;
    # the 2018 individual contribution is due: 190 yuan
    terms = rules.newborn_terms(guanxian, D(2017, 11, 20), 2018, D(2018, 4, 10))
    assert (terms.kind, terms.individual_due) == ("newborn", 19_000)
    assert terms.benefit_start == D(2018, 1, 1)  # the 2018 period; the birth-year period is the service's


def test_newborn_after_six_months_waits_three_months(guanxian):
    # 篇4 一(五): "6个月以后且不是出生当年办理参保缴费的，自参保缴费（含政府补助）之日起满3个月后享受医保待遇"
    # born 2017-05-01, paid 2018-02-01 (9 months, not the birth year): 190 + 450 = 640 yuan, from 2018-05-01
    terms = rules.newborn_terms(guanxian, D(2017, 5, 1), 2018, D(2018, 2, 1), entered_subsidy=45_000)
    assert (terms.kind, terms.individual_due, terms.benefit_start) == ("newborn_late", 64_000, D(2018, 5, 1))


def test_newborn_six_month_boundary(guanxian):
    # born 2017-11-20: 2018-05-19 is within 6 months, 2018-05-20 is not
    assert rules.newborn_terms(guanxian, D(2017, 11, 20), 2018, D(2018, 5, 19)).kind == "newborn"
    late = rules.newborn_terms(guanxian, D(2017, 11, 20), 2018, D(2018, 5, 20), entered_subsidy=45_000)
    assert late.kind == "newborn_late" and late.benefit_start == D(2018, 8, 20)


def test_employee_account_credit_two_percent(changchun):
    # seed 003: "在职职工个人缴纳的基本医疗保险费全部计入个人账户，计入标准为本人参保缴费基数的2%"
    assert rules.employee_account_credit(changchun, 500_000) == 10_000      # base 5,000 → 100.00 yuan
    assert rules.employee_account_credit(changchun, 432_125) == 8_643       # 86.425 → 86.43 (half-up)


def test_employee_contribution_split(changchun):
    # individual share 2 % of 5,000 = 100 yuan, all to the account
    assert rules.employee_contribution_split(changchun, 500_000, 10_000) == (10_000, 0)
    # a larger individual share: the account gets 2 % of the base, the rest the pooled fund
    assert rules.employee_contribution_split(changchun, 500_000, 15_000) == (10_000, 5_000)


def test_retiree_monthly_credit(changchun):
    # seed 003: "退休人员个人账户按月由统筹基金按定额划入，划入额度逐步调整为全市2021年基本养老金平均水平的2.8%"
    assert rules.retiree_monthly_credit(changchun, 300_000) == 8_400        # 3,000 → 84.00 yuan
    assert rules.retiree_monthly_credit(changchun, 291_735) == 8_169        # 81.6858 → 81.69


def test_the_retiree_credit_reaches_its_target_gradually(changchun):
    # seed 003: "划入额度逐步调整为……2.8%": the target, reached through the steps the bureau sets (example steps)
    assert changchun.retiree_monthly_rate_of_average_pension == Decimal("0.028")
    assert changchun.retiree_rate_transition.example and changchun.retiree_rate_transition.assumptions
    assert rules.retiree_monthly_credit(changchun, 300_000, dt.date(2021, 1, 31)) == 6_000   # 3,000 × 2.0 %
    assert rules.retiree_monthly_credit(changchun, 300_000, dt.date(2021, 7, 31)) == 7_200   # 3,000 × 2.4 %
    assert rules.retiree_monthly_credit(changchun, 300_000) == 8_400                         # the target 2.8 %
    with pytest.raises(RuleError) as err:
        rules.retiree_monthly_credit(changchun, 300_000, dt.date(2020, 12, 31))
    assert err.value.field == "personal_account.retiree_rate_transition" and "医保局录入" in str(err.value)


def test_retiree_credit_needs_the_average_pension(changchun):
    with pytest.raises(RuleError) as err:
        rules.retiree_monthly_credit(changchun, None)
    assert err.value.field == "average_pension" and "尚未录入" in str(err.value)


def test_no_account_rule_for_residents(guanxian):
    with pytest.raises(RuleError):
        rules.employee_account_credit(None, 100)


def test_mutual_use_relations(changchun):
    # seed 003: "个人账户可以用于支付参保人员本人及其配偶、父母、子女……"
    assert all(rules.mutual_use_allowed(changchun, r) for r in ("spouse", "parent", "child"))
    assert not rules.mutual_use_allowed(changchun, "sibling")
    assert not rules.mutual_use_allowed(None, "spouse")


def test_benefits_on_a_day():
    periods = [Period("390", D(2018, 1, 1), D(2018, 12, 31), D(2018, 6, 10))]
    assert not rules.benefits_on(periods, "390", D(2018, 6, 9)).eligible
    assert "等待期" in rules.benefits_on(periods, "390", D(2018, 6, 9)).reason
    assert rules.benefits_on(periods, "390", D(2018, 6, 10)).eligible
    assert "未参加" in rules.benefits_on(periods, "310", D(2018, 6, 10)).reason
    assert "终止" in rules.benefits_on(periods, "390", D(2019, 1, 1)).reason


def test_add_months():
    assert rules.add_months(D(2018, 1, 31), 1) == D(2018, 2, 28)
    assert rules.add_months(D(2018, 11, 15), 3) == D(2019, 2, 15)
