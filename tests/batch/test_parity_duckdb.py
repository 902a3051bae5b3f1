"""The DuckDB replay equals the engine to the fen on every amount, for every shipped base policy."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from tests.batch.claimgen import claim_sets, mismatches, reference, to_arrow, to_rows
from tongchou.batch.replay import Replayer, connect, source_from_arrow, validate

BASE_POLICIES = ("guanxian-2018-resident", "xxdistrict-2021-resident", "xxdistrict-2020-resident-previous",
                 "guangzhou-2015-resident-base", "changchun-2021-employee")


@pytest.fixture(scope="module")
def backend():
    backend = connect("duckdb", memory_limit="1GB")
    yield backend
    backend.close()


def replay_rows(backend, registry, policy_id, rows):
    source = source_from_arrow(backend, to_arrow(rows))
    validate(source)
    result = Replayer(backend, registry, source).run(policy_id)
    return result, result.table.to_pyarrow().to_pylist()


@pytest.mark.parametrize("policy_id", BASE_POLICIES)
def test_base_policies_are_replayed_by_window_functions(policy_id, backend, registry):
    # guangzhou composes the critical-illness layer of guangzhou-2014-critical-illness
    resolved = registry.resolve_version(registry.get(policy_id), registry.get(policy_id).versions[0].effective_from)
    assert policy_id != "guangzhou-2015-resident-base" or [layer.id for layer in resolved.layers] == ["critical_illness"]


@pytest.mark.parametrize("policy_id", BASE_POLICIES)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                               HealthCheck.too_slow, HealthCheck.data_too_large])
@given(claim_set=claim_sets())
def test_replay_equals_engine(policy_id, claim_set, backend, registry):
    rows = to_rows(claim_set)
    result, replayed = replay_rows(backend, registry, policy_id, rows)
    assert mismatches(replayed, reference(registry, policy_id, rows)) == []
    # person-constant continuous years: no person needs the engine under a shipped policy
    assert result.engine_claims == 0
