"""`tongchou clearing …`: the command line of clearing (a thin shell over the core and `service`).

Over a claims table (DuckDB, `source`):

    clearing statement     --claims FILE --institution CODE --month YYYY-MM [--declared FILE]
    clearing dip           --claims FILE --year YYYY --budget YUAN [--institution CODE]
    clearing global-budget --claims FILE --year YYYY --budgets FILE [--institution CODE]
    clearing capitation    --claims FILE --enrolment FILE

each with [--rules FILE] [--institutions FILE] [--format json|md|html] [--output FILE]. Against the store:

    clearing plan PLAN.yaml --db URL --year 2018 [--by 张三]
    clearing run --db URL --month 2018-03 [--declared DECLARED.yaml] [--format json|md|html]
    clearing approve --db URL --month 2018-03 --by 李四 [--institution CODE] [--accept-difference]
    clearing pay --db URL --month 2018-03 --on 2018-04-10 [--institution CODE]
    clearing year-end --db URL --year 2018
    clearing approve --db URL --year 2018 --by 李四;  clearing pay --db URL --year 2018 --on 2018-12-31

`run --declared`: YAML/JSON `{CODE: {medfee_sumamt, fund_pay_sumamt, acct_pay, fixmedins_setl_cnt}}`, each
the institution's own 3201 totals. Bad input is reported on stderr naming the option (or the file and
field) with exit status 2, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from sqlalchemy.exc import DBAPIError

from tongchou.clearing.capitation import CapitationSettlement, capitation_settlement
from tongchou.clearing.dip import DipYearEnd, dip_year_end
from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.global_budget import (
    GlobalBudgetSettlement,
    ReserveRelease,
    global_budget_settlement,
    reserve_release,
)
from tongchou.clearing import service
from tongchou.clearing.documents import capitation_document, dip_document, global_budget_document, statement_document
from tongchou.clearing.records import Institution, Period, sum_totals
from tongchou.clearing.rules import ClearingRules, load_rules
from tongchou.clearing.source import ClaimsTable
from tongchou.clearing.statement import DeclaredTotals, monthly_statement, reconcile
from tongchou.documents import Document, from_json, render
from tongchou.money import MoneyError, apply_rate, fen_to_str, to_fen
from tongchou.store.uow import Store

BAD_INPUT = 2

app = typer.Typer(name="clearing", help="清算 — 与定点医药机构清算：月度结算单、DIP、总额预算、"
                  "按人头付费。", no_args_is_help=True, add_completion=False)


class OutputFormat(str, Enum):
    json = "json"
    md = "md"
    html = "html"


# --------------------------------------------------------------------------- input files


def read_yaml(path: Path, option: str) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClearingInputError(option, f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ClearingInputError(option, f"{path} is not YAML/JSON: {exc}") from None


def institution_entries(data: Any, option: str) -> list[dict[str, Any]]:
    """The `institutions:` list of a file (the `tongchou load` fixture shape), each with a `code`."""
    items = data.get("institutions") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ClearingInputError(option, "expected a list under `institutions:`")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not str(item.get("code") or "").strip():
            raise ClearingInputError(f"{option} institutions[{index}].code", "every institution needs a code")
    return items


def load_names(path: Path | None, option: str = "--institutions") -> dict[str, dict[str, Any]]:
    if path is None:
        return {}
    return {str(item["code"]).strip(): item for item in institution_entries(read_yaml(path, option), option)}


def institution_of(code: str, hosp_lv: int, names: dict[str, dict[str, Any]]) -> Institution:
    item = names.get(code, {})
    level = item.get("hosp_lv", hosp_lv)
    return Institution(code, str(item.get("name") or ""), int(level) if str(level).isdigit() else hosp_lv)


def parse_fen(value: Any, where: str) -> int:
    try:
        return to_fen(value)
    except MoneyError as exc:
        raise ClearingInputError(where, str(exc)) from None


def parse_score(value: Any, where: str) -> Decimal:
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise ClearingInputError(where, f"not a number: {value!r}") from None
    if not score.is_finite() or score < 0:
        raise ClearingInputError(where, f"a score must be a number ≥ 0: {value!r}")
    return score


def parse_year(year: int) -> Period:
    if not 1990 <= year <= 2999:
        raise ClearingInputError("--year", f"expected a year YYYY, got {year}")
    return Period.year(year)


def declared_totals(data: Any, where: str) -> DeclaredTotals:
    """An institution's 3201 totals: medfee_sumamt, fund_pay_sumamt, acct_pay (元), fixmedins_setl_cnt."""
    if not isinstance(data, dict):
        raise ClearingInputError(where, "expected the 3201 `data` object")
    values = []
    for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay"):
        if name not in data:
            raise ClearingInputError(f"{where} {name}", "missing")
        values.append(parse_fen(data[name], f"{where} {name}"))
    count = data.get("fixmedins_setl_cnt")
    if isinstance(count, bool) or not str(count).strip().isdigit():
        raise ClearingInputError(f"{where} fixmedins_setl_cnt", f"expected a whole number, got {count!r}")
    return DeclaredTotals(*values, int(str(count).strip()))


