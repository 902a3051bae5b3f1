"""The hot path of 2207/2304 on PostgreSQL (`api.hot_path`) against the ORM path: the same requests give the same
stored rows, postings and answers; a cap holds under concurrent settlements; concurrent retries of one msgid
settle once and all get its answer; the statements a settlement flow sends."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import itertools
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from starlette.testclient import TestClient

from tests.api.conftest import HOSPITAL, SECRET, TOWNSHIP, TOWNSHIP_SECRET
from tests.api.flows import admission_input, fee, inpatient_fee, inpatient_settle_input, ok, outpatient_info, \
    register, settle_input
from tests.store.support import DATA, TEST_CIPHER
from tongchou.api.app import ApiConfig, create_app
from tongchou.api.hot_path import HotPath
from tongchou.audit.trail import verify as audit_verify
from tongchou.client import HsaClient
from tongchou.ledger.service import verify
from tongchou.region.fixture import load_file
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.store.cache import Generations, ReferenceCache
from tongchou.store.testing import empty_pg_database
from tongchou.supervision.rules import load_rules
from tongchou.supervision.service import SupervisionHook
from tongchou.visits import rules

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("db_url", ["postgres"], indirect=True)]


def make_app(store, registry, *, hot: bool):
    service = SettlementService(store, registry, today=lambda: dt.date(2018, 12, 31),
                                supervision=SupervisionHook(load_rules()),
                                references=ReferenceCache(Generations(store, interval=0.0)))
    return create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525", cache_interval=0.0, hot_path=hot),
                      settlements=service)


def _spy(monkeypatch) -> list[str]:
    """The infnos the hot path answered."""
    seen: list[str] = []
    serve = HotPath.serve

    async def spy(self, call, nonce, now):
        seen.append(call.infno)
        return await serve(self, call, nonce, now)
    monkeypatch.setattr(HotPath, "serve", spy)
    return seen


# ---------------------------------------------------------------- the same requests, both paths

def _flows(hsa: HsaClient) -> list[dict[str, Any]]:
    """An outpatient and an inpatient flow (a refund line, an interim then a final settlement), with fixed msgids."""
    answers = []
    mdtrt_id = register(hsa)
    outpatient_info(hsa, mdtrt_id)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00"), fee("F2", mdtrt_id, "T000001", "20.00"),
                                       fee("F3", mdtrt_id, "T000003", "10.00")]}))
    answers.append(hsa.call("2207", settle_input(mdtrt_id, "110.00", preselfpay_amt="1.00"),
                            msgid=f"{HOSPITAL}20180510000000" + "0001"))
    stay = ok(hsa.call("2401", admission_input()))["result"]["mdtrt_id"]
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I1", stay, "T000002", "3000.00"),
                                       inpatient_fee("I2", stay, "T000001", "500.00", cnt="2")]}))
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I3", stay, "T000001", "-250.00", cnt="-1",
                                                     init_feedetl_sn="I2")]}))
    answers.append(hsa.call("2304", inpatient_settle_input(stay, "3250.00", mid_setl_flag="1"),
                            msgid=f"{HOSPITAL}20180510000000" + "0002"))
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I4", stay, "T000002", "1200.00", day="2018-05-04")]}))
    answers.append(hsa.call("2304", inpatient_settle_input(stay, "1200.00", dscgTime="2018-05-05"),
                            msgid=f"{HOSPITAL}20180510000000" + "0003"))
    answers.append(hsa.call("2304", inpatient_settle_input(stay, "1200.00", dscgTime="2018-05-05"),
                            msgid=f"{HOSPITAL}20180510000000" + "0003"))  # a retry: the first answer
    return answers


def _rows(store) -> dict[str, Any]:
    """What the flows stored, without ids, creation times and the answer's settlement time."""
    def read(session):
        def plain(query, leave_out=("id", "created_at", "visit_id", "entry_id")):
            return sorted(json.dumps({k: v for k, v in row._mapping.items() if k not in leave_out}, default=str,
                                     sort_keys=True, ensure_ascii=False)
                          for row in session.execute(query))
        outputs = []
        for row in session.execute(select(m.ApiMessage).where(m.ApiMessage.infno.in_(("2207", "2304")))).scalars():
            output = json.loads(TEST_CIPHER.decrypt(row.output, "api_message.output"))
            output["setlinfo"].pop("setl_time")
            outputs.append((row.msgid, row.status, row.subject, output))
        return {
            "settlement": plain(select(m.Settlement.__table__)),
            "fee_item": plain(select(m.FeeItem.__table__)),
            "visit": plain(select(m.Visit.__table__)),
            "journal_entry": plain(select(m.JournalEntry.__table__)),
            "posting": plain(select(m.Posting.__table__)),
            "year_state": plain(select(m.YearStateRow.__table__)),
            "request_key": plain(select(m.RequestKey.__table__)),
            "active_visit": plain(select(m.ActiveVisit.__table__)),
            "api_fee": plain(select(m.ApiFee.__table__)),
            "api_visit": plain(select(m.ApiVisit.__table__)),
            "outputs": sorted(outputs, key=lambda o: o[0]),
        }
    return store.read(read)


