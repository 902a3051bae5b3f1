"""Money text: 元 and 万元 figures with correct signs and separators, YAML amounts, round trips."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongchou.money import (
    MoneyError, fen_to_str, fen_to_wan, parse_yuan_text, wan_text, yaml_fen, yuan_text,
)


@pytest.mark.parametrize("fen, plain, grouped", [
    (0, "0.00", "0.00"), (5, "0.05", "0.05"), (-5, "-0.05", "-0.05"), (-150, "-1.50", "-1.50"),
    (123456, "1234.56", "1,234.56"), (-123456789, "-1234567.89", "-1,234,567.89"),
])
def test_yuan_figures(fen, plain, grouped):
    assert fen_to_str(fen) == plain
    assert fen_to_str(fen, grouping=True) == grouped


def test_yuan_text():
    assert yuan_text(-150) == "-1.50元"  # funds/deficit._yuan used to print "-2.50元"
    assert yuan_text(123456, grouping=True, space=True) == "1,234.56 元"
    assert yuan_text(None) == "—"


def test_wan_text_rounds_half_up_both_signs():
    assert wan_text(123_400) == "0.12万元"
    assert wan_text(125_000) == "0.13万元"
    assert wan_text(-125_000) == "-0.13万元"
    assert wan_text(1_234_565_000, space=True) == "1,234.57 万元"
    assert wan_text(1_234_565_000, grouping=False) == "1234.57万元"
    assert fen_to_wan(123_456_789) == Decimal("123.46")
    assert wan_text(None) == "—"


def test_yaml_amounts():
    assert yaml_fen(300) == 30_000  # a YAML integer means whole yuan
    assert yaml_fen("12.5") == 1_250
    assert yaml_fen(Decimal("0.01")) == 1
    for bad in (True, None, "1.234", "abc"):
        with pytest.raises(MoneyError):
            yaml_fen(bad)


def test_parse_text():
    assert parse_yuan_text("-1,234.56 元") == -123_456
    assert parse_yuan_text("12.34万元") == 12_340_000
    assert parse_yuan_text("1,234.5678 万元") == 1_234_567_800
    for bad in ("1.001元", "元", "一百元", "0.0000001万元"):
        with pytest.raises(MoneyError):
            parse_yuan_text(bad)


@given(st.integers(min_value=-10**15, max_value=10**15), st.booleans(), st.booleans())
def test_yuan_text_round_trips_every_fen(fen, grouping, space):
    assert parse_yuan_text(yuan_text(fen, grouping=grouping, space=space)) == fen
    assert parse_yuan_text(fen_to_str(fen, grouping=grouping)) == fen


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_wan_text_is_the_nearest_hundred_yuan(fen):
    shown = parse_yuan_text(wan_text(fen))
    assert shown % 10_000 == 0
    assert abs(shown - fen) <= 5_000


def test_fund_reasons_print_negative_amounts_with_their_sign():
    """funds/deficit and funds/transition floored negative fen: −1.50 元 read "-2.50元"."""
    from tongchou.funds.deficit import Resolution
    from tongchou.funds.transition import HandoverPlan

    plan = HandoverPlan("resident_pooled", "330602", legacy_balance=-150, arrears_cleared=0,
                        arrears_outstanding=0, handover_base=0, tranches=(), movements=())
    assert plan.reason.startswith("存量基金-1.50元，")
    resolution = Resolution("resident_pooled", "330602", gap=5, steps=(), city_subsidy=0, county_subsidy=0,
                            unfunded=-150, movements=())
    assert "基金缺口0.05元" in resolution.reason and "仍有缺口-1.50元" in resolution.reason


def test_supervision_sql_yuan_macro_keeps_the_sign():
    import duckdb

    from tongchou.supervision.sql import MACROS

    con = duckdb.connect()
    con.execute(MACROS)
    for fen in (-123456, -150, -50, -5, 0, 5, 123456):
        assert con.execute("SELECT yuan(?::BIGINT)", [fen]).fetchone()[0] == fen_to_str(fen)