def load_declared(path: Path, option: str = "--declared") -> tuple[DeclaredTotals, str | None]:
    """A 3201 input `data` object (JSON or YAML), or the whole national envelope around it."""
    data = read_yaml(path, option)
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    insutype = data.get("insutype") if isinstance(data, dict) else None
    return declared_totals(data, option), None if insutype in (None, "") else str(insutype)


# --------------------------------------------------------------------------- computations (reused by bench/)


def statement_for(claims: Path, institution: str, month: str, rules: ClearingRules,
                  names: dict[str, dict[str, Any]], declared: Path | None = None) -> Document:
    period = Period.month(month, "--month")
    code = institution.strip()
    if not code:
        raise ClearingInputError("--institution", "empty institution code")
    with ClaimsTable(claims) as table:
        cells = table.settlement_cells(code, period)
        levels = table.institutions(period)
    statement = monthly_statement(institution_of(code, levels.get(code, 0), names), month.strip(), cells,
                                  rules.clearing)
    reconciliation = None
    if declared is not None:
        theirs, insutype = load_declared(declared)
        chosen = [c.totals for c in cells if insutype is None or c.insutype == insutype]
        reconciliation = reconcile(theirs, DeclaredTotals.of(sum_totals(chosen)))
    return statement_document(statement, rules, reconciliation)


def dip_for(claims: Path, year: int, budget_fen: int, rules: ClearingRules,
            names: dict[str, dict[str, Any]] | None = None) -> DipYearEnd:
    period = parse_year(year)
    if budget_fen <= 0:
        raise ClearingInputError("--budget", "the DIP budget must be above 0")
    names = names or {}
    with ClaimsTable(claims) as table:
        points = table.dip_points(period, rules.dip)
    if not points:
        raise ClearingInputError("--claims", f"no DIP cases (med_type {', '.join(rules.dip.med_types)}) in {year}")
    points = tuple(type(p)(institution_of(p.institution.code, p.institution.hosp_lv, names), p.monthly_units, p.cases)
                   for p in points)
    try:
        return dip_year_end(year, budget_fen, points, rules.dip)
    except ClearingInputError as exc:
        raise ClearingInputError(f"--claims {exc.where}", exc.message) from None


def global_budget_for(claims: Path, year: int, budgets: Path, rules: ClearingRules,
                      names: dict[str, dict[str, Any]], institution: str | None = None
                      ) -> list[tuple[GlobalBudgetSettlement, ReserveRelease | None]]:
    period = parse_year(year)
    items = institution_entries(read_yaml(budgets, "--budgets"), "--budgets")
    gb, params = rules.global_budget, rules.clearing
    with ClaimsTable(claims) as table:
        sums = table.monthly_sums(period, set(gb.budget_fields) | set(params.reserve_base_fields))
        levels = table.institutions(period)
    actual: dict[str, int] = defaultdict(int)
    withheld: dict[str, int] = defaultdict(int)
    for (code, _month), values in sums.items():
        actual[code] += sum(values[name] for name in gb.budget_fields)
        # the reserve was withheld month by month, each month rounded to the fen
        withheld[code] += sum(apply_rate(values[name], params.quality_reserve_rate)
                              for name in params.reserve_base_fields)
    results = []
    for index, item in enumerate(items):
        code = str(item["code"]).strip()
        if institution is not None and code != institution.strip():
            continue
        where = f"--budgets institutions[{index}]"
        if "budget" not in item:
            raise ClearingInputError(f"{where}.budget", "missing")
        budget = parse_fen(item["budget"], f"{where}.budget")
        if budget <= 0:
            raise ClearingInputError(f"{where}.budget", "must be above 0")
        who = institution_of(code, levels.get(code, 0), {**names, code: {**names.get(code, {}), **item}})
        settlement = global_budget_settlement(who, year, budget, actual[code], gb)
        release = None
        if item.get("score") is not None:
            release = reserve_release(who, year, withheld[code], parse_score(item["score"], f"{where}.score"), params)
        results.append((settlement, release))
    if institution is not None and not results:
        raise ClearingInputError("--institution", f"{institution} has no budget in {budgets}")
    return results


