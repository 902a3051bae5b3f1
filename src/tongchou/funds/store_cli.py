"""`tongchou funds …` against the store (a thin shell over `store_ops` and `store_views`).

    tongchou funds balances --db URL --on 2018-06-30 [--county 371525] [--format json|md]
    tongchou funds budget import budget.csv --db URL [--by 张三]
    tongchou funds budget set --db URL --year 2018 --fund resident_pooled --county 371525 --revenue 1200000 --expenditure 1140000
    tongchou funds budget show --db URL --year 2018 [--fund resident_pooled --month 6]
    tongchou funds premium --db URL --county 371525 --year 2018 --period 2018H1 --on 2018-01-31 --amount 60000 --insurer 某保险公司
    tongchou funds allocate RULE --db URL --fund resident_pooled --year 2018 --on 2019-04-15 --met 371525=unified_policy,remitted_on_time,targets_met
    tongchou funds deficit RULE --db URL --fund resident_pooled --county 371525 --year 2018 --on 2019-04-20
    tongchou funds close-month --db URL --month 2018-06 --by 张三
    tongchou funds final-accounts --db URL --year 2018 --fund resident_pooled [--format md]
    tongchou funds risk-statement RULE --db URL --year 2019 [--format md]

`handover` and `remit` (manage_cli) post to the store when given `--db`. Amounts on the command line are
yuan; bad input goes to stderr naming the option or field, exit status 2.
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

from tongchou.funds import store_ops as ops
from tongchou.funds import store_views as views
from tongchou.funds.budget import BudgetLine, parse_budget_csv, parse_budget_yaml
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import DeficitSharingRule, RiskAdjustmentRule, load_rule
from tongchou.money import MoneyError, to_fen
from tongchou.store import models as m
from tongchou.store.uow import Store

BAD_INPUT = 2
DB_HELP = "database URL (default: env TONGCHOU_DB or ./var/tongchou.db)"


class Format(str, Enum):
    json = "json"
    md = "md"


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


def emit(doc: dict[str, Any], output_format: Format, output: Path | None = None) -> None:
    content = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n" if output_format == Format.json
               else views.to_markdown(doc))
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
FormatOption = Annotated[Format, typer.Option("--format", help="json or md")]
Output = Annotated[Optional[Path], typer.Option("--output", help="write to FILE instead of stdout")]


def balances_command(on: Annotated[str, typer.Option("--on", help="date YYYY-MM-DD")], db: Db = None,
                     county: Annotated[Optional[str], typer.Option("--county")] = None,
                     output_format: FormatOption = Format.json, output: Output = None) -> None:
    """基金余额表：各基金分区县及全统筹区的累计结余、本年收入与支出（来自账务）。"""
    def work(store: Store) -> None:
        when = day(on, "--on")
        emit(views.balances_document(ops.balances(store, when, county), when.isoformat(), names(store)),
             output_format, output)
    run(db, work)


budget_app = typer.Typer(help="基金预算（按年度、基金、区县）", no_args_is_help=True, add_completion=False)


@budget_app.command("import")
def budget_import(file: Annotated[Path, typer.Argument(help="budget CSV (year,fund,county,revenue,expenditure) or YAML")],
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
               revenue: Annotated[str, typer.Option("--revenue", help="yuan")],
               expenditure: Annotated[str, typer.Option("--expenditure", help="yuan")],
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
                month: Annotated[Optional[int], typer.Option("--month", help="with --fund: execution to this month")] = None,
                output_format: FormatOption = Format.json, output: Output = None) -> None:
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


def premium_command(county: Annotated[str, typer.Option("--county")], year: Annotated[int, typer.Option("--year")],
                    period: Annotated[str, typer.Option("--period", help="what the premium covers, e.g. 2018 or 2018Q1")],
                    on: Annotated[str, typer.Option("--on")], amount: Annotated[str, typer.Option("--amount", help="yuan")],
                    insurer: Annotated[Optional[str], typer.Option("--insurer", help="the insurer (none: run by the fund)")] = None,
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


def allocate_command(rule_file: Annotated[Path, typer.Argument(help="risk_adjustment rule")],
                     fund: Annotated[str, typer.Option("--fund")], year: Annotated[int, typer.Option("--year", help="the overspent year")],
                     on: Annotated[str, typer.Option("--on")],
                     met: Annotated[list[str], typer.Option("--met", help="COUNTY=COND,COND (conditions met), repeatable")] = [],  # noqa: B006
                     all_met: Annotated[bool, typer.Option("--all-met", help="every county met every condition")] = False,
                     db: Db = None, output_format: FormatOption = Format.json) -> None:
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
        doc["posted"] = [p.to_json() for p in posted]
        emit(doc, output_format)
    run(db, work)


def deficit_command(rule_file: Annotated[Path, typer.Argument(help="deficit_sharing rule")],
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


def close_month_command(month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
                        by: Annotated[str, typer.Option("--by", help="who closes the month")],
                        db: Db = None, output_format: FormatOption = Format.json) -> None:
    """月结：记录本月结账（此后记账日期在本月及以前的凭证一律拒绝）。"""
    def work(store: Store) -> None:
        row = ops.close_month(store, month, by, views.close_summary)
        emit(views.close_document(row.month, row.closed_by, row.summary, names(store)), output_format)
    run(db, work)


def final_accounts_command(year: Annotated[int, typer.Option("--year")], fund: Annotated[str, typer.Option("--fund")],
                           db: Db = None, output_format: FormatOption = Format.json, output: Output = None) -> None:
    """基金决算表（分区县及全统筹区）。"""
    def work(store: Store) -> None:
        def read(session):
            return ops.final_accounts_rows(session, year, fund), ops.closed_to(session)
        rows, closed = store.read(read)
        emit(views.final_accounts_document(rows, names(store), closed.isoformat() if closed else None),
             output_format, output)
    run(db, work)


def risk_statement_command(rule_file: Annotated[Path, typer.Argument(help="risk_adjustment rule")],
                           year: Annotated[int, typer.Option("--year")], db: Db = None,
                           output_format: FormatOption = Format.json, output: Output = None) -> None:
    """风险调剂金收支表（来自账务）。"""
    def work(store: Store) -> None:
        rule = _rule(rule_file, RiskAdjustmentRule, "rule_file")
        statement = store.read(lambda s: ops.risk_statement(s, rule, year))
        emit(views.risk_statement_document(statement, rule.name, rule.holder, names(store)), output_format, output)
    run(db, work)


def register(app: typer.Typer) -> None:
    """Add the store commands to `tongchou funds`."""
    app.command("balances")(balances_command)
    app.add_typer(budget_app, name="budget")
    app.command("premium")(premium_command)
    app.command("allocate")(allocate_command)
    app.command("deficit")(deficit_command)
    app.command("close-month")(close_month_command)
    app.command("final-accounts")(final_accounts_command)
    app.command("risk-statement")(risk_statement_command)
