"""Personal data: key rotation of the encrypted columns (old key readable during rotation, look-up hash
unchanged), masking everywhere — pages of every role, log lines, error messages, exports — and
"unmask with reason" only for roles allowed by roles.yaml, recorded in the audit trail."""

from __future__ import annotations

import base64
import logging
import os

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.store.support import DATA, TEST_CIPHER
from tests.web.conftest import client_for, csrf_of, sign_in
from tests.web.region import ID_NUMBERS, USERS
from tongchou.access.keys import key_census, rotate
from tongchou.masking import ScrubbingFilter, scrub
from tongchou.cli import app as cli
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher, DataKeyError, cipher_from_environment
from tongchou.region.fixture import load_file
from tongchou.store.uow import Store

NEW_MASTER = b"N" * 32
PHONE = "13800000000"
PAGES = ["/", "/persons?q=GX0001", "/persons?q=张", f"/persons?q={ID_NUMBERS[0]}", "/persons/GX0001",
         "/persons/GX0002", "/persons/GX0011", "/settlements/S-A1", "/settlements/S-B1", "/persons/GX0001/enrol",
         "/persons/GX0001/filings/new", "/reimbursements/new?psn_no=GX0001", "/institutions",
         "/institutions/H37152500001", "/reports/fund-operation", "/budgets", "/exports", "/persons/NOPE"]


