"""Pooling transition (seed 000): arrears cleared first, legacy balance handed over on a schedule,
new revenue to the pool at once — numbers worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import LegacyHandoverRule, load_rule, parse_rule
from tongchou.funds.subledger import CURRENT, LEGACY, Movement, Pocket, balance_at, select
from tongchou.funds.transition import Arrear, handover_plan, revenue_pocket, tranche_amounts

RULES = Path(__file__).resolve().parents[2] / "policies" / "funds"
YUECHENG, XINCHANG = "330602", "330624"
YUAN = 100
FUND = "resident_pooled"


@pytest.fixture(scope="module")
def rule() -> LegacyHandoverRule:
    loaded = load_rule(RULES / "shaoxing-legacy-handover-example.yaml")
    assert isinstance(loaded, LegacyHandoverRule)
    return loaded


def test_arrears_are_cleared_first_and_the_rest_handed_over_forty_thirty_thirty(rule: LegacyHandoverRule) -> None:
    # legacy 100 000 000.00; arrears 8 000 000.00 + 2 000 000.00 → base 90 000 000.00
    # 40 % = 36 000 000.00 (2021-06-30), 30 % = 27 000 000.00 (2022-06-30), 30 % = 27 000 000.00 (2023-06-30)
    arrears = [Arrear("H001", 8_000_000 * YUAN, "2020年住院费用未结算"), Arrear("H002", 2_000_000 * YUAN)]
    plan = handover_plan(FUND, YUECHENG, 100_000_000 * YUAN, arrears, rule)
    assert (plan.arrears_cleared, plan.arrears_outstanding, plan.handover_base) == (
        10_000_000 * YUAN, 0, 90_000_000 * YUAN)
    assert plan.tranches == ((dt.date(2021, 6, 30), 36_000_000 * YUAN), (dt.date(2022, 6, 30), 27_000_000 * YUAN),
                             (dt.date(2023, 6, 30), 27_000_000 * YUAN))
    legacy, pool = Pocket(FUND, YUECHENG, LEGACY), Pocket(FUND, YUECHENG, CURRENT)
    assert [(m.cause, m.on, m.party, m.amount) for m in plan.movements if m.cause == "arrears_clearing"] == [
        ("arrears_clearing", dt.date(2021, 1, 1), "H001", 8_000_000 * YUAN),
        ("arrears_clearing", dt.date(2021, 1, 1), "H002", 2_000_000 * YUAN)]
    assert all(m.source == legacy and m.target == pool for m in plan.movements if m.cause == "handover")
    assert plan.reason == "存量基金100000000.00元，先清偿历史欠账10000000.00元，应移交90000000.00元，分3次移交"

    opening = Movement(dt.date(2020, 12, 31), 100_000_000 * YUAN, "opening_balance", target=legacy)
    movements = [opening, *plan.movements]
    in_legacy = select(FUND, YUECHENG, [LEGACY])
    in_pool = select(FUND, YUECHENG)
    assert balance_at(movements, in_legacy, dt.date(2021, 1, 1)) == 90_000_000 * YUAN
    assert balance_at(movements, in_pool, dt.date(2021, 6, 30)) == 36_000_000 * YUAN
    assert balance_at(movements, in_pool, dt.date(2022, 12, 31)) == 63_000_000 * YUAN
    assert balance_at(movements, in_legacy, dt.date(2023, 6, 30)) == 0
    assert balance_at(movements, in_pool, dt.date(2023, 6, 30)) == 90_000_000 * YUAN


def test_arrears_beyond_the_legacy_balance_stay_with_the_county(rule: LegacyHandoverRule) -> None:
    plan = handover_plan(FUND, YUECHENG, 5_000_000 * YUAN, [Arrear("H001", 8_000_000 * YUAN)], rule)
    assert (plan.arrears_cleared, plan.arrears_outstanding, plan.handover_base) == (
        5_000_000 * YUAN, 3_000_000 * YUAN, 0)
    assert [m.cause for m in plan.movements] == ["arrears_clearing"]
    assert plan.reason.endswith("尚有欠账3000000.00元超出存量基金，由县级负责清偿，不移交统筹基金")


def test_a_county_may_have_its_own_schedule(rule: LegacyHandoverRule) -> None:
    plan = handover_plan(FUND, XINCHANG, 1_234_567, [], rule)
    assert plan.tranches == ((dt.date(2021, 6, 30), 1_234_567),)


def test_tranches_are_differences_of_rounded_cumulative_amounts() -> None:
    shares = [Decimal("0.4"), Decimal("0.3"), Decimal("0.3")]
    assert tranche_amounts(100, shares) == [40, 30, 30]
    # 5 fen: round(2.0) = 2, round(3.5) = 4, 5 → 2, 2, 1
    assert tranche_amounts(5, shares) == [2, 2, 1]
    # 1 fen: round(0.4) = 0, round(0.7) = 1, 1 → 0, 1, 0
    assert tranche_amounts(1, shares) == [0, 1, 0]


def test_new_revenue_goes_to_the_pool_from_the_start(rule: LegacyHandoverRule) -> None:
    assert revenue_pocket(FUND, YUECHENG, dt.date(2020, 12, 31), rule).account == LEGACY
    assert revenue_pocket(FUND, YUECHENG, dt.date(2021, 1, 1), rule).account == CURRENT


def test_schedule_errors_name_the_field(rule: LegacyHandoverRule) -> None:
    data = rule.model_dump(mode="json")
    data["schedule"][2]["share"] = "0.2"
    with pytest.raises(FundInputError) as error:
        parse_rule(data, "handover.yaml")
    assert error.value.field == "handover.yaml: schedule"
    assert error.value.message == "the shares must add up to 1"
    with pytest.raises(FundInputError) as error:
        handover_plan(FUND, YUECHENG, -1, [], rule)
    assert error.value.field == "legacy_balance"
    with pytest.raises(FundInputError) as error:
        Arrear("H001", 0)
    assert error.value.field == "arrears.amount"


@settings(max_examples=80, deadline=None)
@given(base=st.integers(0, 10**13), parts=st.lists(st.integers(1, 100), min_size=1, max_size=6))
def test_tranches_always_add_up_to_the_base(base: int, parts: list[int]) -> None:
    total = sum(parts)
    shares = [Decimal(p) / total for p in parts[:-1]]
    shares.append(1 - sum(shares, Decimal(0)))
    amounts = tranche_amounts(base, shares)
    assert sum(amounts) == base and all(a >= 0 for a in amounts)


def test_every_seed_quote_of_the_rule_files_is_verbatim() -> None:
    seeds = Path("/work/shared/seeds")
    if not seeds.is_dir():
        pytest.skip("the seed documents are not mounted")
    text = "".join(path.read_text(encoding="utf-8") for path in sorted(seeds.glob("00[02]_*.txt")))
    import yaml

    def quotes(node: object):
        if isinstance(node, dict):
            if str(node.get("document", "")).startswith("seed"):
                yield node["text"]
            for value in node.values():
                yield from quotes(value)
        elif isinstance(node, list):
            for value in node:
                yield from quotes(value)

    found = [q for path in sorted(RULES.glob("*.yaml"))
             for q in quotes(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert len(found) >= 6
    assert [q for q in found if q not in text] == []


def test_handover_on_the_command_line() -> None:
    import json

    from typer.testing import CliRunner

    from tongchou.funds.cli import funds_app as app
    runner = CliRunner()
    result = runner.invoke(app, ["handover", str(RULES / "shaoxing-legacy-handover-example.yaml"), "--fund", FUND,
                                 "--county", YUECHENG, "--legacy-balance", "100000000", "--arrear", "H001=10000000"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert [t["amount_fen"] for t in out["tranches"]] == [3_600_000_000, 2_700_000_000, 2_700_000_000]
    bad = runner.invoke(app, ["handover", str(RULES / "shaoxing-legacy-handover-example.yaml"), "--fund", FUND,
                              "--county", YUECHENG, "--legacy-balance", "1.234"])
    assert bad.exit_code == 2 and "--legacy-balance" in bad.output
