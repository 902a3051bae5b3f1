"""Backup and point-in-time restore (docs/operations.md), on the throw-away cluster: a base backup, more
settlements, a restore to a moment between two of them; the restored database holds exactly the settlements
before that moment, and `ledger verify` and `audit verify` pass on it."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from sqlalchemy import text

from tests.faults.checks import assert_verified
from tests.store.support import DATA, TEST_CIPHER, request, seed_registry
from tongchou.settlement.service import SettlementService
from tongchou.store.db import upgrade
from tongchou.region.fixture import load_file
from tongchou.store.uow import Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _settle(service: SettlementService, keys: list[str]) -> None:
    for n, key in enumerate(keys):
        service.settle(request(key, ("GX0001", "GX0002")[n % 2], day=f"2018-0{3 + n % 6}-1{n % 9}"))


def _stored(url: str) -> set[str]:
    store = Store.open(url)
    try:
        return set(store.read(lambda s: s.execute(text("SELECT setl_id FROM settlement")).scalars().all()))
    finally:
        store.close()


def _wait_archived(cluster, seconds: float = 60) -> None:
    """Switch to a new WAL segment and wait until the one just closed is in the archive."""
    closed = cluster.sql("SELECT pg_walfile_name(pg_switch_wal())")[0][0]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (cluster.archive / closed).exists():
            return
        time.sleep(0.2)
    raise AssertionError(f"WAL segment {closed} was not archived within {seconds} s")


def test_point_in_time_restore_between_two_settlements(cluster, tmp_path):
    url = cluster.create_database(f"pitr_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    store = Store.open(url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    service = SettlementService(store, seed_registry(tmp_path / "policies"), today=lambda: dt.date(2018, 12, 31))
    try:
        _settle(service, ["A1", "A2", "A3"])
        backup = cluster.root / "backups" / "base"
        cluster.base_backup(backup)
        _settle(service, ["B1", "B2", "B3"])
        moment = cluster.sql("SELECT now()::text")[0][0]
        time.sleep(1.2)
        _settle(service, ["C1", "C2", "C3"])
        _wait_archived(cluster)
    finally:
        store.close()
    assert {"A1", "B3", "C3"} <= _stored(url)

    restored = cluster.restored(backup, moment)
    try:
        restored_url = restored.url(url.rsplit("/", 1)[1])
        assert _stored(restored_url) == {"A1", "A2", "A3", "B1", "B2", "B3"}
        check = Store.open(restored_url)
        try:
            assert_verified(check)
        finally:
            check.close()
    finally:
        restored.destroy()
