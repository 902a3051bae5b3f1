"""CPU per row of the front office's batches, against the pure rule alone in the same run.

    .venv/bin/python bench/front_office.py                 # SQLite (the embedded default), about a minute
    .venv/bin/python bench/front_office.py --postgres      # a throw-away database on 127.0.0.1:5432

A batch registration (参保登记) of --rows persons, one row in ten wrong (a bad check character or phone), read
from an XLSX and from a CSV file (`sheets.read_sheet`) and registered through `PersonService.import_sheet`
(each good row in its own savepoint); then an employer joins --rows // 4 employees and a declaration batch
(缴费申报) of one month for them goes through `EmployerService.declare_rows` (each row its own transaction).
The baseline is the pure registration rule (`persons.rules.check_registration`) over the same rows. Figures
are process CPU (this process; with --postgres the server's work is not in them), per row. The last line is

    front_office: register_cpu_ms_per_row=X declare_cpu_ms_per_row=Y rule_cpu_ms_per_row=Z ratio=X/Z
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

from rich.console import Console

from tongchou.employers.service import EmployerService
from tongchou.employers.terms import load_terms
from tongchou.ledger.service import verify
from tongchou.persons import rules
from tongchou.persons.rules import check_character
from tongchou.persons.service import PersonService
from tongchou.policy.registry import Registry
from tongchou.sheets import read_sheet, write_sheet
from tongchou.store.crypto import DataCipher
from tongchou.store.testing import create_pg_database, create_sqlite_database, drop_pg_database
from tongchou.store.uow import Store
from tongchou.region.fixture import load_fixture, parse_fixture

CIPHER = DataCipher(b"b" * 32)
os.environ.setdefault("TONGCHOU_DATA_KEY", base64.b64encode(b"b" * 32).decode())  # throw-away stores only
TODAY = dt.date(2021, 12, 31)
EMPLOYER = "91220102MA0000000E"
REGION = """region: {admdvs: "220100", name: 长春市}
counties:
  - {admdvs: "220102", name: 南关区}
institutions:
  - {code: H22010200001, name: 长春某医院, hosp_lv: 3, admin_tier: city, county: "220102"}
catalogue:
  - {code: C000001, name: 甲类药品, category: A}
persons: []
"""
HEADER = ("公民身份号码", "姓名", "手机号码", "地址", "区县", "人员类别")


def person_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=i // 900)
        first17 = f"220102{born:%Y%m%d}{i % 900 + 100:03d}"
        check = check_character(first17)
        if i % 10 == 9:  # one in ten wrong: a bad check character, or a short phone
            check = "0" if check != "0" else "1"
        phone = "1391234" if i % 20 == 19 else f"139{i:08d}"[:11]
        rows.append([first17 + check, f"参保人{i}", phone, "南关区某街道", "220102", "1101"])
    return rows


def cpu(work) -> tuple[float, object]:
    start = time.process_time()
    result = work()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    out = Console(stderr=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-front-office-"))
    url = create_pg_database("tongchou_bench_fo") if args.postgres else create_sqlite_database(workdir)
    store = Store.open(url)
    try:
        load_fixture(store, parse_fixture(REGION), CIPHER)
        registry = Registry.load()
        persons = PersonService(store, CIPHER, today=lambda: TODAY)
        rows = person_rows(args.rows)
        rule_s, _ = cpu(lambda: [_check(dict(zip(("id_number", "name", "phone", "address", "county", "psn_type"), r)))
                                 for r in rows])
        half = len(rows) // 2
        xlsx = write_sheet(HEADER, rows[:half], "xlsx")
        csv = write_sheet(HEADER, rows[half:], "csv")
        with out.status("批量登记（XLSX与CSV各一半）…"):
            read_s, sheets = cpu(lambda: (read_sheet("参保名单.xlsx", xlsx), read_sheet("参保名单.csv", csv)))
            register_s, reports = cpu(lambda: [persons.import_sheet(sheet) for sheet in sheets])
        registered = [psn for report in reports for _, psn in report.registered]
        refused = sum(len(report.refused) for report in reports)
        employers = EmployerService(store, registry, load_terms())
        employers.register(EMPLOYER, "长春某机械厂", "220102")
        staff = registered[: max(1, args.rows // 4)]
        with out.status(f"增员{len(staff)}人…"):
            join_s, _ = cpu(lambda: [employers.join(EMPLOYER, psn, dt.date(2021, 1, 1)) for psn in staff])
        declaration = [{"employer": EMPLOYER, "psn_no": psn, "month": "2021-03", "wage": f"{4000 + i % 9000}.00"}
                       for i, psn in enumerate(staff)]
        with out.status("缴费申报…"):
            declare_s, outcome = cpu(lambda: employers.declare_rows(declaration, dt.date(2021, 3, 1)))
        report = verify(store)
        per = 1000 / len(rows)
        print(f"rows={len(rows)} registered={len(registered)} refused={refused} "
              f"read_cpu_ms_per_row={read_s * per:.3f} register_cpu_ms_per_row={register_s * per:.3f}")
        print(f"joined={len(staff)} join_cpu_ms_per_row={join_s * 1000 / len(staff):.3f} "
              f"declared={len(outcome.applied)} declare_errors={len(outcome.errors)} ledger_verify={'ok' if report.ok else 'FAILED'}")
        register_ms, rule_ms = register_s * per, rule_s * per
        declare_ms = declare_s * 1000 / len(staff)
        print(f"front_office: register_cpu_ms_per_row={register_ms:.3f} declare_cpu_ms_per_row={declare_ms:.3f} "
              f"rule_cpu_ms_per_row={rule_ms:.3f} ratio={register_ms / rule_ms:.1f}")
    finally:
        store.close()
        if args.postgres:
            drop_pg_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


def _check(row: dict) -> object:
    try:
        return rules.check_registration(row, ("220102",), TODAY)
    except Exception as exc:  # noqa: BLE001 — the bad rows are part of the work measured
        return exc


if __name__ == "__main__":
    main()
