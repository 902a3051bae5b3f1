"""Fixtures shared by tests/store, tests/ledger and tests/enrolment.

`db_url` is parametrized over SQLite (a fresh copy of a migrated file per test) and PostgreSQL
(one uniquely named database per test session, emptied before each test, dropped at the end).
PostgreSQL tests carry the `postgres` mark; when the server is unreachable they are skipped,
except under CI (env `CI` set) where they FAIL.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from tongchou.enrolment.service import EnrolmentService
from tongchou.policy.registry import Registry, default_policy_dir
from tongchou.settlement.service import SettlementService
from tongchou.settlement.request import FeeLine, SettleRequest
from tongchou.store.crypto import DataCipher
from tongchou.region.fixture import load_file
from tongchou.store.testing import (
    create_pg_database, create_sqlite_database, drop_pg_database, empty_pg_database, pg_reachable,
)
from tongchou.store.uow import Store

DATA = Path(__file__).parent / "data"
TEST_CIPHER = DataCipher(b"k" * 32)
PG = pytest.param("postgres", marks=pytest.mark.postgres)
ENGINES = ["sqlite", PG]


def require_postgres() -> None:
    ok, why = pg_reachable()
    if not ok:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is not reachable (CI requires it): {why}")
        pytest.skip(f"PostgreSQL not reachable: {why}")


@pytest.fixture(scope="session")
def pg_session_url():
    require_postgres()
    url = create_pg_database("tongchou_test")
    yield url
    drop_pg_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("sqlite-template")
    url = create_sqlite_database(directory)
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture(params=ENGINES)
def db_url(request, tmp_path, sqlite_template) -> str:
    if request.param == "sqlite":
        target = tmp_path / f"t-{uuid.uuid4().hex[:6]}.db"
        shutil.copy(sqlite_template, target)
        return f"sqlite:///{target}"
    url = request.getfixturevalue("pg_session_url")
    empty_pg_database(url)
    return url


SEED_POLICIES = ("guanxian-2018-resident.yaml", "changchun-2021-employee.yaml")


def seed_registry(directory: Path) -> Registry:
    """A registry of the seed policies the tests use (copied, so that other policy work cannot break them)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in SEED_POLICIES:
        shutil.copy(default_policy_dir() / name, directory / name)
    return Registry.load(directory)


@pytest.fixture(scope="session")
def registry(tmp_path_factory) -> Registry:
    return seed_registry(tmp_path_factory.mktemp("policies"))


@pytest.fixture
def store(db_url):
    store = Store.open(db_url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    load_file(store, DATA / "changchun.yaml", TEST_CIPHER)
    yield store
    store.close()


@pytest.fixture
def settlements(store, registry) -> SettlementService:
    return SettlementService(store, registry, today=lambda: dt.date(2018, 12, 31))


@pytest.fixture
def enrolments(store, registry) -> EnrolmentService:
    return EnrolmentService(store, registry)


def fee(code: str, yuan: str, qty: str | None = None, price: str | None = None, **kw) -> FeeLine:
    amount = int(Decimal(yuan) * 100)
    return FeeLine(code=code, amount=amount, qty=Decimal(qty) if qty else None,
                   price=Decimal(price) if price else None, **kw)


def request(key: str, psn_no: str = "GX0001", *, items=None, med_type: str = "21", mdtrt_id: str | None = None,
            day: str = "2018-05-10", begin: str | None = None, fixmedins: str = "H37152500001",
            insutype: str = "390", **kw) -> SettleRequest:
    end = dt.date.fromisoformat(day)
    return SettleRequest(
        key=key, psn_no=psn_no, insutype=insutype, fixmedins_code=fixmedins, mdtrt_id=mdtrt_id or f"M-{key}",
        med_type=med_type, begndate=dt.date.fromisoformat(begin) if begin else end, enddate=end,
        items=tuple(items if items is not None else [fee("T000002", "1500.00")]), setl_id=kw.pop("setl_id", key), **kw)


def cli_store(tmp_path: Path, monkeypatch, *fixtures: str) -> str:
    """A SQLite store made by the command line as a clerk would (`tongchou load` of each fixture of tests/store/data),
    under a throw-away data key; returns its URL."""
    from typer.testing import CliRunner

    from tongchou.cli import app
    monkeypatch.setenv("TONGCHOU_DATA_KEY", "a" * 43 + "=")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    for fixture in fixtures:
        result = CliRunner().invoke(app, ["load", str(DATA / fixture), "--db", url])
        assert result.exit_code == 0, result.output
    return url
