"""Commands of the store: `tongchou db upgrade`, `tongchou load`, `tongchou ledger verify`,
`tongchou export claims`. Registered on the main app without a name (its groups merge in)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from tongchou.ledger.cli import app as ledger_app
from tongchou.store.config import database_url
from tongchou.store.db import upgrade
from tongchou.store.errors import ServiceError
from tongchou.store.export import export_claims
from tongchou.store.fixture import FixtureError, import_catalogue, load_file, read_catalogue_csv
from tongchou.store.uow import Store

app = typer.Typer(no_args_is_help=True)
db_app = typer.Typer(help="数据库 (database)", no_args_is_help=True)
export_app = typer.Typer(help="导出 (export)", no_args_is_help=True)
catalogue_app = typer.Typer(help="医保目录 (catalogue)", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(ledger_app, name="ledger")
app.add_typer(export_app, name="export")
out = Console()
err = Console(stderr=True)
DB_HELP = "database URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/tongchou (default: env TONGCHOU_DB or ./var/tongchou.db)"


@db_app.command("upgrade")
def db_upgrade(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
               revision: str = typer.Option("head", "--revision")) -> None:
    """Create or migrate the database schema (Alembic, SQLite or PostgreSQL)."""
    shown = upgrade(db, revision)
    out.print(f"database {shown} at revision {revision}")


@app.command("load")
def load_command(fixture: Path = typer.Argument(..., exists=True, dir_okay=False, help="fixture YAML"),
                 db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Load a fixture (region, counties, institutions, catalogue, persons) into the store; migrates first."""
    url = database_url(db)
    upgrade(url)
    store = Store.open(url)
    try:
        counts = load_file(store, fixture)
    except (FixtureError, ServiceError) as exc:
        err.print(f"[red]fixture error[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print("loaded " + ", ".join(f"{name} {count}" for name, count in counts.items()))


@catalogue_app.command("import")
def catalogue_import(csv_file: Path = typer.Argument(..., exists=True, dir_okay=False, help="catalogue CSV"),
                     db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Import catalogue items (code,name,category,selfpay_prop,price_cap,essential_drug,restriction,
    effective_from,effective_to); an item with the same code and start date is replaced. All or nothing."""
    url = database_url(db)
    upgrade(url)
    store = Store.open(url)
    try:
        count = import_catalogue(store, read_catalogue_csv(csv_file))
    except (FixtureError, ServiceError) as exc:
        err.print(f"[red]catalogue error[/red] {exc}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print(f"imported {count} catalogue items")


@export_app.command("claims")
def export_claims_command(
    output: Path = typer.Option(..., "--output", help="FILE.csv or FILE.parquet"),
    date_from: Optional[str] = typer.Option(None, "--from", help="first enddate (YYYY-MM-DD)"),
    date_to: Optional[str] = typer.Option(None, "--to", help="last enddate (YYYY-MM-DD)"),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    county: Optional[str] = typer.Option(None, "--county", help="only the settlements of this county (admdvs)"),
) -> None:
    """Write the store's settlements as a claims table (docs/reference/contracts.md)."""
    try:
        first = dt.date.fromisoformat(date_from) if date_from else None
        last = dt.date.fromisoformat(date_to) if date_to else None
    except ValueError as exc:
        err.print(f"[red]--from/--to[/red] {exc}")
        raise typer.Exit(2) from None
    store = Store.open(db)
    try:
        count = export_claims(store, output, first, last, county=county)
    except ServiceError as exc:
        err.print(f"[red]{exc.field}[/red] {exc.message}")
        raise typer.Exit(2) from None
    finally:
        store.close()
    out.print(f"wrote {count} claims to {output}")
