"""The DuckDB batch agrees with the pure functions, case by case and settlement by settlement."""

from collections import defaultdict

import duckdb
import pytest

from tongchou.clearing.dip import case_points, catalogue_index, match_group
from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.records import SettlementLine
from tongchou.clearing.source import ClaimsTable, Period, decimal_to_fen
from tongchou.clearing.statement import cells_from_settlements
from tongchou.clearing.synthetic import generation_sql

AMOUNTS = ("medfee_sumamt", "hifp_pay", "fund_pay_sumamt", "acct_pay", "psn_cash_pay")


@pytest.fixture(scope="module")
def tables(rules, tmp_path_factory):
    folder = tmp_path_factory.mktemp("clearing")
    parquet, csv = folder / "claims.parquet", folder / "claims.csv"
    sql = generation_sql(4000, rules.dip, year=2024, institutions=7)
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({sql}) TO '{parquet}' (FORMAT parquet)")
        connection.execute(f"COPY ({sql}) TO '{csv}' (FORMAT csv, HEADER)")
        rows = connection.execute(f"SELECT * FROM ({sql})").fetchall()
        names = [d[0] for d in connection.description]
    return parquet, csv, [dict(zip(names, row, strict=True)) for row in rows]


@pytest.mark.parametrize("which", [0, 1], ids=["parquet", "csv"])
def test_dip_points_match_the_pure_function(rules, tables, which):
    index = catalogue_index(rules.dip)
    expected: dict[tuple[str, str], int] = defaultdict(int)
    for row in tables[2]:
        if row["refd_setl_flag"] or row["med_type"] not in rules.dip.med_types:
            continue
        group = match_group(rules.dip, row["diag_code"], row["oprn_code"], index)
        points = case_points(group, decimal_to_fen(row["medfee_sumamt"]), rules.dip)
        expected[(row["fixmedins_code"], row["enddate"].strftime("%Y-%m"))] += points.units
    with ClaimsTable(tables[which]) as table:
        result = table.dip_points(Period.year(2024), rules.dip)
    got = {(item.institution.code, month): units for item in result for month, units in item.monthly_units.items()}
    assert got == dict(expected)
    assert {item.institution.hosp_lv for item in result} <= {1, 2, 3}


def test_settlement_cells_match_the_pure_function(tables):
    code = tables[2][0]["fixmedins_code"]
    lines = [SettlementLine(r["setl_id"], r["insutype"], r["med_type"],
                            {name: decimal_to_fen(r[name]) for name in AMOUNTS}, bool(r["refd_setl_flag"]))
             for r in tables[2] if r["fixmedins_code"] == code and r["enddate"].strftime("%Y-%m") == "2024-03"]
    with ClaimsTable(tables[1]) as table:
        cells = table.settlement_cells(code, Period.month("2024-03"))
    assert cells == cells_from_settlements(lines)


def test_missing_column_names_it(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("setl_id,enddate\nS1,2024-01-02\n", encoding="utf-8")
    with pytest.raises(ClearingInputError) as error:
        ClaimsTable(path)
    assert error.value.where == "--claims column fixmedins_code"


def test_bad_month():
    with pytest.raises(ClearingInputError) as error:
        Period.month("2024-13")
    assert error.value.where == "--month"
