"""Child process of test_crash: settles in a loop and prints `ACK <setl_id>` after each commit."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.store.support import fee, request, seed_registry
from tongchou.settlement.service import SettlementService
from tongchou.store.uow import Store


def main(url: str, policy_dir: str) -> None:
    service = SettlementService(Store.open(url), seed_registry(Path(policy_dir)))
    persons = ("GX0001", "GX0002")
    for n in range(100_000):
        out = service.settle(request(f"C{n}", persons[n % 2], items=[fee("T000002", f"{100 + n % 900}.00")],
                                     day=f"2018-{1 + n % 12:02d}-15"))
        if n % 7 == 3:
            service.cancel(f"C{n - 1}")
        sys.stdout.write(f"ACK {out.setl_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
