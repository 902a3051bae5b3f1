"""Access: roles as data, argon2 passwords, users and lockout, sessions, masking, and migration 0006."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from tests.store.support import DATA, TEST_CIPHER
from tongchou.access import passwords
from tongchou.masking import mask_id_number, mask_phone
from tongchou.access.permissions import COUNTY, load_roles
from tongchou.access.sessions import SessionService
from tongchou.access.users import MAX_FAILURES, AccessError, SignInRefused, UserService
from tongchou import schema
from tongchou.store.db import alembic_config
from tongchou.region.fixture import load_file
from tongchou.store.uow import Store

ROLE_NAMES = {"city_admin", "city_fund_officer", "county_clerk", "county_reviewer", "county_fund_officer", "auditor",
              "supervisor", "service_desk"}
WRITES = {"person.enrol", "person.file", "reimbursement.manual", "simulation.run", "person.register", "person.change",
          "cover.change", "person.anycounty", "employer.manage", "employer.reconcile"}


def test_roles_are_data_with_declared_permissions():
    book = load_roles()
    assert set(book.roles) == ROLE_NAMES
    assert not book.roles["auditor"].permissions & WRITES  # read-only
    assert {r for r, role in book.roles.items() if role.scope == COUNTY} == {"county_clerk", "county_reviewer",
                                                                                   "county_fund_officer", "service_desk"}
    # 全城通办 reaches the persons of the pool, never its finance (docs/front-office.md)
    assert not book.roles["service_desk"].permissions & {"report.view", "budget.view", "clearing.view",
                                                         "reimbursement.manual", "person.enrol", "export.claims"}
    assert all(p in book.permissions for role in book.roles.values() for p in role.permissions)


def test_masking_keeps_first_six_and_last_four():
    assert mask_id_number("371525199001011234") == "371525********1234"
    assert mask_id_number("37152520000101999X") == "371525********999X"
    assert mask_id_number(None) == "—"
    assert mask_phone("13800000000") == "138****0000"


def test_passwords_are_argon2id_and_checked_against_the_rule():
    stored = passwords.hash_password("Console2018pw")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "Console2018pw") and not passwords.verify(stored, "console2018pw")
    assert not passwords.verify(None, "anything")
    for weak, why in (("short1", "至少"), ("onlyletterspass", "字母和数字")):
        with pytest.raises(passwords.WeakPassword, match=why):
            passwords.hash_password(weak)


@pytest.fixture
def store(db_url):
    store = Store.open(db_url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    yield store
    store.close()


class Clock:
    def __init__(self):
        self.value = dt.datetime(2018, 6, 1, 8, 0, tzinfo=dt.timezone.utc)

    def __call__(self):
        return self.value


def test_users_lockout_and_sessions(store):
    clock = Clock()
    users = UserService(store, now=clock)
    with pytest.raises(AccessError, match="须指定所属区县"):
        users.add("c", "Console2018pw", "county_clerk")
    with pytest.raises(AccessError, match="不存在"):
        users.add("c", "Console2018pw", "county_clerk", county="999999")
    users.add("c", "Console2018pw", "county_clerk", county="371525")
    with pytest.raises(AccessError, match="已存在"):
        users.add("c", "Console2018pw", "auditor")
    principal = users.authenticate("c", "Console2018pw")
    assert principal.county_scope == "371525" and principal.can("reimbursement.manual")
    for _ in range(MAX_FAILURES):
        with pytest.raises(SignInRefused):
            users.authenticate("c", "bad-password-1")
    with pytest.raises(SignInRefused, match="锁定"):
        users.authenticate("c", "Console2018pw")
    users.set_password("c", "Another2018pw")  # an administrator's reset unlocks
    assert users.authenticate("c", "Another2018pw").username == "c"

    sessions = SessionService(store, now=clock)
    started = sessions.start(principal)
    assert sessions.current(started.token).csrf_token == started.csrf_token
    assert sessions.current("forged") is None
    clock.value += dt.timedelta(minutes=29)
    assert sessions.current(started.token) is not None
    clock.value += dt.timedelta(hours=8)
    assert sessions.current(started.token) is None
    fresh = sessions.start(principal)
    sessions.end(fresh.token)
    assert sessions.current(fresh.token) is None


def test_migrations_have_one_head_and_match_every_model(db_url):
    script = ScriptDirectory.from_config(alembic_config(db_url))
    assert len(script.get_heads()) == 1
    assert script.get_revision("0006").down_revision == "0005"
    store = Store.open(db_url)
    try:
        with store.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), schema.metadata)
        assert diff == []
    finally:
        store.close()
