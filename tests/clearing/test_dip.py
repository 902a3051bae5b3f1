"""DIP worked by hand: case adjustments, point value, payment, pre-payment, liquidation."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongchou.clearing.dip import (HIGH, LOW, NORMAL, InstitutionPoints, case_points, dip_payment, dip_year_end,
                                   match_group, monthly_point_value, monthly_prepayment, point_value)
from tongchou.clearing.records import Institution
from tongchou.clearing.rules import DipGroup
from tongchou.money import to_fen

U = 10_000  # units per point


def test_grouping(rules):
    dip = rules.dip
    assert match_group(dip, "I63.9", "39.74").code == "D002"   # diagnosis + procedure
    assert match_group(dip, "I63.9", "").code == "D001"        # conservative treatment
    assert match_group(dip, "I63.9", "99.99").code == "D001"   # unknown procedure → the diagnosis's conservative group
    assert match_group(dip, "K40.9", "").code == "ZH99"        # no conservative group for K40.9 → 综合病种
    assert match_group(dip, "Z99.9", "").code == "ZH99"


@pytest.mark.parametrize(("cost", "kind", "points"), [
    ("9000.00", NORMAL, "900"),     # at the standard cost
    ("4500.00", NORMAL, "900"),     # exactly 50 %: not below, no adjustment
    ("3000.00", LOW, "300"),        # 900 × 3 000 / 9 000 = 300
    ("1000.01", LOW, "100.001"),    # 900 × 1 000.01 / 9 000 = 100.001
    ("18000.00", NORMAL, "900"),    # exactly 200 %: not above
    ("20000.00", HIGH, "1100"),     # 900 × (20 000/9 000 − 2 + 1) = 900 × 11/9 = 1 100
    ("27000.00", HIGH, "1800"),     # 900 × (3 − 2 + 1) = 1 800
])
def test_case_points_D001(rules, cost, kind, points):
    group = rules.dip.group("D001")  # 脑梗死 保守治疗: 900 points, standard cost 9 000.00
    result = case_points(group, to_fen(cost), rules.dip)
    assert result.kind == kind
    assert result.points == Decimal(points)


def test_case_points_round_half_up_to_a_ten_thousandth(rules):
    # the model reads yuan, as the rules file writes them
    group = DipGroup(code="T", name="t", diag_code="X", points=Decimal("0.0005"), standard_cost="10.00")
    # 0.0005 × 1.00 / 10.00 = 0.00005 → 0.0001 (half-up)
    assert case_points(group, to_fen("1.00"), rules.dip).units == 1
    group = DipGroup(code="T", name="t", diag_code="X", points=Decimal(1), standard_cost="3.00")
    # 1 × 1.00 / 3.00 = 0.33333… → 0.3333;  1 × 0.50 / 3.00 = 0.16666… → 0.1667
    assert case_points(group, to_fen("1.00"), rules.dip).points == Decimal("0.3333")
    assert case_points(group, to_fen("0.50"), rules.dip).points == Decimal("0.1667")


def test_point_value_by_hand():
    # 1 000 000.00 / 300 000 points = 3.333333333333 (12 places, half-up)
    assert point_value(to_fen("1000000.00"), 300_000 * U) == Decimal("3.333333333333")
    # 2.00 / 3 = 0.6666… → 0.666666666667 (half-up)
    assert point_value(200, 3 * U) == Decimal("0.666666666667")
    assert point_value(100, 8 * U) == Decimal("0.125")
    with pytest.raises(ValueError):
        point_value(100, 0)


def test_payment_by_hand():
    value = Decimal("3.333333333333")
    # 100 000 × 3.333333333333 × 1.00 = 333 333.3333333 → 333 333.33
    assert dip_payment(100_000 * U, value, Decimal("1.00")) == to_fen("333333.33")
    # 200 000 × 3.333333333333 × 0.85 = 566 666.66666661 → 566 666.67
    assert dip_payment(200_000 * U, value, Decimal("0.85")) == to_fen("566666.67")


def test_monthly_prepayment_by_hand():
    # monthly point value = 1 200 000.00 / 12 / 40 000 = 2.5
    value = monthly_point_value(to_fen("1200000.00"), 40_000 * U)
    assert value == Decimal("2.5")
    p = monthly_prepayment(Institution("H", "", 2), "2024-01", 10_000 * U, value, Decimal("0.85"), Decimal("0.9"))
    assert p.estimated == to_fen("21250.00")  # 10 000 × 2.5 × 0.85
    assert p.prepaid == to_fen("19125.00")    # × 90 %


def test_year_end_liquidation_by_hand(rules):
    a = InstitutionPoints(Institution("HA", "甲医院", 3), {"2024-01": 10_000 * U, "2024-02": 20_000 * U})
    b = InstitutionPoints(Institution("HB", "乙卫生院", 1), {"2024-01": 30_000 * U, "2024-02": 20_000 * U})
    year = dip_year_end(2024, to_fen("1200000.00"), [b, a], rules.dip)
    # point value = 1 200 000 / 80 000 = 15; monthly = 100 000 / 40 000 = 2.5 (both months)
    assert year.point_value == Decimal(15)
    assert year.monthly_point_values == {"2024-01": Decimal("2.5"), "2024-02": Decimal("2.5")}
    sa, sb = year.institutions
    # A (三级, 1.00): final 30 000 × 15 = 450 000; pre-paid (25 000 + 50 000) × 90 % = 67 500
    assert (sa.final, sa.prepaid, sa.liquidation) == (to_fen("450000.00"), to_fen("67500.00"), to_fen("382500.00"))
    # B (一级, 0.70): final 50 000 × 15 × 0.7 = 525 000; pre-paid (52 500 + 35 000) × 90 % = 78 750
    assert (sb.final, sb.prepaid, sb.liquidation) == (to_fen("525000.00"), to_fen("78750.00"), to_fen("446250.00"))
    assert [e.amount for e in year.entries()] == [to_fen("382500.00"), to_fen("446250.00")]


# --------------------------------------------------------------------------- properties

monthly = st.dictionaries(st.sampled_from([f"2024-{m:02d}" for m in range(1, 13)]),
                          st.integers(1, 5_000_000 * U), min_size=1, max_size=12)


@given(st.lists(st.tuples(st.sampled_from([1, 2, 3]), monthly), min_size=1, max_size=30),
       st.integers(1, 10**13))
def test_prepaid_plus_liquidation_is_final(rules, institutions, budget):
    points = [InstitutionPoints(Institution(f"H{i:03d}", "", lv), m) for i, (lv, m) in enumerate(institutions)]
    year = dip_year_end(2024, budget, points, rules.dip)
    for settlement in year.institutions:
        assert settlement.prepaid + settlement.liquidation == settlement.final
        assert sum(p.prepaid for p in settlement.prepayments) == settlement.prepaid


@given(st.lists(st.integers(1, 10**8 * U), min_size=1, max_size=60), st.integers(1, 10**13))
def test_payments_sum_to_budget_when_coefficients_are_one(rules, units, budget):
    dip = rules.dip.model_copy(update={"coefficients": {1: Decimal(1), 2: Decimal(1), 3: Decimal(1)}})
    points = [InstitutionPoints(Institution(f"H{i:03d}", "", 1 + i % 3), {"2024-06": u}) for i, u in enumerate(units)]
    year = dip_year_end(2024, budget, points, dip)
    # each payment rounds by at most half a fen; the point value's 12 places add at most
    # total points × 0.5e-12 yuan = total units × 0.5e-14 fen (< 1 fen here)
    assert abs(year.total_final - budget) <= len(units) / 2 + sum(units) * 5e-15 + 1e-9


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_case_points_never_decrease_with_cost(rules, c1, c2):
    group = rules.dip.group("D004")
    low, high = sorted((c1, c2))
    assert case_points(group, low, rules.dip).units <= case_points(group, high, rules.dip).units
