"""`tongchou load` and `tongchou catalogue import`: the region's reference data into the store.
Registered on the main app without a name (its commands merge in)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tongchou.errors import ServiceError
from tongchou.region.fixture import FixtureError, import_catalogue, load_file, read_catalogue_csv
from tongchou.store.cli import DB_HELP, err, out, require_file
from tongchou.store.config import database_url
from tongchou.store.db import migrate_existing, upgrade
from tongchou.store.uow import Store

app = typer.Typer(no_args_is_help=True)
catalogue_app = typer.Typer(help="医保目录", no_args_is_help=True)
app.add_typer(catalogue_app, name="catalogue")


@app.command("load")
def load_command(fixture: Path = typer.Argument(..., help="数据文件（YAML）"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """导入数据（统筹区、区县、机构、目录、参保人）；先创建或升级数据库。"""
    require_file(fixture, "数据文件")
    url = database_url(db)
    upgrade(url)
    store = Store.open(url)
    try:
        counts = load_file(store, fixture)
    except (FixtureError, ServiceError) as exc:
        err.print(f"[red]数据文件有误[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print("已导入 " + "，".join(f"{name} {count}" for name, count in counts.items()))


@catalogue_app.command("import")
def catalogue_import(csv_file: Path = typer.Argument(..., help="目录 CSV"),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """导入目录项（code,name,category,selfpay_prop,price_cap,essential_drug,restriction,effective_from,
    effective_to）；同编码同起始日期的项被替换。全部成功或全部不导入。"""
    require_file(csv_file, "目录文件")
    url = database_url(db)
    migrate_existing(url)
    store = Store.open(url)
    try:
        count = import_catalogue(store, read_catalogue_csv(csv_file))
    except (FixtureError, ServiceError) as exc:
        err.print(f"[red]目录文件有误[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print(f"已导入 {count} 条目录")
