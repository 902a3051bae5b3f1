"""`tongchou db upgrade`, `load`, `ledger verify` and `export claims` through the command line."""

from __future__ import annotations

import csv

import pyarrow.parquet as pq
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tests.store.support import DATA, fee, request
from tongchou.cli import app
from tongchou.clearing.rules import load_rules
from tongchou.clearing.source import ClaimsTable, Period
from tongchou.settlement.service import SettlementService
from tongchou.store.uow import Store

runner = CliRunner()


@pytest.fixture
def loaded(db_url, monkeypatch, registry):
    monkeypatch.setenv("TONGCHOU_DATA_KEY", "a" * 43 + "=")
    for args in (["db", "upgrade", "--db", db_url], ["load", str(DATA / "guanxian.yaml"), "--db", db_url]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    store = Store.open(db_url)
    service = SettlementService(store, registry)
    service.settle(request("S1"))
    service.settle(request("S2", psn_no="GX0002", day="2018-06-01",
                           items=[fee("T000003", "10.00"), fee("T000002", "990.00")],
                           diag_code="K80.1", oprn_code="51.23"))  # DIP group D015
    service.cancel("S1")
    yield db_url, store
    store.close()


def test_verify_passes_then_catches_an_unbalanced_posting(loaded):
    url, store = loaded
    result = runner.invoke(app, ["ledger", "verify", "--db", url])
    assert result.exit_code == 0, result.output
    assert "fund_balance" in result.output
    store.transaction(lambda s: s.execute(text(
        "INSERT INTO posting (entry_id, fund, title, county, party, debit, credit) "
        "SELECT min(id), 'resident_pooled', 'bank', '371525', '', 1, 0 FROM journal_entry")))
    result = runner.invoke(app, ["ledger", "verify", "--db", url])
    assert result.exit_code == 1
    assert "fund_balance" in result.output and "处不符" in result.output


def test_export_claims_csv_and_parquet(loaded, tmp_path):
    url, _ = loaded
    out = tmp_path / "claims.csv"
    result = runner.invoke(app, ["export", "claims", "--db", url, "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["setl_id"], r["refd_setl_flag"]) for r in rows] == [("S1", "1"), ("S2", "0")]
    s2 = rows[1]
    assert (s2["county_admdvs"], s2["assistance"], s2["poverty_flag"], s2["fulamt_ownpay_amt"]) == \
        ("371599", "poverty", "1", "10.00")
    assert s2["medfee_sumamt"] == "1000.00" and s2["hosp_lv"] == "2" and s2["admin_tier"] == "county"
    parquet = tmp_path / "claims.parquet"
    result = runner.invoke(app, ["export", "claims", "--db", url, "--output", str(parquet), "--from", "2018-06-01"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(parquet).to_pylist()
    assert [r["setl_id"] for r in table] == ["S2"] and str(table[0]["medfee_sumamt"]) == "1000.00"


def test_export_carries_the_dip_codes_the_clearing_groups_by(loaded, tmp_path):
    url, _ = loaded
    csv_out, parquet_out = tmp_path / "claims.csv", tmp_path / "claims.parquet"
    for out in (csv_out, parquet_out):
        result = runner.invoke(app, ["export", "claims", "--db", url, "--output", str(out)])
        assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(csv_out.open(encoding="utf-8")))
    assert [(r["setl_id"], r["diag_code"], r["oprn_code"]) for r in rows] == [("S1", "", ""), ("S2", "K80.1", "51.23")]
    table = pq.read_table(parquet_out).to_pylist()
    assert [(r["setl_id"], r["diag_code"], r["oprn_code"]) for r in table] == [("S1", None, None),
                                                                            ("S2", "K80.1", "51.23")]
    # `tongchou clearing dip` on the export: S2 is D015 (P 1600, K 16 000) at C 1 000 < 0.5 K
    # → 1600 × 1000 / 16000 = 100 points (S1 is cancelled)
    for out in (csv_out, parquet_out):
        with ClaimsTable(out) as claims:
            [points] = claims.dip_points(Period.year(2018), load_rules().dip)
        assert points.monthly_units == {"2018-06": 100 * 10_000}


def test_export_refuses_an_unknown_format(loaded, tmp_path):
    url, _ = loaded
    result = runner.invoke(app, ["export", "claims", "--db", url, "--output", str(tmp_path / "x.json")])
    assert result.exit_code == 2


def test_catalogue_csv_import_replaces_by_code_and_date_and_refuses_bad_rows_whole(loaded, tmp_path):
    url, store = loaded
    good = tmp_path / "catalogue.csv"
    good.write_text("code,name,category,selfpay_prop,price_cap,essential_drug,restriction,effective_from,effective_to\n"
                    "N000001,新药,B,0.20,,否,,2018-01-01,\n"
                    "N000002,新检查,A,,150.00,,,2018-01-01,2018-12-31\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "import", str(good), "--db", url])
    assert result.exit_code == 0, result.output
    assert "已导入 2" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,category,selfpay_prop,effective_from\n"
                   "N000003,好药,A,,2018-01-01\n"
                   "N000004,坏药,B,,2018-01-01\n", encoding="utf-8")
    result = runner.invoke(app, ["catalogue", "import", str(bad), "--db", url])
    assert result.exit_code == 2
    assert "bad.csv:3" in result.output
    count = store.read(lambda s: s.execute(text("SELECT count(*) FROM catalogue_item WHERE code LIKE 'N%'")).scalar())
    assert count == 2  # nothing of the bad file was written
