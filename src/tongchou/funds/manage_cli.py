"""`tongchou funds …`: the fund's rules and plans on the command line (a thin shell over the core).

- ``tongchou funds check FILE…``: validate rule files of policies/funds/ (errors name the field);
- ``tongchou funds handover RULE --fund F --county C --legacy-balance YUAN [--arrear CREDITOR=YUAN …]``:
  the legacy handover plan and its movements, as JSON;
- ``tongchou funds remit RULE --on DATE --revenue FUND:COUNTY=YUAN …``: the risk adjustment remittances.

Bad input goes to stderr naming the option or field, with exit status 2.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import LegacyHandoverRule, RiskAdjustmentRule, load_rule
from tongchou.funds.risk_adjustment import remittances
from tongchou.funds.subledger import movement_record
from tongchou.funds.transition import Arrear, handover_plan
from tongchou.money import MoneyError, to_fen

BAD_INPUT = 2
app = typer.Typer(help="统筹基金 — 规则校验、存量基金移交、风险调剂金上解。", no_args_is_help=True, add_completion=False)


def _fail(error: FundInputError) -> None:
    typer.echo(f"错误 {error.field}: {error.message}", err=True)
    raise typer.Exit(BAD_INPUT)


def _yuan(text: str, option: str) -> int:
    try:
        return to_fen(text)
    except MoneyError as exc:
        raise FundInputError(option, str(exc)) from None


def _pair(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise FundInputError(option, f"expected NAME=YUAN, got {text!r}")
    return key, value


def _rule(path: Path, kind: type, option: str):
    rule = load_rule(path)
    if not isinstance(rule, kind):
        raise FundInputError(option, f"{path.name} is a {rule.kind} rule")
    return rule


def _print(data: object) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


@app.command("check")
def check_command(files: Annotated[list[Path], typer.Argument(help="rule files (YAML)")]) -> None:
    """校验基金规则文件。"""
    try:
        for path in files:
            rule = load_rule(path)
            typer.echo(f"{path.name}: {rule.kind} {rule.id}{'（示例）' if rule.example else ''} 通过")
    except FundInputError as error:
        _fail(error)


@app.command("handover")
def handover_command(
    rule_file: Annotated[Path, typer.Argument(help="legacy_handover rule")],
    fund: Annotated[str, typer.Option(help="e.g. resident_pooled")],
    county: Annotated[str, typer.Option()],
    legacy_balance: Annotated[str, typer.Option(help="存量基金, yuan")],
    arrear: Annotated[list[str], typer.Option(help="历史欠账 CREDITOR=YUAN, repeatable, in clearing order")] = [],  # noqa: B006
    db: Annotated[Optional[str], typer.Option("--db", help="post to this store (the legacy balance once, "
                                              "the arrears, the tranches due by --until)")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="with --db: post tranches due by this date (default today)")] = None,
) -> None:
    """存量基金移交计划（先清偿历史欠账）；给出 --db 时记账。"""
    posted = None
    try:
        rule = _rule(rule_file, LegacyHandoverRule, "rule_file")
        arrears = [Arrear(creditor, _yuan(amount, "--arrear")) for creditor, amount in
                   (_pair(a, "--arrear") for a in arrear)]
        plan = handover_plan(fund, county, _yuan(legacy_balance, "--legacy-balance"), arrears, rule)
        if db is not None:
            from tongchou.funds import store_cli, store_ops
            last = store_cli.day(until, "--until") if until else dt.date.today()
            result: dict = {}
            store_cli.run(db, lambda store: result.update(posted=store_ops.handover(
                store, rule, fund, county, plan.legacy_balance, arrears, last)[1]))
            posted = result["posted"]
    except FundInputError as error:
        _fail(error)
    _print({**({"posted": [p.to_json() for p in posted]} if posted is not None else {}),"reason": plan.reason, "arrears_cleared_fen": plan.arrears_cleared,
            "arrears_outstanding_fen": plan.arrears_outstanding, "handover_base_fen": plan.handover_base,
            "tranches": [{"on": on.isoformat(), "amount_fen": amount} for on, amount in plan.tranches],
            "movements": [movement_record(m) for m in plan.movements]})


@app.command("remit")
def remit_command(
    rule_file: Annotated[Path, typer.Argument(help="risk_adjustment rule")],
    on: Annotated[str, typer.Option(help="remittance date YYYY-MM-DD")],
    revenue: Annotated[list[str], typer.Option(help="上年度筹资总额 FUND:COUNTY=YUAN, repeatable")] = [],  # noqa: B006
    db: Annotated[Optional[str], typer.Option("--db", help="compute the revenue from this store's ledger and post")] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="with --db: the remittance year (default: the year of --on)")] = None,
) -> None:
    """风险调剂金上解额（上年度统筹基金筹资总额 × 比例）；给出 --db 时从账务计算并记账。"""
    try:
        rule = _rule(rule_file, RiskAdjustmentRule, "rule_file")
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise FundInputError("--on", f"expected YYYY-MM-DD, got {on!r}") from None
        if db is not None:
            if revenue:
                raise FundInputError("--revenue", "with --db the revenue comes from the ledger")
            from tongchou.funds import store_cli, store_ops
            out: dict = {}
            store_cli.run(db, lambda store: out.update(zip(("base", "moves", "posted"),
                                                           store_ops.remit(store, rule, year or day.year, day))))
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
            revenues[(fund, county)] = _yuan(amount, "--revenue")
        moves = remittances(revenues, rule, day)
    except FundInputError as error:
        _fail(error)
    _print([movement_record(m) for m in moves])


from tongchou.funds.store_cli import register as _register_store_commands  # noqa: E402

_register_store_commands(app)
