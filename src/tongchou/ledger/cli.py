"""`tongchou ledger verify`: run every check of `verify` and print them as a table."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from tongchou.ledger.verify import MAX_SHOWN, verify
from tongchou.store.uow import Store

app = typer.Typer(help="基金账务 (ledger)", no_args_is_help=True)
out = Console()


@app.command("verify")
def verify_command(db: Optional[str] = typer.Option(None, "--db", help="database URL (default: env TONGCHOU_DB or ./var/tongchou.db)")) -> None:
    """Debits = credits per fund; accumulators = their settlements' deltas; every settlement has its postings."""
    store = Store.open(db)
    try:
        report = verify(store)
    finally:
        store.close()
    table = Table(title="账务校验 ledger verify")
    for column in ("check", "描述", "checked", "result"):
        table.add_column(column)
    for check in report.checks:
        status = "[green]OK[/green]" if check.ok else f"[red]{len(check.breaches)} breach(es)[/red]"
        table.add_row(check.name, check.description, str(check.checked), status)
    out.print(table)
    for check in report.checks:
        for breach in check.breaches[:MAX_SHOWN]:
            out.print(f"[red]{check.name}[/red] {breach}")
        if len(check.breaches) > MAX_SHOWN:
            out.print(f"[red]{check.name}[/red] … {len(check.breaches) - MAX_SHOWN} more")
    if not report.ok:
        raise typer.Exit(1)
