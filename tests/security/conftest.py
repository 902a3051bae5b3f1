"""Fixtures of the security tests: `db_url` (SQLite and PostgreSQL, tests/store/support.py), the console
region of tests/web, and `scope_region`: the console over `db_url` — on PostgreSQL connected as the
application role `tongchou_app`, so that row-level security applies."""

from __future__ import annotations

import pytest

import tongchou.schema  # noqa: F401 — every table (audit included) is emptied between PostgreSQL tests
from tests.store.support import *  # noqa: F401,F403 — db_url, registry, …
from tests.store.support import DATA, TEST_CIPHER, fee, request
from tests.web.conftest import Clock, clock, console, region  # noqa: F401 — the SQLite console region
from tests.web.region import PASSWORD, TODAY
from tongchou.access.users import UserService
from tongchou.audit.trail import ensure_head
from tongchou.settlement.service import SettlementService
from tongchou.region.fixture import load_file
from tongchou.store.uow import Store
from tongchou.web.app import create_app

APP_ROLE = "tongchou_app"
COUNTY_A, COUNTY_B = "371525", "371599"
USERS = {"admin": ("city_admin", None), "clerk_a": ("county_clerk", COUNTY_A),
         "clerk_b": ("county_clerk", COUNTY_B), "auditor": ("auditor", None),
         "desk_a": ("service_desk", COUNTY_A)}  # 综合柜员（全城通办）


def app_store(db_url: str) -> Store:
    """The store as the console runs it: on PostgreSQL as `tongchou_app` (row-level security on)."""
    return Store.open(db_url, role=APP_ROLE if db_url.startswith("postgresql") else None)


@pytest.fixture
def scope_region(db_url, registry):
    """冠县 (GX0001 in 371525, GX0002 in 371599) with a settlement each and four console users, loaded by
    the owner; yields (app over the application role's store, owner store)."""
    owner = Store.open(db_url)
    owner.transaction(ensure_head)  # the emptied PostgreSQL database lost it; the application role may not insert it
    load_file(owner, DATA / "guanxian.yaml", TEST_CIPHER)
    settle = SettlementService(owner, registry, today=lambda: TODAY)
    settle.settle(request("S-A1", "GX0001", items=[fee("T000002", "1500.00")], day="2018-03-10"))
    settle.settle(request("S-B1", "GX0002", items=[fee("T000002", "5400.00")], day="2018-04-02"))
    users = UserService(owner)
    for name, (role, county) in USERS.items():
        users.add(name, PASSWORD, role, county=county)
    store = app_store(db_url)
    app = create_app(store, registry, cipher=TEST_CIPHER, today=lambda: TODAY, now=Clock())
    yield app, owner
    store.close()
    owner.close()
