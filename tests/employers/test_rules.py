"""The employers' pure rules, with the numbers worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tongchou.employers import rules
from tongchou.employers.terms import TermsError, default_terms_dir, load_terms, parse_terms
from tongchou.enrolment.rules import Cover, RuleError, check_no_resident_cover

D = dt.date


@pytest.fixture(scope="module")
def changchun():
    return load_terms(default_terms_dir())["220100"].for_year(2021)


# ---------------------------------------------------------------- GB 32100-2015 check character

def test_check_character_of_a_published_sample_code():
    # 9 1 3 5 0 1 0 0 M 0 0 0 1 0 0 Y 4, values (M=21, Y=30) × weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28:
    # 9 + 3 + 27 + 135 + 0 + 26 + 0 + 0 + 420 + 0 + 0 + 0 + 8 + 0 + 0 + 900 + 112 = 1640; 1640 mod 31 = 28
    # (31 × 52 = 1612); 31 − 28 = 3 → "3"
    assert rules.credit_code_check_character("91350100M000100Y4") == "3"
    assert rules.checked_credit_code("91350100m000100y43") == "91350100M000100Y43"


def test_check_character_of_the_test_employer():
    # 9·1 + 1·3 + 2·9 + 2·27 + 0 + 1·26 + 0 + 2·17 + M(21)·20 + A(10)·29 + 0… = 9+3+18+54+26+34+420+290 = 854;
    # 854 mod 31 = 17 (31 × 27 = 837); 31 − 17 = 14 → the 15th character of the alphabet, "E"
    assert rules.credit_code_check_character("91220102MA0000000") == "E"


def test_a_remainder_of_zero_gives_the_check_character_zero():
    # 854 + G(16)·28 = 854 + 448 = 1302 = 31 × 42: remainder 0, 31 − 0 = 31 → "0"
    assert rules.credit_code_check_character("91220102MA000000G") == "0"
    assert rules.checked_credit_code("91220102MA000000G0") == "91220102MA000000G0"


@pytest.mark.parametrize("code, says", [
    ("91350100M000100Y42", "第18位应为3"),
    ("91350100M000100Y4", "应为18位"),
    ("91350100M000100I43", "不允许的字符“I”"),
])
def test_a_wrong_code_is_refused_naming_the_field(code, says):
    with pytest.raises(RuleError) as err:
        rules.checked_credit_code(code)
    assert err.value.field == "code" and says in str(err.value)


# ---------------------------------------------------------------- base, parts, due date

def test_bounds_are_60_and_300_percent_of_the_average_wage(changchun):
    # example average wage 6,000.00 yuan: 60 % = 3,600.00, 300 % = 18,000.00
    assert rules.bounds_in_fen(changchun) == (360_000, 1_800_000)


def test_parts_at_the_policy_rates(changchun):
    # 5,000.00 × 7 % = 350.00 employer; × 2 % (seed 003) = 100.00 employee
    assessed = rules.assess(changchun, 500_000)
    assert (assessed.base, assessed.employer_part, assessed.individual_part) == (500_000, 35_000, 10_000)


def test_a_wage_below_the_lower_bound_is_assessed_at_the_bound(changchun):
    # 3,000.00 < 3,600.00 → base 3,600.00: 252.00 and 72.00
    assessed = rules.assess(changchun, 300_000)
    assert (assessed.base, assessed.employer_part, assessed.individual_part) == (360_000, 25_200, 7_200)
    assert "按下限核定" in assessed.note


def test_a_wage_above_the_upper_bound_is_assessed_at_the_bound(changchun):
    # 20,000.00 > 18,000.00 → base 18,000.00: 1,260.00 and 360.00
    assessed = rules.assess(changchun, 2_000_000)
    assert (assessed.base, assessed.employer_part, assessed.individual_part) == (1_800_000, 126_000, 36_000)


def test_parts_round_half_up_to_the_fen(changchun):
    # 5,000.50 × 7 % = 350.035 → 350.04 (35,003.5 fen up); × 2 % = 100.01
    assessed = rules.assess(changchun, 500_050)
    assert (assessed.employer_part, assessed.individual_part) == (35_004, 10_001)


def test_a_wage_of_nothing_is_refused(changchun):
    with pytest.raises(RuleError) as err:
        rules.assess(changchun, 0)
    assert err.value.field == "wage"


def test_due_date_and_month_format(changchun):
    assert rules.due_date(changchun, "2021-03") == D(2021, 3, 15)
    assert rules.month_span("2021-02") == (D(2021, 2, 1), D(2021, 2, 28))
    with pytest.raises(RuleError) as err:
        rules.parse_month("2021-3")
    assert err.value.field == "month"


# ---------------------------------------------------------------- late fee

def test_late_fee_counts_from_the_first_day_in_arrears():
    # due 15 March; paid 14 April: 16 March … 31 March (16 days) + 1 … 14 April (14 days) = 30 days;
    # 450.00 × 30 × 0.05 % = 6.75 yuan
    assert rules.days_in_arrears(D(2021, 3, 15), D(2021, 4, 14)) == 30
    assert rules.late_fee(45_000, D(2021, 3, 15), D(2021, 4, 14), Decimal("0.0005")) == 675


def test_late_fee_is_nothing_on_time_and_rounds_half_up():
    assert rules.late_fee(45_000, D(2021, 3, 15), D(2021, 3, 15), Decimal("0.0005")) == 0
    assert rules.late_fee(45_000, D(2021, 3, 15), D(2021, 3, 1), Decimal("0.0005")) == 0
    # one day: 45,000 fen × 0.05 % = 22.5 fen → 23
    assert rules.late_fee(45_000, D(2021, 3, 15), D(2021, 3, 16), Decimal("0.0005")) == 23


# ---------------------------------------------------------------- joining and leaving

def test_joining_while_insured_as_a_resident_is_refused_naming_the_enrolment():
    covers = [Cover(7, "390", D(2021, 1, 1), D(2021, 12, 31))]
    with pytest.raises(RuleError) as err:
        check_no_resident_cover(covers, "P1", D(2021, 6, 1), field="joined_on")
    assert err.value.field == "joined_on" and "参保记录7" in str(err.value)
    check_no_resident_cover(covers, "P1", D(2022, 1, 1))  # the day after the resident year: no overlap
    check_no_resident_cover(covers, "P1", D(2020, 1, 1), D(2020, 12, 31))


def test_employment_in_a_month():
    assert rules.employed_in_month(D(2021, 3, 31), None, "2021-03")
    assert not rules.employed_in_month(D(2021, 4, 1), None, "2021-03")
    assert rules.employed_in_month(D(2021, 1, 1), D(2021, 3, 1), "2021-03")
    assert not rules.employed_in_month(D(2021, 1, 1), D(2021, 2, 28), "2021-03")
    with pytest.raises(RuleError):
        rules.check_leave_date(D(2021, 3, 1), D(2021, 2, 1))


# ---------------------------------------------------------------- the terms files

def test_every_shipped_terms_file_validates_and_cites_the_late_fee():
    for terms in load_terms(default_terms_dir()).values():
        for year in terms.years:
            assert year.late_fee.daily_rate == Decimal("0.0005")
            assert "第八十六条" in year.late_fee.ref.source


def test_a_number_without_a_source_must_be_an_example():
    data = {"id": "x", "name": "x", "region": "1", "source": "x", "years": [{
        "year": 2021, "base_bounds": {"lower": 3000, "upper": 20000, "example": True, "assumptions": ["示例"]},
        "rates": {"employer": 0.07, "individual": 0.02},
        "due": {"day": 15, "example": True, "assumptions": ["示例"]},
        "late_fee": {"daily_rate": 0.0005, "example": True, "assumptions": ["示例"]}}]}
    with pytest.raises(TermsError) as err:
        parse_terms(data, "x.yaml")
    assert "years.0.rates" in str(err.value)


def test_bounds_as_amounts_and_upside_down_bounds():
    year = {"year": 2021, "rates": {"employer": 0.07, "individual": 0.02, "example": True, "assumptions": ["示例"]},
            "due": {"day": 15, "example": True, "assumptions": ["示例"]},
            "late_fee": {"daily_rate": 0.0005, "example": True, "assumptions": ["示例"]}}
    base = {"id": "x", "name": "x", "region": "1", "source": "x"}
    marked = {"example": True, "assumptions": ["示例"]}
    terms = parse_terms({**base, "years": [{**year, "base_bounds": {"lower": 3000, "upper": 20000, **marked}}]})
    assert rules.bounds_in_fen(terms.years[0]) == (300_000, 2_000_000)
    with pytest.raises(TermsError) as err:
        parse_terms({**base, "years": [{**year, "base_bounds": {"lower": 30000, "upper": 20000, **marked}}]})
    assert "小于下限" in str(err.value)
    with pytest.raises(TermsError) as err:  # shares of a wage the file does not give
        parse_terms({**base, "years": [{**year, "base_bounds": {"lower_share": 0.6, "upper_share": 3, **marked}}]})
    assert "average_wage" in str(err.value)


def test_a_terms_file_error_is_chinese_and_names_the_field():
    marked = {"example": True, "assumptions": ["示例"]}
    year = {"year": 2021, "base_bounds": {"lower_share": "六成", "upper_share": 3, **marked},
            "average_wage": {"monthly": 6000, **marked}, "rates": {"employer": "七", "individual": 0.02, **marked},
            "due": {"day": 15, **marked}, "late_fee": {"daily_rate": 0.0005, **marked}}
    with pytest.raises(TermsError) as err:
        parse_terms({"id": "x", "name": "x", "region": "1", "source": "x", "years": [year]}, "x.yaml")
    assert str(err.value) == "x.yaml: years.0.base_bounds.lower_share: 应为平均工资的倍数（如 0.6、3），而不是 '六成'"
    with pytest.raises(TermsError) as err:
        parse_terms({"id": "x", "name": "x", "region": "1", "source": "x"}, "x.yaml")
    assert str(err.value) == "x.yaml: years: 缺少必填项"
