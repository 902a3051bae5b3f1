"""A generated region shared by the tests of `tongchou generate` (built once per session)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tongchou.generate.pipeline import GenerateOptions, generate

CALIBRATION_INSURED = 20_000


@pytest.fixture(scope="session")
def region(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("region")
    generate(GenerateOptions(out=out, insured=CALIBRATION_INSURED, seed=2018, progress=False))
    return out


@pytest.fixture(scope="session")
def db(region):
    con = duckdb.connect()
    con.execute("SET threads = 2")
    for name in ("claims", "fee_detail", "persons", "catalogue"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{region / (name + '.parquet')}')")
    yield con
    con.close()
