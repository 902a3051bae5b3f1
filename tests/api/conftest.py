"""Fixtures of the API tests: the app over a store on SQLite and on PostgreSQL (tests/store/support.py),
with 冠县 and 长春 loaded; `hsa` is a signed `HsaClient` of 冠县人民医院 over the ASGI app."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.testclient import TestClient

from tests.store.support import *  # noqa: F401,F403 — db_url, store, registry on both engines
from tests.store.support import TEST_CIPHER
from tongchou.api.app import ApiConfig, create_app
from tongchou.api.security import Credentials
from tongchou.client import HsaClient
from tongchou.settlement.service import SettlementService
from tongchou.store.cache import Generations, ReferenceCache
from tongchou.supervision.service import SupervisionHook
from tongchou.supervision.rules import load_rules

HOSPITAL, SECRET = "H37152500001", "a-secret-for-signing"
TOWNSHIP, TOWNSHIP_SECRET = "H37152500002", "s2"


@pytest.fixture
def app(store, registry):
    service = SettlementService(store, registry, today=lambda: dt.date(2018, 12, 31),
                                supervision=SupervisionHook(load_rules()),  # as `create_app` configures it
                                references=ReferenceCache(Generations(store, interval=0.0)))
    return create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525", cache_interval=0.0),
                      settlements=service)


@pytest.fixture
def http(app):
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


@pytest.fixture
def hsa(request, http, store) -> HsaClient:
    """Signed the hmac way, or — parametrized indirectly with "gateway" — the national gateway's way."""
    signature = getattr(request, "param", "hmac")
    secret = SECRET
    if signature == "gateway":
        secret = Credentials(store, TEST_CIPHER).rotate(HOSPITAL, grace_hours=0, signature="gateway")
    return HsaClient("http://testserver", HOSPITAL, secret, name="冠县人民医院", admdvs="371525", http=http,
                     signature=signature)


@pytest.fixture
def township(http) -> HsaClient:
    return HsaClient("http://testserver", TOWNSHIP, TOWNSHIP_SECRET, name="冠县某镇卫生院", admdvs="371525", http=http)
