"""A small 长春 region for the employer pages (职工医保, terms of 2021): two counties, persons not yet employed,
one resident insured for 2021, and console users of both counties. Built once per test session."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from tests.store.support import DATA, TEST_CIPHER
from tests.web.region import PASSWORD
from tongchou.access.users import UserService
from tongchou.employers.terms import default_terms_dir, load_terms
from tongchou.policy.registry import Registry, default_policy_dir
from tongchou.region.fixture import load_file
from tongchou.store import models as m
from tongchou.store.testing import create_sqlite_database
from tongchou.store.uow import Store

TODAY = dt.date(2021, 6, 30)
COUNTY_A, COUNTY_B = "220102", "220104"  # 南关区, 朝阳区
EMPLOYER_A = "91220102MA0000000E"  # check character E (tests/employers/test_rules.py)
EMPLOYER_B = "91220104MA0000001E"
USERS = {  # username: (role, county, display name)
    "admin": ("city_admin", None, "王管理"), "fund": ("city_fund_officer", None, "李财务"),
    "auditor": ("auditor", None, "赵审计"), "clerk_a": ("county_clerk", COUNTY_A, "张经办"),
    "clerk_b": ("county_clerk", COUNTY_B, "孙经办"), "reviewer_a": ("county_reviewer", COUNTY_A, "钱复核"),
}
NEWCOMERS = {  # psn_no: (name, county)
    "CC0101": ("刘一", COUNTY_A), "CC0103": ("陈二", COUNTY_A), "CC0104": ("周三", COUNTY_A),
    "CC0201": ("吴四", COUNTY_B),
}


def _persons(session) -> None:
    for psn_no, (name, county) in NEWCOMERS.items():
        session.add(m.Person(psn_no=psn_no, name=name, county=county, psn_type="1101", birth_date=dt.date(1990, 5, 5)))
    session.add(m.Person(psn_no="CC0102", name="郑五（城乡居民）", county=COUNTY_A, psn_type="1501",
                         birth_date=dt.date(1992, 6, 6)))
    session.flush()
    session.add(m.Enrolment(psn_no="CC0102", insutype="390", county=COUNTY_A, start=dt.date(2021, 1, 1),
                            end=dt.date(2021, 12, 31), benefit_start=dt.date(2021, 1, 1), kind="on_time"))


def registry(directory: Path) -> Registry:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(default_policy_dir() / "changchun-2021-employee.yaml", directory)
    return Registry.load(directory)


def terms(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(default_terms_dir() / "changchun-employers.yaml", directory)
    return load_terms(directory)


def build(directory: Path) -> tuple[str, Registry, dict]:
    url = create_sqlite_database(directory)
    store = Store.open(url)
    try:
        load_file(store, DATA / "changchun.yaml", TEST_CIPHER)
        store.transaction(_persons)
        users = UserService(store)
        for name, (role, county, display) in USERS.items():
            users.add(name, PASSWORD, role, display_name=display, county=county)
    finally:
        store.close()
    return url, registry(directory / "policies"), terms(directory / "employers")
