"""1101 and the certificates of a visit (issue 17, item 4): a person is identified by ID card (the name
checked when sent), social security card (with card_sn) or an e-certificate token Tongchou issued — never a
bare psn_no; tokens are presentable for 5 minutes, then bound to the visit they opened; every 1101 is in the
audit trail; past an institution's daily quota 1101 answers 查询过于频繁."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, text, update
from typer.testing import CliRunner

from tests.api.conftest import HOSPITAL
from tests.api.flows import fee, ok, refused, settle_input
from tests.store.support import TEST_CIPHER
from tongchou.api import identity
from tongchou.audit.models import AuditEvent
from tongchou.store import models as m
from tongchou.errors import Refused

ID_NUMBER, CARD, CARD_SN = "371525199001011234", "SB371525000001", "8F1A2B3C4D5E6F708192A3B4C5D6E7F8"


def query(hsa, **data):
    return hsa.call("1101", {"data": data})


def new_token(store, psn_no: str = "GX0001", minutes_ago: float = 0) -> str:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=minutes_ago)
    return store.transaction(lambda s: identity.issue_ecert(s, TEST_CIPHER, psn_no, now))


def registration(psn_no: str, cert_type: str, cert_no: str) -> dict:
    return {"data": {"psn_no": psn_no, "insutype": "390", "begntime": "2018-05-10 09:00:00",
                     "mdtrt_cert_type": cert_type, "mdtrt_cert_no": cert_no, "ipt_otp_no": "OP1", "atddr_no": "DR01",
                     "dr_name": "王医生", "dept_code": "D01", "dept_name": "内科", "caty": "A03"}}


def person_queries(store) -> list[AuditEvent]:
    return store.read(lambda s: s.execute(select(AuditEvent).where(AuditEvent.action == identity.PERSON_QUERY)
                                          .order_by(AuditEvent.seq)).scalars().all())


def test_an_id_card_identifies_a_person_and_a_name_sent_must_be_theirs(hsa):
    base = ok(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no=ID_NUMBER))["baseinfo"]
    assert base["psn_no"] == "GX0001" and base["certno"] == ID_NUMBER
    named = ok(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no=ID_NUMBER, psn_name="张三"))
    assert named["baseinfo"]["psn_no"] == "GX0001"
    message = refused(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no=ID_NUMBER, psn_name="李四"), "mdtrt_cert_no")
    assert "张三" not in message and ID_NUMBER not in message
    refused(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no="371525199001019999"), "mdtrt_cert_no")


def test_a_social_security_card_needs_its_card_sn(hsa):
    assert ok(query(hsa, mdtrt_cert_type="03", mdtrt_cert_no=CARD, card_sn=CARD_SN))["baseinfo"]["psn_no"] == "GX0001"
    assert ok(query(hsa, mdtrt_cert_type="03", mdtrt_cert_no=CARD.lower(), card_sn=CARD_SN.lower()))  # either case
    refused(query(hsa, mdtrt_cert_type="03", mdtrt_cert_no=CARD), "card_sn")
    refused(query(hsa, mdtrt_cert_type="03", mdtrt_cert_no=CARD, card_sn="0" * 32), "mdtrt_cert_no")
    refused(query(hsa, mdtrt_cert_type="03", mdtrt_cert_no=ID_NUMBER, card_sn=CARD_SN), "mdtrt_cert_no")
    refused(query(hsa, mdtrt_cert_type="04", mdtrt_cert_no=CARD), "mdtrt_cert_type")


def test_card_numbers_are_stored_encrypted_and_hashed(store):
    row = store.read(lambda s: s.get(m.Person, "GX0001"))
    assert row.card_no_hash == TEST_CIPHER.lookup_hash(CARD, "person.card_no")
    assert TEST_CIPHER.decrypt(row.card_no_enc, "person.card_no") == CARD
    assert TEST_CIPHER.decrypt(row.card_sn_enc, "person.card_sn") == CARD_SN
    plain = store.read(lambda s: json.dumps([list(map(str, r)) for r in s.execute(text("SELECT * FROM person"))]))
    assert CARD not in plain and CARD_SN not in plain


def test_a_bare_psn_no_identifies_no_one(hsa):
    for guess in ("GX0001", "GX0002", "EC0000000000000000.000000000000000000000000"):
        message = refused(query(hsa, mdtrt_cert_type="01", mdtrt_cert_no=guess), "mdtrt_cert_no")
        assert "张三" not in message and "李四" not in message


def test_an_e_certificate_is_presentable_for_five_minutes(hsa, store):
    token = new_token(store)
    assert len(token) <= 50
    base = ok(query(hsa, mdtrt_cert_type="01", mdtrt_cert_no=token))["baseinfo"]
    assert base["psn_no"] == "GX0001" and base["certno"] == "371525********1234"  # not shown for a token
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    refused(query(hsa, mdtrt_cert_type="01", mdtrt_cert_no=forged), "mdtrt_cert_no")
    refused(query(hsa, mdtrt_cert_type="01", mdtrt_cert_no=new_token(store, minutes_ago=5.1)), "mdtrt_cert_no")
    assert ok(query(hsa, mdtrt_cert_type="01", mdtrt_cert_no=new_token(store, minutes_ago=4.9)))


def test_an_e_certificate_is_bound_to_the_visit_it_opened(hsa, township, store):
    token = new_token(store)
    mdtrt_id = ok(hsa.call("2201", registration("GX0001", "01", token)))["data"]["mdtrt_id"]
    bound = store.read(lambda s: s.get(m.Ecert, token.split(".")[0]))
    assert (bound.fixmedins_code, bound.mdtrt_id) == (HOSPITAL, mdtrt_id)
    refused(hsa.call("2201", registration("GX0001", "01", token)), "mdtrt_cert_no", "已用于其他就诊")
    refused(township.call("2201", registration("GX0001", "01", token)), "mdtrt_cert_no")
    refused(query(hsa, mdtrt_cert_type="01", mdtrt_cert_no=token), "mdtrt_cert_no")  # no longer presentable

    cert = identity.Certificate("01", token)
    store.read(lambda s: identity.check_certificate(s, TEST_CIPHER, "GX0001", cert, code=HOSPITAL,
                                                    mdtrt_id=mdtrt_id, opening=False))  # its visit: any time
    for code, visit, psn_no in ((HOSPITAL, "MD-OTHER", "GX0001"), ("H37152500002", mdtrt_id, "GX0001"),
                                (HOSPITAL, mdtrt_id, "GX0002")):
        with pytest.raises(Refused) as caught:
            store.read(lambda s: identity.check_certificate(s, TEST_CIPHER, psn_no, cert, code=code, mdtrt_id=visit,
                                                            opening=False))
        assert caught.value.field == "mdtrt_cert_no"


def test_an_expired_or_anothers_certificate_opens_no_visit(hsa, store):
    refused(hsa.call("2201", registration("GX0001", "01", new_token(store, minutes_ago=6))), "mdtrt_cert_no", "过期")
    refused(hsa.call("2201", registration("GX0002", "01", new_token(store))), "mdtrt_cert_no")
    refused(hsa.call("2201", registration("GX0002", "02", ID_NUMBER)), "mdtrt_cert_no", "不属于本次就诊的参保人")
    refused(hsa.call("2201", registration("GX0001", "03", "SB999")), "mdtrt_cert_no")
    assert ok(hsa.call("2201", registration("GX0001", "03", CARD)))
    assert store.read(lambda s: s.execute(text("SELECT count(*) FROM api_visit")).scalar()) == 1  # nothing else


def test_every_person_query_is_audited_without_the_certificate(hsa, store):
    ok(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no=ID_NUMBER))
    refused(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no="371525199001019999"))
    events = person_queries(store)
    assert [(e.actor, e.object_id, e.outcome) for e in events] == [
        (f"institution:{HOSPITAL}", "GX0001", "found"), (f"institution:{HOSPITAL}", None, "not_found")]
    assert all(ID_NUMBER not in e.detail and "371525199001019999" not in e.detail for e in events)
    assert json.loads(events[0].detail)["mdtrt_cert_type"] == "02"


def test_past_the_quota_a_lookup_answers_too_frequent(hsa, township, store):
    store.transaction(lambda s: s.execute(update(m.Institution).where(m.Institution.code == HOSPITAL)
                                          .values(lookup_quota=2)))
    assert ok(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no=ID_NUMBER))
    refused(query(hsa, mdtrt_cert_type="02", mdtrt_cert_no="371525199001019999"))  # a miss counts too
    answer = query(hsa, mdtrt_cert_type="02", mdtrt_cert_no=ID_NUMBER)
    assert answer["_status"] == 200 and answer["infcode"] == -1 and answer["err_msg"].startswith("查询过于频繁")
    assert ok(query(township, mdtrt_cert_type="02", mdtrt_cert_no=ID_NUMBER))  # the quota is per institution
    assert [e.outcome for e in person_queries(store)] == ["found", "not_found", "quota", "found"]


def test_the_cli_issues_a_token_and_sets_a_quota(db_url, store, hsa):
    from tongchou.cli import app

    runner = CliRunner()
    env = {"TONGCHOU_DATA_KEY": "a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s="}
    issued = runner.invoke(app, ["ecert", "issue", "GX0001", "--db", db_url], env=env)
    assert issued.exit_code == 0, issued.output
    assert issued.output.strip().splitlines()[-1].startswith("EC")
    assert runner.invoke(app, ["ecert", "issue", "NOBODY", "--db", db_url], env=env).exit_code == 2
    assert store.read(lambda s: s.execute(select(AuditEvent.object_id).where(
        AuditEvent.action == identity.ECERT_ISSUE)).scalars().all()) == ["GX0001"]
    quota = runner.invoke(app, ["institution", "lookup-quota", HOSPITAL, "7", "--db", db_url], env=env)
    assert quota.exit_code == 0, quota.output
    assert store.read(lambda s: s.get(m.Institution, HOSPITAL).lookup_quota) == 7
    assert runner.invoke(app, ["institution", "lookup-quota", "H0", "7", "--db", db_url], env=env).exit_code == 2


def test_a_visit_opened_with_an_e_certificate_settles_with_it(hsa, store):
    token = new_token(store)
    assert ok(query(hsa, mdtrt_cert_type="01", mdtrt_cert_no=token))["baseinfo"]["psn_no"] == "GX0001"
    mdtrt_id = ok(hsa.call("2201", registration("GX0001", "01", token)))["data"]["mdtrt_id"]
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00")]}))
    settle = settle_input(mdtrt_id, "80.00", mdtrt_cert_type="01", mdtrt_cert_no=token)
    assert ok(hsa.call("2206", settle))["setlinfo"]["mdtrt_cert_type"] == "01"
    info = ok(hsa.call("2207", settle))["setlinfo"]
    assert info["medfee_sumamt"] == info["fund_pay_sumamt"] + info["psn_part_amt"] + info["hosp_part_amt"]
