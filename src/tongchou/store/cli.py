"""Commands of the store: `tongchou db upgrade`, `tongchou export claims`. Registered on the main app without a name (its groups merge in)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer
from rich.console import Console

from tongchou.store.config import database_url
from tongchou.store.db import migrate_existing, upgrade
from tongchou.errors import ServiceError
from tongchou.store.export import export_claims
from tongchou.store.uow import Store

app = typer.Typer(no_args_is_help=True)
db_app = typer.Typer(help="数据库：创建或升级", no_args_is_help=True)
export_app = typer.Typer(help="导出", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(export_app, name="export")
out = Console()
S = TypeVar("S")
T = TypeVar("T")
err = Console(stderr=True)
DB_HELP = "数据库地址，例如 postgresql+psycopg://postgres@127.0.0.1:5432/tongchou（默认：环境变量 TONGCHOU_DB 或 ./var/tongchou.db）；须已存在，只有 db upgrade、load、demo 会创建"


def run_in_store(db: str | None, service_of: Callable[[Store], S], work: Callable[[S], T]) -> T:
    """Run a matter against the store (its schema brought up to date, never created): a refusal is printed in
    Chinese naming the field, exit status 2; nothing is half-written (the service's own transaction)."""
    url = database_url(db)
    migrate_existing(url)
    store = Store.open(url)
    try:
        return work(service_of(store))
    except ServiceError as exc:
        err.print(f"[red]{exc.field}[/red] {exc.message}")
        raise typer.Exit(2) from None
    finally:
        store.close()


def require_file(path: Path, what: str) -> None:
    if not path.is_file():
        err.print(f"[red]{what}不存在[/red] {path}")
        raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
               revision: str = typer.Option("head", "--revision")) -> None:
    """创建或升级数据库表结构（SQLite 或 PostgreSQL）：唯一新建数据库的命令（load、demo 先运行它）。"""
    shown = upgrade(db, revision)
    out.print(f"数据库 {shown} 已升级到版本 {revision}")


@export_app.command("claims")
def export_claims_command(
    output: Path = typer.Option(..., "--output", help="输出文件：FILE.csv 或 FILE.parquet"),
    date_from: Optional[str] = typer.Option(None, "--from", help="起始结算日期（YYYY-MM-DD）"),
    date_to: Optional[str] = typer.Option(None, "--to", help="截止结算日期（YYYY-MM-DD）"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    county: Optional[str] = typer.Option(None, "--county", help="只导出该区县（区划代码）的结算"),
) -> None:
    """把库中的结算导出为就诊明细表（docs/reference/contracts.md）。"""
    try:
        first = dt.date.fromisoformat(date_from) if date_from else None
        last = dt.date.fromisoformat(date_to) if date_to else None
    except ValueError:
        err.print(f"[red]--from/--to[/red] 不是有效的日期（应为 YYYY-MM-DD）：{date_from if date_from else ''} {date_to or ''}")
        raise typer.Exit(2) from None
    store = Store.open(db)
    try:
        count = export_claims(store, output, first, last, county=county)
    except ServiceError as exc:
        err.print(f"[red]{exc.field}[/red] {exc.message}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print(f"已导出 {count} 条结算到 {output}")
