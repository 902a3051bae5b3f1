"""`tongchou console`: serve the bureau's web console, and manage its users.

    tongchou console [--db URL] [--host 127.0.0.1] [--port 8080]
    tongchou console users add NAME --role ROLE [--county ADMDVS] [--display-name TEXT]
    tongchou console users passwd NAME
    tongchou console users list

Passwords are read from the terminal (or env TONGCHOU_CONSOLE_PASSWORD for scripts), never from
an option. Registration in tongchou/cli.py (one line):

    from tongchou.web.cli import app as console_app; app.add_typer(console_app, name="console")  # noqa: E402,E702
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from tongchou.access.permissions import load_roles
from tongchou.access.users import AccessError, UserService

app = typer.Typer(help="医保局控制台（网页）：启动服务、管理用户", invoke_without_command=True, add_completion=False)
users_app = typer.Typer(help="控制台用户", no_args_is_help=True, add_completion=False)
app.add_typer(users_app, name="users")

Db = Annotated[Optional[str], typer.Option("--db", help="数据库地址（默认：环境变量 TONGCHOU_DB，否则 ./var/tongchou.db）")]
PASSWORD_ENV = "TONGCHOU_CONSOLE_PASSWORD"


APP_ROLE = "tongchou_app"  # the role row-level security applies to (migration 0008)


def _store(db: str | None):
    """The console's store: on PostgreSQL every transaction runs as the application role, so the county
    row-level security policies apply even when the console connects as the owner."""
    from tongchou.store.config import database_url
    from tongchou.store.db import migrate_existing
    from tongchou.store.uow import Store
    url = database_url(db)
    migrate_existing(url)
    return Store.open(url, role=APP_ROLE if url.startswith("postgresql") else None)


@app.callback()
def serve(ctx: typer.Context, db: Db = None,
          host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
          port: Annotated[int, typer.Option("--port")] = 8080,
          policy_dir: Annotated[Optional[Path], typer.Option("--policy-dir", help="政策目录（默认：随系统发布的政策）")] = None,
          clearing_rules: Annotated[Optional[Path], typer.Option("--clearing-rules")] = None,
          review_above: Annotated[Optional[str], typer.Option(
              "--review-above", help="零星报销单张票据合计超过此金额（元）须双人复核，默认 10000")] = None) -> None:
    """启动控制台（先迁移数据库）。"""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"db": db}
        return
    import uvicorn

    from tongchou.money import MoneyError, to_fen
    from tongchou.policy.registry import Registry
    from tongchou.web.app import create_app
    from tongchou.web.reimbursement import Limits

    limits = Limits()
    if review_above is not None:
        try:
            limits = Limits(review_above=to_fen(review_above))
        except MoneyError:
            raise typer.BadParameter(f"应为金额（元），如 10000，而不是“{review_above}”", param_hint="--review-above")
    store = _store(db)
    application = create_app(store, Registry.load(policy_dir), clearing_rules=clearing_rules,
                             reimbursement_limits=limits)
    typer.echo(f"控制台：http://{host}:{port}/")
    uvicorn.run(application, host=host, port=port, proxy_headers=False, server_header=False, log_level="info",
                log_config=scrubbed_log_config())


def scrubbed_log_config() -> dict:
    """uvicorn's logging configuration with every handler masking ID and phone numbers (an access-log
    line carries the URL, and a URL may carry a query)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["scrub"] = {"()": "tongchou.masking.ScrubbingFilter"}
    for handler in config["handlers"].values():
        handler["filters"] = [*handler.get("filters", []), "scrub"]
    return config


def _password(confirm: bool = True) -> str:
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    return typer.prompt("密码", hide_input=True, confirmation_prompt=confirm)


def _service(ctx: typer.Context, db: str | None) -> UserService:
    return UserService(_store(db or (ctx.obj or {}).get("db")))


@users_app.command("add")
def users_add(ctx: typer.Context, username: str,
              role: Annotated[str, typer.Option("--role", help="、".join(load_roles().roles))],
              county: Annotated[Optional[str], typer.Option("--county", help="区县 admdvs（区县角色必填）")] = None,
              display_name: Annotated[Optional[str], typer.Option("--display-name")] = None, db: Db = None) -> None:
    """新增用户。"""
    try:
        user = _service(ctx, db).add(username, _password(), role, display_name, county)
    except AccessError as exc:
        typer.echo(f"错误（{exc.field}）：{exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已新增用户 {user.username}（{user.role_label}{'，' + user.county if user.county else ''}）")


@users_app.command("passwd")
def users_passwd(ctx: typer.Context, username: str, db: Db = None) -> None:
    """修改密码（同时解除锁定）。"""
    try:
        _service(ctx, db).set_password(username, _password())
    except AccessError as exc:
        typer.echo(f"错误（{exc.field}）：{exc.message}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"已修改 {username} 的密码")


@users_app.command("list")
def users_list(ctx: typer.Context, db: Db = None) -> None:
    """列出用户。"""
    for user in _service(ctx, db).list():
        state = "启用" if user.active else "停用"
        locked = f"，锁定至{user.locked_until:%Y-%m-%d %H:%M} UTC" if user.locked_until else ""
        typer.echo(f"{user.username}\t{user.display_name}\t{user.role_label}\t{user.county or '全市'}\t{state}{locked}")
