"""Documents of the fund from the store, in Chinese: balances (基金余额表), budget execution (预算执行情况表),
final accounts (基金决算表), the monthly close (月结) and the risk adjustment fund's statement (风险调剂金收支表).

A document is a dict: ``title``, ``meta`` (label → text), ``columns`` and ``rows`` (what a person reads,
amounts in 元 with two decimals, rates in %), and ``data`` (the same figures for programs: amounts in
fen, rates as unrounded decimal strings). `to_markdown` renders any of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from tongchou.funds import risk_adjustment as ra
from tongchou.funds.budget import POOL, CloseRow, Execution, FinalAccounts, drafting_check, BudgetLine
from tongchou.funds.subledger import Flows
from tongchou.ledger.accounts import FUND_NAMES, TITLE_NAMES, Fund, Title
from tongchou.ledger.balances import FundFigures
from tongchou.money import fen_to_str as yuan


def fund_name(fund: str) -> str:
    try:
        return FUND_NAMES[Fund(fund)]
    except ValueError:
        return fund


def scope_name(county: str, names: Mapping[str, str]) -> str:
    if county == POOL:
        return "全统筹区"
    return f"{names.get(county, county)}（{county}）" if county in names else county


def pct(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{(rate * 100).quantize(Decimal('0.01'))}%"


def rate_data(rate: Decimal | None) -> str | None:
    return None if rate is None else str(rate)


def flows_data(flows: Flows) -> dict[str, int]:
    return {"opening": flows.opening, "revenue": flows.revenue, "expenditure": flows.expenditure,
            "transfers_in": flows.transfers_in, "transfers_out": flows.transfers_out, "closing": flows.closing,
            "current_surplus": flows.current_surplus}


def document(title: str, meta: Mapping[str, str], columns: list[str], rows: list[list[str]], data: Any,
             notes: Iterable[str] = ()) -> dict[str, Any]:
    return {"title": title, "meta": dict(meta), "columns": columns, "rows": rows, "data": data,
            "notes": list(notes), "unit": "元"}


def to_markdown(doc: Mapping[str, Any]) -> str:
    lines = [f"# {doc['title']}", ""]
    for label, value in doc.get("meta", {}).items():
        lines.append(f"- {label}：{value}")
    lines += ["", f"单位：{doc.get('unit', '元')}", "", "| " + " | ".join(doc["columns"]) + " |",
              "| " + " | ".join("---" for _ in doc["columns"]) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in doc["rows"]]
    for note in doc.get("notes", []):
        lines += ["", note]
    for section in doc.get("sections", []):
        lines += ["", to_markdown(section).replace("# ", "## ", 1)]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- balances

def balances_document(rows: Mapping[tuple[str, str], FundFigures], on: str, names: Mapping[str, str]
                      ) -> dict[str, Any]:
    columns = ["基金", "范围", "累计结余", "其中定期存款", "存量基金（未移交）", "本年收入", "本年支出", "转入", "转出"]
    table, data = [], []
    for (fund, county), f in rows.items():
        table.append([fund_name(fund), scope_name(county, names), yuan(f.balance), yuan(f.deposit), yuan(f.legacy),
                      yuan(f.revenue), yuan(f.expenditure), yuan(f.flows.transfers_in), yuan(f.flows.transfers_out)])
        data.append({"fund": fund, "county": county, "balance_fen": f.balance, "deposit_fen": f.deposit,
                     "legacy_fen": f.legacy, **{f"{k}_fen": v for k, v in flows_data(f.flows).items()},
                     "revenue_by_title": dict(f.revenue_by_title), "expenditure_by_title": dict(f.expenditure_by_title)})
    return document("基金余额表", {"截至": on}, columns, table, data,
                    ["累计结余 = 银行存款 + 定期存款 − 应付定点医药机构 − 质量保证金 ± 承办保险机构往来 − 个人账户；"
                     "存量基金未移交前不计入统筹基金结余。"])


# ---------------------------------------------------------------- budget

def budget_document(lines: list[BudgetLine], year: int, names: Mapping[str, str]) -> dict[str, Any]:
    columns = ["基金", "区县", "收入预算", "支出预算", "预算结余", "编制说明"]
    table = [[fund_name(l.fund), scope_name(l.county, names), yuan(l.revenue), yuan(l.expenditure), yuan(l.surplus),
              drafting_check(l)] for l in lines]
    data = [{"year": l.year, "fund": l.fund, "county": l.county, "revenue_fen": l.revenue,
             "expenditure_fen": l.expenditure} for l in lines]
    return document(f"{year}年基金收支预算", {"年度": str(year)}, columns, table, data)


def execution_document(rows: list[Execution], names: Mapping[str, str]) -> dict[str, Any]:
    if not rows:
        return document("预算执行情况表", {}, [], [], [])
    first = rows[0]
    columns = ["范围", "收入预算", "累计收入", "收入执行率", "支出预算", "累计支出", "支出执行率", "时间进度", "支出进度差"]
    table, data = [], []
    for e in rows:
        table.append([scope_name(e.county, names), yuan(e.plan_revenue), yuan(e.actual_revenue), pct(e.revenue_rate),
                      yuan(e.plan_expenditure), yuan(e.actual_expenditure), pct(e.expenditure_rate),
                      pct(e.time_progress), pct(e.spending_gap)])
        data.append({"county": e.county, "plan_revenue_fen": e.plan_revenue, "actual_revenue_fen": e.actual_revenue,
                     "revenue_rate": rate_data(e.revenue_rate), "plan_expenditure_fen": e.plan_expenditure,
                     "actual_expenditure_fen": e.actual_expenditure,
                     "expenditure_rate": rate_data(e.expenditure_rate), "time_progress": str(e.time_progress),
                     "spending_gap": rate_data(e.spending_gap)})
    return document(f"{first.year}年{fund_name(first.fund)}预算执行情况表（截至{first.month}月）",
                    {"基金": fund_name(first.fund), "年度": str(first.year), "截至月份": str(first.month)},
                    columns, table, data,
                    ["执行率 = 累计实际 ÷ 年度预算；时间进度 = 已过月数 ÷ 12；支出进度差 = 支出执行率 − 时间进度（正数为支出快于时间进度）。"])


def final_accounts_document(rows: list[FinalAccounts], names: Mapping[str, str], closed_to: str | None
                            ) -> dict[str, Any]:
    if not rows:
        return document("基金决算表", {}, [], [], [])
    first = rows[0]
    columns = ["范围", "年初结余", "本年收入", "收入预算", "收入执行率", "本年支出", "支出预算", "支出执行率", "转入", "转出",
               "当期结余", "当期结余率", "年末累计结余", "可支付月数"]
    table, data = [], []
    for f in rows:
        months = f.months_covered
        table.append([scope_name(f.county, names), yuan(f.flows.opening), yuan(f.flows.revenue), yuan(f.plan_revenue),
                      pct(f.revenue_rate), yuan(f.flows.expenditure), yuan(f.plan_expenditure),
                      pct(f.expenditure_rate), yuan(f.flows.transfers_in), yuan(f.flows.transfers_out),
                      yuan(f.current_surplus), pct(f.current_surplus_ratio), yuan(f.flows.closing),
                      "—" if months is None else f"{months.quantize(Decimal('0.01'))}"])
        data.append({"county": f.county, **{f"{k}_fen": v for k, v in flows_data(f.flows).items()},
                     "plan_revenue_fen": f.plan_revenue, "plan_expenditure_fen": f.plan_expenditure,
                     "revenue_rate": rate_data(f.revenue_rate), "expenditure_rate": rate_data(f.expenditure_rate),
                     "current_surplus_ratio": rate_data(f.current_surplus_ratio),
                     "months_covered": rate_data(months)})
    return document(f"{first.year}年{fund_name(first.fund)}决算表",
                    {"基金": fund_name(first.fund), "年度": str(first.year), "已月结至": closed_to or "未月结"},
                    columns, table, data,
                    ["当期结余 = 本年收入 − 本年支出（转入转出不计）；年末累计结余 = 年初结余 + 收入 − 支出 + 转入 − 转出；"
                     "可支付月数 = 年末累计结余 ÷（本年支出 ÷ 12）。"])


def close_summary(rows: Mapping[str, list[CloseRow]]) -> dict[str, Any]:
    """What a close records: per fund and scope, the month's flows and the year-to-date execution (fen)."""
    return {fund: [{"county": r.county, "month": flows_data(r.month),
                    "ytd_revenue": r.year_to_date.actual_revenue, "ytd_expenditure": r.year_to_date.actual_expenditure,
                    "plan_revenue": r.year_to_date.plan_revenue, "plan_expenditure": r.year_to_date.plan_expenditure}
                   for r in fund_rows] for fund, fund_rows in rows.items()}


