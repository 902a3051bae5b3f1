"""The store commands of `tongchou funds` and `tongchou clearing`, and `report fund-operation --db` (SQLite)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from tests.store.support import DATA, TEST_CIPHER, fee, request, seed_registry
from tongchou.cli import app
from tongchou.enrolment.service import EnrolmentService
from tongchou.settlement.service import SettlementService
from tongchou.region.fixture import load_file
from tongchou.store.testing import create_sqlite_database
from tongchou.store.uow import Store

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    directory = tmp_path_factory.mktemp("store-cli")
    url = create_sqlite_database(directory)
    registry = seed_registry(directory / "policies")
    store = Store.open(url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    EnrolmentService(store, registry).record_subsidies("371525", 2018, {"central": 45000}, dt.date(2018, 1, 15))
    service = SettlementService(store, registry, today=lambda: dt.date(2018, 3, 31))
    service.settle(request("C1", day="2018-03-10"))
    service.settle(request("C2", day="2018-03-12", psn_no="GX0002", med_type="11", fixmedins="H37152500002",
                           items=[fee("T000002", "40.00")]))
    store.close()
    return url


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_budget_balances_close_and_final_accounts(db, tmp_path):
    budget = tmp_path / "budget.csv"
    budget.write_text("year,fund,county,revenue,expenditure\n2018,resident_pooled,371525,500,400\n", encoding="utf-8")
    assert invoke("funds", "budget", "import", str(budget), "--db", db).exit_code == 0
    assert invoke("funds", "budget", "set", "--db", db, "--year", "2018", "--fund", "resident_pooled",
                  "--county", "371599", "--revenue", "300", "--expenditure", "250.5").exit_code == 0
    shown = invoke("funds", "budget", "show", "--db", db, "--year", "2018", "--fund", "resident_pooled",
                   "--month", "3")
    assert shown.exit_code == 0, shown.output
    execution = json.loads(shown.output)
    assert execution["title"].startswith("2018年居民医保统筹基金预算执行情况表")
    pool = execution["data"][-1]
    assert pool["county"] == "pool" and pool["plan_expenditure_fen"] == 65050 and pool["actual_revenue_fen"] == 45000
    balances = invoke("funds", "balances", "--db", db, "--on", "2018-03-31", "--format", "md")
    assert balances.exit_code == 0 and "基金余额表" in balances.output and "全统筹区" in balances.output
    bad = invoke("funds", "budget", "set", "--db", db, "--year", "2018", "--fund", "nope", "--county", "371525",
                 "--revenue", "1", "--expenditure", "1")
    assert bad.exit_code == 2 and "fund" in bad.output


def test_clearing_run_approve_pay_then_close_and_report(db, tmp_path):
    declared = {"H37152500001": {"medfee_sumamt": "1.00", "fund_pay_sumamt": "0", "acct_pay": "0",
                                 "fixmedins_setl_cnt": 1}}
    path = tmp_path / "declared.json"
    path.write_text(json.dumps(declared), encoding="utf-8")
    ran = invoke("clearing", "run", "--db", db, "--month", "2018-03", "--declared", str(path))
    assert ran.exit_code == 0, ran.output
    runs = {r["institution"]: r for r in json.loads(ran.output)}
    assert runs["H37152500001"]["matched"] is False
    refused = invoke("clearing", "approve", "--db", db, "--month", "2018-03", "--by", "审核员")
    assert refused.exit_code == 2 and "对账不一致" in refused.output
    assert invoke("clearing", "approve", "--db", db, "--month", "2018-03", "--by", "审核员",
                  "--accept-difference").exit_code == 0
    paid = invoke("clearing", "pay", "--db", db, "--month", "2018-03", "--on", "2018-04-05")
    assert paid.exit_code == 0, paid.output
    assert all(r["status"] == "paid" and r["entry_id"] for r in json.loads(paid.output))
    closed = invoke("funds", "close-month", "--db", db, "--month", "2018-03", "--by", "会计")
    assert closed.exit_code == 0, closed.output
    late = invoke("funds", "premium", "--db", db, "--county", "371525", "--year", "2018", "--period", "2018",
                  "--on", "2018-03-31", "--amount", "10", "--insurer", "某保险公司")
    assert late.exit_code == 2 and "已月结" in late.output
    final = invoke("funds", "final-accounts", "--db", db, "--year", "2018", "--fund", "resident_pooled",
                   "--format", "md")
    assert final.exit_code == 0 and "决算表" in final.output and "已月结至：2018-03-31" in final.output
    report = invoke("report", "fund-operation", "--db", db, "--period", "2018-01-01:2018-03-31")
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    assert data["funding"]["total"] == 450 and data["funding"]["insured"] == 3  # GX0001, GX0002, GX0004 (late)
    assert data["visits"]["all"]["count"] == 2
    verify = invoke("ledger", "verify", "--db", db)
    assert verify.exit_code == 0, verify.output


def test_fund_statements_in_every_format(db):
    as_json = invoke("funds", "balances", "--db", db, "--on", "2018-03-31", "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["title"] == "基金余额表" and data["unit"] == "元"
    pool = next(row for row in data["data"] if row["fund"] == "resident_pooled" and row["county"] == "pool")
    assert pool["revenue_fen"] == 45000  # the central subsidy recorded in the fixture
    as_html = invoke("funds", "balances", "--db", db, "--on", "2018-03-31", "--format", "html")
    assert as_html.exit_code == 0, as_html.output
    assert as_html.output.startswith("<!DOCTYPE html>") and "<h1>基金余额表</h1>" in as_html.output
    assert '<td class="num">450.00</td>' in as_html.output and 'id="document-data"' in as_html.output
    budget = invoke("funds", "budget", "show", "--db", db, "--year", "2018", "--format", "html")
    assert budget.exit_code == 0 and "2018年基金收支预算" in budget.output
