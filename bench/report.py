"""Benchmark of `tongchou report fund-operation` over a large synthetic claims table.

    .venv/bin/python bench/report.py                 # 10 000 000 rows
    .venv/bin/python bench/report.py --rows 1000000

Generates the claims (two years, ten counties, every tier and visit type,
poverty flags, cancelled settlements) as one Parquet file with vectorised,
deterministic DuckDB SQL, then times the whole report — reading the table,
summing both periods (2018 H1 and 2017 H1 for the comparison), building the
report and rendering it as JSON — and prints

    report: rows=N seconds=S rows_per_s=R

where N is every row of the table and S the report's wall-clock time
(generation excluded).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tongchou.funds.cli import fund_operation_report
from tongchou.funds.render_json import render_json

FUNDING = """\
name: 基准测试统筹区
insured: 9500000
per_capita: {central_subsidy: 356, provincial_subsidy: 115.6, county_subsidy: 18.4, individual: 210}
earmarked_per_capita: {critical_illness_and_accident: 60}
"""

# A multiplicative hash of the row number: deterministic, vectorised, no random state.
HASH = "((i * 2654435761 + {salt}) % 4294967291)"


def generation_sql(rows: int) -> str:
    h1, h2, h3 = HASH.format(salt=17), HASH.format(salt=40503), HASH.format(salt=977)
    # fen: admissions 1 000–21 000 yuan, chronic visits 50–1 050, other visits 20–320
    medfee_fen = (f"(CASE WHEN {h1} % 100 < 36 THEN 100000 + {h2} % 2000000 "
                  f"WHEN {h1} % 100 BETWEEN 85 AND 93 THEN 5000 + {h2} % 100000 ELSE 2000 + {h2} % 30000 END)")
    yuan = "CAST(CAST({fen} AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2))"
    return f"""
        SELECT
            'S' || i AS setl_id,
            'P' || (i % 1000003) AS psn_no,
            '3715' || CAST(21 + (i % 10) AS VARCHAR) AS county_admdvs,
            CASE WHEN {h1} % 100 < 30 THEN '21' WHEN {h1} % 100 < 35 THEN '22' WHEN {h1} % 100 < 36 THEN '23'
                 WHEN {h1} % 100 < 85 THEN '11' WHEN {h1} % 100 < 94 THEN '14' ELSE '13' END AS med_type,
            CASE WHEN {h3} % 100 < 10 THEN 'village' WHEN {h3} % 100 < 42 THEN 'township'
                 WHEN {h3} % 100 < 85 THEN 'county' WHEN {h3} % 100 < 92 THEN 'city'
                 WHEN {h3} % 100 < 97 THEN 'province' ELSE 'outside' END AS admin_tier,
            CAST(DATE '2017-01-01' + CAST((i * 7919) % 730 AS INTEGER) AS DATE) AS enddate,
            CASE WHEN {h2} % 100 < 12 THEN 1 ELSE 0 END AS poverty_flag,
            {yuan.format(fen=medfee_fen)} AS medfee_sumamt,
            {yuan.format(fen=f"({medfee_fen} * (40 + {h1} % 41) // 100)")} AS hifp_pay,
            CASE WHEN i % 997 = 0 THEN 1 ELSE 0 END AS refd_setl_flag
        FROM range({rows}) t(i)
    """


def generate(rows: int, path: Path) -> None:
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({generation_sql(rows)}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="claim rows to generate (default 10 000 000)")
    parser.add_argument("--workdir", type=Path, help="keep the generated files here (default: a temporary folder)")
    options = parser.parse_args()
    console = Console(stderr=True)
    with tempfile.TemporaryDirectory(prefix="tongchou-bench-report-") as temporary:
        workdir = options.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        claims, funding = workdir / "claims.parquet", workdir / "funding.yaml"
        funding.write_text(FUNDING, encoding="utf-8")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=console) as progress:
            task = progress.add_task(f"generating {options.rows:,} claim rows (Parquet)", total=1)
            started = time.perf_counter()
            generate(options.rows, claims)
            generated = time.perf_counter() - started
            progress.update(task, completed=1, description=f"generated {options.rows:,} rows in {generated:.1f} s")
            task = progress.add_task("fund operation report (2018 H1 vs 2017 H1)", total=1)
            started = time.perf_counter()
            report = fund_operation_report(claims, funding, "2018-01-01:2018-06-30", "2017-01-01:2017-06-30")
            text = render_json(report)
            seconds = time.perf_counter() - started
            progress.update(task, completed=1, description=f"report in {seconds:.2f} s ({len(text):,} bytes of JSON)")
    console.print(f"visits in 2018 H1: {report['visits']['all']['count']:,}; "
                  f"spending progress {report['spending_progress']:.4f}")
    print(f"report: rows={options.rows} seconds={seconds:.3f} rows_per_s={options.rows / seconds:.0f}")


if __name__ == "__main__":
    main()
