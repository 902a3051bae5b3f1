"""A process settling in a loop is SIGKILLed; after restart every acknowledged settlement is there,
none is half-written, and the ledger verifies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from tests.store.support import request
from tongchou.ledger.service import verify
from tongchou.store import models as m
from tongchou.store.uow import Store

ROOT = Path(__file__).resolve().parents[2]


def test_sigkill_loses_nothing_acknowledged(store, db_url, tmp_path, settlements):
    child = subprocess.Popen([sys.executable, "-m", "tests.ledger.crash_worker", db_url, str(tmp_path / "policies")],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    acked: list[str] = []
    deadline = time.monotonic() + 60
    while len(acked) < 40 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        acked.append(line.split()[1])
    time.sleep(0.05)  # let it be in the middle of the next transaction
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert len(acked) >= 40, child.stderr.read()

    store.close()
    restarted = Store.open(db_url)
    try:
        stored = set(restarted.read(lambda s: list(s.execute(select(m.Settlement.setl_id)).scalars())))
        assert set(acked) <= stored
        report = verify(restarted)
        assert report.ok, [(c.name, c.breaches[:3]) for c in report.checks if not c.ok]
    finally:
        restarted.close()
    # and the service goes on where it stopped
    settlements.store = Store.open(db_url)
    try:
        settlements.settle(request("AFTER", "GX0001", day="2018-12-30"))
    finally:
        settlements.store.close()
