"""`tongchou audit verify|show|policies`: check the hash chain, read the latest events, record the
policy versions the service would load (publication = a reviewed policy file, see docs/security.md).

    tongchou audit verify [--db URL]            exit 0 when intact; 1 naming the first broken record
    tongchou audit show [--db URL] [--last 20] [--action person.view]
    tongchou audit policies [--db URL] [--policy-dir DIR]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="审计日志：校验哈希链、查看记录、登记政策版本", no_args_is_help=True, add_completion=False)

Db = Annotated[Optional[str], typer.Option("--db", help="数据库地址（默认：环境变量 TONGCHOU_DB，否则 ./var/tongchou.db）")]


def _store(db: str | None):
    from tongchou.store.uow import Store
    return Store.open(db)


@app.command("verify")
def verify_command(db: Db = None) -> None:
    """逐条校验审计链；有记录被改动或删除时以非零状态退出并指出第一条问题记录。"""
    from tongchou.audit.trail import verify
    store = _store(db)
    try:
        verdict = verify(store)
    finally:
        store.close()
    if verdict.ok:
        typer.echo(verdict.message())
        return
    typer.echo(verdict.message(), err=True)
    raise typer.Exit(1)


@app.command("show")
def show_command(db: Db = None, last: Annotated[int, typer.Option("--last")] = 20,
                 action: Annotated[Optional[str], typer.Option("--action")] = None) -> None:
    """列出最近的审计记录（新的在前）。"""
    from tongchou.clock import as_utc
    from tongchou.audit.trail import recent
    store = _store(db)
    try:
        for e in recent(store, last, action):
            where = f"{e.object_type}:{e.object_id}" if e.object_type else "-"
            typer.echo(f"{e.seq}\t{as_utc(e.at):%Y-%m-%d %H:%M:%S}Z\t{e.actor}\t{e.action}\t{e.outcome}\t{where}\t"
                       f"{e.source_ip or '-'}\t{e.detail}")
    finally:
        store.close()


@app.command("policies")
def policies_command(db: Db = None, policy_dir: Annotated[Optional[Path], typer.Option("--policy-dir")] = None) -> None:
    """把将被加载的政策版本（政策ID、版本、文件SHA-256）登记为 policy.publish 事件（已登记的跳过）。"""
    from tongchou.audit.trail import Actor, record_policy_versions
    from tongchou.policy.registry import Registry
    store = _store(db)
    try:
        count = record_policy_versions(store, Registry.load(policy_dir), Actor.command_line())
    finally:
        store.close()
    typer.echo(f"新登记政策版本 {count} 个。")
