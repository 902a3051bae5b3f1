"""Faults under concurrent load (issue 18): a worker SIGKILLed, the whole service SIGKILLed, PostgreSQL
restarted (fast shutdown). After each, every settlement a client saw acknowledged is in the store exactly
once, every retry of an unanswered msgid gets one answer, no cap is exceeded, a claimed nonce is still
refused, and `ledger verify` and `audit verify` pass."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.faults.checks import assert_store_consistent, replay_raw, retry_unanswered
from tests.faults.cluster import children_of
from tests.faults.load import Load

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

WARM, AFTER = 4.0, 5.0


def _under_load(server, fault) -> Load:
    load = Load(f"http://127.0.0.1:{server.port}", threads=6)
    workers = load.start()
    time.sleep(WARM)
    before = len(load.sent)
    fault()
    time.sleep(AFTER)
    load.stop.set()
    for worker in workers:
        worker.join(60)
    assert before > 0, load.errors[:3]
    assert any(s.outcome == "acked" for s in load.sent[before:]), (
        "nothing settled after the fault", load.errors[-3:], server.log.read_text()[-2000:])
    return load


def _afterwards(server, load: Load, url: str) -> None:
    last = load.sent[-20:]
    unanswered = sum(s.outcome == "unanswered" for s in load.sent)
    retried = retry_unanswered(load)
    replayed = replay_raw(f"http://127.0.0.1:{server.port}", last)
    assert_store_consistent(url, load)
    acked = sum(s.outcome == "acked" for s in load.sent)
    print(f"\n2207 sent {len(load.sent)}, acknowledged {acked}, unanswered at the fault {unanswered} "
          f"(retried: {retried}), raw replays {replayed}, client errors {len(load.errors)}")


def test_a_worker_killed(server, region_db):
    def kill_one_worker() -> None:
        workers = children_of(server.process.pid)
        assert workers, "no worker processes under the server"
        os.kill(workers[0], signal.SIGKILL)

    load = _under_load(server, kill_one_worker)
    _afterwards(server, load, region_db)


def test_the_whole_service_killed(server, region_db):
    def kill_and_restart() -> None:
        server.kill_group()
        server.start()

    load = _under_load(server, kill_and_restart)
    _afterwards(server, load, region_db)


def test_postgres_restarted(server, region_db, cluster):
    load = _under_load(server, lambda: cluster.restart("fast"))
    _afterwards(server, load, region_db)


def test_postgres_killed(server, region_db, cluster):
    def crash_and_recover() -> None:
        cluster.kill9()
        cluster.start()

    load = _under_load(server, crash_and_recover)
    _afterwards(server, load, region_db)
