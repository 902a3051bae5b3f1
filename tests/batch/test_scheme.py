"""Claims are replayed only under policies of their own scheme; who is affected, checked by an independent
computation over the replayed table."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from tongchou.batch.cli import run_simulation
from tongchou.batch.source import ClaimsInputError
from tongchou.batch.synthetic import Spec, write

PAIR = ["xxdistrict-2020-resident-previous", "xxdistrict-2021-resident"]


@pytest.fixture(scope="module")
def mixed_claims(tmp_path_factory):
    """600 resident (390) claims and 400 employee (310) claims in one table."""
    folder = tmp_path_factory.mktemp("mixed")
    resident, employee = folder / "resident.csv", folder / "employee.csv"
    write(Spec(600, region="999901", counties=("999901", "999902"), year=2021, diseases=("X",)), resident)
    write(Spec(400, region="999901", counties=("999901", "999902"), year=2021, diseases=("X",), insutype="310",
               seed=7), employee)
    mixed = folder / "mixed.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{resident}', all_varchar=true) UNION ALL "
               f"SELECT * REPLACE ('E' || setl_id AS setl_id, 'E' || psn_no AS psn_no) "
               f"FROM read_csv('{employee}', all_varchar=true)) TO '{mixed}' (FORMAT parquet)")
    return mixed


def test_a_claim_of_another_scheme_is_refused_with_the_reason(mixed_claims, registry):
    with pytest.raises(ClaimsInputError) as refused:
        run_simulation(registry, mixed_claims, PAIR, "duckdb", None)
    message = str(refused.value)
    assert refused.value.where == "--policy"
    assert "400笔职工基本医疗保险（310）" in message and "共1,000笔" in message and "--insutype 390" in message
    with pytest.raises(ClaimsInputError, match="同一政策指定了两次"):
        run_simulation(registry, mixed_claims, [PAIR[0], PAIR[0]], "duckdb", None)
    with pytest.raises(ClaimsInputError, match="结算数据中没有") as none:
        run_simulation(registry, mixed_claims, PAIR, "duckdb", None, insutype="320")
    assert none.value.where == "--insutype"


def test_insutype_keeps_the_schemes_claims_and_who_is_affected_adds_up(mixed_claims, registry, tmp_path):
    out = tmp_path / "out.parquet"
    summary = run_simulation(registry, mixed_claims, PAIR, "duckdb", out, insutype="390")
    new = summary["by_policy"][PAIR[1]]
    assert new["all"]["claims"] == 600 and set(new["by_admin_tier"])
    affected = summary["change"][PAIR[1]]["claims_affected"]
    # independently: each claim's person part under both policies, from the written table
    rows = duckdb.sql(f"""
        WITH a AS (SELECT setl_id, county_admdvs, admin_tier, med_type, psn_part_amt p, fund_pay_sumamt f
                   FROM '{out}' WHERE policy_id = '{PAIR[0]}'),
             b AS (SELECT setl_id, psn_part_amt p, fund_pay_sumamt f FROM '{out}' WHERE policy_id = '{PAIR[1]}')
        SELECT county_admdvs, count(*), count(*) FILTER (b.p < a.p), count(*) FILTER (b.p > a.p), sum(b.f - a.f)
        FROM a JOIN b USING (setl_id) GROUP BY 1 ORDER BY 1""").fetchall()
    assert {r[0]: (r[1], r[2], r[3], Decimal(r[4])) for r in rows} == {
        k: (c["claims"], c["lower"], c["higher"], Decimal(c["fund_pay_sumamt"])) for k, c in affected["by_county"].items()}
    for scope in ("by_admin_tier", "by_med_type"):
        assert sum(c["claims"] for c in affected[scope].values()) == 600
