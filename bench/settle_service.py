"""Settlements per second through the service layer (SettlementService.settle) on PostgreSQL.

    .venv/bin/python bench/settle_service.py --threads 4 --seconds 15

Creates a throw-away database on the server at 127.0.0.1:5432 (or uses --db), loads a region of
--persons residents, then N worker threads settle one-item inpatient claims for random persons
until --seconds have passed. Every settlement is a full transaction: lock of the person's
accumulators, catalogue split, engine, settlement row, fee items, accumulators, postings.
The last line is `settle_service: threads=N settlements_per_s=X`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import shutil
import tempfile
import threading
import time
from pathlib import Path

from tongchou.ledger.service import verify
from tongchou.policy.registry import Registry, default_policy_dir
from tongchou.settlement.service import SettlementService
from tongchou.settlement.request import FeeLine, SettleRequest
from tongchou.store.crypto import DataCipher
from tongchou.region.fixture import load_fixture, parse_fixture
from tongchou.store.testing import create_pg_database, drop_pg_database
from tongchou.store.uow import Store


def region(persons: int) -> str:
    rows = "\n".join(f"  - {{psn_no: B{i:05d}, name: 参保人{i}, county: '371525', psn_type: '1501', "
                     f"enrolments: [{{insutype: '390', from: '2018-01-01', to: '2018-12-31'}}]}}" for i in range(persons))
    return ("region: {admdvs: '371525', name: 冠县}\n"
            "institutions:\n  - {code: H37152500001, name: 冠县人民医院, hosp_lv: 2, admin_tier: county, county: '371525'}\n"
            "catalogue:\n  - {code: T000002, name: 甲类药品, category: A}\n"
            "  - {code: T000001, name: 乙类药品, category: B, selfpay_prop: '0.10'}\n"
            f"persons:\n{rows}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--db", help="an existing, migrated PostgreSQL URL (default: a throw-away database)")
    args = parser.parse_args()

    url = args.db or create_pg_database("tongchou_bench")
    policies = Path(tempfile.mkdtemp(prefix="tongchou-bench-policies-"))
    shutil.copy(default_policy_dir() / "guanxian-2018-resident.yaml", policies)
    store = Store.open(url, pool_size=args.threads + 2)
    try:
        load_fixture(store, parse_fixture(region(args.persons)), cipher=DataCipher(b"b" * 32))
        service = SettlementService(store, Registry.load(policies))
        counter = itertools.count()
        done = [0] * args.threads
        stop = time.monotonic() + args.seconds

        def worker(index: int) -> None:
            rnd = random.Random(index)
            while time.monotonic() < stop:
                n = next(counter)
                day = dt.date(2018, 1 + n % 12, 1 + n % 28)
                service.settle(SettleRequest(
                    key=f"BENCH-{n}", psn_no=f"B{rnd.randrange(args.persons):05d}", insutype="390",
                    fixmedins_code="H37152500001", mdtrt_id=f"M{n}", med_type="21", begndate=day, enddate=day,
                    items=(FeeLine("T000002", 100_000 + n % 5000), FeeLine("T000001", 20_000)), setl_id=f"BENCH-{n}"))
                done[index] += 1

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        total = sum(done)
        report = verify(store)
        print(f"settled {total} in {elapsed:.1f} s; ledger verify {'OK' if report.ok else 'FAILED'}")
        print(f"settle_service: threads={args.threads} settlements_per_s={total / elapsed:.1f}")
    finally:
        store.close()
        if not args.db:
            drop_pg_database(url)
        shutil.rmtree(policies, ignore_errors=True)


if __name__ == "__main__":
    main()
