"""The rules file: the shipped example loads; bad files are refused naming the field."""

import pytest

from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.rules import parse_rules


def test_example_is_marked_and_documented(rules):
    assert rules.example and rules.assumptions
    assert len(rules.dip.groups) >= 30
    assert rules.dip.group(rules.dip.fallback_group).code == "ZH99"


def mutate(rules, path, value):
    data = rules.model_dump(mode="json")
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize(("path", "value", "where"), [
    (("global_budget", "overspend_bands", 1, "lower"), "0.03", "global_budget"),
    (("dip", "fallback_group"), "NOPE", "dip"),
    (("clearing", "quality_reserve_rate"), "1.5", "clearing.quality_reserve_rate"),
    (("assumptions",), [], ""),
])
def test_bad_rules_are_refused(rules, path, value, where):
    with pytest.raises(ClearingInputError) as error:
        parse_rules(mutate(rules, path, value))
    assert error.value.where.startswith(f"rules {where}".strip())


def test_round_trip(rules):
    assert parse_rules(rules.model_dump(mode="json")) == rules
