"""The fund's statements as the shared document model: each renders in Markdown, HTML and JSON with its
figures (expected amounts worked out by hand here, in 元 with thousands separators; JSON in fen)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from tongchou.documents import Document, from_json, to_html, to_json, to_json_text, to_markdown
from tongchou.funds import documents as views
from tongchou.funds import risk_adjustment as ra
from tongchou.funds.budget import BudgetLine, Execution, FinalAccounts
from tongchou.ledger.accounts import Flows
from tongchou.ledger.figures import FundFigures

NAMES = {"371525": "冠县", "371526": "莘县"}
RESIDENT = "resident_pooled"


def rendered(doc: Document) -> tuple[str, str, dict]:
    return to_markdown(doc), to_html(doc), json.loads(to_json_text(doc))


def html_row(html: str, first_cell: str) -> list[str]:
    row = re.search(r"<tr><td>" + re.escape(first_cell) + r"</td>(.*?)</tr>", html)
    assert row, first_cell
    return re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))


def test_balances_statement() -> None:
    # closing = 100,000.00 + 1,234,567.89 − 234,567.89 + 0 − 50,000.00 = 1,050,000.00
    flows = Flows(opening=10_000_000, revenue=123_456_789, expenditure=23_456_789, transfers_in=0,
                  transfers_out=5_000_000)
    doc = views.balances_document({(RESIDENT, "371525"): FundFigures(RESIDENT, "371525", flows, deposit=20_000_000)},
                                  "2018-12-31", NAMES)
    md, html, data = rendered(doc)
    assert md.startswith("# 基金余额表\n") and "- 截至：2018-12-31" in md and "单位：元" in md
    assert ("| 居民医保统筹基金 | 冠县（371525） | 1,050,000.00 | 200,000.00 | 0.00 | 1,234,567.89 | 234,567.89 "
            "| 0.00 | 50,000.00 |") in md
    assert "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" in md
    assert "> 累计结余 = 银行存款" in md
    assert html_row(html, "居民医保统筹基金")[1:3] == ["1,050,000.00", "200,000.00"]
    assert '<td class="num">1,050,000.00</td>' in html and 'lang="zh-CN"' in html
    assert data["title"] == "基金余额表" and data["unit"] == "元" and data["meta"] == [["截至", "2018-12-31"]]
    figures = data["data"][0]
    assert figures["balance_fen"] == figures["closing_fen"] == 105_000_000 and figures["deposit_fen"] == 20_000_000
    assert data["sections"][0]["blocks"][0]["rows"][0][2] == "1,050,000.00"


def test_budget_and_execution_statements() -> None:
    budget = views.budget_document([BudgetLine(2018, RESIDENT, "371525", 50_000_000, 40_000_000)], 2018, NAMES)
    md, html, data = rendered(budget)
    assert "# 2018年基金收支预算" in md and "| 居民医保统筹基金 | 冠县（371525） | 500,000.00 | 400,000.00 | 100,000.00 |" in md
    assert data["data"] == [{"year": 2018, "fund": RESIDENT, "county": "371525", "revenue_fen": 50_000_000,
                             "expenditure_fen": 40_000_000}]
    assert html_row(html, "居民医保统筹基金")[1:4] == ["500,000.00", "400,000.00", "100,000.00"]

    # to June: revenue 600/1000 = 60.00 %, spending 500/800 = 62.50 %, time 6/12 = 50.00 %, gap 12.50 %
    execution = views.execution_document([Execution(2018, 6, RESIDENT, "pool", 100_000, 80_000, 60_000, 50_000)], NAMES)
    md, html, data = rendered(execution)
    assert "# 2018年居民医保统筹基金预算执行情况表（截至6月）" in md
    assert "| 全统筹区 | 1,000.00 | 600.00 | 60.00% | 800.00 | 500.00 | 62.50% | 50.00% | 12.50% |" in md
    assert html_row(html, "全统筹区") == ["1,000.00", "600.00", "60.00%", "800.00", "500.00", "62.50%", "50.00%",
                                         "12.50%"]
    assert data["data"][0]["plan_expenditure_fen"] == 80_000 and Decimal(data["data"][0]["expenditure_rate"]) == Decimal("0.625")
    assert data["meta"] == [["基金", "居民医保统筹基金"], ["年度", "2018"], ["截至月份", "6"]]


def test_an_empty_statement_says_so() -> None:
    md, html, data = rendered(views.execution_document([], NAMES))
    assert "无数据。" in md and "无数据。" in html and data["data"] == []


def test_final_accounts_statement() -> None:
    # closing = 1,000 + 1,200 − 900 = 1,300.00; surplus 300.00 = 25.00 % of revenue; 1,300 ÷ 75 = 17.33 months
    row = FinalAccounts(2018, RESIDENT, "371525", Flows(100_000, 120_000, 90_000, 0, 0), 110_000, 100_000,
                        Decimal(7_500))
    md, html, data = rendered(views.final_accounts_document([row], NAMES, "2018-12-31"))
    assert "# 2018年居民医保统筹基金决算表" in md and "- 已月结至：2018-12-31" in md
    assert ("| 冠县（371525） | 1,000.00 | 1,200.00 | 1,100.00 | 109.09% | 900.00 | 1,000.00 | 90.00% | 0.00 | 0.00 "
            "| 300.00 | 25.00% | 1,300.00 | 17.33 |") in md
    assert html_row(html, "冠县（371525）")[-2:] == ["1,300.00", "17.33"]
    figures = data["data"][0]
    assert figures["closing_fen"] == 130_000 and figures["current_surplus_fen"] == 30_000
    assert Decimal(figures["current_surplus_ratio"]) == Decimal("0.25")


def test_month_close_statement() -> None:
    summary = {RESIDENT: [{"county": "371525", "month": {"opening": 100_000, "revenue": 20_000, "expenditure": 5_000,
                                                         "transfers_in": 0, "transfers_out": 1_000, "closing": 114_000,
                                                         "current_surplus": 15_000},
                           "ytd_revenue": 20_000, "ytd_expenditure": 5_000, "plan_revenue": 0, "plan_expenditure": 0}]}
    md, html, data = rendered(views.close_document("2018-03", "会计", summary, NAMES))
    assert "# 2018-03 月结" in md and "- 月结人：会计" in md
    assert "| 居民医保统筹基金 | 冠县（371525） | 1,000.00 | 200.00 | 50.00 | 0.00 | 10.00 | 1,140.00 | 200.00 | 50.00 |" in md
    assert html_row(html, "居民医保统筹基金")[-3] == "1,140.00"
    assert data["data"] == summary


def test_risk_statement_and_allocation() -> None:
    # closing = 1,000 + 300 + 5 − 200 − 0 = 1,105.00
    statement = ra.Statement(2018, 100_000, {"371525": 30_000}, {"371526": 20_000}, 500, 0)
    md, html, data = rendered(views.risk_statement_document(statement, "市级风险调剂金", "市级", NAMES))
    assert "# 2018年风险调剂金收支表" in md and "- 规则：市级风险调剂金" in md
    assert "| 上解收入 | 冠县（371525） | 300.00 |" in md and "| 下拨支出 | 莘县（371526） | 200.00 |" in md
    assert "| 年末余额 |  | 1,105.00 |" in md
    assert html_row(html, "年末余额") == ["", "1,105.00"]
    assert data["data"]["closing_fen"] == 110_500 and data["data"]["remittances_fen"] == {"371525": 30_000}

    claim = ra.Claim("371525", overspend=50_000, eligible=30_000, claim=30_000, member_part=20_000, unmet=())
    doc = views.with_payload(views.claims_document([claim], 100_000, {"371525": 30_000}, NAMES), posted=[{"id": 1}])
    md, html, data = rendered(doc)
    assert "| 冠县（371525） | 500.00 | 300.00 | 300.00 | 300.00 | 200.00 |" in md
    assert data["posted"] == [{"id": 1}] and data["data"][0]["granted_fen"] == 30_000


def test_a_statement_reads_back_from_its_json() -> None:
    doc = views.budget_document([BudgetLine(2018, RESIDENT, "pool", 1, 2)], 2018, NAMES)
    assert to_markdown(from_json(to_json(doc))) == to_markdown(doc)
