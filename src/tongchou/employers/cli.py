"""`tongchou employer register|show|join|leave|declare|arrears|late-fee|reconcile` (职工医保：用人单位与缴费申报)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tongchou.money import fen_to_str

app = typer.Typer(help="用人单位：登记、增减员、缴费申报、欠费与滞纳金、税务征收对账 (employers)", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
DB_HELP = "数据库地址（默认：环境变量 TONGCHOU_DB 或 ./var/tongchou.db）"


def _fail(field: str | None, message: str) -> None:
    err.print(f"[red]{field or '错误'}[/red]：{message}")
    raise typer.Exit(2)


def _day(text: Optional[str], option: str) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(option, f"日期应为 YYYY-MM-DD，而不是 {text!r}。")
        raise


def _service(db: Optional[str], policies: Optional[Path] = None):
    from tongchou.employers.service import EmployerService
    from tongchou.employers.terms import TermsError, load_terms
    from tongchou.policy.registry import Registry
    from tongchou.store.config import database_url
    from tongchou.store.db import migrate_existing
    from tongchou.store.uow import Store

    url = database_url(db)
    migrate_existing(url)
    try:
        terms = load_terms(policies / "employers" if policies else None)
    except TermsError as exc:
        _fail("policies/employers", str(exc))
    return EmployerService(Store.open(url), Registry.load(policies), terms)


def _run(work):
    from tongchou.errors import ServiceError

    try:
        return work()
    except ServiceError as exc:
        _fail(exc.field, exc.message)


def _sheet(path: Path, option: str, labels, required):
    """The batch file read by `tongchou.sheets` (CSV or XLSX), its columns mapped by code or Chinese label."""
    from tongchou import sheets
    from tongchou.employers.documents import batch_rows

    if not path.is_file():
        _fail(option, f"文件不存在：{path}")
    sheet = _run(lambda: sheets.read_sheet(path.name, path.read_bytes()))
    found, rows = _run(lambda: batch_rows(sheet, labels, required, path.name))
    return sheet, found, rows


POLICIES = typer.Option(None, "--policies", help="政策目录（默认 policies/，缴费申报规则在其 employers/ 下）")


@app.command("register")
def register_command(code: str = typer.Argument(..., help="统一社会信用代码（18位，含校验位）"),
                     name: str = typer.Option(..., "--name", help="单位名称"),
                     county: str = typer.Option(..., "--county", help="所在区县（admdvs）"),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """登记用人单位（校验统一社会信用代码，一个代码只登记一次）。"""
    view = _run(lambda: _service(db).register(code, name, county))
    out.print(f"已登记：{view.name}（{view.code}），区县{view.county}")


@app.command("show")
def show_command(code: str = typer.Argument(..., help="统一社会信用代码"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """查看用人单位：职工（增减员）与各月申报。"""
    summary = _run(lambda: _service(db).show(code))
    out.print(f"{summary.employer.name}（{summary.employer.code}），区县{summary.employer.county}")
    staff = Table("个人编号", "增员日期", "减员日期", "参保记录", title="职工")
    for e in summary.employments:
        staff.add_row(e.psn_no, e.joined_on.isoformat(), e.left_on.isoformat() if e.left_on else "在职", str(e.enrolment_id))
    out.print(staff)
    table = Table("所属期", "个人编号", "缴费基数", "单位缴费", "个人缴费", "截止日", "征收日期", "滞纳金", title="申报")
    for d in summary.declarations:
        table.add_row(d.month, d.psn_no, fen_to_str(d.base), fen_to_str(d.employer_part), fen_to_str(d.individual_part),
                      d.due_on.isoformat(), d.collected_on.isoformat() if d.collected_on else "未缴",
                      fen_to_str(d.late_fee) if d.late_fee is not None else "—")
    out.print(table)


@app.command("join")
def join_command(code: str = typer.Argument(..., help="统一社会信用代码"),
                 psn_no: str = typer.Argument(..., help="个人编号"),
                 on: str = typer.Option(..., "--on", help="增员日期 YYYY-MM-DD（参保开始）"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                 policies: Optional[Path] = POLICIES) -> None:
    """增员：职工自该日起参加职工医保（与居民医保重叠的日期不予办理）。"""
    day = _day(on, "--on")
    enrolment_id = _run(lambda: _service(db, policies).join(code, psn_no, day))
    out.print(f"已增员：{psn_no} 自{day.isoformat()}起参加职工医保（参保记录{enrolment_id}）")


@app.command("leave")
def leave_command(code: str = typer.Argument(..., help="统一社会信用代码"),
                  psn_no: str = typer.Argument(..., help="个人编号"),
                  on: str = typer.Option(..., "--on", help="减员日期 YYYY-MM-DD（最后参保日）"),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """减员：职工医保参保于该日终止。"""
    day = _day(on, "--on")
    _run(lambda: _service(db).leave(code, psn_no, day))
    out.print(f"已减员：{psn_no} 职工医保参保于{day.isoformat()}终止")


@app.command("declare")
def declare_command(file: Path = typer.Argument(..., help="申报文件 CSV 或 XLSX：employer（统一社会信用代码）, psn_no（个人编号）, "
                                                          "month（费款所属期）, wage（申报工资，元）"),
                    on: Optional[str] = typer.Option(None, "--on", help="申报日期（默认今天）"),
                    errors: Optional[Path] = typer.Option(None, "--errors", help="错误行输出文件（默认 FILE.errors.csv 或 FILE.errors.xlsx）"),
                    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                    policies: Optional[Path] = POLICIES) -> None:
    """按月申报缴费基数（批量）：逐行校验，正确行入库，错误行连同出错的列写入错误文件。"""
    from tongchou.employers.documents import DECLARATION_LABELS, column_label, errors_sheet

    day = _day(on, "--on")
    sheet, found, rows = _sheet(file, "FILE", DECLARATION_LABELS, DECLARATION_LABELS)
    outcome = _run(lambda: _service(db, policies).declare_rows(rows, day))
    out.print(f"申报{len(rows)}行：入库{len(outcome.applied)}行，错误{len(outcome.errors)}行")
    if outcome.errors:
        target = errors or file.with_suffix(f".errors.{sheet.fmt}")
        target.write_bytes(errors_sheet(sheet, found, outcome.errors))
        for error in outcome.errors:
            err.print(f"第{error.row}行 {column_label(error.column, found)}：{error.message}")
        out.print(f"错误行已写入 {target}")
        raise typer.Exit(1)


def _arrears(db, policies, as_of: dt.date, code: Optional[str]):
    return _run(lambda: _service(db, policies).arrears(as_of, code))


@app.command("arrears")
def arrears_command(code: Optional[str] = typer.Argument(None, help="统一社会信用代码（不填：全部单位）"),
                    as_of: Optional[str] = typer.Option(None, "--as-of", help="计算日期（默认今天）"),
                    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                    policies: Optional[Path] = POLICIES) -> None:
    """欠费：已申报、过截止日未缴的费款。"""
    day = _day(as_of, "--as-of")
    table = Table("单位", "所属期", "个人编号", "单位缴费", "个人缴费", "截止日", "欠缴天数", title=f"欠费（截至{day.isoformat()}）")
    for item in _arrears(db, policies, day, code):
        d = item.declaration
        table.add_row(d.employer, d.month, d.psn_no, fen_to_str(d.employer_part), fen_to_str(d.individual_part),
                      d.due_on.isoformat(), str(item.days))
    out.print(table)


@app.command("late-fee")
def late_fee_command(code: str = typer.Argument(..., help="统一社会信用代码"),
                     as_of: Optional[str] = typer.Option(None, "--as-of", help="计算日期（默认今天）"),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                     policies: Optional[Path] = POLICIES) -> None:
    """滞纳金：自欠缴之日起按日万分之五，由单位承担（社会保险法第八十六条）。"""
    from tongchou.employers.documents import late_fee_notice

    day = _day(as_of, "--as-of")
    service = _service(db, policies)
    summary = _run(lambda: service.show(code))
    items = _run(lambda: service.arrears(day, code))
    out.print(late_fee_notice(summary.employer.code, summary.employer.name, day, items))


@app.command("reconcile")
def reconcile_command(file: Path = typer.Argument(..., help="税务征收批次 CSV 或 XLSX：employer, psn_no, month, employer_part, "
                                                            "individual_part, late_fee, paid_on（金额为元）"),
                      batch_no: str = typer.Option(..., "--batch-no", help="税务批次号"),
                      received_on: Optional[str] = typer.Option(None, "--received-on", help="接收日期（默认今天）"),
                      held: Optional[Path] = typer.Option(None, "--held", help="挂起行输出文件（默认 FILE.held.csv 或 FILE.held.xlsx）"),
                      db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
                      policies: Optional[Path] = POLICIES) -> None:
    """税务征收对账：与申报相符的入账（缴费与滞纳金），不符的挂起并注明原因。"""
    from tongchou.employers.documents import COLLECTION_LABELS, COLLECTION_REQUIRED, column_label, errors_sheet

    day = _day(received_on, "--received-on")
    sheet, found, rows = _sheet(file, "FILE", COLLECTION_LABELS, COLLECTION_REQUIRED)
    outcome = _run(lambda: _service(db, policies).reconcile(batch_no, day, rows))
    out.print(f"批次{outcome.batch_no}：入账{outcome.accepted}行，滞纳金{fen_to_str(outcome.late_fees)}元，"
              f"挂起{len(outcome.held)}行")
    for error in outcome.held_rows:
        err.print(f"第{error.row}行挂起 {column_label(error.column, found)}：{error.message}")
    if outcome.held_rows:
        target = held or file.with_suffix(f".held.{sheet.fmt}")
        target.write_bytes(errors_sheet(sheet, found, outcome.held_rows))
        out.print(f"挂起行已写入 {target}")
