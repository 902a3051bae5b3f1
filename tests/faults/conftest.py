"""A throw-away cluster per module, a fresh database with the fault region per test, and the service on it."""

from __future__ import annotations

import base64
import os
import shutil
import uuid

import pytest

from tests.faults.cluster import Cluster, free_port
from tests.faults.load import DATA_KEY, Server, region_fixture
from tongchou.policy.registry import default_policy_dir
from tongchou.store.crypto import DataCipher
from tongchou.store.db import upgrade
from tongchou.region.fixture import load_fixture, parse_fixture
from tongchou.store.uow import Store

pytestmark = pytest.mark.postgres


def _require_server_binaries() -> None:
    try:
        from tests.faults.cluster import _bin_dir
        _bin_dir()
    except RuntimeError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the fault tests need PostgreSQL's server binaries (CI requires them): {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def cluster():
    _require_server_binaries()
    made = Cluster.create()
    made.start()
    yield made
    made.destroy()


def cipher() -> DataCipher:
    return DataCipher(base64.b64decode(DATA_KEY))


@pytest.fixture
def region_db(cluster) -> str:
    url = cluster.create_database(f"faults_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    store = Store.open(url)
    try:
        load_fixture(store, parse_fixture(region_fixture()), cipher=cipher())
    finally:
        store.close()
    return url


@pytest.fixture
def policy_dir(tmp_path):
    directory = tmp_path / "policies"
    directory.mkdir()
    shutil.copy(default_policy_dir() / "guanxian-2018-resident.yaml", directory)
    return directory


@pytest.fixture
def server(region_db, policy_dir):
    served = Server(region_db, free_port(), policy_dir, workers=2)
    served.start()
    yield served
    served.stop()
