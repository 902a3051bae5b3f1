"""Fixtures of the employers tests: `store` on SQLite and PostgreSQL with the 长春 fixture, a newcomer and a
resident, one registered employer; the terms copied from policies/employers (other policy work cannot break them)."""

import datetime as dt

from tests.store.support import *  # noqa: F401,F403 — shared by tests/store, tests/ledger, tests/enrolment
from tongchou.employers.service import EmployerService
from tongchou.employers.terms import default_terms_dir, load_terms
from tongchou.store import models as m

EMPLOYER = "91220102MA0000000E"  # check character worked by hand in test_rules.py


@pytest.fixture(scope="session")
def registry(tmp_path_factory) -> Registry:
    return seed_registry(tmp_path_factory.mktemp("policies"))


@pytest.fixture(scope="session")
def terms(tmp_path_factory):
    directory = tmp_path_factory.mktemp("employers")
    shutil.copy(default_terms_dir() / "changchun-employers.yaml", directory / "changchun-employers.yaml")
    return load_terms(directory)


def add_persons(session) -> None:
    session.add(m.Person(psn_no="CC0101", name="新入职职工", county="220102", psn_type="1101",
                         birth_date=dt.date(1990, 5, 5)))
    session.add(m.Person(psn_no="CC0102", name="居民转职工", county="220104", psn_type="1101",
                         birth_date=dt.date(1992, 6, 6)))
    session.flush()
    session.add(m.Enrolment(psn_no="CC0102", insutype="390", county="220104", start=dt.date(2021, 1, 1),
                            end=dt.date(2021, 12, 31), benefit_start=dt.date(2021, 1, 1), kind="on_time"))


@pytest.fixture
def store(db_url):
    store = Store.open(db_url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    load_file(store, DATA / "changchun.yaml", TEST_CIPHER)
    store.transaction(add_persons)
    yield store
    store.close()


@pytest.fixture
def employers(store, registry, terms) -> EmployerService:
    service = EmployerService(store, registry, terms)
    service.register(EMPLOYER, "长春某机械厂", "220102")
    return service
