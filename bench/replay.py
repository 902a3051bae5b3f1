"""Benchmark of the batch replay (`tongchou simulate`) against the engine and a bare window sum.

    .venv/bin/python bench/replay.py [--claims N] [--engine-claims M] [--workdir DIR]

1. Generates N claims (default 10,000,000) deterministically with DuckDB SQL into Parquet.
2. Replays them under guanxian-2018-resident on DuckDB (validation + window replay, materialised).
3. Times the pure engine (`settle`, claim by claim) on M claims (default 100,000): whole persons.
4. Times the floor: one bare DuckDB window sum over the same table, materialised the same way.

The last line is `replay: claims=N claims_per_s=X vs_engine=Y vs_floor=Z`, where
Y = replay speed / engine speed and Z = replay time / floor time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from tongchou.batch.fallback import claim_of, replay_key
from tongchou.batch.replay import Replayer, connect, open_claims, validate
from tongchou.batch.synthetic import Spec, write
from tongchou.policy.registry import Registry, default_policy_dir, load_policy_file, policy_files
from tongchou.settlement.engine import settle
from tongchou.accumulators import YearState

POLICY = "guanxian-2018-resident"


def registry_of(policy_id: str) -> Registry:
    """Just the policy benchmarked (and what it composes), whatever else lies under policies/."""
    for path in policy_files(default_policy_dir()):
        if path.stem == policy_id:
            policy = load_policy_file(path)
            return Registry({policy.id: policy})
    return Registry.load()


def generate(n: int, path: Path) -> float:
    start = time.perf_counter()
    con = duckdb.connect()
    write(Spec(claims=n), path, con)
    con.close()
    return time.perf_counter() - start


def time_replay(registry: Registry, path: Path, workdir: Path) -> tuple[float, float, int]:
    backend = connect("duckdb", temp_dir=workdir)
    try:
        source = open_claims(backend, path)
        start = time.perf_counter()
        validate(source)
        checked = time.perf_counter()
        result = Replayer(backend, registry, source).run(POLICY)
        done = time.perf_counter()
        assert result.engine_claims == 0, result.engine_reasons
        return checked - start, done - checked, result.table.count().to_pyarrow().as_py()
    finally:
        backend.close()


def time_floor(path: Path, workdir: Path) -> float:
    backend = connect("duckdb", temp_dir=workdir)
    try:
        start = time.perf_counter()
        backend.con.raw_sql(
            f"CREATE TABLE floor AS SELECT *, sum(CAST(inscp_scp_amt * 100 AS BIGINT)) OVER ("
            "PARTITION BY psn_no, insutype, year(enddate) ORDER BY enddate, begndate, setl_id "
            f"ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running FROM read_parquet('{path}')")
        return time.perf_counter() - start
    finally:
        backend.close()


def time_engine(registry: Registry, path: Path, claims: int, workdir: Path) -> tuple[float, int]:
    """The engine on whole persons' claims (about `claims` of them), conversion not timed."""
    backend = connect("duckdb", temp_dir=workdir)
    try:
        table = open_claims(backend, path).table
        persons = table.select("psn_no").distinct().order_by("psn_no").limit(max(claims // 8, 1))
        rows = table.semi_join(persons, "psn_no").limit(claims).to_pyarrow().to_pylist()
    finally:
        backend.close()
    rows.sort(key=replay_key)
    prepared = [(claim_of(r), (r["psn_no"], r["insutype"], r["yr"])) for r in rows]
    policy = registry.get(POLICY)
    resolved = registry.resolve_version(policy, policy.versions[0].effective_from, any_date=True)
    states: dict = {}
    start = time.perf_counter()
    for claim, key in prepared:
        _settlement, states[key] = settle(resolved, claim, states.get(key, YearState()))
    return time.perf_counter() - start, len(prepared)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000_000)
    parser.add_argument("--engine-claims", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-replay-", dir=args.workdir))
    try:
        registry = registry_of(POLICY)
        path = workdir / "claims.parquet"
        print(f"generate: {args.claims} claims in {generate(args.claims, path):.1f}s", flush=True)
        floor = time_floor(path, workdir)
        print(f"floor: bare window sum {floor:.2f}s", flush=True)
        checking, replaying, rows = time_replay(registry, path, workdir)
        replay = checking + replaying
        print(f"replay: validation {checking:.2f}s + window replay {replaying:.2f}s = {replay:.2f}s "
              f"for {rows} claims", flush=True)
        engine_s, engine_n = time_engine(registry, path, args.engine_claims, workdir)
        engine_speed = engine_n / engine_s
        print(f"engine: {engine_n} claims in {engine_s:.2f}s = {engine_speed:,.0f} claims/s", flush=True)
        speed = rows / replay
        print(f"replay: claims={rows} claims_per_s={speed:.0f} vs_engine={speed / engine_speed:.1f} "
              f"vs_floor={replay / floor:.2f}")
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
