"""The year end as a pure function over typed monthly summaries (`clearing.yearend.settle_year`), with every
figure worked by hand below from the example rules (policies/clearing/example-city.yaml): overspend bands
0–2 % ×1, 2–5 % ×0.7, 5–10 % ×0.5, above 10 % ×0; surplus up to 10 % kept at 50 %; reserve released at
score ÷ 90 (at most all); DIP coefficients 三级 1.00, 二级 0.85, 一级 0.70."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.payment import DueKey, paid_to_institution
from tongchou.clearing.plan import parse_plan
from tongchou.clearing.records import Institution
from tongchou.clearing.yearend import Member, MonthlySummary, settle_year
from tongchou.ledger.accounts import Fund

COUNTY = "371525"
RESIDENT = (Fund.RESIDENT_POOLED.value, COUNTY)
EMPLOYEE = (Fund.EMPLOYEE_POOLED.value, COUNTY)
MEMBERS = {code: Member(Institution(code, f"医院{code}", level), COUNTY)
           for code, level in [("H1", 3), ("H2", 2), ("H3", 1), ("H4", 3), ("H5", 3), ("H6", 2)]}


def due(pocket: tuple[str, str], field: str = "hifp_pay", insurer: str = "") -> DueKey:
    return DueKey(field, pocket[0], pocket[1], insurer)


MONTHS = [
    # H1: global budget 1 000.00 元; cleared hifp_pay 600.00 + 500.00 = 1 100.00 (the insurer-run hifmi_pay
    # 100.00 and the personal account are not the fund's own spending); reserve 5 % withheld
    MonthlySummary("H1", "2024-01", {due(RESIDENT): 60_000, due(RESIDENT, "hifmi_pay", "某保险公司"): 10_000,
                                     due(RESIDENT, "acct_pay"): 7_000}, reserve={RESIDENT: 3_000}),
    MonthlySummary("H1", "2024-02", {due(EMPLOYEE): 50_000}, reserve={EMPLOYEE: 2_500}),
    # H2, H3: DIP. Points: H2 400 + 600 = 1 000, H3 1 000 (10 000 units a point)
    MonthlySummary("H2", "2024-01", dip_dues={RESIDENT: 150_000}, dip_units=4_000_000, dip_prepaid={RESIDENT: 150_000}),
    MonthlySummary("H2", "2024-02", dip_dues={RESIDENT: 250_000}, dip_units=6_000_000, dip_prepaid={RESIDENT: 210_000}),
    MonthlySummary("H3", "2024-03", dip_dues={RESIDENT: 300_000, EMPLOYEE: 100_000}, dip_units=10_000_000,
                   dip_prepaid={RESIDENT: 300_000}),
    # H4: nothing the year end posts (only the personal account was cleared)
    MonthlySummary("H4", "2024-01", {due(RESIDENT, "acct_pay"): 5_000}),
    # H5: global budget 1 000.00, spent 950.00; reserve 47.50 withheld
    MonthlySummary("H5", "2024-05", {due(EMPLOYEE): 95_000}, reserve={EMPLOYEE: 4_750}),
]
PLAN = parse_plan({"dip_budget": "10000.00", "global_budgets": {"H1": "1000.00", "H5": "1000.00", "H6": "1000.00"},
                   "scores": {"H1": 81, "H5": 95}})


@pytest.fixture(scope="module")
def settled(rules):
    return {s.member.institution.code: s for s in settle_year(2024, MONTHS, MEMBERS, PLAN, rules)}


def test_nothing_to_post_means_no_settlement(settled):
    assert sorted(settled) == ["H1", "H2", "H3", "H5", "H6"]


def test_overspend_shared_in_bands_and_split_by_pocket(settled):
    h1 = settled["H1"]
    gb = h1.global_budget
    # overspend 1 100.00 − 1 000.00 = 100.00 = 10 % of the budget:
    # 20.00 × 1 + 30.00 × 0.7 + 50.00 × 0.5 = 20.00 + 21.00 + 25.00 = 66.00 borne by the fund
    assert (gb.actual, gb.overspend, gb.fund_bears, gb.institution_bears) == (110_000, 10_000, 6_600, 3_400)
    # recognised 1 000.00 + 66.00 = 1 066.00; adjustment 1 066.00 − 1 100.00 = −34.00, split 600 : 500:
    # 3 400 × 6/11 = 1 854.54…, × 5/11 = 1 545.45…; the leftover fen to the larger remainder (resident)
    assert gb.adjustment == -3_400
    assert dict(h1.payment.global_budget) == {RESIDENT: -1_855, EMPLOYEE: -1_545}


def test_reserve_released_at_the_score_ratio(settled):
    h1 = settled["H1"].quality_reserve
    # 81 ÷ 90 = 0.9: 30.00 → 27.00, 25.00 → 22.50; 5.50 forfeited
    assert (h1.ratio, h1.withheld, h1.released, h1.forfeited) == (Decimal("0.9"), 5_500, 4_950, 550)
    assert dict(settled["H1"].payment.reserve_released) == {RESIDENT: 2_700, EMPLOYEE: 2_250}
    # H5 scored 95 ≥ 90: all of it comes back
    assert settled["H5"].quality_reserve.released == 4_750
    # H1 is paid −34.00 + 49.50 = 15.50
    assert settled["H1"].payment.payable == 1_550


def test_surplus_kept_in_part_and_a_budget_without_spending(settled):
    # H5: surplus 50.00 (5 %) × 50 % = 25.00 kept; payable 25.00 + 47.50 = 72.50
    h5 = settled["H5"]
    assert (h5.global_budget.surplus, h5.global_budget.surplus_reward, h5.global_budget.adjustment) == (5_000, 2_500, 2_500)
    assert dict(h5.payment.global_budget) == {EMPLOYEE: 2_500} and h5.payment.payable == 7_250
    # H6 spent nothing: surplus 1 000.00; the first 100.00 (10 %) × 50 % = 50.00, the rest × 0,
    # on the institution's home pocket (its county's resident pooled fund) since nothing was cleared
    h6 = settled["H6"]
    assert h6.global_budget.adjustment == 5_000 and dict(h6.payment.global_budget) == {RESIDENT: 5_000}


def test_dip_point_value_final_and_liquidation(settled):
    h2, h3 = settled["H2"].dip, settled["H3"].dip
    # point value 10 000.00 元 ÷ 2 000 points = 5 元/分
    assert h2.year.point_value == Decimal(5) and h2.year.total_points == Decimal(2000)
    # H2: 1 000 × 5 × 0.85 = 4 250.00, pre-paid 3 600.00 → 650.00 more
    assert (h2.points, h2.final, h2.prepaid, h2.liquidation) == (Decimal(1000), 425_000, 360_000, 65_000)
    # H3: 1 000 × 5 × 0.70 = 3 500.00 split by the dues 3 : 1; pre-paid 3 000.00 → 500.00 more
    assert (h3.final, h3.liquidation) == (350_000, 50_000)
    assert dict(settled["H3"].payment.dip_final) == {RESIDENT: 262_500, EMPLOYEE: 87_500}
    assert settled["H2"].payment.payable == 65_000 and settled["H3"].payment.payable == 50_000


def test_the_entries_pay_what_the_settlements_say(settled):
    import datetime as dt
    for s in settled.values():
        assert paid_to_institution(s.payment.entry(COUNTY, dt.date(2024, 12, 31))) == s.payment.payable


def test_a_withheld_reserve_needs_a_score(rules):
    months = [MonthlySummary("H1", "2024-01", {due(RESIDENT): 10_000}, reserve={RESIDENT: 500})]
    with pytest.raises(ClearingInputError) as refused:
        settle_year(2024, months, MEMBERS, parse_plan({}), rules)
    assert refused.value.where == "plan.scores.H1" and "考核得分" in refused.value.message
