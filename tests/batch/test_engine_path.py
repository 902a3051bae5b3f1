"""Rules that are not running-sum functions go through the engine, counted; floors stay on the window path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.batch.claimgen import claim_sets, mismatches, reference, seeded_claim_set, to_arrow, to_rows
from tests.batch.conftest import seed_registry
from tongchou.batch.replay import Replayer, connect, source_from_arrow

POLICIES = Path(__file__).parent / "policies"


@pytest.fixture(scope="module")
def registry():
    return seed_registry(POLICIES)


@pytest.fixture(scope="module")
def backend():
    backend = connect("duckdb", memory_limit="1GB")
    yield backend
    backend.close()


def run(backend, registry, policy_id, rows):
    result = Replayer(backend, registry, source_from_arrow(backend, to_arrow(rows))).run(policy_id)
    return result, result.table.to_pyarrow().to_pylist()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                               HealthCheck.too_slow, HealthCheck.data_too_large])
@given(claim_set=claim_sets())
def test_floor_and_tiers_replay_by_window_functions(claim_set, backend, registry):
    rows = to_rows(claim_set)
    result, replayed = run(backend, registry, "floors-test", rows)
    assert mismatches(replayed, reference(registry, "floors-test", rows)) == []
    assert result.engine_claims == 0


def test_crossing_caps_go_through_the_engine(backend, registry):
    rows = to_rows(seeded_claim_set(7))
    result, replayed = run(backend, registry, "crossing-caps-test", rows)
    assert mismatches(replayed, reference(registry, "crossing-caps-test", rows)) == []
    inpatient_persons = {r["psn_no"] for r in rows if r["med_type"] == "21"}
    assert result.engine_persons >= len(inpatient_persons) > 0
    assert result.engine_reasons["crossing_caps"]["claims"] == result.engine_claims


def test_layer_cap_changing_within_a_year_goes_through_the_engine(backend, registry):
    rows = to_rows(seeded_claim_set(11))
    for index, row in enumerate(rows):  # continuous years differ between a person's claims
        row["continuous_years"] = str(index % 7)
    result, replayed = run(backend, registry, "guangzhou-2015-resident-base", rows)
    assert mismatches(replayed, reference(registry, "guangzhou-2015-resident-base", rows)) == []
    assert result.engine_reasons["layer_cap_varies"]["persons"] == result.engine_persons > 0
