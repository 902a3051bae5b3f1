"""`tongchou keys new|status|rotate`: data-key management for the encrypted columns.

    tongchou keys new                                 print a fresh 32-byte key (base64)
    tongchou keys status [--db URL]                   values per key id and column
    tongchou keys rotate --new-key env:NAME|file:PATH [--db URL] [--batch 500]

The new key is given as `env:NAME` (an environment variable) or `file:PATH`, never as a literal on the
command line (it would stay in the shell history and the process list). The current and previous
keys come from the environment (TONGCHOU_DATA_KEY, TONGCHOU_PREVIOUS_DATA_KEYS, TONGCHOU_LOOKUP_KEY).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(help="数据密钥：生成、状态、轮换（重新加密身份证号、电话、机构密钥）", no_args_is_help=True,
                  add_completion=False)

Db = Annotated[Optional[str], typer.Option("--db", help="数据库地址（默认：环境变量 TONGCHOU_DB，否则 ./var/tongchou.db）")]


def _key_text(source: str) -> str:
    if source.startswith("env:"):
        value = os.environ.get(source[4:])
        if not value:
            raise typer.BadParameter(f"environment variable {source[4:]} is not set", param_hint="--new-key")
        return value
    if source.startswith("file:"):
        path = Path(source[5:])
        if not path.is_file():
            raise typer.BadParameter(f"no such file {path}", param_hint="--new-key")
        return path.read_text(encoding="utf-8")
    raise typer.BadParameter("give the key as env:NAME or file:PATH (never on the command line)",
                             param_hint="--new-key")


@app.command("new")
def new_command() -> None:
    """生成一个新的数据密钥（base64，32字节）。"""
    from tongchou.store.crypto import new_key
    typer.echo(new_key())


@app.command("status")
def status_command(db: Db = None) -> None:
    """各加密列的值分别由哪个密钥（key id）加密。"""
    from tongchou.access.keys import key_census
    from tongchou.store.crypto import cipher_from_environment
    from tongchou.store.uow import Store
    cipher = cipher_from_environment()
    store = Store.open(db)
    try:
        census = key_census(store, cipher)
    finally:
        store.close()
    typer.echo(f"当前密钥 key id：{cipher.key_id}")
    for column, counts in census.items():
        typer.echo(f"{column}\t" + ("、".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "（无）"))


@app.command("rotate")
def rotate_command(new_key: Annotated[str, typer.Option("--new-key", help="新密钥来源：env:NAME（环境变量）或 file:PATH（文件）")],
                   db: Db = None, batch: Annotated[int, typer.Option("--batch", min=1)] = 500) -> None:
    """用新密钥重新加密全部加密列（可中断后重跑）；旧密钥在轮换期间仍可解密。"""
    from tongchou.access.keys import rotate
    from tongchou.audit.trail import KEYS_ROTATE, Actor, AuditTrail
    from tongchou.store.crypto import DataKeyError, cipher_from_environment, decode_key, key_id
    from tongchou.store.uow import Store
    try:
        current = cipher_from_environment()
        new_master = decode_key(_key_text(new_key), "--new-key")
        cipher = current.rotated(new_master) if new_master != current.master else current
    except DataKeyError as exc:
        typer.echo(f"错误：{exc}", err=True)
        raise typer.Exit(2) from None
    store = Store.open(db)
    try:
        report = rotate(store, cipher, batch=batch,
                        progress=lambda column, n: typer.echo(f"  {column}: {n}"))
        AuditTrail(store).record(Actor.command_line(), KEYS_ROTATE, object_type="data_key", object_id=cipher.key_id,
                                 detail={"from": [key_id(k) for k in cipher.previous], "rewritten": report.rewritten})
    finally:
        store.close()
    typer.echo(f"已用密钥 {cipher.key_id} 重新加密 {report.total} 个值。")
    typer.echo("下一步：TONGCHOU_DATA_KEY 设为新密钥；TONGCHOU_LOOKUP_KEY 保持为原查询密钥；"
               "确认 `tongchou keys status` 只剩新 key id 后移除 TONGCHOU_PREVIOUS_DATA_KEYS 中的旧密钥。")
