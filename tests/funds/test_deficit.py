"""Deficit sharing (缺口合理分担, seed 000) following the funding order — numbers worked by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.funds.deficit import Available, cover_gap, current_gap, split_fiscal
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import DeficitSharingRule, load_rule, parse_rule
from tongchou.funds.subledger import CURRENT, DEPOSIT, Pocket

RULES = Path(__file__).resolve().parents[2] / "policies" / "funds"
FUND, KEQIAO = "resident_pooled", "330603"
ADJUSTMENT = Pocket("risk_adjustment", "330600")
DAY = dt.date(2021, 12, 31)
WAN = 10_000 * 100  # fen in 万元


@pytest.fixture(scope="module")
def rule() -> DeficitSharingRule:
    loaded = load_rule(RULES / "shaoxing-deficit-sharing-example.yaml")
    assert isinstance(loaded, DeficitSharingRule)
    return loaded


def test_the_gap_is_met_in_the_funding_order(rule: DeficitSharingRule) -> None:
    # revenue 10 000万, expenditure 12 000万 → gap 2 000万:
    # balance 500万, adjustment fund 600万, deposits 400万, fiscal 500万 (city 250万, county 250万)
    gap = current_gap(10_000 * WAN, 12_000 * WAN)
    assert gap == 2_000 * WAN
    result = cover_gap(gap, Available(500 * WAN, 600 * WAN, 400 * WAN), rule, FUND, KEQIAO, DAY, ADJUSTMENT)
    assert [(s.step, s.amount, s.left_after) for s in result.steps] == [
        ("accumulated_balance", 500 * WAN, 1_500 * WAN),
        ("risk_adjustment", 600 * WAN, 900 * WAN),
        ("deposit_liquidation", 400 * WAN, 500 * WAN),
        ("fiscal_subsidy", 500 * WAN, 0),
        ("contribution_or_benefit_change", 0, 0),
    ]
    assert (result.city_subsidy, result.county_subsidy, result.unfunded) == (250 * WAN, 250 * WAN, 0)
    pocket = Pocket(FUND, KEQIAO, CURRENT)
    assert [(m.cause, m.source, m.party, m.amount) for m in result.movements] == [
        ("allocation", ADJUSTMENT, "", 600 * WAN),
        ("deposit_liquidation", Pocket(FUND, KEQIAO, DEPOSIT), "", 400 * WAN),
        ("deficit_subsidy", None, "city_treasury", 250 * WAN),
        ("deficit_subsidy", None, "county_treasury", 250 * WAN),
    ]
    assert all(m.target == pocket for m in result.movements)
    assert result.reason == (
        "基金缺口20000000.00元：累计结余弥补5000000.00元，风险调剂金弥补6000000.00元，提前支取定期存款弥补4000000.00元，"
        "同级财政补助5000000.00元（市级2500000.00元、县级2500000.00元）")


def test_a_county_that_missed_its_conditions_bears_the_fiscal_part_alone(rule: DeficitSharingRule) -> None:
    result = cover_gap(1_000 * WAN, Available(accumulated_balance=200 * WAN, conditions_met=False), rule, FUND,
                       KEQIAO, DAY)
    assert (result.city_subsidy, result.county_subsidy) == (0, 800 * WAN)


def test_the_accumulated_balance_alone_may_suffice(rule: DeficitSharingRule) -> None:
    result = cover_gap(300 * WAN, Available(accumulated_balance=5_000 * WAN, risk_adjustment=100 * WAN), rule, FUND,
                       KEQIAO, DAY, ADJUSTMENT)
    assert [s.amount for s in result.steps] == [300 * WAN, 0, 0, 0, 0]
    assert result.movements == ()  # the balance is already where it pays from
    assert cover_gap(0, Available(), rule, FUND, KEQIAO, DAY).reason == "收支平衡，无缺口"


def test_fiscal_split_rounds_the_city_part_half_up(rule: DeficitSharingRule) -> None:
    assert split_fiscal(3, rule, True) == (2, 1)  # 1.5 → 2
    assert split_fiscal(3, rule, False) == (0, 3)


def test_without_a_fiscal_step_what_is_left_is_unfunded(rule: DeficitSharingRule) -> None:
    data = rule.model_dump(mode="json")
    data["funding_order"] = ["accumulated_balance", "risk_adjustment", "contribution_or_benefit_change"]
    strict = parse_rule(data)
    assert isinstance(strict, DeficitSharingRule)
    result = cover_gap(1_000 * WAN, Available(accumulated_balance=100 * WAN), strict, FUND, KEQIAO, DAY)
    assert result.unfunded == 900 * WAN
    assert result.reason.endswith("；仍有缺口9000000.00元，需调整筹资标准或待遇水平")


def test_rule_errors_name_the_field(rule: DeficitSharingRule) -> None:
    data = rule.model_dump(mode="json")
    with pytest.raises(FundInputError) as error:
        parse_rule({**data, "funding_order": ["fiscal_subsidy", "accumulated_balance"]}, "deficit.yaml")
    assert error.value.field == "deficit.yaml: funding_order"
    with pytest.raises(FundInputError) as error:
        parse_rule({**data, "fiscal_shares": {"city": "0.6", "county": "0.6"}}, "deficit.yaml")
    assert error.value.field == "deficit.yaml: fiscal_shares"
    with pytest.raises(FundInputError) as error:
        cover_gap(-1, Available(), rule, FUND, KEQIAO, DAY)
    assert error.value.field == "gap"
    with pytest.raises(FundInputError) as error:
        Available(deposits=-5)
    assert error.value.field == "deposits"


@settings(max_examples=80, deadline=None)
@given(gap=st.integers(0, 10**12), balance=st.integers(0, 10**12), grant=st.integers(0, 10**12),
       deposits=st.integers(0, 10**12), met=st.booleans())
def test_the_steps_add_up_to_the_gap(rule: DeficitSharingRule, gap: int, balance: int, grant: int, deposits: int,
                                     met: bool) -> None:
    result = cover_gap(gap, Available(balance, grant, deposits, met), rule, FUND, KEQIAO, DAY, ADJUSTMENT)
    assert sum(s.amount for s in result.steps) + result.unfunded == gap
    moved = sum(m.amount for m in result.movements)
    assert moved == gap - result.steps[0].amount - result.unfunded
    assert result.city_subsidy + result.county_subsidy == result.steps[3].amount
