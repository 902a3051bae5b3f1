"""The console's fund operation report: seconds to the first and to a second view on a demo store.

    .venv/bin/python bench/report_first_view.py --db var/demo/tongchou.db

Works on a copy of the SQLite store (a bench user is added to the copy), in a fresh process so the
first view pays what a first visitor pays (imports done lazily by the page, the computation, the
template). The last line is `report_first_view: first=X second=Y first_cpu=… second_cpu=…`
(wall-clock and this process's CPU seconds: on a loaded machine the CPU time is the steadier figure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("var/demo/tongchou.db"))
    parser.add_argument("--path", default="/reports/fund-operation")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    from starlette.testclient import TestClient

    from tongchou.access.users import UserService
    from tongchou.policy.registry import Registry
    from tongchou.store.crypto import cipher_from_environment
    from tongchou.store.uow import Store
    from tongchou.web.app import create_app

    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "bench.db"
        shutil.copy(args.db, copy)
        store = Store.open(f"sqlite:///{copy}")
        UserService(store).add("bench", "Bench-report-2018", "city_admin", None, None)
        app = create_app(store, Registry.load(), cipher=cipher_from_environment(), today=lambda: dt.date(2018, 12, 31))
        client = TestClient(app, base_url="http://127.0.0.1")
        client.get("/login")
        client.post("/login", data={"username": "bench", "password": "Bench-report-2018",
                                    "csrf_token": client.cookies.get("tongchou_signin_csrf"), "next": "/"})
        seconds, cpu = [], []
        for _ in range(2):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(args.path)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            assert response.status_code == 200, response.status_code
        store.close()
    print(f"report_first_view: first={seconds[0]:.2f} second={seconds[1]:.2f} "
          f"first_cpu={cpu[0]:.2f} second_cpu={cpu[1]:.2f}")


if __name__ == "__main__":
    main()
