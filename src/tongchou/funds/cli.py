"""The fund on the command line (a thin shell over the core and `service`).

`tongchou report fund-operation` reads a claims table and a funding file, or the store (`--db`), and
writes the fund operation analysis (基金运行分析) as JSON, Markdown or HTML; bad input is reported on
stderr naming the option or field, with exit status 2, and nothing is written.

`tongchou funds …`: the fund's rules, plans and books:

    tongchou funds check FILE…                      validate rule files of policies/funds/
    tongchou funds handover RULE --fund F --county C --legacy-balance YUAN [--arrear CREDITOR=YUAN …] [--db URL]
    tongchou funds remit RULE --on DATE (--revenue FUND:COUNTY=YUAN … | --db URL)
    tongchou funds balances --db URL --on 2018-06-30 [--county 371525] [--format json|md|html]
    tongchou funds budget import budget.csv --db URL [--by 张三]
    tongchou funds budget set --db URL --year 2018 --fund resident_pooled --county 371525 --revenue 1200000 --expenditure 1140000
    tongchou funds budget show --db URL --year 2018 [--fund resident_pooled --month 6]
    tongchou funds premium --db URL --county 371525 --year 2018 --period 2018H1 --on 2018-01-31 --amount 60000 --insurer 某保险公司
    tongchou funds allocate RULE --db URL --fund resident_pooled --year 2018 --on 2019-04-15 --met 371525=unified_policy,remitted_on_time,targets_met
    tongchou funds deficit RULE --db URL --fund resident_pooled --county 371525 --year 2018 --on 2019-04-20
    tongchou funds close-month --db URL --month 2018-06 --by 张三
    tongchou funds final-accounts --db URL --year 2018 --fund resident_pooled [--format md]
    tongchou funds risk-statement RULE --db URL --year 2019 [--format md]

Amounts on the command line are yuan; bad input goes to stderr naming the option or field, exit status 2.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from tongchou.funds import service as ops
from tongchou.funds import documents as views
from tongchou.funds.budget import BudgetLine, parse_budget_csv, parse_budget_yaml
from tongchou.funds.claims_source import ClaimsTable
from tongchou.funds.errors import ReportInputError
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import (DeficitSharingRule, LegacyHandoverRule, RiskAdjustmentRule,
                                       load_rule)
from tongchou.funds.funding import load_funding
from tongchou.funds.indicators import with_warnings
from tongchou.funds.operation import RESIDENT, PeriodFigures, build_fund_operation_report, parse_period
from tongchou.documents import AssetMissingError, Document, render
from tongchou.funds.documents import render_html
from tongchou.funds.documents import render_json
from tongchou.funds.documents import render_markdown
from tongchou.funds.risk_adjustment import remittances
from tongchou.funds.subledger import movement_record
from tongchou.funds.transition import Arrear, handover_plan
from tongchou.money import MoneyError, to_fen
from tongchou.store import models as m
from tongchou.store.uow import Store

BAD_INPUT = 2
ENVIRONMENT_ERROR = 1

report_app = typer.Typer(help="基金报表 — 统筹基金报表。", no_args_is_help=True, add_completion=False)
app = typer.Typer(help="统筹 Tongchou — 基金报表。", no_args_is_help=True, add_completion=False)
app.add_typer(report_app, name="report")
funds_app = typer.Typer(help="统筹基金 — 规则校验、存量基金移交、风险调剂金上解、预算、余额、月结、决算。",
                        no_args_is_help=True, add_completion=False)


class OutputFormat(str, Enum):
    json = "json"
    md = "md"
    html = "html"


RENDERERS = {OutputFormat.json: render_json, OutputFormat.md: render_markdown, OutputFormat.html: render_html}


def fund_operation_report(
    claims: Path,
    funding_path: Path,
    period_text: str,
    compare_text: str | None = None,
    compare_funding_path: Path | None = None,
    county: str | None = None,
) -> dict[str, Any]:
    """Read the inputs and compute the report (raises ReportInputError on bad input)."""
    period = parse_period(period_text, "--period")
    comparison_period = None if compare_text is None else parse_period(compare_text, "--compare")
    if compare_funding_path is not None and comparison_period is None:
        raise ReportInputError("--compare-funding", "needs --compare FROM:TO")
    funding, thresholds = load_funding(funding_path, "--funding")
    compare_funding = None
    if compare_funding_path is not None:
        compare_funding, _ = load_funding(compare_funding_path, "--compare-funding")
    county = None if county is None else county.strip()
    if county == "":
        raise ReportInputError("--county", "empty county code")
    if compare_funding is not None and compare_funding.insutype != funding.insutype:
        raise ReportInputError("--compare-funding insutype",
                               f"scheme {compare_funding.insutype} differs from --funding's {funding.insutype}")
    scheme = funding.insutype
    table = ClaimsTable(claims, "--claims")
    try:
        current = PeriodFigures(period, table.cells(period, county, scheme), funding)
        comparison = None
        if comparison_period is not None:
            comparison = PeriodFigures(comparison_period, table.cells(comparison_period, county, scheme),
                                       compare_funding)
    finally:
        table.close()
    report = build_fund_operation_report(current, comparison, county_admdvs=county, insutype=scheme)
    return with_warnings(report, thresholds)


def fund_operation_report_from_store(
    db: str | None,
    period_text: str,
    compare_text: str | None = None,
    county: str | None = None,
    funding_path: Path | None = None,
) -> dict[str, Any]:
    """Every scheme's report from the store's settlements and ledger (`funds.service`), under
    `by_scheme.<insutype>`; the top-level keys are those of the funding file's scheme (390 without one).
    A funding file, when given, supplies only the scheme, the warning thresholds and the name."""
    from tongchou.funds.indicators import WarningThresholds
    from tongchou.funds.service import fund_operation_from_store
    from tongchou.store.uow import Store

    period = parse_period(period_text, "--period")
    comparison_period = None if compare_text is None else parse_period(compare_text, "--compare")
    county = None if county is None else county.strip()
    if county == "":
        raise ReportInputError("--county", "empty county code")
    thresholds, name, scheme = WarningThresholds(), None, RESIDENT
    if funding_path is not None:
        file_funding, thresholds = load_funding(funding_path, "--funding")
        name, scheme = file_funding.name, file_funding.insutype
    store = Store.open(db)
    try:
        return store.read(lambda session: fund_operation_from_store(
            session, period, comparison_period, county, name, scheme, thresholds))
    finally:
        store.close()


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")


def report_failure(message: str, code: int) -> typer.Exit:
    typer.echo(f"tongchou report fund-operation: error: {message}", err=True)
    return typer.Exit(code)


HELP = {
    "claims": "结算表：带表头的 .csv、.parquet 或 .parquet 目录。",
    "funding": "筹资文件（YAML）：insured（参保人数）、per_capita（人均筹资）、earmarked_per_capita（人均专项）。",
    "period": "期间 FROM:TO，日期 YYYY-MM-DD，须在同一年度内（按 enddate 出院/结束日期筛选）。",
    "compare": "对比期间 FROM:TO（如上年同期）。",
    "compare_funding": "对比年度的筹资文件。",
    "county": "只统计该区县参保人的就诊（county_admdvs）。",
    "format": "输出格式：json、md 或 html。",
    "output": "输出到该文件，而不是标准输出。",
}


@report_app.command("fund-operation")
def fund_operation_command(
    period: Annotated[str, typer.Option("--period", help=HELP["period"])],
    claims: Annotated[Path | None, typer.Option("--claims", help=HELP["claims"])] = None,
    funding: Annotated[Path | None, typer.Option("--funding", help=HELP["funding"])] = None,
    db: Annotated[str | None, typer.Option("--db", help="从数据库读取，代替 --claims：结算记录作为就诊，"
                                           "筹资（收入、保费、参保人数）取自账务")] = None,
    compare: Annotated[str | None, typer.Option("--compare", help=HELP["compare"])] = None,
    compare_funding: Annotated[Path | None, typer.Option("--compare-funding", help=HELP["compare_funding"])] = None,
    county: Annotated[str | None, typer.Option("--county", help=HELP["county"])] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help=HELP["format"])] = OutputFormat.json,
    output: Annotated[Path | None, typer.Option("--output", help=HELP["output"])] = None,
) -> None:
    """基金运行分析：统筹区或区县在某一期间的基金运行分析。"""
    try:
        if db is not None:
            if claims is not None:
                raise ReportInputError("--claims", "give --claims or --db, not both")
            report = fund_operation_report_from_store(db, period, compare, county, funding)
        else:
            if claims is None:
                raise ReportInputError("--claims", "missing (or give --db)")
            if funding is None:
                raise ReportInputError("--funding", "missing (required with --claims)")
            report = fund_operation_report(claims, funding, period, compare, compare_funding, county)
        text = RENDERERS[output_format](report)
    except ReportInputError as exc:
        raise report_failure(str(exc), BAD_INPUT) from None
    except AssetMissingError as exc:
        raise report_failure(str(exc), ENVIRONMENT_ERROR) from None
    try:
        write_output(text, output)
    except OSError as exc:
        raise report_failure(f"--output: cannot write {output}: {exc.strerror or exc}", BAD_INPUT) from None


# --------------------------------------------------------------------------- tongchou funds: the books

DB_HELP = "数据库地址（默认：环境变量 TONGCHOU_DB，否则 ./var/tongchou.db）"


def fail(error: FundInputError) -> typer.Exit:
    typer.echo(f"错误 {error.field}: {error.message}", err=True)
    return typer.Exit(BAD_INPUT)


def day(text: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FundInputError(option, f"expected YYYY-MM-DD, got {text!r}") from None


def yuan(text: str, option: str) -> int:
    try:
        return to_fen(text)
    except MoneyError as exc:
        raise FundInputError(option, str(exc)) from None


def names(store: Store) -> dict[str, str]:
    return store.read(lambda s: {r.admdvs: r.name for r in s.execute(select(m.CountyRow)).scalars()})


def emit(doc: Document, output_format: OutputFormat, output: Path | None = None) -> None:
    content = render(doc, output_format.value)
    if output is None:
        sys.stdout.write(content)
    else:
        output.write_text(content, encoding="utf-8")


def run(db: str | None, work) -> None:
    """Open the store, run `work(store)`, map input errors and refused writes to exit status 2."""
    store = Store.open(db)
    try:
        work(store)
    except FundInputError as error:
        raise fail(error) from None
    except DBAPIError as exc:  # e.g. the closed-month trigger
        typer.echo(f"错误 database: {str(exc.orig).splitlines()[0]}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    finally:
        store.close()


def _rule(path: Path, kind: type, option: str):
    rule = load_rule(path)
    if not isinstance(rule, kind):
        raise FundInputError(option, f"{path.name} is a {rule.kind} rule")
    return rule


Db = Annotated[Optional[str], typer.Option("--db", help=DB_HELP)]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="输出格式：json、md 或 html")]
Output = Annotated[Optional[Path], typer.Option("--output", help="输出到该文件，而不是标准输出")]


@funds_app.command("balances")
def balances_command(on: Annotated[str, typer.Option("--on", help="日期 YYYY-MM-DD")], db: Db = None,
                     county: Annotated[Optional[str], typer.Option("--county")] = None,
                     output_format: FormatOption = OutputFormat.json, output: Output = None) -> None:
    """基金余额表：各基金分区县及全统筹区的累计结余、本年收入与支出（来自账务）。"""
    def work(store: Store) -> None:
        when = day(on, "--on")
        emit(views.balances_document(ops.balances(store, when, county), when.isoformat(), names(store)),
             output_format, output)
    run(db, work)


budget_app = typer.Typer(help="基金预算（按年度、基金、区县）", no_args_is_help=True, add_completion=False)
funds_app.add_typer(budget_app, name="budget")


@budget_app.command("import")
def budget_import(file: Annotated[Path, typer.Argument(help="预算文件：CSV（列 year,fund,county,revenue,expenditure）或 YAML")],
                  db: Db = None, by: Annotated[Optional[str], typer.Option("--by")] = None) -> None:
    """导入预算（CSV/YAML，金额单位元）。"""
    def work(store: Store) -> None:
        try:
            content = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise FundInputError("file", f"cannot read {file}: {exc.strerror}") from None
        lines = (parse_budget_yaml(content, file.name) if file.suffix.lower() in (".yaml", ".yml")
                 else parse_budget_csv(content, file.name))
        count = ops.save_budget(store, lines, by)
        typer.echo(f"导入预算 {count} 行")
    run(db, work)


@budget_app.command("set")
def budget_set(year: Annotated[int, typer.Option("--year")], fund: Annotated[str, typer.Option("--fund")],
               county: Annotated[str, typer.Option("--county")],
               revenue: Annotated[str, typer.Option("--revenue", help="收入（元）")],
               expenditure: Annotated[str, typer.Option("--expenditure", help="支出（元）")],
               db: Db = None, by: Annotated[Optional[str], typer.Option("--by")] = None) -> None:
    """设置（新增或修改）一行预算。"""
    def work(store: Store) -> None:
        if not 1990 <= year <= 2200:
            raise FundInputError("--year", f"expected a year, got {year}")
        line = BudgetLine(year, fund, county, yuan(revenue, "--revenue"), yuan(expenditure, "--expenditure"))
        if line.revenue < 0 or line.expenditure < 0:
            raise FundInputError("--revenue" if line.revenue < 0 else "--expenditure", "must not be negative")
        ops.save_budget(store, [line], by)
        typer.echo(f"预算 {year} {fund} {county}：收入 {views.yuan(line.revenue)} 元，支出 {views.yuan(line.expenditure)} 元")
    run(db, work)


@budget_app.command("show")
def budget_show(year: Annotated[int, typer.Option("--year")], db: Db = None,
                fund: Annotated[Optional[str], typer.Option("--fund")] = None,
                month: Annotated[Optional[int], typer.Option("--month", help="与 --fund 同用：截至该月的预算执行情况")] = None,
                output_format: FormatOption = OutputFormat.json, output: Output = None) -> None:
    """预算表；给出 --fund 与 --month 时为预算执行情况表（实际数来自账务）。"""
    def work(store: Store) -> None:
        if month is not None:
            if fund is None:
                raise FundInputError("--fund", "budget execution is per fund: give --fund")
            if not 1 <= month <= 12:
                raise FundInputError("--month", f"expected 1–12, got {month}")
            rows = store.read(lambda s: ops.execution_rows(s, year, month, fund))
            emit(views.execution_document(rows, names(store)), output_format, output)
        else:
            lines: list[BudgetLine] = store.read(lambda s: ops.budget_lines(s, year, fund))
            emit(views.budget_document(lines, year, names(store)), output_format, output)
    run(db, work)


@funds_app.command("premium")
def premium_command(county: Annotated[str, typer.Option("--county")], year: Annotated[int, typer.Option("--year")],
                    period: Annotated[str, typer.Option("--period", help="保费所属期间，如 2018 或 2018Q1")],
                    on: Annotated[str, typer.Option("--on")], amount: Annotated[str, typer.Option("--amount", help="金额（元）")],
                    insurer: Annotated[Optional[str], typer.Option("--insurer", help="承办保险机构（不填：划入自办的大病保险基金）")] = None,
                    db: Db = None) -> None:
    """大病保险保费：从居民医保统筹基金专项列支（付承办保险机构），或划入自办的大病保险基金。"""
    def work(store: Store) -> None:
        posted = ops.post_premium(store, county, year, period, day(on, "--on"), yuan(amount, "--amount"), insurer)
        typer.echo(json.dumps(posted.to_json(), ensure_ascii=False))
    run(db, work)


def _conditions(met: list[str], all_met: bool, rule: RiskAdjustmentRule) -> dict[str, list[str]] | None:
    result: dict[str, list[str]] = {}
    for item in met:
        county, sep, names_text = item.partition("=")
        if not sep or not county:
            raise FundInputError("--met", f"expected COUNTY=COND,COND, got {item!r}")
        conditions = [c for c in names_text.split(",") if c]
        unknown = [c for c in conditions if c not in rule.allocation.conditions]
        if unknown:
            raise FundInputError("--met", f"unknown condition {unknown[0]!r} (the rule's: "
                                          f"{', '.join(rule.allocation.conditions)})")
        result[county] = conditions
    return result


@funds_app.command("allocate")
def allocate_command(rule_file: Annotated[Path, typer.Argument(help="风险调剂金规则（risk_adjustment）文件")],
                     fund: Annotated[str, typer.Option("--fund")], year: Annotated[int, typer.Option("--year", help="超支年度")],
                     on: Annotated[str, typer.Option("--on")],
                     met: Annotated[list[str], typer.Option("--met", help="区县已满足的条件，格式 COUNTY=COND,COND，可重复")] = [],  # noqa: B006
                     all_met: Annotated[bool, typer.Option("--all-met", help="所有区县均满足全部条件")] = False,
                     db: Db = None, output_format: FormatOption = OutputFormat.json) -> None:
    """风险调剂金下拨：按规则计算各区县超支的调剂额（预算与账务），并记账。"""
    def work(store: Store) -> None:
        rule = _rule(rule_file, RiskAdjustmentRule, "rule_file")
        conditions = _conditions(met, all_met, rule) or {}
        if all_met:
            counties = store.read(lambda s: [r.county for r in s.execute(select(m.FundBudget).where(
                m.FundBudget.year == year, m.FundBudget.fund == fund)).scalars()])
            conditions = {c: list(rule.allocation.conditions) for c in counties}
        claims, available, moves, posted = ops.allocate(store, rule, fund, year, day(on, "--on"), conditions)
        granted = {mv.target.county: mv.amount for mv in moves if mv.target is not None}
        doc = views.claims_document(claims, available, granted, names(store))
        emit(views.with_payload(doc, posted=[p.to_json() for p in posted]), output_format)
    run(db, work)


@funds_app.command("deficit")
def deficit_command(rule_file: Annotated[Path, typer.Argument(help="基金缺口弥补规则（deficit_sharing）文件")],
                    fund: Annotated[str, typer.Option("--fund")], county: Annotated[str, typer.Option("--county")],
                    year: Annotated[int, typer.Option("--year")], on: Annotated[str, typer.Option("--on")],
                    conditions_unmet: Annotated[bool, typer.Option("--conditions-unmet")] = False,
                    adjustment_holder: Annotated[Optional[str], typer.Option("--adjustment-holder")] = None,
                    db: Db = None) -> None:
    """基金缺口弥补：按资金顺序（累计结余、调剂金、定期存款、同级财政），财政补助记账。"""
    def work(store: Store) -> None:
        rule = _rule(rule_file, DeficitSharingRule, "rule_file")
        resolution, posted = ops.cover_deficit(store, rule, fund, county, year, day(on, "--on"),
                                               not conditions_unmet, adjustment_holder)
        typer.echo(json.dumps({"gap_fen": resolution.gap, "reason": resolution.reason,
                               "steps": [{"step": s.step, "name": s.name, "amount_fen": s.amount} for s in resolution.steps],
                               "unfunded_fen": resolution.unfunded, "posted": [p.to_json() for p in posted]},
                              ensure_ascii=False, indent=2))
    run(db, work)


@funds_app.command("close-month")
def close_month_command(month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")],
                        by: Annotated[str, typer.Option("--by", help="结账人")],
                        db: Db = None, output_format: FormatOption = OutputFormat.json) -> None:
    """月结：记录本月结账（此后记账日期在本月及以前的凭证一律拒绝）。"""
    def work(store: Store) -> None:
        row = ops.close_month(store, month, by, views.close_summary)
        emit(views.close_document(row.month, row.closed_by, row.summary, names(store)), output_format)
    run(db, work)


@funds_app.command("final-accounts")
def final_accounts_command(year: Annotated[int, typer.Option("--year")], fund: Annotated[str, typer.Option("--fund")],
                           db: Db = None, output_format: FormatOption = OutputFormat.json, output: Output = None) -> None:
    """基金决算表（分区县及全统筹区）。"""
    def work(store: Store) -> None:
        def read(session):
            return ops.final_accounts_rows(session, year, fund), ops.closed_to(session)
        rows, closed = store.read(read)
        emit(views.final_accounts_document(rows, names(store), closed.isoformat() if closed else None),
             output_format, output)
    run(db, work)


@funds_app.command("risk-statement")
def risk_statement_command(rule_file: Annotated[Path, typer.Argument(help="风险调剂金规则（risk_adjustment）文件")],
                           year: Annotated[int, typer.Option("--year")], db: Db = None,
                           output_format: FormatOption = OutputFormat.json, output: Output = None) -> None:
    """风险调剂金收支表（来自账务）。"""
    def work(store: Store) -> None:
        rule = _rule(rule_file, RiskAdjustmentRule, "rule_file")
        statement = store.read(lambda s: ops.risk_statement(s, rule, year))
        emit(views.risk_statement_document(statement, rule.name, rule.holder, names(store)), output_format, output)
    run(db, work)


# --------------------------------------------------------------------------- tongchou funds: rules and plans

def _pair(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise FundInputError(option, f"expected NAME=YUAN, got {text!r}")
    return key, value


def _print(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@funds_app.command("check")
def check_command(files: Annotated[list[Path], typer.Argument(help="规则文件（YAML）")]) -> None:
    """校验基金规则文件。"""
    try:
        for path in files:
            rule = load_rule(path)
            typer.echo(f"{path.name}: {rule.kind} {rule.id}{'（示例）' if rule.example else ''} 通过")
    except FundInputError as error:
        raise fail(error) from None


@funds_app.command("handover")
def handover_command(
    rule_file: Annotated[Path, typer.Argument(help="存量基金移交规则（legacy_handover）文件")],
    fund: Annotated[str, typer.Option(help="基金，如 resident_pooled")],
    county: Annotated[str, typer.Option()],
    legacy_balance: Annotated[str, typer.Option(help="存量基金（元）")],
    arrear: Annotated[list[str], typer.Option(help="历史欠账，格式 CREDITOR=YUAN（债权人=金额（元）），可重复，按清偿顺序")] = [],  # noqa: B006
    db: Annotated[Optional[str], typer.Option("--db", help="记账到该数据库（存量基金只记一次，"
                                              "以及历史欠账和截至 --until 到期的各期移交款）")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="与 --db 同用：记账截至该日期 YYYY-MM-DD 到期的各期移交款（默认：今天）")] = None,
) -> None:
    """存量基金移交计划（先清偿历史欠账）；给出 --db 时记账。"""
    posted = None
    try:
        rule = _rule(rule_file, LegacyHandoverRule, "rule_file")
        arrears = [Arrear(creditor, yuan(amount, "--arrear")) for creditor, amount in
                   (_pair(a, "--arrear") for a in arrear)]
        plan = handover_plan(fund, county, yuan(legacy_balance, "--legacy-balance"), arrears, rule)
        if db is not None:
            last = day(until, "--until") if until else dt.date.today()
            result: dict = {}
            run(db, lambda store: result.update(posted=ops.handover(
                store, rule, fund, county, plan.legacy_balance, arrears, last)[1]))
            posted = result["posted"]
    except FundInputError as error:
        raise fail(error) from None
    _print({**({"posted": [p.to_json() for p in posted]} if posted is not None else {}),"reason": plan.reason, "arrears_cleared_fen": plan.arrears_cleared,
            "arrears_outstanding_fen": plan.arrears_outstanding, "handover_base_fen": plan.handover_base,
            "tranches": [{"on": on.isoformat(), "amount_fen": amount} for on, amount in plan.tranches],
            "movements": [movement_record(m) for m in plan.movements]})


@funds_app.command("remit")
def remit_command(
    rule_file: Annotated[Path, typer.Argument(help="风险调剂金规则（risk_adjustment）文件")],
    on: Annotated[str, typer.Option(help="上解日期 YYYY-MM-DD")],
    revenue: Annotated[list[str], typer.Option(help="上年度筹资总额 FUND:COUNTY=YUAN, repeatable")] = [],  # noqa: B006
    db: Annotated[Optional[str], typer.Option("--db", help="从该数据库的账务计算筹资总额并记账")] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="与 --db 同用：上解年度（默认：--on 所在年度）")] = None,
) -> None:
    """风险调剂金上解额（上年度统筹基金筹资总额 × 比例）；给出 --db 时从账务计算并记账。"""
    try:
        rule = _rule(rule_file, RiskAdjustmentRule, "rule_file")
        try:
            when = dt.date.fromisoformat(on)
        except ValueError:
            raise FundInputError("--on", f"expected YYYY-MM-DD, got {on!r}") from None
        if db is not None:
            if revenue:
                raise FundInputError("--revenue", "with --db the revenue comes from the ledger")
            out: dict = {}
            run(db, lambda store: out.update(zip(("base", "moves", "posted"),
                                                 ops.remit(store, rule, year or when.year, when))))
            _print({"base_fen": {f"{f}:{c}": v for (f, c), v in out["base"].items()},
                    "movements": [movement_record(mv) for mv in out["moves"]],
                    "posted": [p.to_json() for p in out["posted"]]})
            return
        if not revenue:
            raise FundInputError("--revenue", "give --revenue FUND:COUNTY=YUAN (or --db)")
        revenues = {}
        for item in revenue:
            key, amount = _pair(item, "--revenue")
            fund, sep, county = key.partition(":")
            if not sep or not fund or not county:
                raise FundInputError("--revenue", f"expected FUND:COUNTY=YUAN, got {item!r}")
            revenues[(fund, county)] = yuan(amount, "--revenue")
        moves = remittances(revenues, rule, when)
    except FundInputError as error:
        raise fail(error) from None
    _print([movement_record(m) for m in moves])
