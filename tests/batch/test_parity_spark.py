"""The same replay expression on PySpark (local mode) equals the engine. One Spark session for the module.

With the environment variable CI set, a Spark that cannot start fails the test instead of skipping it.
"""

from __future__ import annotations

import os

import pytest

from tests.batch.claimgen import mismatches, reference, seeded_claim_set, to_arrow, to_rows
from tongchou.batch.replay import Replayer, connect, source_from_arrow


@pytest.fixture(scope="module")
def spark_backend():
    try:
        from tongchou.batch.replay import spark_local_session

        session = spark_local_session("2")
        session.sparkContext.setLogLevel("ERROR")
    except Exception as exc:  # no Java, no pyspark, cannot bind...
        if os.environ.get("CI"):
            pytest.fail(f"Spark cannot start under CI: {exc!r}")
        pytest.skip(f"Spark cannot start here: {exc!r}")
    backend = connect("spark", spark_session=session)
    yield backend
    backend.close()
    session.stop()


@pytest.mark.parametrize("policy_id", ["guanxian-2018-resident", "guangzhou-2015-resident-base"])
def test_spark_replay_equals_engine(policy_id, spark_backend, registry):
    rows = to_rows(seeded_claim_set(3, persons_n=5, claims_n=20))
    result = Replayer(spark_backend, registry, source_from_arrow(spark_backend, to_arrow(rows))).run(policy_id)
    replayed = result.table.to_pyarrow().to_pylist()
    assert mismatches(replayed, reference(registry, policy_id, rows)) == []
    assert result.engine_claims == 0
