"""Each rule at its edges, through the pure per-claim function AND the batch SQL: the same answer."""

from __future__ import annotations

import pytest

from tests.supervision.edges import CASES, write_case_tables
from tongchou.supervision.batch import Inputs, run_batch
from tongchou.supervision.rules import load_rules
from tongchou.supervision.screening import screen_claim

BOOK = load_rules()
IDS = [f"{rule}:{name}" for rule, _, _, _, name in CASES]


@pytest.mark.parametrize(("rule_id", "expected", "claim", "history", "name"), CASES, ids=IDS)
def test_per_claim(rule_id, expected, claim, history, name):
    found = [f for f in screen_claim(BOOK, claim, history, stages=("pre", "during", "post")) if f.rule_id == rule_id]
    assert bool(found) is expected, name
    for f in found:
        assert f.message and f.rule_name and f.amount >= 0


@pytest.mark.parametrize(("rule_id", "expected", "claim", "history", "name"), CASES, ids=IDS)
def test_batch_sql(tmp_path, rule_id, expected, claim, history, name):
    paths = write_case_tables(tmp_path, claim, history)
    result = run_batch(BOOK, Inputs(paths["claims"], paths["fees"], paths["persons"], paths["catalogue"]),
                       threads=1, only={rule_id})
    hits = [f for f in result.findings() if f.rule_id == rule_id and claim.setl_id in (f.setl_id, *f.related_setl_ids)]
    assert bool(hits) is expected, name


def test_blocking_only_before_or_while_settling():
    rule_id, _, claim, history, _ = CASES[0]
    (during,) = [f for f in screen_claim(BOOK, claim, history) if f.rule_id == rule_id]
    assert during.blocking and "拒付" in during.text
    (post,) = [f for f in screen_claim(BOOK, claim, history, stages=("post",)) if f.rule_id == rule_id]
    assert not post.blocking
