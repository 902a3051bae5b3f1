"""Reading claims tables with DuckDB: formats, filters, missing columns, bad values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from tests.funds.pian8_claims import OTHER_COUNTY, SEED_COUNTY, Group, write_claims

from tongchou.funds.claims_source import ClaimsTable
from tongchou.funds.errors import ReportInputError
from tongchou.funds.operation import Period, total_of

H1_2018 = Period(date(2018, 1, 1), date(2018, 6, 30))


def cells(path: Path, county: str | None = None, period: Period = H1_2018) -> tuple:
    table = ClaimsTable(path)
    try:
        return table.cells(period, county)
    finally:
        table.close()


def test_csv_and_parquet_give_the_same_cells(pian8_csv: Path, pian8_parquet: Path) -> None:
    assert cells(pian8_csv, SEED_COUNTY) == cells(pian8_parquet, SEED_COUNTY)
    assert cells(pian8_csv) == cells(pian8_parquet)


def test_partitioned_parquet_directory_gives_the_same_cells(pian8_parquet: Path, tmp_path: Path) -> None:
    directory = tmp_path / "partitioned"
    with duckdb.connect() as connection:
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{pian8_parquet}')) TO '{directory}' "
            "(FORMAT parquet, PARTITION_BY (county_admdvs))"
        )
    assert cells(directory, SEED_COUNTY) == cells(pian8_parquet, SEED_COUNTY)
    assert cells(directory) == cells(pian8_parquet)


def test_county_filter_and_cancelled_and_period(pian8_parquet: Path) -> None:
    everyone = total_of(cells(pian8_parquet))
    seed_county = total_of(cells(pian8_parquet, SEED_COUNTY))
    other = total_of(cells(pian8_parquet, OTHER_COUNTY))
    assert seed_county.count == 102106  # no cancelled rows, nothing from July or 2016
    assert other.count == 100
    assert everyone.count == seed_county.count + other.count
    assert everyone.fund_paid_fen == seed_county.fund_paid_fen + other.fund_paid_fen
    assert cells(pian8_parquet, "999999") == ()


def test_period_ends_are_included(tmp_path: Path) -> None:
    path = write_claims([Group(2018, "11", "village", 0, 181, 181 * 100, 181 * 50)], tmp_path / "c.csv")
    # rows end 2018-01-01 … 2018-06-30, one a day
    assert total_of(cells(path, period=Period(date(2018, 1, 1), date(2018, 1, 1)))).count == 1
    assert total_of(cells(path, period=Period(date(2018, 6, 30), date(2018, 6, 30)))).count == 1
    assert total_of(cells(path, period=Period(date(2018, 1, 2), date(2018, 6, 29)))).count == 179


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_missing_amount_and_flag_columns_read_as_zero(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "minimal.csv", "enddate,med_type,admin_tier",
                     "2018-02-01,21,county", "2018-02-02,11,village")
    found = cells(path)
    assert total_of(found).count == 2
    assert total_of(found).medfee_fen == 0 and total_of(found).fund_paid_fen == 0
    assert total_of(found, poverty=True).count == 0


def test_empty_values_read_as_zero_and_amounts_stay_exact(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "exact.csv", "enddate,med_type,admin_tier,medfee_sumamt,hifp_pay,poverty_flag,refd_setl_flag",
        *["2018-02-01,21,county,0.10,0.10,1,0"] * 10,
        "2018-02-01,21,county,,,,",
        "2018-02-01,21,county,1000000.00,999999.99,0,1",  # cancelled
    )
    total = total_of(cells(path))
    assert (total.count, total.medfee_fen, total.fund_paid_fen) == (11, 100, 100)  # 10 × 0.10 = 1.00 exactly
    assert total_of(cells(path), poverty=True).count == 10


def test_codes_given_as_numbers_in_parquet(tmp_path: Path) -> None:
    path = tmp_path / "numbers.parquet"
    with duckdb.connect() as connection:
        connection.execute(
            f"COPY (SELECT DATE '2018-03-01' AS enddate, 22 AS med_type, 'City' AS admin_tier, "
            "CAST(12.34 AS DECIMAL(10,2)) AS medfee_sumamt, 5.5::DOUBLE AS hifp_pay, true AS poverty_flag, "
            f"371525 AS county_admdvs) TO '{path}' (FORMAT parquet)"
        )
    (cell,) = cells(path, "371525")
    assert (cell.visit_type, cell.admin_tier, cell.poverty) == ("inpatient", "city", True)
    assert (cell.medfee_fen, cell.fund_paid_fen) == (1234, 550)


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "no-tier.csv", "enddate,med_type", "2018-02-01,21")
    with pytest.raises(ReportInputError) as error:
        ClaimsTable(path)
    assert error.value.field == "--claims column admin_tier"


def test_county_filter_needs_the_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "no-county.csv", "enddate,med_type,admin_tier", "2018-02-01,21,county")
    with pytest.raises(ReportInputError) as error:
        cells(path, "371525")
    assert "county_admdvs" in error.value.field


@pytest.mark.parametrize(
    ("header", "row", "column", "value"),
    [
        ("enddate,med_type,admin_tier,hifp_pay", "2018-02-30,21,county,1.00", "enddate", "2018-02-30"),
        ("enddate,med_type,admin_tier,hifp_pay", "2018-02-01,21,county,12,5", "hifp_pay", None),
        ("enddate,med_type,admin_tier,medfee_sumamt", "2018-02-01,21,county,abc", "medfee_sumamt", "abc"),
    ],
)
def test_bad_values_name_their_column(tmp_path: Path, header: str, row: str, column: str,
                                      value: str | None) -> None:
    path = write_csv(tmp_path / "bad.csv", header, row)
    with pytest.raises(ReportInputError) as error:
        cells(path)
    if value is None:  # a malformed CSV line: DuckDB's own message, under --claims
        assert error.value.field.startswith("--claims")
    else:
        assert error.value.field == f"--claims column {column}"
        assert value in str(error.value)


@pytest.mark.parametrize("name", ["missing.csv", "claims.txt"])
def test_unreadable_paths(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("x\n")
    with pytest.raises(ReportInputError) as error:
        ClaimsTable(path)
    assert error.value.field == "--claims"


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ReportInputError, match="no .parquet files"):
        ClaimsTable(tmp_path)