def _run(store, registry, hot: bool, monkeypatch) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    numbers = itertools.count(1)
    monkeypatch.setattr(rules, "new_mdtrt_id", lambda: f"MD20180510{next(numbers):020d}")
    with TestClient(make_app(store, registry, hot=hot)) as http:
        hsa = HsaClient("http://testserver", HOSPITAL, SECRET, name="冠县人民医院", admdvs="371525", http=http)
        answers = _flows(hsa)
    for answer in answers:
        answer["output"]["setlinfo"].pop("setl_time")
        for name in ("inf_refmsgid", "refmsg_time", "respond_time", "_msgid"):
            answer.pop(name, None)
    assert verify(store).ok and audit_verify(store).ok
    return answers, _rows(store)


def test_the_hot_path_stores_and_answers_what_the_orm_path_does(store, registry, db_url, monkeypatch):
    seen = _spy(monkeypatch)
    orm_answers, orm_rows = _run(store, registry, False, monkeypatch)
    assert seen == []
    empty_pg_database(db_url)
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    load_file(store, DATA / "changchun.yaml", TEST_CIPHER)
    hot_answers, hot_rows = _run(store, registry, True, monkeypatch)
    assert [infno for infno in seen if infno in ("2207", "2304")] == ["2207", "2304", "2304", "2304"]
    assert {"2201", "2204", "2401", "2301"} <= set(seen)  # every call of the two flows but 2203
    assert [a["infcode"] for a in hot_answers] == [0, 0, 0, 0]
    assert hot_answers == orm_answers
    assert hot_answers[3]["output"] == hot_answers[2]["output"]  # the retry
    for table in orm_rows:
        assert hot_rows[table] == orm_rows[table], table
    assert len(hot_rows["settlement"]) == 3 and len(hot_rows["posting"]) > 3


# ---------------------------------------------------------------- concurrency

def _township(http) -> HsaClient:
    return HsaClient("http://testserver", TOWNSHIP, TOWNSHIP_SECRET, name="冠县某镇卫生院", admdvs="371525", http=http)


def test_a_cap_holds_under_concurrent_settlements_on_the_hot_path(store, registry, monkeypatch):
    """Eight outpatient visits of one person at a township clinic settled at once: the general outpatient
    fund pays 50 % up to 120 yuan a year, so exactly 120.00 in all, whatever the interleaving."""
    seen = _spy(monkeypatch)
    with TestClient(make_app(store, registry, hot=True)) as http:
        clinic = _township(http)
        visits = []
        for n in range(8):
            mdtrt_id = register(clinic)
            ok(clinic.call("2204", {"feedetail": [fee(f"C{n}", mdtrt_id, "T000002", "100.00")]}))
            visits.append(mdtrt_id)
        with cf.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda v: clinic.call("2207", settle_input(v, "100.00")), visits))
    assert seen.count("2207") >= 8
    paid = [ok(answer)["setlinfo"]["hifp_pay"] for answer in answers]
    assert sum(paid) == Decimal("120.00")
    assert sorted(paid)[-2:] == [Decimal("50.00"), Decimal("50.00")]
    assert verify(store).ok and audit_verify(store).ok


def test_concurrent_retries_of_one_msgid_settle_once_on_the_hot_path(store, registry, monkeypatch):
    seen = _spy(monkeypatch)
    with TestClient(make_app(store, registry, hot=True)) as http:
        hsa = HsaClient("http://testserver", HOSPITAL, SECRET, name="冠县人民医院", admdvs="371525", http=http)
        mdtrt_id = register(hsa)
        ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "300.00")]}))
        msgid = hsa.new_msgid()
        with cf.ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: hsa.call("2207", settle_input(mdtrt_id, "300.00"), msgid=msgid),
                                    range(6)))
    assert seen.count("2207") == 6
    infos = [ok(answer)["setlinfo"] for answer in answers]
    assert len({(i["setl_id"], i["hifp_pay"], i["psn_cash_pay"]) for i in infos}) == 1
    count = store.read(lambda s: s.execute(text("SELECT count(*) FROM settlement")).scalar_one())
    entries = store.read(lambda s: s.execute(text(
        "SELECT count(*) FROM journal_entry WHERE cause_type = 'settlement'")).scalar_one())
    assert (count, entries) == (1, 1)
    assert verify(store).ok and audit_verify(store).ok


