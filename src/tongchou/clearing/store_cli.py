"""`tongchou clearing …` against the store (a thin shell over `store_ops`):

    tongchou clearing plan PLAN.yaml --db URL --year 2018 [--by 张三]
    tongchou clearing run --db URL --month 2018-03 [--declared DECLARED.yaml] [--format json|md]
    tongchou clearing approve --db URL --month 2018-03 --by 李四 [--institution CODE] [--accept-difference]
    tongchou clearing pay --db URL --month 2018-03 --on 2018-04-10 [--institution CODE]
    tongchou clearing year-end --db URL --year 2018
    tongchou clearing approve --db URL --year 2018 --by 李四;  tongchou clearing pay --db URL --year 2018 --on 2018-12-31

`--declared`: YAML/JSON `{CODE: {medfee_sumamt, fund_pay_sumamt, acct_pay, fixmedins_setl_cnt}}`, each the
institution's own 3201 totals. Bad input: stderr naming the option or field, exit status 2.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from sqlalchemy.exc import DBAPIError

from tongchou.clearing import store_ops as ops
from tongchou.clearing.cli import BAD_INPUT, OutputFormat, read_yaml
from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.render import RENDERERS
from tongchou.clearing.rules import load_rules
from tongchou.money import fen_to_str
from tongchou.store.uow import Store

DB_HELP = "database URL (default: env TONGCHOU_DB or ./var/tongchou.db)"
Db = Annotated[Optional[str], typer.Option("--db", help=DB_HELP)]
Rules = Annotated[Optional[Path], typer.Option("--rules", help="clearing rules (default: the shipped example)")]


def run(command: str, db: str | None, work) -> None:
    store = Store.open(db)
    try:
        work(store)
    except ClearingInputError as exc:
        typer.echo(f"tongchou clearing {command}: error: {exc}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    except DBAPIError as exc:
        typer.echo(f"tongchou clearing {command}: error: database: {str(exc.orig).splitlines()[0]}", err=True)
        raise typer.Exit(BAD_INPUT) from None
    finally:
        store.close()


def _period(month: str | None, year: int | None) -> tuple[str, str]:
    if (month is None) == (year is None):
        raise ClearingInputError("--month/--year", "give exactly one: --month YYYY-MM (monthly) or --year YYYY (year end)")
    if month is not None:
        ops.Period.month(month)
        return ops.MONTHLY, month
    return ops.YEAR_END, str(year)


def summary(runs) -> list[dict[str, Any]]:
    return [{"institution": r.fixmedins_code, "period": r.period, "kind": r.kind, "status": r.status,
             "payable_fen": r.payable, "payable": fen_to_str(r.payable), "matched": r.matched,
             "approved_by": r.approved_by, "paid_on": r.paid_on.isoformat() if r.paid_on else None,
             "entry_id": r.entry_id} for r in runs]


def _print(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def plan_command(file: Annotated[Path, typer.Argument(help="plan YAML: dip_budget, global_budgets, scores, capitation")],
                 year: Annotated[int, typer.Option("--year")], db: Db = None,
                 by: Annotated[Optional[str], typer.Option("--by")] = None) -> None:
    """导入年度清算计划（DIP 预算、总额预算、年终考核得分、按人头付费签约人数）。"""
    run("plan", db, lambda store: _print(ops.import_plan(store, year, read_yaml(file, "plan"), by)))


def run_command(month: Annotated[str, typer.Option("--month", help="YYYY-MM")], db: Db = None, rules: Rules = None,
                declared: Annotated[Optional[Path], typer.Option("--declared", help="{CODE: 3201 totals} YAML/JSON")] = None,
                output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.json) -> None:
    """月度清算：生成各机构结算单（草稿），与机构申报的对总账数核对。"""
    def work(store: Store) -> None:
        declared_totals = {}
        if declared is not None:
            data = read_yaml(declared, "--declared")
            if not isinstance(data, dict):
                raise ClearingInputError("--declared", "expected {CODE: totals}")
            for code, totals in data.items():
                declared_totals[str(code)] = _declared(totals, f"--declared {code}")
        runs = ops.run_month(store, load_rules(rules), month, declared_totals)
        if output_format == OutputFormat.json:
            _print([{**s, "statement": r.document} for s, r in zip(summary(runs), runs)])
        else:
            for r in runs:
                sys.stdout.write(RENDERERS[output_format.value](r.document))
    run("run", db, work)


def _declared(data: Any, where: str):
    from tongchou.clearing.cli import parse_fen
    from tongchou.clearing.statement import DeclaredTotals
    if not isinstance(data, dict):
        raise ClearingInputError(where, "expected the 3201 totals")
    values = []
    for name in ("medfee_sumamt", "fund_pay_sumamt", "acct_pay"):
        if name not in data:
            raise ClearingInputError(f"{where} {name}", "missing")
        values.append(parse_fen(data[name], f"{where} {name}"))
    count = data.get("fixmedins_setl_cnt")
    if isinstance(count, bool) or not str(count).strip().lstrip("-").isdigit():
        raise ClearingInputError(f"{where} fixmedins_setl_cnt", f"expected a whole number, got {count!r}")
    return DeclaredTotals(*values, int(str(count).strip()))


def approve_command(by: Annotated[str, typer.Option("--by", help="who approves")], db: Db = None,
                    month: Annotated[Optional[str], typer.Option("--month")] = None,
                    year: Annotated[Optional[int], typer.Option("--year", help="the year-end settlement")] = None,
                    institution: Annotated[Optional[str], typer.Option("--institution")] = None,
                    accept_difference: Annotated[bool, typer.Option("--accept-difference")] = False) -> None:
    """审核清算单（记录审核人）。"""
    def work(store: Store) -> None:
        kind, period = _period(month, year)
        _print(summary(ops.approve(store, kind, period, by, institution, accept_difference)))
    run("approve", db, work)


def pay_command(on: Annotated[str, typer.Option("--on", help="payment date YYYY-MM-DD")], db: Db = None,
                month: Annotated[Optional[str], typer.Option("--month")] = None,
                year: Annotated[Optional[int], typer.Option("--year")] = None,
                institution: Annotated[Optional[str], typer.Option("--institution")] = None) -> None:
    """支付已审核的清算单：记账（应付机构款与银行存款、质量保证金），标记已支付。"""
    def work(store: Store) -> None:
        kind, period = _period(month, year)
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise ClearingInputError("--on", f"expected YYYY-MM-DD, got {on!r}") from None
        _print(summary(ops.pay(store, kind, period, day, institution)))
    run("pay", db, work)


def year_end_command(year: Annotated[int, typer.Option("--year")], db: Db = None, rules: Rules = None) -> None:
    """年终清算（草稿）：总额预算、DIP 清算、质量保证金返还。"""
    def work(store: Store) -> None:
        runs = ops.year_end(store, load_rules(rules), year)
        _print([{**s, "settlement": r.document} for s, r in zip(summary(runs), runs)])
    run("year-end", db, work)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
    app.command("run")(run_command)
    app.command("approve")(approve_command)
    app.command("pay")(pay_command)
    app.command("year-end")(year_end_command)
