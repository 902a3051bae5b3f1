"""Benchmark of the after-the-fact smart audit (`tongchou supervision screen`) over a large synthetic year.

    .venv/bin/python bench/audit.py                  # 10 000 000 claim rows, one fee line per claim
    .venv/bin/python bench/audit.py --rows 1000000 --fee-lines-per-claim 2

Generates, with deterministic DuckDB SQL (hashes of the row number, no random state), a claims table
(1 person per 8 claims, 500 institutions of five tiers, 10 % admissions of 1–10 days, registration
times), a fee-detail table (N lines per claim, 1 000 catalogue items, some over their cap or limit,
some duplicated), a persons table (sex, birth date, phone shared by households) and a catalogue
(price caps, quantity limits, sex/age limits) as Parquet, then times `run_batch` — read and normalise
every table, then run every post-stage rule of policies/supervision/rules.yaml — and prints

    audit: rows=N seconds=S rows_per_s=R

where N is the claim rows and S the screening's wall-clock time (generation excluded).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
from rich.console import Console

from tongchou.supervision.batch import Inputs, run_batch
from tongchou.supervision.rules import load_rules

CLAIMS_SQL = """
SELECT 'S' || lpad(CAST(i AS VARCHAR), 10, '0') AS setl_id,
       'P' || lpad(CAST(i % {persons} AS VARCHAR), 9, '0') AS psn_no,
       CASE WHEN hash(i, 7) % 3 = 0 THEN '310' ELSE '390' END AS insutype,
       '3306' || lpad(CAST(hash(i % {persons}, 1) % 6 AS VARCHAR), 2, '0') AS county_admdvs,
       'H' || lpad(CAST(inst AS VARCHAR), 5, '0') AS fixmedins_code,
       ['village', 'township', 'county', 'city', 'province'][1 + inst % 5] AS admin_tier,
       CAST(1 + inst % 3 AS INTEGER) AS hosp_lv,
       CASE WHEN adm THEN '21' ELSE '11' END AS med_type,
       CASE WHEN adm THEN ['J18.9', 'I63.9', 'K35.8', 'E11.9', 'O80.0'][CAST(1 + hash(i, 3) % 5 AS BIGINT)] END AS dise_code,
       DATE '2024-01-01' + CAST(day AS INTEGER) AS begndate,
       DATE '2024-01-01' + CAST(day + CASE WHEN adm THEN 1 + hash(i, 4) % 10 ELSE 0 END AS INTEGER) AS enddate,
       TIMESTAMP '2024-01-01 08:00:00' + to_days(CAST(day AS INTEGER)) + to_minutes(CAST(hash(i, 5) % 600 AS INTEGER)) AS begntime,
       CAST((CASE WHEN adm THEN 200000 + hash(i, 6) % 1500000 ELSE 2000 + hash(i, 6) % 40000 END) / 100.0 AS DECIMAL(18,2)) AS medfee_sumamt,
       CAST((CASE WHEN adm THEN 120000 + hash(i, 6) % 900000 ELSE 1000 + hash(i, 6) % 20000 END) / 100.0 AS DECIMAL(18,2)) AS fund_pay_sumamt,
       CASE WHEN hash(i, 8) % 1000 = 0 THEN 1 ELSE 0 END AS refd_setl_flag
FROM (SELECT i, hash(i, 2) % 10 = 0 AS adm, CAST(hash(i, 9) % 500 AS BIGINT) AS inst, CAST(hash(i, 10) % 365 AS BIGINT) AS day FROM range({rows}) t(i))
"""

FEES_SQL = """
SELECT c.setl_id, c.setl_id || '-' || lpad(CAST(k AS VARCHAR), 4, '0') AS feedetl_sn,
       c.begntime + to_minutes(CAST(k * 7 AS INTEGER)) AS fee_ocur_time,
       CASE WHEN item < 600 THEN 'YP' ELSE 'JC' END || lpad(CAST(item AS VARCHAR), 6, '0') AS med_list_codg,
       '项目' || CAST(item AS VARCHAR) AS med_list_name,
       CAST(1 + hash(c.setl_id, k, 2) % 4 AS INTEGER) AS cnt,
       CAST((500 + item * 37 % 20000) / 100.0 AS DECIMAL(18,2)) AS pric,
       CAST((1 + hash(c.setl_id, k, 2) % 4) * (500 + item * 37 % 20000) / 100.0 AS DECIMAL(18,2)) AS det_item_fee_sumamt,
       'D' || CAST(hash(c.fixmedins_code) % 100000 AS VARCHAR) AS bilg_dr_codg
