"""Personal data an institution sends or is answered (issue 17, item 6): nothing is stored with an ID
number, phone or the insured person's name in plain text — the visit's stored input, its diagnoses and
fee lines, the stored answers — and what reconciliation and audit need is kept (the keyed hash, masked
forms)."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import select, text

from tests.api.flows import (
    admission_input, diagnosis, discharge, fee, inpatient_fee, inpatient_settle_input, ok, outpatient_info, register,
    settle_input,
)
from tests.store.support import TEST_CIPHER
from tests.store.test_schema import _migrate
from tongchou.api.personal import redact
from tongchou.store import models as m

ID_NUMBER, NAME, PHONE = "371525199001011234", "张三", "13800000000"
TABLES = ("api_message", "api_visit", "api_fee", "api_file", "audit_event")


def stored_text(store) -> str:
    """Every row of the API's tables, as text."""
    def work(session):
        rows = []
        for table in TABLES:
            rows += [json.dumps([str(v) for v in row], ensure_ascii=False)
                     for row in session.execute(text(f"SELECT * FROM {table}"))]
        return "\n".join(rows)
    return store.read(work)


def test_nothing_an_institution_sends_or_is_answered_is_stored_in_plain_text(hsa, store):
    base = ok(hsa.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ID_NUMBER, "psn_name": NAME}}))
    assert base["baseinfo"]["certno"] == ID_NUMBER  # the card holder's own number is answered …
    mdtrt_id = ok(hsa.call("2201", {"data": {
        "psn_no": "GX0001", "insutype": "390", "begntime": "2018-05-10 09:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": ID_NUMBER, "ipt_otp_no": "OP0001", "atddr_no": "DR01", "dr_name": "王医生",
        "dept_code": "D01", "dept_name": "内科", "caty": "A03", "psn_name": NAME, "tel": PHONE,
        "exp_content": {"memo": f"联系人 {PHONE}，身份证 {ID_NUMBER}"}}}))["data"]["mdtrt_id"]
    outpatient_info(hsa, mdtrt_id)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00", memo=f"患者电话{PHONE}")]}))
    ok(hsa.call("2207", settle_input(mdtrt_id, "80.00")))
    admission = admission_input("GX0002")
    admission["mdtrtinfo"].update(mdtrt_cert_no="371525195001011111", psn_name="李四")
    inpatient = ok(hsa.call("2401", admission))["result"]["mdtrt_id"]
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I1", inpatient, "T000002", "100.00", psn_no="GX0002")]}))
    discharge(hsa, inpatient, "GX0002", diseinfo=[diagnosis("J18.9", "肺炎", main=True, psn_no="GX0002")])
    ok(hsa.call("2304", inpatient_settle_input(inpatient, "100.00", "GX0002",
                                               mdtrt_cert_no="371525195001011111")))

    stored = stored_text(store)
    for secret in (ID_NUMBER, NAME, PHONE, "371525195001011111", "李四"):
        assert secret not in stored, secret  # … and kept nowhere in plain text (answers are encrypted)

    info = store.read(lambda s: s.execute(select(m.ApiVisit.info).where(m.ApiVisit.mdtrt_id == mdtrt_id)).scalar_one())
    assert info["mdtrt_cert_no"] == "371525********1234"
    assert info["mdtrt_cert_no_hash"] == TEST_CIPHER.lookup_hash(ID_NUMBER, "person.id_number")  # matches the person
    person_hash = store.read(lambda s: s.get(m.Person, "GX0001").id_number_hash)
    assert info["mdtrt_cert_no_hash"] == person_hash
    assert info["psn_name"] == "张*" and info["tel"] == "138****0000"
    assert info["tel_hash"] == TEST_CIPHER.lookup_hash(PHONE, "person.phone")
    assert info["dr_name"] == "王医生"  # staff names are not the insured's
    assert PHONE not in json.dumps(info["exp_content"], ensure_ascii=False)


def test_redact_masks_by_certificate_type_and_keeps_codes():
    def hasher(value: str, column: str) -> str:
        return f"{column}:{value[-2:]}"

    node = {"mdtrt_cert_type": "03", "mdtrt_cert_no": "A12345678", "card_sn": "0123456789abcdef",
            "feedetl_sn": "201805100000001", "memo": "备注 371525199001011234",
            "psnbaseinfo": {"certno": ID_NUMBER, "psn_name": "欧阳娜娜"}, "list": [{"mob": PHONE}], "cnt": 2}
    kept = redact(node, hasher)
    assert kept["mdtrt_cert_no"] == "A1*******" and kept["mdtrt_cert_no_hash"] == "person.card_no:78"
    assert kept["card_sn"] == "012345******cdef" and kept["card_sn_hash"] == "person.card_sn:ef"
    assert kept["feedetl_sn"] == "201805100000001"  # a 15-digit serial is a code, not an ID number
    assert kept["memo"] == "备注 371525********1234"
    assert kept["psnbaseinfo"] == {"certno": "371525********1234", "certno_hash": "person.id_number:34",
                                   "psn_name": "欧***"}
    assert kept["list"] == [{"mob": "138****0000", "mob_hash": "person.phone:00"}] and kept["cnt"] == 2


def test_the_migration_masks_visits_stored_before_it(hsa, store, db_url):
    mdtrt_id = register(hsa)
    plain = {"mdtrt_cert_type": "02", "mdtrt_cert_no": ID_NUMBER, "psn_name": NAME, "ipt_otp_no": "OP0001"}
    store.transaction(lambda s: s.execute(m.ApiVisit.__table__.update().values(info=plain)))
    try:
        _migrate(db_url, command.downgrade, "0010")
    finally:
        _migrate(db_url, command.upgrade, "head")
    info = store.read(lambda s: s.execute(select(m.ApiVisit.info).where(m.ApiVisit.mdtrt_id == mdtrt_id)).scalar_one())
    assert info == {"mdtrt_cert_type": "02", "mdtrt_cert_no": "371525********1234", "psn_name": "张*",
                    "ipt_otp_no": "OP0001"}
