"""`tongchou serve`, `tongchou institution credentials issue|rotate|list`, `tongchou institution lookup-quota`
and `tongchou ecert issue`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from tongchou.api.identity import DEFAULT_LOOKUP_QUOTA, ECERT_MINUTES, issue_ecert_audited
from tongchou.api.security import Credentials
from tongchou.api.signing import HMAC
from tongchou.audit.trail import Actor
from tongchou.store import models as m
from tongchou.store.config import DB_ENV, database_url
from tongchou.store.crypto import cipher_from_environment
from tongchou.store.db import migrate_existing
from tongchou.errors import NotFound, ServiceError
from tongchou.store.uow import Store

DB_HELP = "database URL (default: env TONGCHOU_DB or ./var/tongchou.db)"
institution_app = typer.Typer(help="定点医药机构 (institutions)", no_args_is_help=True)
credentials_app = typer.Typer(help="接口密钥 (API credentials): issued and rotated by the bureau", no_args_is_help=True)
institution_app.add_typer(credentials_app, name="credentials")
ecert_app = typer.Typer(help="医保电子凭证 (electronic certificates): tokens a person presents to an institution",
                        no_args_is_help=True)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def serve_command(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="worker processes"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="policies (default: the shipped ones)"),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    """Serve the institution API (POST /api/hsa/{infno}) with uvicorn; migrates the database first."""
    import uvicorn

    url = database_url(db)
    migrate_existing(url)
    os.environ[DB_ENV] = url
    if policy_dir is not None:
        os.environ["TONGCHOU_POLICY_DIR"] = str(policy_dir.resolve())
    out.print(f"institution API on http://{host}:{port}/api/hsa ({workers} worker(s)); OpenAPI at /openapi.json")
    uvicorn.run("tongchou.api.server:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, access_log=False, server_header=False, date_header=True)


def _or_exit(store: Store, work: Callable[[], T]) -> T:
    """Run a bureau command's work; a refusal is printed with its field (exit 2); the store is closed either way."""
    try:
        return work()
    except ServiceError as exc:
        err.print(f"[red]{exc.field}[/red] {exc.message}")
        raise typer.Exit(2) from None
    finally:
        store.close()


def _credentials(db: str | None) -> tuple[Store, Credentials]:
    store = Store.open(db)
    return store, Credentials(store, cipher_from_environment())


SIGNATURE_HELP = ("签名方式 signing recipe: hmac (HMAC over timestamp, nonce and the body digest) or gateway "
                  "(the national gateway's SHA-256 of timestamp + secret + nonce + timestamp)")


@credentials_app.command("issue")
def issue_command(code: str = typer.Argument(..., help="fixmedins_code"),
                  signature: str = typer.Option(HMAC, "--signature", help=SIGNATURE_HELP),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Issue the first secret of an institution (shown once)."""
    store, credentials = _credentials(db)
    secret = _or_exit(store, lambda: credentials.issue(code, signature))
    out.print(f"secret of {code}, signing by {signature} (shown once, give it to the institution over a safe channel):")
    print(secret)


@credentials_app.command("rotate")
def rotate_command(code: str = typer.Argument(..., help="fixmedins_code"),
                   grace_hours: float = typer.Option(24.0, "--grace-hours", min=0,
                                                     help="hours the old secret stays valid"),
                   signature: Optional[str] = typer.Option(
                       None, "--signature", help=SIGNATURE_HELP + "; default: the institution's recipe so far "
                                                                  "(hmac for one never set)"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Replace the secret of an institution (shown once); the old one stays valid for --grace-hours, by its
    own recipe."""
    store, credentials = _credentials(db)
    secret = _or_exit(store, lambda: credentials.rotate(code, grace_hours, signature))
    out.print(f"new secret of {code} (shown once; the old one is valid for {grace_hours:g} more hours):")
    print(secret)


@credentials_app.command("list")
def list_command(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Institutions and the state of their credentials (never the secrets)."""
    store, credentials = _credentials(db)
    try:
        rows = credentials.list()
    finally:
        store.close()
    table = Table(title="接口密钥 API credentials")
    for column in ("fixmedins_code", "name", "secret", "signature", "old secrets in grace", "grace until (UTC)"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.code, row.name, "issued" if row.has_secret else "-", row.signature, str(row.in_grace),
                      row.grace_until.strftime("%Y-%m-%d %H:%M") if row.grace_until else "")
    out.print(table)


@institution_app.command("lookup-quota")
def lookup_quota_command(code: str = typer.Argument(..., help="fixmedins_code"),
                         quota: Optional[int] = typer.Argument(None, min=0,
                                                               help="1101 look-ups a day; omit for the default"),
                         db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Set an institution's daily quota of person look-ups (1101); past it, 1101 answers 查询过于频繁."""
    store = Store.open(db)

    def work(session) -> None:
        institution = session.get(m.Institution, code)
        if institution is None:
            raise NotFound("code", f"定点医药机构{code}不存在。")
        institution.lookup_quota = quota
    _or_exit(store, lambda: store.transaction(work))
    out.print(f"{code}: 1101 look-ups a day: {quota if quota is not None else f'default ({DEFAULT_LOOKUP_QUOTA})'}")


@ecert_app.command("issue")
def ecert_issue_command(psn_no: str = typer.Argument(..., help="the insured person"),
                        db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Issue an electronic certificate token for a person (presentable for 5 minutes, then bound to the
    visit it opens); recorded in the audit trail."""
    store = Store.open(db)
    token = _or_exit(store, lambda: store.transaction(lambda s: issue_ecert_audited(
        s, cipher_from_environment(), psn_no, Actor.command_line())))
    out.print(f"e-certificate of {psn_no}, presentable for {ECERT_MINUTES} minutes (mdtrt_cert_type 01):")
    print(token)