def test_a_replayed_nonce_is_refused_on_the_hot_path(store, registry, monkeypatch):
    seen = _spy(monkeypatch)
    with TestClient(make_app(store, registry, hot=True)) as http:
        hsa = HsaClient("http://testserver", HOSPITAL, SECRET, name="冠县人民医院", admdvs="371525", http=http)
        mdtrt_id = register(hsa)
        ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "300.00")]}))
        body = json.dumps(hsa.envelope("2207", settle_input(mdtrt_id, "300.00")), ensure_ascii=False).encode()
        from tongchou.api.signing import sign_headers
        headers = {"content-type": "application/json", **sign_headers(HOSPITAL, SECRET, body)}
        first = http.post("/api/hsa/2207", content=body, headers=headers).json()
        again = http.post("/api/hsa/2207", content=body, headers=headers)
    assert first["infcode"] == 0
    assert again.status_code == 401 and "x-tif-nonce" in again.json()["err_msg"]
    assert seen.count("2207") == 2


def test_the_hot_path_runs_as_the_app_role_under_row_level_security(store, registry, db_url, monkeypatch):
    """A store with the app role (`SET ROLE tongchou_app` on each of the hot path's connections): the flows work
    under the row-level security policies, as on the ORM path."""
    from tongchou.store.uow import Store

    roles: list[str] = []
    serve = HotPath.serve

    async def spy(self, call, nonce, now):
        reply = await serve(self, call, nonce, now)
        roles.append((await self._one("SELECT current_user AS who", {}))["who"])
        return reply
    monkeypatch.setattr(HotPath, "serve", spy)
    app_store = Store.open(db_url, role="tongchou_app")
    try:
        with TestClient(make_app(app_store, registry, hot=True)) as http:
            hsa = HsaClient("http://testserver", HOSPITAL, SECRET, name="冠县人民医院", admdvs="371525", http=http)
            mdtrt_id = register(hsa)
            ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "300.00")]}))
            info = ok(hsa.call("2207", settle_input(mdtrt_id, "300.00")))["setlinfo"]
    finally:
        app_store.close()
    assert roles == ["tongchou_app"] * 3
    assert info["medfee_sumamt"] == Decimal("300.00")
    assert verify(store).ok


@pytest.mark.parametrize("hot", [False, True], ids=["orm", "hot"])
def test_a_pending_chronic_filing_application_refuses_on_both_paths(store, registry, monkeypatch, hot):
    """The person's filing applications (门诊慢特病申报) reach the adjudication on both paths: pending, a chronic
    visit is refused; approved, it is paid."""
    from tongchou.filings.service import FilingService

    filings = FilingService(store, registry, today=lambda: dt.date(2018, 12, 31))
    number = filings.apply("GX0002", "冠心病", TOWNSHIP, dt.date(2018, 3, 5), "张卫生院",
                           document_kinds=["近三年住院病历及相关检查单据", "医保卡", "居民身份证"], documents=[])
    seen = _spy(monkeypatch)
    cert = {"mdtrt_cert_type": "02", "mdtrt_cert_no": "371525195001011111", "psn_no": "GX0002"}

    def chronic_visit(clinic, day: str) -> dict[str, Any]:
        mdtrt_id = ok(clinic.call("2201", {"data": {
            **cert, "insutype": "390", "begntime": f"{day} 09:00:00", "ipt_otp_no": "OP0002", "atddr_no": "DR01",
            "dr_name": "王医生", "dept_code": "D01", "dept_name": "内科", "caty": "A03"}}))["data"]["mdtrt_id"]
        outpatient_info(clinic, mdtrt_id, psn_no="GX0002", med_type="14", dise_codg="GX-MB21", day=day)
        ok(clinic.call("2204", {"feedetail": [fee("C1", mdtrt_id, "T000002", "500.00", psn_no="GX0002", day=day)]}))
        return clinic.call("2207", settle_input(mdtrt_id, "500.00", med_type="14", **cert))

    with TestClient(make_app(store, registry, hot=hot)) as http:
        clinic = _township(http)
        pending = chronic_visit(clinic, "2018-03-10")
        filings.approve(number, "李县医保", dt.date(2018, 3, 20))
        paid = chronic_visit(clinic, "2018-03-25")
    assert pending["infcode"] == -1 and "门诊慢特病备案尚未审批通过" in pending["err_msg"]
    assert ok(paid)["setlinfo"]["hifp_pay"] == Decimal("325.00")
    assert (seen.count("2207") == 2) == hot
    assert verify(store).ok