def capitation_for(claims: Path, enrolment: Path, rules: ClearingRules,
                   names: dict[str, dict[str, Any]]) -> tuple[list[CapitationSettlement], str]:
    items = institution_entries(read_yaml(enrolment, "--enrolment"), "--enrolment")
    months: set[str] = set()
    enrolled: dict[str, dict[str, int]] = {}
    for index, item in enumerate(items):
        by_month = item.get("enrolled")
        where = f"--enrolment institutions[{index}].enrolled"
        if not isinstance(by_month, dict) or not by_month:
            raise ClearingInputError(where, "expected a mapping YYYY-MM: persons")
        for month, count in by_month.items():
            Period.month(str(month), where)
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ClearingInputError(f"{where}.{month}", f"expected a whole number of persons, got {count!r}")
        enrolled[str(item["code"]).strip()] = {str(m): c for m, c in by_month.items()}
        months |= {str(m) for m in by_month}
    first, last = min(months), max(months)
    period = Period(Period.month(first).start, Period.month(last).end)
    with ClaimsTable(claims) as table:
        sums = table.monthly_sums(period, rules.capitation.cost_fields, rules.capitation.med_types)
        levels = table.institutions(period)
    results = []
    label = first if first == last else f"{first}～{last}"
    for code, by_month in enrolled.items():
        costs = sum(v for (c, month), values in sums.items() if c == code and month in by_month
                    for v in values.values())
        who = institution_of(code, levels.get(code, 0), names)
        results.append(capitation_settlement(who, label, by_month, costs, rules.capitation))
    return results, label


# --------------------------------------------------------------------------- commands


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ClearingInputError("--output", f"cannot write {output}: {exc.strerror or exc}") from None


def fail(command: str, exc: ClearingInputError) -> typer.Exit:
    typer.echo(f"tongchou clearing {command}: error: {exc}", err=True)
    return typer.Exit(BAD_INPUT)


HELP = {
    "claims": "结算表（带表头的 .csv、.parquet 或 .parquet 目录）；DIP 需含 diag_code/oprn_code "
              "列。",
    "rules": "清算规则（YAML）；默认：policies/clearing/example-city.yaml（示例参数）。",
    "institutions": "机构名录 YAML，格式 `institutions: [{code, name, hosp_lv}]`（结算单上显示的机构名称）。",
    "format": "输出格式：json、md 或 html。",
    "output": "输出到该文件，而不是标准输出。",
}

ClaimsOption = Annotated[Path, typer.Option("--claims", help=HELP["claims"])]
RulesOption = Annotated[Path | None, typer.Option("--rules", help=HELP["rules"])]
NamesOption = Annotated[Path | None, typer.Option("--institutions", help=HELP["institutions"])]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help=HELP["format"])]
OutputOption = Annotated[Path | None, typer.Option("--output", help=HELP["output"])]


def emit(document: Document, output_format: OutputFormat, output: Path | None) -> None:
    write_output(render(document, output_format.value), output)


@app.command("statement")
def statement_command(
    claims: ClaimsOption,
    institution: Annotated[str, typer.Option("--institution", help="定点医药机构编号（fixmedins_code）。")],
    month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM（按 enddate 出院/结束日期取结算）。")],
    declared: Annotated[Path | None, typer.Option("--declared", help="机构申报的 3201 对总账数（JSON/YAML），"
                                                  "用于核对。")] = None,
    rules: RulesOption = None, institutions: NamesOption = None,
    output_format: FormatOption = OutputFormat.json, output: OutputOption = None,
) -> None:
    """月度结算单：定点医药机构的月度结算单（给出 --declared 时附 3201 对总账核对）。"""
    try:
        document = statement_for(claims, institution, month, load_rules(rules), load_names(institutions), declared)
        emit(document, output_format, output)
    except ClearingInputError as exc:
        raise fail("statement", exc) from None


