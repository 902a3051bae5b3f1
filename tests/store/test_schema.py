"""Migrations, append-only guards, encryption of personal data, fixture validation."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from tests.store.support import DATA, TEST_CIPHER, request
from tongchou import schema
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher, DataKeyError, cipher_from_environment
from tongchou.store.db import alembic_config, make_engine
from tongchou.region.fixture import FixtureError, load_file, parse_fixture
from tongchou.store.uow import Store


def test_migrations_match_the_models(db_url):
    store = Store.open(db_url)
    try:
        with store.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), schema.metadata)
        assert diff == []
    finally:
        store.close()


def _migrate(url: str, step, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            step(config, revision)
    finally:
        engine.dispose()


def _dip_columns(url: str) -> dict[str, set[str]]:
    engine = make_engine(url)
    try:
        found = inspect(engine)
        return {table: {c["name"] for c in found.get_columns(table)} & {"diag_code", "oprn_code"}
                for table in ("settlement", "api_visit")}
    finally:
        engine.dispose()


def test_the_dip_codes_migration_goes_down_and_up_again_with_settlements_in_place(store, settlements, db_url):
    settlements.settle(request("S1", diag_code="K35.8", oprn_code="47.01"))
    try:
        _migrate(db_url, command.downgrade, "0008")
        assert _dip_columns(db_url) == {"settlement": set(), "api_visit": set()}
    finally:
        _migrate(db_url, command.upgrade, "head")
    both = {"diag_code", "oprn_code"}
    assert _dip_columns(db_url) == {"settlement": both, "api_visit": both}
    again = Store.open(db_url)
    try:
        row = again.read(lambda s: s.execute(select(m.Settlement)).scalar_one())
        assert (row.setl_id, row.diag_code, row.oprn_code) == ("S1", None, None)  # the codes went with the columns
        with pytest.raises(Exception, match="append-only"):
            again.transaction(lambda s: s.execute(text("UPDATE settlement SET diag_code = 'X'")))
    finally:
        again.close()


@pytest.mark.parametrize("table", m.APPEND_ONLY_TABLES)
def test_append_only_tables_refuse_update_and_delete(store, settlements, table):
    settlements.settle(request("S1"))
    settlements.cancel("S1")  # a row in every guarded table
    for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(Exception, match="append-only"):
            store.transaction(lambda s: s.execute(text(statement)))


def test_personal_data_is_encrypted_and_found_by_keyed_hash(store):
    person = store.read(lambda s: s.get(m.Person, "GX0001"))
    assert "371525199001011234" not in (person.id_number_enc or "")
    assert TEST_CIPHER.decrypt(person.id_number_enc, "person.id_number") == "371525199001011234"
    assert TEST_CIPHER.decrypt(person.phone_enc, "person.phone") == "13800000000"
    digest = TEST_CIPHER.lookup_hash("371525199001011234", "person.id_number")
    assert store.read(lambda s: s.execute(select(m.Person.psn_no).where(m.Person.id_number_hash == digest)).scalar()) \
        == "GX0001"
    secret = store.read(lambda s: s.get(m.Institution, "H37152500001").secret_enc)
    assert TEST_CIPHER.decrypt(secret, "institution.secret") == "a-secret-for-signing"


def test_cipher_binds_the_column_and_the_key():
    token = TEST_CIPHER.encrypt("x", "person.phone")
    with pytest.raises(Exception):
        TEST_CIPHER.decrypt(token, "person.id_number")
    with pytest.raises(Exception):
        DataCipher(b"z" * 32).decrypt(token, "person.phone")


def test_data_key_from_environment(monkeypatch):
    monkeypatch.setenv("TONGCHOU_DATA_KEY", "too-short")
    with pytest.raises(DataKeyError):
        cipher_from_environment()
    monkeypatch.delenv("TONGCHOU_DATA_KEY")
    monkeypatch.delenv("TONGCHOU_DATA_KEY_FILE", raising=False)
    with pytest.warns(UserWarning, match="DEVELOPMENT"):
        assert cipher_from_environment().is_dev_key


@pytest.mark.parametrize("patch, field", [
    (("birth_date: \"1990-01-01\"", "birth_date: \"1990-13-01\""), "persons.0.birth_date"),
    (("selfpay_prop: \"0.10\", ", ""), "catalogue.0"),
    (("county: \"371525\"\n    psn_type: \"1501\"\n    phone", "county: \"999999\"\n    psn_type: \"1501\"\n    phone"),
     "persons.0.county"),
])
def test_fixture_errors_name_the_field(patch, field):
    source = (DATA / "guanxian.yaml").read_text(encoding="utf-8")
    assert patch[0] in source
    with pytest.raises(FixtureError) as err:
        parse_fixture(source.replace(patch[0], patch[1], 1))
    assert err.value.field.startswith(field)


def test_a_bad_fixture_writes_nothing(db_url, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((DATA / "guanxian.yaml").read_text(encoding="utf-8") + "  - {psn_no: X, name: x, county: '371525', "
                   "psn_type: '1501', relatives: [{psn_no: NOBODY, relation: spouse}]}\n", encoding="utf-8")
    store = Store.open(db_url)
    try:
        with pytest.raises(FixtureError):
            load_file(store, bad, TEST_CIPHER)
        assert store.read(lambda s: s.execute(select(m.Person)).first()) is None
    finally:
        store.close()
