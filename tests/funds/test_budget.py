"""County sub-ledgers under one pool, budgets, monthly execution and close, final accounts (决算)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongchou.funds.budget import (
    POOL, BudgetLine, drafting_check, execution, final_accounts, month_close, parse_budget_csv, parse_budget_yaml,
    plan_of,
)
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.subledger import (
    CURRENT, DEPOSIT, LEGACY, Movement, Pocket, balance_at, balances_at, flows_between, flows_by_county, outside_net,
    select,
)

RULES = Path(__file__).resolve().parents[2] / "policies" / "funds"
FUND, YUECHENG, KEQIAO = "resident_pooled", "330602", "330603"
YUAN = 100
D = dt.date


def at(county: str, account: str = CURRENT) -> Pocket:
    return Pocket(FUND, county, account)


# Two counties of one pool, Q1 2021 (yuan): Yuecheng takes 600 + 300, pays 100 + 95 + 90, gets 50 of its
# legacy balance and sends 10 to Keqiao; Keqiao takes 800, pays 228.
MOVEMENTS = [
    Movement(D(2020, 12, 31), 200 * YUAN, "opening_balance", target=at(YUECHENG, LEGACY)),
    Movement(D(2021, 1, 15), 600 * YUAN, "contribution", target=at(YUECHENG), party="税务"),
    Movement(D(2021, 1, 20), 800 * YUAN, "contribution", target=at(KEQIAO), party="税务"),
    Movement(D(2021, 1, 31), 100 * YUAN, "settlement", source=at(YUECHENG), party="H001"),
    Movement(D(2021, 2, 10), 300 * YUAN, "subsidy", target=at(YUECHENG), party="中央财政"),
    Movement(D(2021, 2, 28), 95 * YUAN, "settlement", source=at(YUECHENG), party="H001"),
    Movement(D(2021, 3, 15), 228 * YUAN, "settlement", source=at(KEQIAO), party="H002"),
    Movement(D(2021, 3, 20), 10 * YUAN, "transfer", source=at(YUECHENG), target=at(KEQIAO)),
    Movement(D(2021, 3, 31), 90 * YUAN, "settlement", source=at(YUECHENG), party="H001"),
    Movement(D(2021, 3, 31), 50 * YUAN, "handover", source=at(YUECHENG, LEGACY), target=at(YUECHENG)),
]
BUDGET = [BudgetLine(2021, FUND, YUECHENG, 1_200 * YUAN, 1_140 * YUAN),
          BudgetLine(2021, FUND, KEQIAO, 800 * YUAN, 760 * YUAN)]


# ---------------------------------------------------------------- sub-ledgers

def test_balances_per_county_and_for_the_pool_at_any_date() -> None:
    # Yuecheng on 28 Feb: 600 − 100 + 300 − 95 = 705; on 31 Mar: 705 − 10 − 90 + 50 = 655
    assert balance_at(MOVEMENTS, select(FUND, YUECHENG), D(2021, 2, 28)) == 705 * YUAN
    assert balance_at(MOVEMENTS, select(FUND, YUECHENG), D(2021, 3, 31)) == 655 * YUAN
    # Keqiao: 800 − 228 + 10 = 582; the pool: 655 + 582 = 1 237 (legacy 150 not yet in the pool)
    assert balance_at(MOVEMENTS, select(FUND, KEQIAO), D(2021, 3, 31)) == 582 * YUAN
    assert balance_at(MOVEMENTS, select(FUND), D(2021, 3, 31)) == 1_237 * YUAN
    assert balance_at(MOVEMENTS, select(FUND, accounts=[LEGACY]), D(2021, 3, 31)) == 150 * YUAN


def test_transfers_inside_the_selection_cancel_out() -> None:
    rows = flows_by_county(MOVEMENTS, FUND, D(2021, 1, 1), D(2021, 3, 31))
    assert rows[YUECHENG].transfers_out == 10 * YUAN and rows[KEQIAO].transfers_in == 10 * YUAN
    assert rows[YUECHENG].transfers_in == 50 * YUAN  # the legacy handover comes from outside the pool
    pool = rows[POOL]
    assert (pool.revenue, pool.expenditure, pool.transfers_in, pool.transfers_out) == (
        1_700 * YUAN, 513 * YUAN, 50 * YUAN, 0)
    assert pool.closing == 1_237 * YUAN
    assert set(rows) == {YUECHENG, KEQIAO, POOL}


def test_movement_errors_name_the_field() -> None:
    for kwargs, field in (({"amount": 0}, "amount"), ({"amount": 1, "cause": "gift"}, "cause"),
                          ({"amount": 1, "target": None}, "source"), ({"amount": 1, "source": at(KEQIAO)}, "target")):
        arguments = {"on": D(2021, 1, 1), "amount": 1, "cause": "contribution", "target": at(KEQIAO), **kwargs}
        with pytest.raises(FundInputError) as error:
            Movement(**arguments)
        assert error.value.field == field
    with pytest.raises(FundInputError) as error:
        Pocket(FUND, KEQIAO, "safe")
    assert error.value.field == "account"


pockets = st.builds(Pocket, st.sampled_from(["resident_pooled", "employee_pooled", "risk_adjustment"]),
                    st.sampled_from(["330602", "330603", "330600"]), st.sampled_from([CURRENT, DEPOSIT, LEGACY]))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_movements_always_balance(data: st.DataObject) -> None:
    """Σ of every pocket's balance = revenue − expenditure from outside, and each selection's closing
    balance is its opening plus its flows, for any movements and any day."""
    moves = []
    for _ in range(data.draw(st.integers(0, 25))):
        source, target = data.draw(st.one_of(st.none(), pockets)), data.draw(st.one_of(st.none(), pockets))
        if source == target:
            continue
        moves.append(Movement(data.draw(st.dates(D(2020, 1, 1), D(2022, 12, 31))), data.draw(st.integers(1, 10**10)),
                              "transfer", source=source, target=target))
    day = data.draw(st.dates(D(2020, 1, 1), D(2022, 12, 31)))
    assert sum(balances_at(moves, day).values()) == outside_net(moves, day)
    chosen = select(data.draw(st.sampled_from([None, "resident_pooled"])), data.draw(st.sampled_from([None, "330602"])))
    flows = flows_between(moves, chosen, D(2021, 1, 1), max(day, D(2021, 1, 1)))
    assert flows.closing == balance_at(moves, chosen, max(day, D(2021, 1, 1)))


# ---------------------------------------------------------------- budgets

def test_the_example_budget_csv(tmp_path: Path) -> None:
    lines = parse_budget_csv((RULES / "shaoxing-2021-budget-example.csv").read_text(encoding="utf-8"))
    pool = plan_of(lines, 2021, FUND, POOL)
    # revenue 120 + 150 + 130 + 60 + 180 + 110 = 750 百万; expenditure 114 + 141 + 124 + 57.5 + 171 + 105 = 712.5
    assert (pool.revenue, pool.expenditure) == (750_000_000 * YUAN, 712_500_000 * YUAN)
    assert drafting_check(pool) == "收支平衡、略有结余"
    assert drafting_check(BudgetLine(2021, FUND, KEQIAO, 100, 101)).startswith("支出预算大于收入预算")


def test_budget_yaml_and_its_errors() -> None:
    text = f"year: 2021\nlines:\n  - {{fund: {FUND}, county: '{KEQIAO}', revenue: 800, expenditure: '760.50'}}\n"
    assert parse_budget_yaml(text) == [BudgetLine(2021, FUND, KEQIAO, 80_000, 76_050)]
    with pytest.raises(FundInputError) as error:
        parse_budget_csv("year,fund,county,revenue,expenditure\n2021,resident_pooled,330602,12.345,1\n")
    assert error.value.field == "budget.csv: row 2.revenue"
    with pytest.raises(FundInputError) as error:
        parse_budget_csv("year,fund,county,revenue\n")
    assert error.value.field == "budget.csv: expenditure"
    with pytest.raises(FundInputError) as error:
        parse_budget_csv("year,fund,county,revenue,expenditure\n2021,f,1,1,1\n2021,f,1,2,2\n")
    assert error.value.field == "budget.csv[2]"
    with pytest.raises(FundInputError) as error:
        parse_budget_yaml("year: 2021\nlines:\n  - {fund: f, county: '1', revenue: -1, expenditure: 0}\n")
    assert error.value.field == "budget.yaml: lines[0].revenue"


def test_monthly_execution_against_the_plan() -> None:
    # Yuecheng to March: revenue 900 / 1 200 = 75 %; expenditure 285 / 1 140 = 25 % = time progress 3/12
    mine = execution(MOVEMENTS, BUDGET, 2021, 3, FUND, YUECHENG)
    assert (mine.actual_revenue, mine.actual_expenditure) == (900 * YUAN, 285 * YUAN)
    assert (mine.revenue_rate, mine.expenditure_rate, mine.spending_gap) == (Decimal("0.75"), Decimal("0.25"), 0)
    # the pool: 1 700 / 2 000 = 85 %; 513 / 1 900 = 27 %, two points ahead of time
    pool = execution(MOVEMENTS, BUDGET, 2021, 3, FUND, POOL)
    assert (pool.revenue_rate, pool.expenditure_rate) == (Decimal("0.85"), Decimal("0.27"))
    assert pool.spending_gap == Decimal("0.02")
    with pytest.raises(FundInputError) as error:
        execution(MOVEMENTS, BUDGET, 2021, 3, FUND, "330604")
    assert error.value.field == "county"


def test_monthly_close() -> None:
    rows = {row.county: row for row in month_close(MOVEMENTS, BUDGET, 2021, 3, FUND)}
    assert list(rows) == [YUECHENG, KEQIAO, POOL]
    march = rows[YUECHENG].month  # opening 705; −90 expenditure; +50 handover; −10 transfer → 655
    assert (march.opening, march.revenue, march.expenditure, march.transfers_in, march.transfers_out,
            march.closing) == (705 * YUAN, 0, 90 * YUAN, 50 * YUAN, 10 * YUAN, 655 * YUAN)
    pool = rows[POOL].month  # opening 705 + 800 = 1 505; − 318 + 50 = 1 237
    assert (pool.opening, pool.expenditure, pool.closing) == (1_505 * YUAN, 318 * YUAN, 1_237 * YUAN)
    assert rows[POOL].year_to_date.plan_expenditure == 1_900 * YUAN


def test_final_accounts_per_county_and_pool() -> None:
    rows = {row.county: row for row in final_accounts(MOVEMENTS, BUDGET, 2021, FUND)}
    mine = rows[YUECHENG]
    assert (mine.flows.opening, mine.flows.revenue, mine.flows.expenditure, mine.flows.closing) == (
        0, 900 * YUAN, 285 * YUAN, 655 * YUAN)
    # surplus 615 / 900 = 0.6833…; months covered 655 / (285 / 12) = 27.578…
    assert mine.current_surplus == 615 * YUAN
    assert mine.current_surplus_ratio == Decimal(615) / Decimal(900)
    assert mine.months_covered == Decimal(65_500) / (Decimal(28_500) / 12)
    assert mine.expenditure_rate == Decimal("0.25")
    pool = rows[POOL]
    assert (pool.flows.revenue, pool.flows.expenditure, pool.flows.closing, pool.plan_revenue) == (
        1_700 * YUAN, 513 * YUAN, 1_237 * YUAN, 2_000 * YUAN)
