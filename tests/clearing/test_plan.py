"""The clearing plan as a pydantic model: amounts read in 元 and kept in fen, refusals in Chinese naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.plan import ClearingPlan, parse_plan, stored_plan


def test_a_plan_in_yuan_is_kept_in_fen_and_reads_back():
    plan = parse_plan({"year": 2024, "dip_budget": "12300.00", "global_budgets": {33060001: 1000},
                       "scores": {"H1": 85.5}, "capitation": {"H1": {"2024-01": 3}}})
    assert plan.dip_budget == 1_230_000 and plan.global_budgets == {"33060001": 100_000}
    assert plan.scores == {"H1": Decimal("85.5")} and plan.institutions() == ["33060001", "H1", "H1"]
    stored = plan.stored()
    assert stored == {"dip_budget": 1_230_000, "global_budgets": {"33060001": 100_000}, "scores": {"H1": "85.5"},
                      "capitation": {"H1": {"2024-01": 3}}}
    assert stored_plan(stored).stored() == stored


def test_an_empty_plan():
    assert parse_plan({"global_budgets": None}) == ClearingPlan()
    assert parse_plan({}).stored() == {"dip_budget": None, "global_budgets": {}, "scores": {}, "capitation": {}}


@pytest.mark.parametrize(("data", "where", "words"), [
    ([1, 2], "plan", "应为映射"),
    ({"budget": 1}, "plan.budget", "未知的键"),
    ({"dip_budget": "1.234"}, "plan.dip_budget", "最多两位小数"),
    ({"dip_budget": "-5"}, "plan.dip_budget", "不能为负数"),
    ({"global_budgets": {"H1": 0}}, "plan.global_budgets.H1", "须大于 0"),
    ({"global_budgets": ["H1"]}, "plan.global_budgets", "以机构编码为键"),
    ({"scores": {"H1": "优"}}, "plan.scores.H1", "应为数字"),
    ({"scores": {"H1": -1}}, "plan.scores.H1", "不小于 0"),
    ({"capitation": {"H1": {"2024/01": 3}}}, "plan.capitation.H1", "YYYY-MM"),
    ({"capitation": {"H1": {"2024-01": -3}}}, "plan.capitation.H1.2024-01", "签约人数"),
    ({"capitation": {"H1": {"2024-01": True}}}, "plan.capitation.H1.2024-01", "签约人数"),
    ({"capitation": {"H1": 3}}, "plan.capitation.H1", "YYYY-MM"),
    ({"year": "明年"}, "plan.year", "应为整数"),
])
def test_refusals_name_the_field_in_chinese(data, where, words):
    with pytest.raises(ClearingInputError) as refused:
        parse_plan(data)
    assert refused.value.where == where and words in refused.value.message


def test_a_stored_plan_holds_fen():
    with pytest.raises(ClearingInputError) as refused:
        stored_plan({"dip_budget": "123.00"})
    assert refused.value.where == "stored plan.dip_budget"
