"""Early-warning indicators per county and for the pool: every status of every indicator, by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import EarlyWarningRule, WarningBands, load_rule, parse_rule
from tongchou.funds.indicators import (
    ScopeFigures, TierAdmissions, admission_rate, avg_cost_per_admission, band_status, current_surplus_ratio,
    expenditure_over_revenue_growth, indicators_by_scope, months_covered, per_capita_expenditure, pool_figures,
    spending_progress_gap,
)

RULES = Path(__file__).resolve().parents[2] / "policies" / "funds"
BANDS = WarningBands()
YUAN = 100


def figures(**changes) -> ScopeFigures:
    return ScopeFigures(**{"scope": "330602", "months": 12, "accumulated_balance": 0, "revenue": 0,
                           "expenditure": 0, **changes})


@pytest.mark.parametrize(("balance", "status"), [
    (250, "alarm"), (300, "watch"), (500, "watch"), (600, "normal"), (900, "normal"), (1000, "watch"),
    (1500, "watch"), (1600, "alarm"),
])
def test_months_covered_bands_of_funds_md(balance: int, status: str) -> None:
    # expenditure 1 200 over 12 months: 100 a month; balance / 100 = months covered
    found = months_covered(figures(accumulated_balance=balance * YUAN, expenditure=1_200 * YUAN), BANDS)
    assert found is not None
    assert (found.value, found.status) == (Decimal(balance) / 100, status)


def test_months_covered_reason_is_chinese() -> None:
    found = months_covered(figures(accumulated_balance=250 * 10_000 * YUAN, expenditure=1_200 * 10_000 * YUAN), BANDS)
    assert found is not None
    assert found.reason == "累计结余250.00万元，月均支出100.00万元，可支付2.50个月，低于预警线3.00个月"
    found = months_covered(figures(accumulated_balance=700 * YUAN, expenditure=600 * YUAN, months=6), BANDS)
    assert found is not None and found.status == "normal" and found.reason.endswith("可支付7.00个月，处于正常区间")
    assert found.as_dict()["status_name"] == "正常"
    assert months_covered(figures(accumulated_balance=1), BANDS) is None  # nothing spent: no average


@pytest.mark.parametrize(("expenditure", "status"), [
    (1_100, "alarm"), (980, "watch"), (900, "normal"), (750, "watch"), (600, "alarm"),
])
def test_current_surplus_ratio(expenditure: int, status: str) -> None:
    # revenue 1 000: ratios −10 %, 2 %, 10 %, 25 %, 40 %
    found = current_surplus_ratio(figures(revenue=1_000 * YUAN, expenditure=expenditure * YUAN), BANDS)
    assert found is not None and found.status == status
    assert found.value == Decimal(1_000 - expenditure) / 1_000


def test_current_surplus_ratio_reason() -> None:
    found = current_surplus_ratio(figures(revenue=1_000 * YUAN, expenditure=1_100 * YUAN), BANDS)
    assert found is not None
    assert found.reason == "当期收入0.10万元，支出0.11万元，当期结余率-10.00%，低于预警线0.00%"


@pytest.mark.parametrize(("expenditure", "status"), [(500, "normal"), (550, "watch"), (560, "alarm")])
def test_spending_progress_against_time(expenditure: int, status: str) -> None:
    # half a year, plan 1 000: 50 % is on time, 55 % five points ahead (watch), 56 % six points (alarm)
    found = spending_progress_gap(figures(months=6, expenditure=expenditure * YUAN,
                                          annual_plan_expenditure=1_000 * YUAN), BANDS)
    assert found is not None and found.status == status
    if status == "alarm":
        assert found.reason == "基金支出进度56.00%，时间进度50.00%，相差6.00个百分点，高于预警线5.00个百分点"


@pytest.mark.parametrize(("expenditure", "status"), [(1_050, "normal"), (1_150, "watch"), (1_250, "alarm")])
def test_expenditure_growth_against_revenue_growth(expenditure: int, status: str) -> None:
    # revenue +10 %; expenditure +5 %, +15 %, +25 %: gaps −5, +5, +15 points
    found = expenditure_over_revenue_growth(figures(
        revenue=1_100 * YUAN, previous_revenue=1_000 * YUAN, expenditure=expenditure * YUAN,
        previous_expenditure=1_000 * YUAN), BANDS)
    assert found is not None and found.status == status
    assert found.value == Decimal(expenditure - 1_000) / 1_000 - Decimal("0.1")


@pytest.mark.parametrize(("expenditure", "status"), [(950, "normal"), (1_000, "watch"), (1_100, "alarm")])
def test_per_capita_expenditure_growth(expenditure: int, status: str) -> None:
    # 100 insured both years, last year 900: per capita 9.00 → 9.50 (+5.56 %), 10.00 (+11.11 %), 11.00 (+22.22 %)
    found = per_capita_expenditure(figures(expenditure=expenditure * YUAN, insured=100, previous_insured=100,
                                           previous_expenditure=900 * YUAN), BANDS)
    assert found is not None and found.status == status
    if status == "watch":
        assert found.reason == "人均基金支出10.00元，上年同期9.00元，同比增长11.11%，高于关注线10.00%"


@pytest.mark.parametrize(("admissions", "status"), [(15, "normal"), (20, "watch"), (25, "alarm")])
def test_admission_rate(admissions: int, status: str) -> None:
    found = admission_rate(figures(insured=100, admissions=admissions), BANDS)
    assert found is not None and (found.value, found.status) == (Decimal(admissions) / 100, status)


def test_average_cost_per_admission_by_tier() -> None:
    # county hospitals 7 000 → 8 000 a stay (+14.29 %, alarm); township 4 900 → 5 000 (+2.04 %, normal);
    # city hospitals 10 000 → 10 600 (+6 %, watch); a tier with no previous year gives nothing
    now = {"county": TierAdmissions(10, 80_000 * YUAN), "township": TierAdmissions(4, 20_000 * YUAN),
           "city": TierAdmissions(5, 53_000 * YUAN), "province": TierAdmissions(1, 9 * YUAN)}
    before = {"county": TierAdmissions(10, 70_000 * YUAN), "township": TierAdmissions(2, 9_800 * YUAN),
              "city": TierAdmissions(2, 20_000 * YUAN)}
    found = {i.tier: i for i in avg_cost_per_admission(figures(by_tier=now, previous_by_tier=before), BANDS)}
    assert {tier: i.status for tier, i in found.items()} == {"county": "alarm", "township": "normal", "city": "watch"}
    assert found["county"].reason == "县级医院次均住院费用8000.00元/人次，同比增长14.29%，高于预警线10.00%"


def test_indicators_per_county_and_for_the_pool() -> None:
    a = figures(scope="330602", accumulated_balance=200 * YUAN, revenue=1_000 * YUAN, expenditure=1_200 * YUAN,
                insured=100, admissions=25)
    b = figures(scope="330603", accumulated_balance=1_000 * YUAN, revenue=1_400 * YUAN, expenditure=1_200 * YUAN,
                insured=100, admissions=15)
    pool = pool_figures([a, b])
    assert (pool.accumulated_balance, pool.revenue, pool.expenditure, pool.insured, pool.admissions) == (
        1_200 * YUAN, 2_400 * YUAN, 2_400 * YUAN, 200, 40)
    found = indicators_by_scope([a, b])
    assert list(found) == ["330602", "330603", "pool"]
    status = {scope: {i.indicator: i.status for i in items} for scope, items in found.items()}
    # months covered: 2 (alarm), 10 (watch), 6 (normal); admission rate 25 %, 15 %, 20 %
    assert status["330602"]["months_covered"] == "alarm" and status["330602"]["admission_rate"] == "alarm"
    assert status["330603"]["months_covered"] == "watch" and status["330603"]["admission_rate"] == "normal"
    assert status["pool"]["months_covered"] == "normal" and status["pool"]["admission_rate"] == "watch"
    with pytest.raises(FundInputError) as error:
        pool_figures([a, figures(scope="x", months=6)])
    assert error.value.field == "months"


def test_thresholds_come_from_configuration() -> None:
    loaded = load_rule(RULES / "early-warning-thresholds.yaml")
    assert isinstance(loaded, EarlyWarningRule)
    for name in WarningBands.model_fields:
        mine, default = getattr(loaded.bands, name), getattr(BANDS, name)
        assert (mine.alarm_below, mine.watch_below, mine.watch_above, mine.alarm_above) == (
            default.alarm_below, default.watch_below, default.watch_above, default.alarm_above), name
    stricter = parse_rule({**loaded.model_dump(mode="json"), "bands": {
        "months_covered": {"example": True, "assumptions": ["更严"], "alarm_below": 4, "watch_below": 7}}})
    assert isinstance(stricter, EarlyWarningRule)
    assert band_status(Decimal("3.5"), stricter.bands.months_covered) == "alarm"
    assert band_status(Decimal(20), stricter.bands.months_covered) == "normal"
    with pytest.raises(FundInputError) as error:
        parse_rule({**loaded.model_dump(mode="json"), "bands": {
            "admission_rate": {"example": True, "assumptions": ["x"], "watch_above": "0.3", "alarm_above": "0.2"}}},
            "warn.yaml")
    assert error.value.field == "warn.yaml: bands.admission_rate"
    with pytest.raises(FundInputError) as error:
        figures(months=13)
    assert error.value.field == "330602.months"
