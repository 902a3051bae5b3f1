"""Serve the demo: the console and the institution API on one localhost port, with demo sign-ins."""

from __future__ import annotations

import datetime as dt

import uvicorn
from rich.console import Console
from rich.table import Table

from tongchou.access.permissions import load_roles
from tongchou.access.users import AccessError, UserService
from tongchou.api.app import create_app as create_api
from tongchou.demo.pipeline import YEAR
from tongchou.policy.registry import Registry
from tongchou.store.crypto import cipher_from_environment
from tongchou.store.uow import Store
from tongchou.web.app import create_app as create_console

API_PATHS = ("/api/", "/docs", "/openapi.json")
# (username, role, county, what they show); the password is the same for all: demo sign-ins only
DEMO_USERS = (
    ("admin", "city_admin", None, "市局管理员：全部页面"),
    ("fund", "city_fund_officer", None, "市局基金科：预算、报告、清算"),
    ("yuecheng", "county_clerk", "330602", "越城区经办：只见本区参保人与机构"),
    ("yuecheng_review", "county_reviewer", "330602", "越城区复核员：复核超过限额的零星报销（双人复核）"),
    ("yuecheng_desk", "service_desk", "330602", "越城区综合柜员（全城通办）：办理全市任一区县参保人的前台业务，基金与报表仍限越城区"),
    ("xinchang", "county_fund_officer", "330624", "新昌县基金岗：本县数字"),
    ("auditor", "auditor", None, "审计：只读，查看稽核发现"),
    ("supervisor", "supervisor", None, "监管：案件"),
)
DEMO_PASSWORD = "Tongchou-demo-2018"


def ensure_demo_users(store: Store) -> None:
    users = UserService(store)
    for username, role, county, _shown in DEMO_USERS:
        try:
            users.add(username, DEMO_PASSWORD, role, None, county)
        except AccessError:
            pass  # already there from an earlier run


def dispatcher(console_app, api_app):
    """One ASGI app: the national interface paths go to the API, everything else to the console."""
    async def app(scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(API_PATHS):
            await api_app(scope, receive, send)
        else:
            await console_app(scope, receive, send)
    return app


def sign_in_table() -> Table:
    table = Table(title=f"演示账号（密码均为 {DEMO_PASSWORD}）")
    for column in ("用户名", "角色", "说明"):
        table.add_column(column)
    roles = load_roles()
    for username, role, _county, shown in DEMO_USERS:
        table.add_row(username, roles.role(role).label, shown)
    return table


def serve(db_url: str, host: str, port: int, console: Console) -> None:
    store = Store.open(db_url)
    ensure_demo_users(store)
    registry, cipher = Registry.load(), cipher_from_environment()
    year_end = lambda: dt.date(YEAR, 12, 31)  # noqa: E731 - the demo's business date: its year is over
    app = dispatcher(create_console(store, registry, cipher=cipher, today=year_end, secure_cookies=False),
                     create_api(store, registry, cipher))
    console.print(sign_in_table())
    console.print(f"控制台: http://{host}:{port}/   机构接口: http://{host}:{port}/api/hsa/{{infno}}   "
                  f"OpenAPI: http://{host}:{port}/docs   （Ctrl+C 结束）")
    uvicorn.run(app, host=host, port=port, log_level="warning")
