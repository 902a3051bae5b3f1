"""Global budget band sharing, worked by hand on the example bands.

Budget B = 1 000 000.00: bands of overspend 0–2 % (0–20 000) fund 100 %, 2–5 % (20 000–50 000)
fund 70 %, 5–10 % (50 000–100 000) fund 50 %, beyond 10 % fund 0 %; surplus 0–10 % kept 50 %.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongchou.clearing.global_budget import global_budget_settlement, reserve_release
from tongchou.clearing.records import Institution
from tongchou.money import to_fen

H = Institution("H1", "示例医院", 2)
B = to_fen("1000000.00")


def settle(rules, actual_yuan):
    return global_budget_settlement(H, 2024, B, to_fen(actual_yuan), rules.global_budget)


def test_overspend_eight_percent(rules):
    s = settle(rules, "1080000.00")  # O = 80 000
    assert s.overspend == to_fen("80000.00")
    # 20 000 × 100 % + 30 000 × 70 % + 30 000 × 50 % + 0 = 20 000 + 21 000 + 15 000 = 56 000
    assert [b.share for b in s.bands] == [to_fen("20000.00"), to_fen("21000.00"), to_fen("15000.00"), 0]
    assert s.fund_bears == to_fen("56000.00")
    assert s.institution_bears == to_fen("24000.00")
    assert s.recognised == to_fen("1056000.00")  # B + 56 000
    assert s.adjustment == -to_fen("24000.00")    # recognised − actual
    (entry,) = s.entries()
    assert entry.amount == -to_fen("24000.00")


def test_overspend_beyond_ten_percent_is_not_shared(rules):
    s = settle(rules, "1150000.00")  # O = 150 000
    # 20 000 + 21 000 + 50 000 × 50 % = 25 000, beyond 100 000: 0 → 66 000
    assert s.fund_bears == to_fen("66000.00")
    assert s.institution_bears == to_fen("84000.00")
    assert s.adjustment == -to_fen("84000.00")


def test_overspend_within_tolerance_fully_borne(rules):
    s = settle(rules, "1010000.00")  # O = 10 000 within 2 %
    assert s.fund_bears == to_fen("10000.00") and s.adjustment == 0


def test_surplus_rewarded_up_to_ten_percent(rules):
    s = settle(rules, "940000.00")  # S = 60 000 × 50 % = 30 000
    assert s.surplus_reward == to_fen("30000.00")
    assert s.recognised == to_fen("970000.00") and s.adjustment == to_fen("30000.00")
    s = settle(rules, "850000.00")  # S = 150 000: 100 000 × 50 % + 50 000 × 0 = 50 000
    assert s.surplus_reward == to_fen("50000.00") and s.adjustment == to_fen("50000.00")


def test_on_budget(rules):
    s = settle(rules, "1000000.00")
    assert s.adjustment == 0 and s.bands == () and s.entries() == ()


def test_band_rounding_half_up(rules):
    # B = 100.01, O = 0.05 → all in 0–2 % band (limit round(100.01 × 0.02) = 2.00 → 200 fen)?
    # 2 % of 10 001 fen = 200.02 → 200 fen: band 1 takes 0.05, fund 100 % → 5 fen
    s = global_budget_settlement(H, 2024, 10001, 10006, rules.global_budget)
    assert s.fund_bears == 5
    # O = 2.03: band1 2.00 (100 %), band2 0.03 × 70 % = 0.021 → 0.02 → 2.02
    s = global_budget_settlement(H, 2024, 10001, 10001 + 203, rules.global_budget)
    assert s.fund_bears == 202


def test_reserve_release(rules):
    withheld = to_fen("12345.67")
    # score 81 → 81/90 = 0.9 → 12 345.67 × 0.9 = 11 111.103 → 11 111.10
    assert reserve_release(H, 2024, withheld, Decimal(81), rules.clearing).released == to_fen("11111.10")
    assert reserve_release(H, 2024, withheld, Decimal(95), rules.clearing).released == withheld
    assert reserve_release(H, 2024, withheld, Decimal(0), rules.clearing).forfeited == withheld


def test_rejects_bad_budget(rules):
    with pytest.raises(ValueError):
        global_budget_settlement(H, 2024, 0, 5, rules.global_budget)


@given(budget=st.integers(1, 10**12), actual=st.integers(0, 10**12))
def test_shares_stay_within_the_difference(rules, budget, actual):
    s = global_budget_settlement(H, 2024, budget, actual, rules.global_budget)
    assert 0 <= s.fund_bears <= s.overspend
    assert s.fund_bears + s.institution_bears == s.overspend
    assert 0 <= s.surplus_reward <= s.surplus
    assert s.actual + s.adjustment == s.recognised
    # never recognise more than budget + 10 % (the last sharing band's upper end) nor less than … budget
    assert s.recognised <= budget + budget // 10 + 1
