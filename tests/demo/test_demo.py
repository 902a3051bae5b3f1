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


def test_the_demo_declares_and_collects_december_through_the_employer_service(tmp_path):
    """Every employer of the region is registered through `EmployerService.register`; 越城区's five largest employers
    declare December through `EmployerService.declare_rows` and the tax bureau's batch is reconciled through
    `reconcile`: the declarations are there, all but every 50th collected, late fees booked."""
    from rich.console import Console

    from tongchou.demo.pipeline import DemoOptions, run_demo
    from tongchou.store import models as m

    result = run_demo(DemoOptions(out=tmp_path, insured=2000, live_visits=0), Console(quiet=True))
    assert result.report.ok
    counts = result.counts
    assert counts["declarations"] > 0 and counts["declarations_refused"] == 0 and counts["collection_held"] == 0
    assert counts["collected"] == counts["declarations"] - counts["declarations"] // 50
    store = Store.open(result.db_url)
    try:
        rows = store.read(lambda s: s.execute(select(m.Declaration.employer, m.Declaration.month,
                                                     m.Declaration.collected_on)).all())
        employers = store.read(lambda s: s.scalars(select(m.Employer.code)).all())
    finally:
        store.close()
    assert {employer[2:8] for employer, _, _ in rows} == {"330602"} and {month for _, month, _ in rows} == {"2018-12"}
    assert sum(1 for *_, collected in rows if collected is None) == counts["declarations"] // 50
    assert counts["employers_registered"] == len(employers) > 0
