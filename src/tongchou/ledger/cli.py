"""`tongchou ledger verify`: run every check of `verify` and print them as a table."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tongchou.ledger.service import MAX_SHOWN, verify
from tongchou.store.uow import Store

app = typer.Typer(help="基金账务", no_args_is_help=True)
out = Console()


@app.command("verify")
def verify_command(db: Optional[str] = typer.Option(None, "--db", help="数据库地址（默认：环境变量 TONGCHOU_DB 或 ./var/tongchou.db）")) -> None:
    """校验账务：各基金借贷相等；年度累计等于其结算之和；每笔结算都已记账；已月结期间未被改动。"""
    store = Store.open(db)
    try:
        report = verify(store)
    finally:
        store.close()
    table = Table(title="账务校验")
    for column in ("校验项", "描述", "已校验条数", "结果"):
        table.add_column(column)
    for check in report.checks:
        status = "[green]通过[/green]" if check.ok else f"[red]{len(check.breaches)} 处不符[/red]"
        table.add_row(check.name, check.description, str(check.checked), status)
    out.print(table)
    for check in report.checks:
        for breach in check.breaches[:MAX_SHOWN]:
            out.print(f"[red]{check.name}[/red] {breach}")
        if len(check.breaches) > MAX_SHOWN:
            out.print(f"[red]{check.name}[/red] … 另有 {len(check.breaches) - MAX_SHOWN} 处")
    if not report.ok:
        raise typer.Exit(1)