def close_document(month: str, by: str, summary: Mapping[str, list[dict]], names: Mapping[str, str]
                   ) -> dict[str, Any]:
    columns = ["基金", "范围", "月初结余", "本月收入", "本月支出", "转入", "转出", "月末结余", "累计收入", "累计支出"]
    table = []
    for fund, rows in summary.items():
        for r in rows:
            f = r["month"]
            table.append([fund_name(fund), scope_name(r["county"], names), yuan(f["opening"]), yuan(f["revenue"]),
                          yuan(f["expenditure"]), yuan(f["transfers_in"]), yuan(f["transfers_out"]),
                          yuan(f["closing"]), yuan(r["ytd_revenue"]), yuan(r["ytd_expenditure"])])
    return document(f"{month} 月结", {"月份": month, "月结人": by}, columns, table, dict(summary),
                    [f"月结后，记账日期在 {month} 及以前的凭证一律拒绝；更正记入未结月份。"])


# ---------------------------------------------------------------- risk adjustment

def risk_statement_document(statement: ra.Statement, rule_name: str, holder: str, names: Mapping[str, str]
                            ) -> dict[str, Any]:
    columns = ["项目", "区县", "金额"]
    table = [["年初余额", "", yuan(statement.opening)]]
    table += [["上解收入", scope_name(c, names), yuan(a)] for c, a in statement.remittances.items()]
    table += [["其他收入（利息等）", "", yuan(statement.other_revenue)]]
    table += [["下拨支出", scope_name(c, names), yuan(a)] for c, a in statement.allocations.items()]
    table += [["其他支出", "", yuan(statement.other_expenditure)], ["年末余额", "", yuan(statement.closing)]]
    data = {"year": statement.year, "opening_fen": statement.opening, "remittances_fen": statement.remittances,
            "allocations_fen": statement.allocations, "other_revenue_fen": statement.other_revenue,
            "other_expenditure_fen": statement.other_expenditure, "closing_fen": statement.closing}
    return document(f"{statement.year}年风险调剂金收支表", {"规则": rule_name, "管理层级": holder}, columns, table, data,
                    ["年末余额 = 年初余额 + 上解收入 + 其他收入 − 下拨支出 − 其他支出。"])


def claims_document(claims: list[ra.Claim], available: int, granted: Mapping[str, int], names: Mapping[str, str]
                    ) -> dict[str, Any]:
    columns = ["区县", "超支额", "可调剂部分", "申请调剂额", "实际下拨", "本级承担", "说明"]
    table, data = [], []
    for c in claims:
        grant = granted.get(c.member, 0)
        table.append([scope_name(c.member, names), yuan(c.overspend), yuan(c.eligible), yuan(c.claim), yuan(grant),
                      yuan(c.overspend - grant), c.reason])
        data.append({"county": c.member, "overspend_fen": c.overspend, "eligible_fen": c.eligible,
                     "claim_fen": c.claim, "granted_fen": grant, "unmet": list(c.unmet), "reason": c.reason})
    return document("风险调剂金下拨", {"调剂金可用余额": yuan(available)}, columns, table, data)


def title_name(title: str) -> str:
    try:
        return TITLE_NAMES[Title(title)]
    except ValueError:
        return title
