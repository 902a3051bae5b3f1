"""Benchmark of the year-end DIP liquidation (`tongchou clearing dip`) over a large synthetic claims table.

    .venv/bin/python bench/clearing.py                  # 10 000 000 rows, 500 institutions
    .venv/bin/python bench/clearing.py --rows 1000000

Generates one year of claims (500 institutions of levels 1–3, every visit
type, inpatient cases with diagnosis and procedure codes from the example DIP
catalogue, low- and high-cost cases, cancelled settlements) as one Parquet
file with deterministic DuckDB SQL (`tongchou.clearing.synthetic`), then
times the whole year-end DIP liquidation of all institutions — read the
table, group and score every case in SQL, sum per institution and month, point
value, payments, twelve monthly pre-payments each, liquidation, JSON
document — and prints

    clearing: rows=N seconds=S rows_per_s=R

where N is every row of the table and S the liquidation's wall-clock time
(generation excluded).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console

from tongchou.clearing.cli import dip_for
from tongchou.clearing.documents import dip_document
from tongchou.clearing.rules import load_rules
from tongchou.clearing.synthetic import generation_sql
from tongchou.documents import to_json_text
from tongchou.money import fen_to_str, to_fen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="claim rows to generate (default 10 000 000)")
    parser.add_argument("--institutions", type=int, default=500, help="institutions (default 500)")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--budget", default="50000000000", help="DIP budget in yuan (default 50 000 000 000)")
    parser.add_argument("--workdir", type=Path, help="keep the generated table here (default: a temporary folder)")
    options = parser.parse_args()
    console = Console(stderr=True)
    rules = load_rules()
    with tempfile.TemporaryDirectory(prefix="tongchou-bench-clearing-") as temporary:
        workdir = options.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        claims = workdir / "claims.parquet"
        started = time.perf_counter()
        sql = generation_sql(options.rows, rules.dip, options.year, options.institutions)
        with duckdb.connect() as connection:
            connection.execute(f"COPY ({sql}) TO '{claims}' (FORMAT parquet, COMPRESSION zstd)")
        console.print(f"generated {options.rows:,} rows in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        year_end = dip_for(claims, options.year, to_fen(options.budget), rules)
        text = to_json_text(dip_document(year_end, rules))
        seconds = time.perf_counter() - started
    cases = sum(s.cases for s in year_end.institutions)
    console.print(f"{len(year_end.institutions)} institutions, {cases:,} DIP cases, "
                  f"{year_end.total_points:f} points, point value {year_end.point_value:f} 元/分, "
                  f"final {fen_to_str(year_end.total_final)} 元, pre-paid {fen_to_str(year_end.total_prepaid)} 元, "
                  f"{len(text):,} bytes of JSON")
    print(f"clearing: rows={options.rows} seconds={seconds:.3f} rows_per_s={options.rows / seconds:.0f}")


if __name__ == "__main__":
    main()