@pytest.fixture
def loaded(db_url):
    store = Store.open(db_url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    yield store
    store.close()


def _values(store):
    return store.read(lambda s: {p.psn_no: (p.id_number_enc, p.phone_enc, p.id_number_hash)
                                 for p in s.execute(select(m.Person)).scalars()})


def test_rotation_reencrypts_every_value_and_keeps_the_lookup_hash(loaded):
    before = _values(loaded)
    secret_before = loaded.read(lambda s: s.get(m.Institution, "H37152500001").secret_enc)
    rotated = TEST_CIPHER.rotated(NEW_MASTER)
    report = rotate(loaded, rotated, batch=2)  # several batches
    assert report.rewritten["person.id_number_enc"] == 3 and report.rewritten["person.phone_enc"] == 1
    assert report.rewritten["institution.secret_enc"] == 2
    assert report.rewritten["person.card_no_enc"] == 1 and report.rewritten["person.card_sn_enc"] == 1  # GX0001
    after = _values(loaded)
    for psn_no, (id_enc, phone_enc, digest) in after.items():
        assert rotated.is_current(id_enc) and rotated.is_current(phone_enc)
        assert digest == before[psn_no][2]  # the look-up hash does not rotate
        if id_enc:
            assert id_enc != before[psn_no][0]
            assert rotated.decrypt(id_enc, "person.id_number") == TEST_CIPHER.decrypt(before[psn_no][0],
                                                                                      "person.id_number")
    assert rotated.decrypt(after["GX0001"][1], "person.phone") == PHONE
    secret = loaded.read(lambda s: s.get(m.Institution, "H37152500001").secret_enc)
    assert secret != secret_before and rotated.decrypt(secret, "institution.secret") == "a-secret-for-signing"
    assert rotated.lookup_hash(ID_NUMBERS[0], "person.id_number") == after["GX0001"][2]
    with pytest.raises(DataKeyError):  # the old key alone no longer reads the new values
        TEST_CIPHER.decrypt(after["GX0001"][0], "person.id_number")
    assert rotate(loaded, rotated).total == 0  # a second run has nothing to do
    assert set(key_census(loaded, rotated)["person.id_number_enc"]) == {rotated.key_id}


def test_old_key_stays_readable_during_rotation():
    old_token = TEST_CIPHER.encrypt(ID_NUMBERS[0], "person.id_number")
    rotated = TEST_CIPHER.rotated(NEW_MASTER)
    assert rotated.decrypt(old_token, "person.id_number") == ID_NUMBERS[0]
    assert not rotated.is_current(old_token) and rotated.token_key_id(old_token) == TEST_CIPHER.key_id


def test_environment_rotation_needs_an_explicit_lookup_key(monkeypatch):
    new, old = base64.b64encode(NEW_MASTER).decode(), base64.b64encode(b"k" * 32).decode()
    monkeypatch.setenv("TONGCHOU_DATA_KEY", new)
    monkeypatch.setenv("TONGCHOU_PREVIOUS_DATA_KEYS", old)
    monkeypatch.delenv("TONGCHOU_LOOKUP_KEY", raising=False)
    with pytest.raises(DataKeyError, match="TONGCHOU_LOOKUP_KEY"):
        cipher_from_environment()
    monkeypatch.setenv("TONGCHOU_LOOKUP_KEY", old)
    cipher = cipher_from_environment()
    assert cipher.lookup_hash("x", "c") == TEST_CIPHER.lookup_hash("x", "c")
    assert cipher.decrypt(TEST_CIPHER.encrypt("y", "c"), "c") == "y"


def test_keys_rotate_command(loaded, db_url, monkeypatch, tmp_path):
    old, new = base64.b64encode(b"k" * 32).decode(), base64.b64encode(NEW_MASTER).decode()
    monkeypatch.setenv("TONGCHOU_DATA_KEY", old)
    for name in ("TONGCHOU_PREVIOUS_DATA_KEYS", "TONGCHOU_LOOKUP_KEY"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    refused = runner.invoke(cli, ["keys", "rotate", "--db", db_url, "--new-key", new])
    assert refused.exit_code != 0  # a literal key on the command line is refused
    monkeypatch.setenv("NEW_TONGCHOU_KEY", new)
    done = runner.invoke(cli, ["keys", "rotate", "--db", db_url, "--new-key", "env:NEW_TONGCHOU_KEY", "--batch", "2"])
    assert done.exit_code == 0, done.output
    assert new not in done.output and old not in done.output
    monkeypatch.setenv("TONGCHOU_DATA_KEY", new)
    monkeypatch.setenv("TONGCHOU_PREVIOUS_DATA_KEYS", old)
    monkeypatch.setenv("TONGCHOU_LOOKUP_KEY", old)
    status = runner.invoke(cli, ["keys", "status", "--db", db_url])
    cipher = cipher_from_environment()
    assert status.exit_code == 0 and cipher.key_id in status.output and TEST_CIPHER.key_id not in status.output
    audit = runner.invoke(cli, ["audit", "show", "--db", db_url, "--action", "keys.rotate"])
    assert "keys.rotate" in audit.output and new not in audit.output
    assert runner.invoke(cli, ["audit", "verify", "--db", db_url]).exit_code == 0


# ---------------------------------------------------------------- masking everywhere

def test_scrub_masks_id_and_phone_numbers_in_free_text():
    assert scrub(f"证件 {ID_NUMBERS[2]} 电话{PHONE}。") == "证件 371525********999X 电话138****0000。"
    assert scrub("金额 12345678901234567890") == "金额 12345678901234567890"  # not an ID number
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s" %d',
                               ("127.0.0.1", "GET", f"/persons?q={ID_NUMBERS[0]}", 200), None)
    assert ScrubbingFilter().filter(record) and ID_NUMBERS[0] not in record.getMessage()
    assert isinstance(record.args, tuple)


def test_no_id_number_on_any_page_of_any_role_nor_in_logs(console, caplog):
    caplog.set_level(logging.DEBUG)
    for username in USERS:
        client = client_for(console)
        assert sign_in(client, username).status_code == 303
        for path in PAGES:
            response = client.get(path)
            for number in (*ID_NUMBERS, PHONE):
                assert number not in response.text, (username, path)
        if client.get("/persons").status_code == 200:
            token = csrf_of(client, "/persons")
            for q in (*ID_NUMBERS, "999999199001011234"):
                page = client.post("/persons/search", data={"q": q, "csrf_token": token}).text
                assert q not in page
            bad = client.post("/reimbursements", data={"csrf_token": token, "psn_no": ID_NUMBERS[0]}).text
            assert ID_NUMBERS[0] not in bad
    # the server side's log lines (the test client's own `httpx` request log is the browser's side)
    server_log = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    for number in (*ID_NUMBERS, PHONE):
        assert number not in server_log


def test_an_error_page_never_echoes_an_id_number(console):
    client = client_for(console)
    sign_in(client, "admin")
    for path in (f"/persons/{ID_NUMBERS[0]}", f"/settlements/{ID_NUMBERS[0]}", f"/institutions/{ID_NUMBERS[0]}"):
        response = client.get(path)
        assert response.status_code == 404 and ID_NUMBERS[0] not in response.text


def test_the_export_carries_no_id_number(console):
    client = client_for(console)
    sign_in(client, "admin")
    token = csrf_of(client, "/exports")
    body = client.post("/exports/claims.csv", data={"csrf_token": token, "date_from": "2018-01-01",
                                                    "date_to": "2018-12-31"}).content.decode("utf-8-sig")
    assert "S-A1" in body and "张三" not in body
    for number in (*ID_NUMBERS, PHONE):
        assert number not in body


def test_unmask_with_reason_only_for_allowed_roles(console):
    clerk = client_for(console)
    sign_in(clerk, "clerk_a")
    page = clerk.get("/persons/GX0001").text
    assert "查看完整证件号" in page
    token = csrf_of(clerk, "/persons/GX0001")
    refused = clerk.post("/persons/GX0001/unmask", data={"csrf_token": token, "reason": "other", "note": "x"})
    assert refused.status_code == 422 and ID_NUMBERS[0] not in refused.text
    shown = clerk.post("/persons/GX0001/unmask", data={"csrf_token": token, "reason": "identity_check"})
    assert shown.status_code == 200 and ID_NUMBERS[0] in shown.text and PHONE in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert clerk.post("/persons/GX0001/unmask", data={"reason": "identity_check"}).status_code == 403  # CSRF
    for username in ("auditor", "supervisor", "fund"):
        other = client_for(console)
        sign_in(other, username)
        token = csrf_of(other)
        response = other.post("/persons/GX0001/unmask", data={"csrf_token": token, "reason": "identity_check"})
        assert response.status_code == 403 and ID_NUMBERS[0] not in response.text
        assert "查看完整证件号" not in other.get("/persons/GX0001").text


def test_fresh_keys_are_random_and_32_bytes():
    runner = CliRunner()
    a, b = (runner.invoke(cli, ["keys", "new"]).output.strip() for _ in range(2))
    assert a != b and len(base64.urlsafe_b64decode(a)) == 32
    assert DataCipher(os.urandom(32)).key_id != DataCipher(os.urandom(32)).key_id
