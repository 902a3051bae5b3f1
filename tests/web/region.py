"""A small loaded region for the console tests: 冠县 (two counties) with settlements made through the
settlement service, subsidies in the ledger, and one console user per role."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from tests.store.support import DATA, TEST_CIPHER, fee, request
from tongchou.access.users import UserService
from tongchou.enrolment.service import EnrolmentService
from tongchou.policy.registry import Registry, default_policy_dir
from tongchou.settlement.service import SettlementService
from tongchou.region.fixture import load_file
from tongchou.store.testing import create_sqlite_database
from tongchou.store.uow import Store

TODAY = dt.date(2018, 12, 31)
PASSWORD = "Console2018pw"
COUNTY_A, COUNTY_B = "371525", "371599"
POLICIES = ("guanxian-2018-resident.yaml", "changchun-2021-employee.yaml", "xxdistrict-2021-resident.yaml",
            "examples/xxdistrict-2020-resident-previous.yaml")
USERS = {  # username: (role, county)
    "admin": ("city_admin", None),
    "fund": ("city_fund_officer", None),
    "clerk_a": ("county_clerk", COUNTY_A),
    "clerk_b": ("county_clerk", COUNTY_B),
    "reviewer_a": ("county_reviewer", COUNTY_A),
    "reviewer_b": ("county_reviewer", COUNTY_B),
    "county_fund": ("county_fund_officer", COUNTY_A),
    "auditor": ("auditor", None),
    "supervisor": ("supervisor", None),
    "desk_a": ("service_desk", COUNTY_A),  # 综合柜员（全城通办）
}
ID_NUMBERS = ("371525199001011234", "371525195001011111", "37152520000101999X")
EMPLOYER = "91371525MA00000018"  # a registered employer of 冠县 with no employee (the employer pages open)


def registry(directory: Path) -> Registry:
    directory.mkdir(parents=True, exist_ok=True)
    for name in POLICIES:
        shutil.copy(default_policy_dir() / name, directory / Path(name).name)
    return Registry.load(directory)


def build(directory: Path) -> tuple[str, Registry]:
    """A migrated SQLite database with the region loaded; returns its URL and the registry."""
    url = create_sqlite_database(directory)
    reg = registry(directory / "policies")
    store = Store.open(url)
    try:
        load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
        enrol = EnrolmentService(store, reg)
        for county in (COUNTY_A, COUNTY_B):
            enrol.record_subsidies(county, 2018, {"central": 30000, "provincial": 10000}, dt.date(2018, 1, 15))
        settle = SettlementService(store, reg, today=lambda: TODAY)
        settle.settle(request("S-A1", "GX0001", items=[fee("T000002", "1500.00"), fee("T000001", "300.00")],
                              day="2018-03-10", begin="2018-03-05"))
        settle.settle(request("S-A2", "GX0001", items=[fee("T000002", "820.00")], day="2018-06-20",
                              begin="2018-06-18"))
        settle.settle(request("S-B1", "GX0002", items=[fee("T000002", "5400.00"), fee("T000003", "200.00")],
                              day="2018-04-02", begin="2018-03-28"))
        from tongchou.employers.service import EmployerService
        EmployerService(store, reg, {}).register(EMPLOYER, "冠县某食品厂", COUNTY_A)
        users = UserService(store)
        for name, (role, county) in USERS.items():
            users.add(name, PASSWORD, role, display_name=f"测试{name}", county=county)
    finally:
        store.close()
    return url, reg