@app.command("dip")
def dip_command(
    claims: ClaimsOption,
    year: Annotated[int, typer.Option("--year", help="年度 YYYY（按 enddate 出院/结束日期取病例）。")],
    budget: Annotated[str, typer.Option("--budget", help="可用于 DIP 的统筹基金预算（元）。")],
    institution: Annotated[str | None, typer.Option("--institution", help="只看该机构，并列出其"
                                                    "按月预付。")] = None,
    rules: RulesOption = None, institutions: NamesOption = None,
    output_format: FormatOption = OutputFormat.json, output: OutputOption = None,
) -> None:
    """DIP 年度清算：点值、各机构应付金额、预付与清算。"""
    try:
        rule_set = load_rules(rules)
        year_end = dip_for(claims, year, parse_fen(budget, "--budget"), rule_set, load_names(institutions))
        if institution is not None and all(s.institution.code != institution.strip() for s in year_end.institutions):
            raise ClearingInputError("--institution", f"{institution} has no DIP cases in {year}")
        emit(dip_document(year_end, rule_set, None if institution is None else institution.strip()),
             output_format, output)
    except ClearingInputError as exc:
        raise fail("dip", exc) from None


@app.command("global-budget")
def global_budget_command(
    claims: ClaimsOption,
    year: Annotated[int, typer.Option("--year", help="年度 YYYY。")],
    budgets: Annotated[Path, typer.Option("--budgets", help="各机构总额预算 YAML：institutions: [{code, budget（预算，元）, "
                                          "score（年终考核得分，可选）}]。")],
    institution: Annotated[str | None, typer.Option("--institution", help="只看该机构，并列出其"
                                                    "分段计算。")] = None,
    rules: RulesOption = None, institutions: NamesOption = None,
    output_format: FormatOption = OutputFormat.json, output: OutputOption = None,
) -> None:
    """总额预算年度清算：超支与结余按分段分担；质量保证金按考核得分返还。"""
    try:
        rule_set = load_rules(rules)
        results = global_budget_for(claims, year, budgets, rule_set, load_names(institutions), institution)
        emit(global_budget_document(year, results, rule_set, institution), output_format, output)
    except ClearingInputError as exc:
        raise fail("global-budget", exc) from None


@app.command("capitation")
def capitation_command(
    claims: ClaimsOption,
    enrolment: Annotated[Path, typer.Option("--enrolment", help="各机构按月签约人数 YAML：institutions: [{code, enrolled: "
                                            "{YYYY-MM: 签约人数}}]。")],
    rules: RulesOption = None, institutions: NamesOption = None,
    output_format: FormatOption = OutputFormat.json, output: OutputOption = None,
) -> None:
    """按人头付费清算：人头定额 × 签约人月数，与门诊统筹基金支出对比。"""
    try:
        rule_set = load_rules(rules)
        results, label = capitation_for(claims, enrolment, rule_set, load_names(institutions))
        emit(capitation_document(results, rule_set, label), output_format, output)
    except ClearingInputError as exc:
        raise fail("capitation", exc) from None


# --------------------------------------------------------------------------- against the store


DB_HELP = "数据库地址（默认：环境变量 TONGCHOU_DB，否则 ./var/tongchou.db）"
Db = Annotated[str | None, typer.Option("--db", help=DB_HELP)]


