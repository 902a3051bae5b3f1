"""The YAML cases beside each policy are part of the test suite: one test per case."""

import pytest

from tongchou.settlement.cases import case_files, run_case_file
from tongchou.policy.registry import Registry, default_policy_dir

REGISTRY = Registry.load()
RESULTS = [r for path in case_files(default_policy_dir()) for r in run_case_file(path, REGISTRY)]


@pytest.mark.parametrize("result", RESULTS, ids=[f"{r.policy_id}:{r.name}" for r in RESULTS])
def test_policy_case(result):
    assert result.passed, "\n".join([result.source, *result.failures])


def test_every_seed_policy_has_cases():
    covered = {r.policy_id for r in RESULTS}
    for policy_id in ("guanxian-2018-resident", "xxdistrict-2021-resident", "changchun-2021-employee",
                      "guangzhou-2015-resident-base"):
        assert policy_id in covered
