"""`tongchou simulate` end to end: CSV, Parquet and partitioned Parquet in; claims table, summary, page out."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from tests.batch.claimgen import seeded_claim_set, to_rows
from tongchou.batch.cli import run_simulation, simulate_command
from tongchou.batch.html import ECHARTS, render
from tongchou.batch.source import ClaimsInputError
from tongchou.batch.synthetic import Spec, write

app = typer.Typer()
app.command()(simulate_command)
PAIR = ["xxdistrict-2020-resident-previous", "xxdistrict-2021-resident"]


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    write(Spec(3000, region="999901", counties=("999901", "999902"), year=2021, diseases=("X",)), path)
    return path


def test_simulate_writes_table_and_summary(claims_csv, tmp_path, registry):
    out = tmp_path / "out.parquet"
    summary = run_simulation(registry, claims_csv, PAIR, "duckdb", out)
    rows = duckdb.sql(f"SELECT policy_id, count(*) n, sum(medfee_sumamt) m FROM '{out}' GROUP BY 1 ORDER BY 1").fetchall()
    assert [r[1] for r in rows] == [3000, 3000] and rows[0][2] == rows[1][2]
    schema = pq.read_schema(out)
    assert str(schema.field("hifp_pay").type).startswith("decimal") and "policy_id" in schema.names
    new = summary["by_policy"]["xxdistrict-2021-resident"]
    assert new["all"]["claims"] == 3000 and set(new["by_county"]) == {"999901", "999902"}
    assert "11" in new["by_med_type"] and "hifp_pay" in new["all"]
    change = summary["change"]["xxdistrict-2021-resident"]
    assert change["against"] == "xxdistrict-2020-resident-previous"
    assert change["persons_better_off"] > 0 and change["person_change"]["histogram"]
    assert sum(b["persons"] for b in change["person_change"]["histogram"]) == change["person_change"]["person_years"]
    facts = new["policy"][0]
    assert "inpatient_level3" in facts["lines_without_annual_cap"]
    assert summary["engine_path"]["xxdistrict-2021-resident"]["claims"] == 0
    json.dumps(summary)  # serialisable
    if ECHARTS.is_file():
        page = render(summary)
        assert "未规定年度最高支付限额" in page and "echarts" in page


def test_parquet_file_and_partitioned_directory_give_the_same_summary(claims_csv, tmp_path, registry):
    single = tmp_path / "claims.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{claims_csv}', all_varchar=true)) TO '{single}' (FORMAT parquet)")
    folder = tmp_path / "by_county"
    duckdb.sql(f"COPY (SELECT * FROM '{single}') TO '{folder}' (FORMAT parquet, PARTITION_BY (county_admdvs))")
    a = run_simulation(registry, single, PAIR[:1], "duckdb", None)
    b = run_simulation(registry, folder, PAIR[:1], "duckdb", None)
    assert a["by_policy"] == b["by_policy"]


def test_cli_errors_name_the_option_or_column(tmp_path, registry):
    bad = tmp_path / "bad.csv"
    rows = to_rows(seeded_claim_set(1, persons_n=1, claims_n=2))
    rows[1]["inscp_scp_amt"] = "-1.00"
    _write_csv(rows, bad)
    with pytest.raises(ClaimsInputError, match="inscp_scp_amt"):
        run_simulation(registry, bad, ["guanxian-2018-resident"], "duckdb", None)
    with pytest.raises(ClaimsInputError, match="--policy"):
        run_simulation(registry, bad, ["no-such-policy"], "duckdb", None)
    with pytest.raises(ClaimsInputError, match="--policy"):
        run_simulation(registry, bad, ["guangzhou-2014-critical-illness"], "duckdb", None)
    result = CliRunner().invoke(app, ["--claims", str(tmp_path / "missing.csv"), "--policy", "guanxian-2018-resident",
                                      "--policy-dir", str(tmp_path)])
    assert result.exit_code == 2


def _write_csv(rows, path):
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
