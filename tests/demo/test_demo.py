"""`tongchou demo --no-serve` builds the whole year and exits 0 with `ledger verify` passing; its fund operation
report has the shape of seed 004 篇8."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from sqlalchemy import select

from tongchou.cli import app
from tongchou.store.uow import Store
from tongchou.supervision.models import FindingRow


def test_demo_builds_a_year_and_verifies_the_books(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--insured", "2000", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ledger verify" in result.output and "FAIL" not in result.output and "未通过" not in result.output
    report = json.loads((tmp_path / "reports" / "fund-operation-h1.json").read_text(encoding="utf-8"))
    # the sections of 篇8: funding, visits by type and tier, fund paid and its share, progress, projection
    assert {"period", "funding", "visits", "inpatient", "fund_paid", "spending_progress", "projection"} <= set(report)
    assert report["visits"]["inpatient"]["count"] > 0
    assert set(report["inpatient"]["by_tier"]) >= {"township", "county"}
    assert (tmp_path / "reports" / "fund-operation-h1.html").read_text(encoding="utf-8").count("echarts") > 0
    # the planted supervision patterns are found by the year's screening and shown in the console
    store = Store.open(f"sqlite:///{tmp_path / 'tongchou.db'}")
    try:
        rules = store.read(lambda s: set(s.execute(select(FindingRow.rule_id)).scalars()))
    finally:
        store.close()
    assert len(rules) >= 2, rules