FROM (SELECT setl_id, begntime, fixmedins_code FROM read_parquet('{claims}')) c,
     range({lines}) r(k), LATERAL (SELECT CAST(hash(c.setl_id, k, 1) % 1000 AS BIGINT) AS item)
"""

PERSONS_SQL = """
SELECT 'P' || lpad(CAST(i AS VARCHAR), 9, '0') AS psn_no, CASE WHEN hash(i, 1) % 2 = 0 THEN '1' ELSE '2' END AS sex,
       DATE '1930-01-01' + CAST(hash(i, 2) % 32000 AS INTEGER) AS birth_date,
       '13' || lpad(CAST(i // 3 AS VARCHAR), 9, '0') AS phone
FROM range({persons}) t(i)
"""

CATALOGUE_SQL = """
SELECT CASE WHEN item < 600 THEN 'YP' ELSE 'JC' END || lpad(CAST(item AS VARCHAR), 6, '0') AS code,
       CASE WHEN item % 10 = 0 THEN CAST((500 + item * 37 % 20000) / 100.0 * 0.999 AS DECIMAL(18,2)) END AS price_cap,
       CASE WHEN item % 7 = 0 THEN 3 ELSE 10 END AS max_qty,
       CASE WHEN item % 50 = 1 THEN '2' WHEN item % 50 = 2 THEN '1' ELSE '' END AS sex,
       0 AS min_age, CASE WHEN item % 97 = 0 THEN 14 ELSE 150 END AS max_age
FROM range(1000) t(item)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="claim rows to generate (default 10 000 000)")
    parser.add_argument("--fee-lines-per-claim", type=int, default=1, help="fee lines per claim (default 1)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--workdir", type=Path, help="keep the generated tables here (default: a temporary folder)")
    options = parser.parse_args()
    console = Console(stderr=True)
    book = load_rules()
    with tempfile.TemporaryDirectory(prefix="tongchou-bench-audit-") as temporary:
        workdir = options.workdir or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        paths = {name: workdir / f"{name}.parquet" for name in ("claims", "fees", "persons", "catalogue")}
        persons = max(options.rows // 8, 1)
        started = time.perf_counter()
        with duckdb.connect() as con:
            con.execute("SET enable_progress_bar = false")
            con.execute(f"COPY ({CLAIMS_SQL.format(rows=options.rows, persons=persons)}) TO '{paths['claims']}' "
                        f"(FORMAT parquet, COMPRESSION zstd)")
            con.execute(f"COPY ({FEES_SQL.format(claims=paths['claims'], lines=options.fee_lines_per_claim)}) "
                        f"TO '{paths['fees']}' (FORMAT parquet, COMPRESSION zstd)")
            con.execute(f"COPY ({PERSONS_SQL.format(persons=persons)}) TO '{paths['persons']}' (FORMAT parquet)")
            con.execute(f"COPY ({CATALOGUE_SQL}) TO '{paths['catalogue']}' (FORMAT parquet)")
        console.print(f"generated {options.rows:,} claims, {options.rows * options.fee_lines_per_claim:,} fee lines "
                      f"in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        result = run_batch(book, Inputs(paths["claims"], paths["fees"], paths["persons"], paths["catalogue"]),
                           threads=options.threads)
        seconds = time.perf_counter() - started
        console.print(f"findings by rule: {result.counts}")
        console.print(f"seconds by step: {result.seconds}")
        print(f"audit: rows={options.rows} seconds={seconds:.3f} rows_per_s={options.rows / seconds:.0f}")


if __name__ == "__main__":
    main()
