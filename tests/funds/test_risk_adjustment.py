"""Risk adjustment fund (风险调剂金, seed 002): remittance, allocation, statement — numbers worked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import RiskAdjustmentRule, load_rule, parse_rule_text
from tongchou.funds.risk_adjustment import (
    MemberYear, adjustment_pocket, allocation_claim, allocations, previous_year_revenue, pro_rata,
    remittance_amount, remittances, remitted_on_time, statement,
)
from tongchou.funds.subledger import Movement, Pocket, balances_at

RULES = Path(__file__).resolve().parents[2] / "policies" / "funds"
CHANGSHA, ZHUZHOU, XIANGTAN = "430100", "430200", "430300"
ALL_CONDITIONS = frozenset({"unified_policy", "remitted_on_time", "targets_met"})
YUAN = 100  # fen


@pytest.fixture(scope="module")
def rule() -> RiskAdjustmentRule:
    loaded = load_rule(RULES / "changzhutan-risk-adjustment.yaml")
    assert isinstance(loaded, RiskAdjustmentRule)
    return loaded


def test_the_seed_rate_is_three_percent_of_previous_year_revenue(rule: RiskAdjustmentRule) -> None:
    assert str(rule.remittance.rate) == "0.03"
    assert "上年度统筹基金筹资总额的3%" in rule.remittance.sources[0].text
    assert rule.allocation.example and rule.allocation.assumptions


def test_remittance_is_three_percent_rounded_half_up(rule: RiskAdjustmentRule) -> None:
    # 1 200 000 000.00 yuan × 3 % = 36 000 000.00 yuan
    assert remittance_amount(1_200_000_000 * YUAN, rule) == 36_000_000 * YUAN
    # 12 345.67 yuan × 3 % = 370.3701 yuan → 370.37
    assert remittance_amount(1_234_567, rule) == 37_037
    # 12 345.50 yuan × 3 % = 370.365 yuan → 370.37 (half up)
    assert remittance_amount(1_234_550, rule) == 37_037
    with pytest.raises(FundInputError) as error:
        remittance_amount(-1, rule)
    assert error.value.field == "previous_revenue"


def test_previous_year_revenue_counts_contributions_and_subsidies_of_both_pooled_funds(
        rule: RiskAdjustmentRule) -> None:
    resident, employee = Pocket("resident_pooled", CHANGSHA), Pocket("employee_pooled", CHANGSHA)
    movements = [
        Movement(dt.date(2021, 1, 15), 500_000_000 * YUAN, "contribution", target=resident),
        Movement(dt.date(2021, 6, 30), 400_000_000 * YUAN, "subsidy", target=resident),
        Movement(dt.date(2021, 12, 31), 300_000_000 * YUAN, "contribution", target=employee),
        Movement(dt.date(2021, 12, 21), 1_000_000 * YUAN, "interest", target=resident),  # not 筹资
        Movement(dt.date(2022, 1, 1), 7 * YUAN, "contribution", target=resident),  # another year
        Movement(dt.date(2021, 5, 1), 9 * YUAN, "contribution", target=Pocket("resident_pooled", ZHUZHOU)),
        Movement(dt.date(2021, 5, 1), 8 * YUAN, "contribution", target=Pocket("maternity", CHANGSHA)),
    ]
    assert previous_year_revenue(movements, rule, 2022, CHANGSHA) == 1_200_000_000 * YUAN


def test_remittances_move_money_from_each_member_to_the_adjustment_fund(rule: RiskAdjustmentRule) -> None:
    due = dt.date(2022, 3, 31)
    moves = remittances({("resident_pooled", CHANGSHA): 1_200_000_000 * YUAN,
                         ("resident_pooled", ZHUZHOU): 500_000_000 * YUAN,
                         ("resident_pooled", XIANGTAN): 0}, rule, due)
    assert [(m.source.county, m.amount) for m in moves if m.source] == [
        (CHANGSHA, 36_000_000 * YUAN), (ZHUZHOU, 15_000_000 * YUAN)]
    assert all(m.target == adjustment_pocket(rule) == Pocket("risk_adjustment", "430000") for m in moves)
    assert moves[0].memo == "按上年度统筹基金筹资总额的3%上解风险调剂金"
    assert remitted_on_time(moves, rule, 2022, CHANGSHA, 36_000_000 * YUAN)
    late = [Movement(dt.date(2022, 4, 1), 36_000_000 * YUAN, "remittance", source=Pocket("resident_pooled", CHANGSHA),
                     target=adjustment_pocket(rule))]
    assert not remitted_on_time(late, rule, 2022, CHANGSHA, 36_000_000 * YUAN)


def test_overspend_within_the_cap_is_eligible_in_full(rule: RiskAdjustmentRule) -> None:
    # plan 100 000 000, actual 120 000 000: overspend 20 000 000 ≤ 30 % × plan (30 000 000)
    claim = allocation_claim(MemberYear(ZHUZHOU, 100_000_000 * YUAN, 120_000_000 * YUAN, ALL_CONDITIONS), rule)
    assert (claim.overspend, claim.eligible, claim.claim, claim.member_part) == (
        20_000_000 * YUAN, 20_000_000 * YUAN, 16_000_000 * YUAN, 4_000_000 * YUAN)
    assert claim.reason == ("超支20000000.00元，可调剂部分20000000.00元，风险调剂金负担16000000.00元，"
                            "本级承担4000000.00元")


def test_overspend_beyond_the_cap_is_eligible_up_to_thirty_percent_of_plan(rule: RiskAdjustmentRule) -> None:
    # overspend 40 000 000; eligible 30 000 000; fund 80 % = 24 000 000; member 40 000 000 − 24 000 000
    claim = allocation_claim(MemberYear(ZHUZHOU, 100_000_000 * YUAN, 140_000_000 * YUAN, ALL_CONDITIONS), rule)
    assert (claim.eligible, claim.claim, claim.member_part) == (
        30_000_000 * YUAN, 24_000_000 * YUAN, 16_000_000 * YUAN)


def test_no_allocation_when_a_condition_is_unmet_or_nothing_is_overspent(rule: RiskAdjustmentRule) -> None:
    late = allocation_claim(MemberYear(XIANGTAN, 100 * YUAN, 120 * YUAN,
                                       frozenset({"unified_policy", "targets_met"})), rule)
    assert (late.claim, late.member_part, late.unmet) == (0, 20 * YUAN, ("remitted_on_time",))
    assert late.reason == "超支20.00元，但未按时足额上解调剂金，不予调剂，由本级承担"
    within = allocation_claim(MemberYear(XIANGTAN, 100 * YUAN, 90 * YUAN, ALL_CONDITIONS), rule)
    assert (within.overspend, within.claim, within.reason) == (0, 0, "未超支，不申请风险调剂金")


def test_claims_are_paid_in_full_when_the_fund_suffices_else_pro_rata() -> None:
    assert pro_rata({"A": 24, "B": 16}, 100) == {"A": 24, "B": 16}
    # 30 for claims of 24 and 16: 24/40 × 30 = 18, 16/40 × 30 = 12
    assert pro_rata({"A": 24, "B": 16}, 30) == {"A": 18, "B": 12}
    # 4 for claims 2 and 3: floors 8//5 = 1 (rest 3) and 12//5 = 2 (rest 2): the extra fen goes to A
    assert pro_rata({"A": 2, "B": 3}, 4) == {"A": 2, "B": 2}
    # equal remainders: member codes in order
    assert pro_rata({"C": 1, "B": 1, "A": 1}, 2) == {"A": 1, "B": 1, "C": 0}


def test_statement_of_the_fund(rule: RiskAdjustmentRule) -> None:
    fund = adjustment_pocket(rule)
    def remit(county: str, yuan: int, on: dt.date) -> Movement:
        return Movement(on, yuan * YUAN, "remittance", source=Pocket("resident_pooled", county), target=fund)
    movements = [
        remit(CHANGSHA, 20_000_000, dt.date(2021, 3, 31)),                       # opening of 2022
        remit(CHANGSHA, 36_000_000, dt.date(2022, 3, 31)),
        remit(ZHUZHOU, 15_000_000, dt.date(2022, 3, 30)),
        remit(XIANGTAN, 12_000_000, dt.date(2022, 3, 31)),
        Movement(dt.date(2022, 12, 21), 500_000 * YUAN, "interest", target=fund),
        *allocations([allocation_claim(MemberYear(ZHUZHOU, 45_000_000 * YUAN, 56_250_000 * YUAN, ALL_CONDITIONS),
                                       rule)], 10**12, rule, "resident_pooled", dt.date(2022, 12, 20)),
        remit(CHANGSHA, 1, dt.date(2023, 1, 1)),                                  # another year
    ]
    result = statement(movements, rule, 2022)
    # Zhuzhou: overspend 11 250 000 ≤ 30 % × 45 000 000 = 13 500 000; fund pays 80 % = 9 000 000
    assert result.opening == 20_000_000 * YUAN
    assert result.remittances == {CHANGSHA: 36_000_000 * YUAN, XIANGTAN: 12_000_000 * YUAN, ZHUZHOU: 15_000_000 * YUAN}
    assert result.allocations == {ZHUZHOU: 9_000_000 * YUAN}
    assert result.other_revenue == 500_000 * YUAN
    # 20 000 000 + 63 000 000 + 500 000 − 9 000 000
    assert result.closing == 74_500_000 * YUAN
    assert balances_at(movements, dt.date(2022, 12, 31))[fund] == result.closing


def test_rule_errors_name_the_field() -> None:
    text = (RULES / "changzhutan-risk-adjustment.yaml").read_text(encoding="utf-8").replace("rate: 0.03", "rate: 3")
    with pytest.raises(FundInputError) as error:
        parse_rule_text(text, "risk.yaml")
    assert error.value.field == "risk.yaml: remittance.rate"


members = st.lists(st.integers(0, 10**12), min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(revenues=members, plans=st.lists(st.tuples(st.integers(0, 10**10), st.integers(0, 10**10)), min_size=1,
                                        max_size=5), opening=st.integers(0, 10**10))
def test_remittance_and_allocation_conserve_money(rule: RiskAdjustmentRule, revenues: list[int],
                                                  plans: list[tuple[int, int]], opening: int) -> None:
    """Whatever the members remit and receive, members + fund hold exactly what they held before."""
    day, fund = dt.date(2022, 3, 31), adjustment_pocket(rule)
    codes = [f"43{n:04d}" for n in range(len(revenues))]
    start = [Movement(dt.date(2021, 12, 31), revenue + 1, "opening_balance", target=Pocket("resident_pooled", code))
             for code, revenue in zip(codes, revenues, strict=True)]
    if opening:
        start.append(Movement(dt.date(2021, 12, 31), opening, "opening_balance", target=fund))
    moves = start + remittances({("resident_pooled", c): r for c, r in zip(codes, revenues, strict=True)}, rule, day)
    available = balances_at(moves, day).get(fund, 0)
    claims = [allocation_claim(MemberYear(code, plan, actual, ALL_CONDITIONS), rule)
              for code, (plan, actual) in zip(codes, plans)]
    granted = allocations(claims, available, rule, "resident_pooled", dt.date(2022, 12, 20))
    after = balances_at(moves + granted, dt.date(2022, 12, 31))
    assert sum(after.values()) == sum(m.amount for m in start)
    assert after.get(fund, 0) >= 0
    by_member = {m.target.county: m.amount for m in granted if m.target}
    assert all(by_member.get(c.member, 0) <= c.claim for c in claims)


def test_the_remittance_due_day_is_marked_as_an_example():
    rule = load_rule(RULES / "changzhutan-risk-adjustment.yaml")
    assert not rule.remittance.example  # the 3 % is the seed's
    assert "due_month_day" in rule.remittance.examples
    assert "示例" in rule.remittance.examples["due_month_day"] and "未规定" in rule.remittance.examples["due_month_day"]


def test_an_example_note_must_name_a_field(tmp_path):
    text = (RULES / "changzhutan-risk-adjustment.yaml").read_text(encoding="utf-8")
    path = tmp_path / "r.yaml"
    path.write_text(text.replace("    due_month_day: 上解截止日", "    due_day: 上解截止日"), encoding="utf-8")
    with pytest.raises(FundInputError, match="due_day"):
        load_rule(path)
