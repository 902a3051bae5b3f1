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
from typing import Annotated

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
) -> None:
    """存量基金移交计划（先清偿历史欠账）。"""
    try:
        rule = _rule(rule_file, LegacyHandoverRule, "rule_file")
        arrears = [Arrear(creditor, _yuan(amount, "--arrear")) for creditor, amount in
                   (_pair(a, "--arrear") for a in arrear)]
        plan = handover_plan(fund, county, _yuan(legacy_balance, "--legacy-balance"), arrears, rule)
    except FundInputError as error:
        _fail(error)
    _print({"reason": plan.reason, "arrears_cleared_fen": plan.arrears_cleared,
            "arrears_outstanding_fen": plan.arrears_outstanding, "handover_base_fen": plan.handover_base,
            "tranches": [{"on": on.isoformat(), "amount_fen": amount} for on, amount in plan.tranches],
            "movements": [movement_record(m) for m in plan.movements]})


@app.command("remit")
def remit_command(
    rule_file: Annotated[Path, typer.Argument(help="risk_adjustment rule")],
    on: Annotated[str, typer.Option(help="remittance date YYYY-MM-DD")],
    revenue: Annotated[list[str], typer.Option(help="上年度筹资总额 FUND:COUNTY=YUAN, repeatable")],
) -> None:
    """风险调剂金上解额（上年度统筹基金筹资总额 × 比例）。"""
    try:
        rule = _rule(rule_file, RiskAdjustmentRule, "rule_file")
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise FundInputError("--on", f"expected YYYY-MM-DD, got {on!r}") from None
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
