"""Fixtures of the console tests: the region is built once per session and copied per test module."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

import pytest
from starlette.testclient import TestClient

from tests.store.support import TEST_CIPHER
from tests.web.region import PASSWORD, TODAY, build
from tongchou.store.uow import Store
from tongchou.web.app import create_app


@pytest.fixture(scope="session")
def region(tmp_path_factory):
    directory = tmp_path_factory.mktemp("console-region")
    url, registry = build(directory)
    return url, registry


def copy_region(region, directory) -> str:
    url, _ = region
    target = directory / f"console-{uuid.uuid4().hex[:6]}.db"
    shutil.copy(url.removeprefix("sqlite:///"), target)
    return f"sqlite:///{target}"


class Clock:
    """A settable UTC clock for lockout and session expiry."""

    def __init__(self):
        self.value = dt.datetime(2018, 12, 31, 9, 0, tzinfo=dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.value

    def advance(self, **delta) -> None:
        self.value += dt.timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def console(region, tmp_path, clock):
    store = Store.open(copy_region(region, tmp_path))
    app = create_app(store, region[1], cipher=TEST_CIPHER, today=lambda: TODAY, now=clock)
    yield app
    store.close()


def client_for(app) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def sign_in(client: TestClient, username: str, password: str = PASSWORD):
    client.get("/login")
    token = client.cookies.get("tongchou_signin_csrf")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"},
                       follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/") -> str:
    import re
    page = client.get(path).text
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


@pytest.fixture(scope="session")
def employers_region(tmp_path_factory):
    """The 长春 region of the employer pages (tests/web/employers_region.py)."""
    from tests.web.employers_region import build
    return build(tmp_path_factory.mktemp("employers-region"))


@pytest.fixture
def employers_console(employers_region, tmp_path, clock):
    from tests.web.employers_region import TODAY
    url, registry, terms = employers_region
    store = Store.open(copy_region((url, registry), tmp_path))
    app = create_app(store, registry, cipher=TEST_CIPHER, today=lambda: TODAY, now=clock, employer_terms=terms)
    yield app
    store.close()