def run_on_store(command: str, db: str | None, work) -> None:
    store = Store.open(db)
    try:
        work(store)
    except ClearingInputError as exc:
        raise fail(command, exc) from None
    except DBAPIError as exc:
        typer.echo(f"tongchou clearing {command}: error: database: {str(exc.orig).splitlines()[0]}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    finally:
        store.close()


def _period(month: str | None, year: int | None) -> tuple[str, str]:
    if (month is None) == (year is None):
        raise ClearingInputError("--month/--year", "give exactly one: --month YYYY-MM (monthly) or --year YYYY (year end)")
    if month is not None:
        Period.month(month)
        return service.MONTHLY, month
    return service.YEAR_END, str(year)


def summary(runs) -> list[dict[str, Any]]:
    return [{"institution": r.fixmedins_code, "period": r.period, "kind": r.kind, "status": r.status,
             "payable_fen": r.payable, "payable": fen_to_str(r.payable), "matched": r.matched,
             "approved_by": r.approved_by, "paid_on": r.paid_on.isoformat() if r.paid_on else None,
             "entry_id": r.entry_id} for r in runs]


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command("plan")
def plan_command(file: Annotated[Path, typer.Argument(help="清算计划 YAML：dip_budget（DIP 预算）、global_budgets（总额预算）、scores（年终考核得分）、capitation（按人头付费）")],
                 year: Annotated[int, typer.Option("--year")], db: Db = None,
                 by: Annotated[str | None, typer.Option("--by")] = None) -> None:
    """导入年度清算计划（DIP 预算、总额预算、年终考核得分、按人头付费签约人数）。"""
    run_on_store("plan", db, lambda store: _print(service.import_plan(store, year, read_yaml(file, "plan"), by)))


@app.command("run")
def run_command(month: Annotated[str, typer.Option("--month", help="月份 YYYY-MM")], db: Db = None, rules: RulesOption = None,
                declared: Annotated[Path | None, typer.Option("--declared", help="机构申报的 3201 对总账数 YAML/JSON，格式 {机构编号: 3201 数}")] = None,
                output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.json) -> None:
    """月度清算：生成各机构结算单（草稿），与机构申报的对总账数核对。"""
    def work(store: Store) -> None:
        by_institution = {}
        if declared is not None:
            data = read_yaml(declared, "--declared")
            if not isinstance(data, dict):
                raise ClearingInputError("--declared", "expected {CODE: totals}")
            for code, totals in data.items():
                by_institution[str(code)] = declared_totals(totals, f"--declared {code}")
        runs = service.run_month(store, load_rules(rules), month, by_institution)
        if output_format == OutputFormat.json:
            _print([{**s, "statement": r.document} for s, r in zip(summary(runs), runs)])
        else:
            for r in runs:
                sys.stdout.write(render(from_json(r.document), output_format.value))
    run_on_store("run", db, work)


@app.command("approve")
def approve_command(by: Annotated[str, typer.Option("--by", help="审核人")], db: Db = None,
                    month: Annotated[str | None, typer.Option("--month")] = None,
                    year: Annotated[int | None, typer.Option("--year", help="年度清算的年度")] = None,
                    institution: Annotated[str | None, typer.Option("--institution")] = None,
                    accept_difference: Annotated[bool, typer.Option("--accept-difference")] = False) -> None:
    """审核清算单（记录审核人）。"""
    def work(store: Store) -> None:
        kind, period = _period(month, year)
        _print(summary(service.approve(store, kind, period, by, institution, accept_difference)))
    run_on_store("approve", db, work)


@app.command("pay")
def pay_command(on: Annotated[str, typer.Option("--on", help="支付日期 YYYY-MM-DD")], db: Db = None,
                month: Annotated[str | None, typer.Option("--month")] = None,
                year: Annotated[int | None, typer.Option("--year")] = None,
                institution: Annotated[str | None, typer.Option("--institution")] = None) -> None:
    """支付已审核的清算单：记账（应付机构款与银行存款、质量保证金），标记已支付。"""
    def work(store: Store) -> None:
        kind, period = _period(month, year)
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise ClearingInputError("--on", f"expected YYYY-MM-DD, got {on!r}") from None
        _print(summary(service.pay(store, kind, period, day, institution)))
    run_on_store("pay", db, work)


@app.command("year-end")
def year_end_command(year: Annotated[int, typer.Option("--year")], db: Db = None, rules: RulesOption = None) -> None:
    """年终清算（草稿）：总额预算、DIP 清算、质量保证金返还。"""
    def work(store: Store) -> None:
        runs = service.year_end(store, load_rules(rules), year)
        _print([{**s, "settlement": r.document} for s, r in zip(summary(runs), runs)])
    run_on_store("year-end", db, work)



def main() -> None:  # pragma: no cover - `python -m tongchou.clearing.cli`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

