"""`tongchou transfer …`: the certificate, transfer out of the pool, transfer into it (docs/front-office.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer

from tongchou import cli_text
from tongchou.store.cli import DB_HELP, out, require_file, run_in_store

app = typer.Typer(help="关系转移接续：参保凭证、转出本统筹区、转入本统筹区", no_args_is_help=True)
T = TypeVar("T")
BY_DEFAULT = "命令行"
FORMAT_HELP = "输出格式：md、html 或 json"


def _run(db: str | None, work: Callable, today=None):
    from tongchou.transfers.service import TransferService

    def service_of(store):
        return TransferService(store) if today is None else TransferService(store, today=lambda: today)
    return run_in_store(db, service_of, work)


def _print(cert: dict, fmt: str, preview: bool = False) -> None:
    from tongchou.documents import render
    from tongchou.transfers.documents import certificate_document

    if fmt not in ("md", "html", "json"):
        typer.secho(f"--format 只能是 md、html 或 json，收到“{fmt}”。", fg="red", err=True)
        raise typer.Exit(2)
    out.print(render(certificate_document(cert, preview=preview), fmt), markup=False, highlight=False, soft_wrap=True)


@app.command("certificate")
def certificate_command(
    psn_no: str = typer.Argument(..., help="个人编号"),
    on: Optional[str] = typer.Option(None, "--on", help="计算日期 YYYY-MM-DD（未转出时预览用；默认：今天）"),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """参保凭证：已转出的，打印转出时开具的凭证；未转出的，预览按该日期计算的凭证（不写入任何数据）。"""
    day = cli_text.day(on, "--on", today=True)

    def work(service):
        issued = [t for t in service.transfers_of(psn_no) if t.direction == "out"]
        if issued and on is None:
            return issued[-1].certificate, False
        return service.certificate(psn_no, day), True
    cert, preview = _run(db, work)
    _print(cert, fmt, preview)


@app.command("out")
def out_command(
    psn_no: str = typer.Argument(..., help="个人编号"),
    to_pool: str = typer.Option(..., "--to-pool", help="转入统筹区代码（6位行政区划代码）"),
    pool_name: str = typer.Option(..., "--pool-name", help="转入统筹区名称，如 广州市"),
    on: str = typer.Option(..., "--on", help="转出日期 YYYY-MM-DD（本统筹区参保的最后一天）"),
    by: str = typer.Option(BY_DEFAULT, "--by", help="经办人"),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """转出：开具参保凭证，参保于该日终止，个人账户余额划转转入统筹区（记账）。同一人同一日期重复执行不会重复转出。"""
    day = cli_text.day(on, "--on")
    key = f"cli:out:{psn_no}:{day.isoformat()}:{to_pool}"[:64]
    result = _run(db, lambda service: service.transfer_out(psn_no, to_pool, pool_name, day, key=key, by=by))
    note = "（此前已办理，未重复转出）" if result.replayed else ""
    out.print(f"已转出{note}：转移记录 {result.transfer_id}，个人账户划转 {result.certificate.get('account_balance')} 元")
    _print(result.certificate, fmt)


@app.command("in")
def in_command(
    file: Optional[Path] = typer.Argument(None, help="参保凭证文件：JSON（转出地开具的凭证），或CSV/XLSX（表头为字段代码或中文名，一行）"),
    psn_no: str = typer.Option(..., "--psn-no", help="本统筹区的个人编号（转入前先办理参保登记）"),
    insutype: Optional[str] = typer.Option(None, "--insutype", help="险种 310 或 390（凭证有多个险种时）"),
    start: Optional[str] = typer.Option(None, "--start", help="本统筹区参保开始日期（默认：转出地截止日期的次日）"),
    from_pool: Optional[str] = typer.Option(None, "--from-pool", help="转出统筹区代码"),
    from_pool_name: Optional[str] = typer.Option(None, "--from-pool-name", help="转出统筹区名称"),
    total_months: Optional[str] = typer.Option(None, "--total-months", help="累计缴费月数"),
    continuous_months: Optional[str] = typer.Option(None, "--continuous-months", help="连续缴费月数"),
    ended_on: Optional[str] = typer.Option(None, "--ended-on", help="转出地参保截止日期"),
    balance: Optional[str] = typer.Option(None, "--balance", help="个人账户转移金额（元）"),
    certificate_no: Optional[str] = typer.Option(None, "--certificate-no", help="参保凭证编号"),
    receivable: bool = typer.Option(False, "--receivable", help="转移资金尚未到账（记为应收其他统筹区转移款）"),
    by: str = typer.Option(BY_DEFAULT, "--by", help="经办人"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """转入：按参保凭证认定缴费年限，个人账户转入金额记入新账户，并自开始日期参保。"""
    from tongchou.enrolment.rules import RuleError
    from tongchou.transfers.rules import IN_FIELDS, fields_of_certificate

    fields: dict = {}
    if file is not None:
        require_file(file, "参保凭证文件")
        fields = _read_certificate(file, insutype, RuleError, IN_FIELDS, fields_of_certificate)
    given = {"insutype": insutype, "start": start, "from_pool": from_pool, "from_pool_name": from_pool_name,
             "total_months": total_months, "continuous_months": continuous_months, "ended_on": ended_on,
             "balance": balance, "certificate_no": certificate_no}
    fields.update({k: v for k, v in given.items() if v is not None})
    fields["received"] = "0" if receivable else fields.get("received", "1")
    digest = json.dumps({k: v for k, v in fields.items() if k != "certificate"}, sort_keys=True, default=str)
    import hashlib
    key = "cli:in:" + hashlib.sha256(f"{psn_no}|{digest}".encode()).hexdigest()[:48]
    result = _run(db, lambda service: service.transfer_in(psn_no, fields, key=key, by=by))
    note = "（此前已办理，未重复转入）" if result.replayed else ""
    out.print(f"已转入{note}：转移记录 {result.transfer_id}，参保记录 {result.enrolment_id or '—'}，"
              f"个人账户转入 {result.balance / 100:.2f} 元")


def _read_certificate(file: Path, insutype, RuleError, IN_FIELDS, fields_of_certificate) -> dict:
    from tongchou.sheets import column_map, read_sheet
    from tongchou.transfers.rules import parse_certificate_file

    content = file.read_bytes()
    try:
        if file.suffix.lower() == ".json" or content.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{":
            data = parse_certificate_file(file.name, content)
            if insutype:
                data = fields_of_certificate(data["certificate"], insutype)
            return data
        sheet = read_sheet(file.name, content)
        found = column_map(sheet.header, IN_FIELDS, required=("from_pool", "insutype", "total_months",
                                                               "continuous_months", "ended_on"), filename=file.name)
        if len(sheet.rows) != 1:
            raise RuleError("file", f"参保凭证文件“{file.name}”应只有一行数据，实有{len(sheet.rows)}行。")
        return {code: sheet.rows[0].values.get(cell, "") for code, cell in found.items()}
    except RuleError as exc:
        from tongchou.store.cli import err
        err.print(f"[red]{exc.field}[/red] {exc}")
        raise typer.Exit(2) from None
    except Exception as exc:  # sheets' own refusals (ServiceError) name the file
        message = getattr(exc, "message", None)
        if message is None:
            raise
        from tongchou.store.cli import err
        err.print(f"[red]{exc.field}[/red] {message}")
        raise typer.Exit(2) from None
