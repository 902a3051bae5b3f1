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

DB_HELP = "数据库地址（默认：环境变量 TONGCHOU_DB，否则 ./var/tongchou.db）"
institution_app = typer.Typer(help="定点医药机构", no_args_is_help=True)
credentials_app = typer.Typer(help="接口密钥：由医保局签发和轮换", no_args_is_help=True)
institution_app.add_typer(credentials_app, name="credentials")
ecert_app = typer.Typer(help="医保电子凭证：参保人向定点医药机构出示的凭证令牌",
                        no_args_is_help=True)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")


def serve_command(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int = typer.Option(1, "--workers", min=1, help="工作进程数"),
    policy_dir: Optional[Path] = typer.Option(None, "--policy-dir", help="政策目录（默认：随系统发布的政策）"),
    log_level: str = typer.Option("warning", "--log-level"),
) -> None:
    """用 uvicorn 启动定点医药机构接口（POST /api/hsa/{infno}）；启动前先迁移数据库。"""
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


SIGNATURE_HELP = ("签名方式：hmac（对时间戳、随机数和报文摘要做 HMAC）或 gateway "
                  "（国家平台网关方式：对 时间戳 + 密钥 + 随机数 + 时间戳 做 SHA-256）")


@credentials_app.command("issue")
def issue_command(code: str = typer.Argument(..., help="定点医药机构编号 fixmedins_code"),
                  signature: str = typer.Option(HMAC, "--signature", help=SIGNATURE_HELP),
                  db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """为定点医药机构签发首个接口密钥（只显示一次）。"""
    store, credentials = _credentials(db)
    secret = _or_exit(store, lambda: credentials.issue(code, signature))
    out.print(f"secret of {code}, signing by {signature} (shown once, give it to the institution over a safe channel):")
    print(secret)


@credentials_app.command("rotate")
def rotate_command(code: str = typer.Argument(..., help="定点医药机构编号 fixmedins_code"),
                   grace_hours: float = typer.Option(24.0, "--grace-hours", min=0,
                                                     help="旧密钥继续有效的小时数"),
                   signature: Optional[str] = typer.Option(
                       None, "--signature", help=SIGNATURE_HELP + "；默认：沿用该机构原来的签名方式"
                                                                  "（从未设置过的为 hmac）"),
                   db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """更换定点医药机构的接口密钥（只显示一次）；旧密钥按其原签名方式在 --grace-hours 小时内继续有效。"""
    store, credentials = _credentials(db)
    secret = _or_exit(store, lambda: credentials.rotate(code, grace_hours, signature))
    out.print(f"new secret of {code} (shown once; the old one is valid for {grace_hours:g} more hours):")
    print(secret)


@credentials_app.command("list")
def list_command(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """列出定点医药机构及其接口密钥状态（不显示密钥本身）。"""
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
def lookup_quota_command(code: str = typer.Argument(..., help="定点医药机构编号 fixmedins_code"),
                         quota: Optional[int] = typer.Argument(None, min=0,
                                                               help="每日 1101 人员信息查询次数上限；省略则用默认值"),
                         db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """设置定点医药机构每日人员信息查询（1101）次数上限；超过后 1101 答复“查询过于频繁”。"""
    store = Store.open(db)

    def work(session) -> None:
        institution = session.get(m.Institution, code)
        if institution is None:
            raise NotFound("code", f"定点医药机构{code}不存在。")
        institution.lookup_quota = quota
    _or_exit(store, lambda: store.transaction(work))
    out.print(f"{code}: 1101 look-ups a day: {quota if quota is not None else f'default ({DEFAULT_LOOKUP_QUOTA})'}")


@ecert_app.command("issue")
def ecert_issue_command(psn_no: str = typer.Argument(..., help="参保人个人编号"),
                        db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """为参保人签发医保电子凭证令牌（5 分钟内可出示，之后绑定到其开启的就诊）；记入审计日志。"""
    store = Store.open(db)
    token = _or_exit(store, lambda: store.transaction(lambda s: issue_ecert_audited(
        s, cipher_from_environment(), psn_no, Actor.command_line())))
    out.print(f"e-certificate of {psn_no}, presentable for {ECERT_MINUTES} minutes (mdtrt_cert_type 01):")
    print(token)
