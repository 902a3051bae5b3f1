"""`tongchou supervision …`: rules, screen, case open|review|appeal|decide|receipt|list, credit, assess."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tongchou.money import MoneyError, fen_to_str, to_fen
from tongchou.supervision.errors import SupervisionError
from tongchou.supervision.rules import SEVERITY_NAMES, STAGE_NAMES, load_rules

app = typer.Typer(help="基金监管：智能审核、案件与追回、信用评价、区县考核", no_args_is_help=True)
case_app = typer.Typer(help="案件办理", no_args_is_help=True)
app.add_typer(case_app, name="case")
out = Console()
err = Console(stderr=True)
DB_HELP = "数据库地址（默认：环境变量 TONGCHOU_DB，否则 ./var/tongchou.db）"


def _fail(exc: Exception) -> None:
    field = getattr(exc, "field", None)
    message = getattr(exc, "message", str(exc))
    err.print(f"[red]{field or 'error'}[/red] {message}")
    raise typer.Exit(2)


def _day(text: Optional[str], option: str = "--on") -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(SupervisionError(option, f"日期应为 YYYY-MM-DD，而不是 {text!r}。"))
        raise


def _fen(text: Optional[str], option: str) -> int:
    if text is None:
        return 0
    try:
        return to_fen(text)
    except MoneyError as exc:
        _fail(SupervisionError(option, f"金额（元）无效：{exc}"))
        raise


def _store(db: Optional[str]):
    from tongchou.store.config import database_url
    from tongchou.store.db import migrate_existing
    from tongchou.store.uow import Store

    url = database_url(db)
    migrate_existing(url)
    return Store.open(url)


@app.command("rules")
def rules_command(rules: Optional[Path] = typer.Option(None, "--rules", help="规则库 rules.yaml（默认：policies/supervision）")) -> None:
    """列出智能审核规则（并校验规则库）。"""
    try:
        book = load_rules(rules)
    except SupervisionError as exc:
        _fail(exc)
    table = Table(title=book.name)
    for column in ("id", "规则", "风险", "环节", "险种", "拒付", "定义"):
        table.add_column(column)
    for r in book.rules:
        table.add_row(r.id, r.name, SEVERITY_NAMES[r.severity], "、".join(STAGE_NAMES[s] for s in r.stages),
                      ",".join(r.schemes), "是" if r.blocking else "否", r.definition)
    out.print(table)


@app.command("screen")
def screen_command(
    claims: Path = typer.Option(..., "--claims", help="结算表：CSV、Parquet 或 Parquet 目录"),
    fees: Optional[Path] = typer.Option(None, "--fees", help="费用明细表（fee_detail.parquet）"),
    persons: Optional[Path] = typer.Option(None, "--persons", help="参保人表（列：psn_no、sex、birth_date、phone）"),
    catalogue: Optional[Path] = typer.Option(None, "--catalogue", help="医保目录（列：code、price_cap、max_qty、sex、min_age、max_age）"),
    rules: Optional[Path] = typer.Option(None, "--rules", help="规则库 rules.yaml"),
    out_dir: Optional[Path] = typer.Option(None, "--out", help="输出目录：写入 findings.parquet、findings.json、summary.json"),
    db: Optional[str] = typer.Option(None, "--db", help="同时把疑点记入该数据库"),
    found_on: Optional[str] = typer.Option(None, "--found-on", help="疑点的记录日期 YYYY-MM-DD（默认：今天）"),
) -> None:
    """事后批量筛查：按规则库对结算表和费用明细表运行 DuckDB SQL，输出疑点。"""
    from tongchou.supervision.batch import Inputs, run_batch, write_outputs

    try:
        book = load_rules(rules)
        result = run_batch(book, Inputs(claims, fees, persons, catalogue))
    except SupervisionError as exc:
        _fail(exc)
    table = Table(title=f"智能审核（事后）：结算 {result.rows['claims']:,} 笔，费用明细 {result.rows['fees']:,} 条")
    for column in ("规则", "疑点", "涉及金额（元）", "耗时（秒）"):
        table.add_column(column)
    amounts: dict[str, int] = {}
    for rule_id, amount in zip(result.table.column("rule_id").to_pylist(), result.table.column("amount_fen").to_pylist()):
        amounts[rule_id] = amounts.get(rule_id, 0) + int(amount or 0)
    for rule in book.active("post"):
        if rule.id in result.skipped:
            table.add_row(rule.name, "—", "—", result.skipped[rule.id])
        elif rule.id in result.counts:
            table.add_row(rule.name, str(result.counts[rule.id]), fen_to_str(amounts.get(rule.id, 0)),
                          str(result.seconds.get(rule.id, "")))
    out.print(table)
    if out_dir is not None:
        paths = write_outputs(result, out_dir)
        out.print(f"写出 {paths['parquet']}、{paths['json']}、{paths['summary']}")
    if db is not None:
        from tongchou.supervision.service import save_findings

        store = _store(db)
        try:
            run_id, added = save_findings(store, result.findings(), source=str(claims), rules=book.name,
                                          counts=result.counts, skipped=result.skipped, found_on=_day(found_on, "--found-on"))
        finally:
            store.close()
        out.print(f"已记录筛查批次 {run_id}：新增疑点 {added} 条（已有的不重复记录）")


# ---------------------------------------------------------------- cases

def _cases(db: Optional[str]):
    from tongchou.supervision.service import CaseService

    return CaseService(_store(db))


def _show(case) -> None:
    out.print(case.summary())
    out.print(f"  {case.events[-1].text}")


@case_app.command("open")
def case_open(finding: list[int] = typer.Option(..., "--finding", help="疑点编号（可重复）"),
              subject_kind: str = typer.Option(..., "--subject-kind", help="主体类型：institution（机构）、person（参保人）或 doctor（医师）"),
              subject: Optional[str] = typer.Option(None, "--subject", help="主体编号（默认：取自疑点）"),
              on: Optional[str] = typer.Option(None, "--on"), actor: str = typer.Option("", "--actor"),
              db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """疑点立案。"""
    service = _cases(db)
    try:
        _show(service.open(list(finding), subject_kind, subject, on=_day(on), actor=actor))
    except SupervisionError as exc:
        _fail(exc)
    finally:
        service.store.close()


@case_app.command("review")
def case_review(case_no: str = typer.Argument(...),
                violation: bool = typer.Option(..., "--violation/--no-violation", help="核查结论"),
                text: str = typer.Option("", "--text"), on: Optional[str] = typer.Option(None, "--on"),
                actor: str = typer.Option("", "--actor"), db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """核查（审核）结论并告知。"""
    service = _cases(db)
    try:
        _show(service.review(case_no, on=_day(on), violation=violation, text=text, actor=actor))
    except SupervisionError as exc:
        _fail(exc)
    finally:
        service.store.close()


@case_app.command("appeal")
def case_appeal(case_no: str = typer.Argument(...), text: str = typer.Option(..., "--text", help="申辩内容"),
                on: Optional[str] = typer.Option(None, "--on"), actor: str = typer.Option("", "--actor"),
                db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """机构（个人）陈述、申辩。"""
    service = _cases(db)
    try:
        _show(service.appeal(case_no, on=_day(on), text=text, actor=actor))
    except SupervisionError as exc:
        _fail(exc)
    finally:
        service.store.close()


@case_app.command("decide")
def case_decide(case_no: str = typer.Argument(...),
                recover: Optional[str] = typer.Option(None, "--recover", help="追回金额（元）"),
                dismiss: bool = typer.Option(False, "--dismiss", help="不予处理"),
                fraud: bool = typer.Option(False, "--fraud", help="认定欺诈骗保"),
                fine_multiple: Optional[str] = typer.Option(None, "--fine-multiple", help="罚款倍数（2–5）"),
                suspend_benefits: bool = typer.Option(False, "--suspend-benefits", help="取消参保人当年待遇"),
                agreement: Optional[str] = typer.Option(None, "--agreement", help="协议处理：suspended（暂停协议）或 exited（解除协议）"),
                fund: Optional[str] = typer.Option(None, "--fund", help="结算不在库中时追回到的基金"),
                text: str = typer.Option("", "--text"), on: Optional[str] = typer.Option(None, "--on"),
                actor: str = typer.Option("", "--actor"), db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """处理决定：追回（记账）、罚款（应缴国库）、取消待遇、暂停或解除协议。"""
    service = _cases(db)
    try:
        _show(service.decide(case_no, on=_day(on), recover=_fen(recover, "--recover"), dismiss=dismiss, fraud=fraud,
                             fine_multiple=fine_multiple, suspend_benefits=suspend_benefits, agreement=agreement,
                             fund=fund, text=text, actor=actor))
    except SupervisionError as exc:
        _fail(exc)
    finally:
        service.store.close()


@case_app.command("receipt")
def case_receipt(case_no: str = typer.Argument(...), kind: str = typer.Option(..., "--kind", help="款项类型：recovery（追回基金）或 fine（罚款）"),
                 amount: str = typer.Option(..., "--amount", help="金额（元）"), on: Optional[str] = typer.Option(None, "--on"),
                 actor: str = typer.Option("", "--actor"), db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """登记收到的退回基金或罚款（记账）。"""
    service = _cases(db)
    try:
        _show(service.receive(case_no, on=_day(on), kind=kind, amount=_fen(amount, "--amount"), actor=actor))
    except SupervisionError as exc:
        _fail(exc)
    finally:
        service.store.close()


@app.command("remit-fines")
def remit_fines_command(county: str = typer.Option(..., "--county", help="区县（admdvs）"),
                        on: Optional[str] = typer.Option(None, "--on"),
                        db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """罚没款上缴国库：把本区县已收罚款全部上缴（记账）。"""
    service = _cases(db)
    try:
        paid = service.remit_fines(county, on=_day(on))
    finally:
        service.store.close()
    out.print(f"区县{county}上缴国库罚没款{fen_to_str(paid)}元" if paid else f"区县{county}没有待上缴的罚没款")


@case_app.command("list")
def case_list(state: Optional[str] = typer.Option(None, "--state"), today: Optional[str] = typer.Option(None, "--today"),
              db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """列出案件（含超期提示）。"""
    from tongchou.supervision.cases import STATE_NAMES, SUBJECT_NAMES, overdue

    service = _cases(db)
    try:
        cases = service.list(state)
    finally:
        service.store.close()
    day = _day(today, "--today")
    table = Table(title="基金监管案件")
    for column in ("案件号", "对象", "状态", "涉及金额（元）", "期限", "提示"):
        table.add_column(column)
    for c in cases:
        table.add_row(c.case_no, f"{SUBJECT_NAMES[c.subject_kind]}{c.subject_id}", STATE_NAMES[c.state],
                      fen_to_str(c.amount_at_issue), str(c.deadline or "—"), overdue(c, day) or "")
    out.print(table)


# ---------------------------------------------------------------- credit, assessment

@app.command("credit")
def credit_command(year: int = typer.Option(..., "--year"), kind: Optional[str] = typer.Option(None, "--kind",
                   help="评价对象类型：institution（机构）、doctor（医师）或 person（参保人）"), scoring: Optional[Path] = typer.Option(None, "--scoring"),
                   as_json: bool = typer.Option(False, "--json"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """信用评价：记入新的疑点和处理决定的计分事件（只追加），按年度评分评级。"""
    from tongchou.supervision.credit import SUBJECT_NAMES, load_scoring, ratings, record_credit_events

    try:
        rules = load_scoring(scoring)
    except SupervisionError as exc:
        _fail(exc)
    store = _store(db)
    try:
        added = record_credit_events(store, rules)
        rated = ratings(store, rules, year, kind)
    finally:
        store.close()
    if as_json:
        out.print_json(json.dumps([r.__dict__ for r in rated], ensure_ascii=False))
        return
    table = Table(title=f"{year}年度信用评价（新增计分事件 {added} 条）")
    for column in ("对象", "编码", "信用分", "等级", "计分事件"):
        table.add_column(column)
    for r in rated:
        table.add_row(SUBJECT_NAMES[r.subject_kind], r.subject_id, str(r.score), f"{r.grade}（{r.grade_name}）", str(r.events))
    out.print(table)


@app.command("assess")
def assess_command(values: Path = typer.Option(..., "--values", help="考核指标值：YAML 或 CSV"),
                   year: int = typer.Option(..., "--year"), county: Optional[str] = typer.Option(None, "--county"),
                   spec_path: Optional[Path] = typer.Option(None, "--spec", help="考核方案 county-assessment.yaml"),
                   as_json: bool = typer.Option(False, "--json"),
                   db: Optional[str] = typer.Option(None, "--db", help="能从该数据库取得的指标，从库中填入")) -> None:
    """区县考核记分卡（中文），并给出是否完成考核目标（风险调剂金条件）。"""
    from tongchou.supervision.assessment import load_spec, read_values, scorecard, store_values

    try:
        spec = load_spec(spec_path)
        supplied = read_values(values)
        counties = sorted({c for c, y in supplied if y == year} | ({county} if county else set()))
        if county:
            counties = [county]
        store = _store(db) if db else None
        cards = []
        try:
            for c in counties:
                computed = store_values(store, c, year) if store is not None else None
                cards.append(scorecard(spec, c, year, supplied.get((c, year), {}), computed))
        finally:
            if store is not None:
                store.close()
    except SupervisionError as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps([c.to_json() for c in cards], ensure_ascii=False))
        return
    for card in cards:
        typer.echo(card.markdown())
