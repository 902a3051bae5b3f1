"""A property test: random JSON values (types, unicode, control characters, nesting, sizes) in every field of
every transaction, and random nodes, over signed requests on SQLite. Every answer is HTTP 200 with infcode 0 or
-1 (or 403 when a random 9101/9102/3302 `fixmedins_code` names another institution) — never a 5xx, never
"系统内部错误" — and a refused request leaves no row behind."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.testclient import TestClient

from tests.api import his
from tests.api.conftest import HOSPITAL, SECRET
from tests.api.flows import fee, ok
from tests.store.support import DATA, TEST_CIPHER
from tongchou.api.app import ApiConfig, create_app
from tongchou.api.registry import TRANSACTIONS
from tongchou.api.signing import sign_headers
from tongchou.client import HsaClient
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.store.cache import Generations, ReferenceCache
from tongchou.region.fixture import load_file
from tongchou.store.testing import create_sqlite_database
from tongchou.store.uow import Store

EXAMPLES = int(os.environ.get("TONGCHOU_RANDOM_VALUE_EXAMPLES", "150"))
WRITTEN = (m.ApiVisit, m.ApiFee, m.ApiMessage, m.ApiFile, m.Settlement, m.SettlementCancellation, m.RequestKey,
           m.JournalEntry, m.Posting, m.YearStateRow, m.MedinsItemMap, m.SetlList, m.Ecert)


@pytest.fixture(scope="module")
def world(tmp_path_factory, registry):
    """An app over SQLite with one registered, described outpatient visit with a fee line and one admission."""
    store = Store.open(create_sqlite_database(tmp_path_factory.mktemp("random")))
    load_file(store, DATA / "guanxian.yaml", TEST_CIPHER)
    service = SettlementService(store, registry, today=lambda: dt.date(2018, 12, 31),
                                references=ReferenceCache(Generations(store, interval=0.0)))
    app = create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525", rate=0, cache_interval=0.0),
                     settlements=service)
    with TestClient(app) as http:
        hsa = HsaClient("http://testserver", HOSPITAL, SECRET, name="冠县人民医院", admdvs="371525", http=http)
        outpatient = ok(hsa.call("2201", his.registration("2018-05-10")))["data"]["mdtrt_id"]
        ok(hsa.call("2203", his.outpatient_info(outpatient, "2018-05-10")))
        ok(hsa.call("2204", {"feedetail": [fee("F1", outpatient, "T000002", "80.00")]}))
        admission = ok(hsa.call("2401", his.admission("2018-05-01")))["result"]["mdtrt_id"]
        yield hsa, store, templates(outpatient, admission)
    store.close()


def templates(outpatient: str, admission: str) -> dict[str, dict[str, Any]]:
    """A well-formed input per infno, whose fields the test replaces one at a time."""
    visit = {"psn_no": "GX0001", "mdtrt_id": outpatient}
    settlement = {**visit, "setl_id": "ST0"}
    return {
        "9001": {"signIn": {"opter_no": "1", "mac": "", "ip": "127.0.0.1"}},
        "1101": his.person_query(),
        "2201": his.registration("2018-05-10"),
        "2202": {"data": {**visit, "ipt_otp_no": "OP0001"}},
        "2203": his.outpatient_info(outpatient, "2018-05-10"),
        "2204": {"feedetail": [his.outpatient_fee("F2", outpatient, "T000002", "10.00", "2018-05-10")]},
        "2205": {"data": {**visit, "chrg_bchno": "B9"}},
        "2206": his.outpatient_settlement(outpatient, "80.00"),
        "2207": his.outpatient_settlement(outpatient, "80.00"),
        "2208": {"data": settlement},
        "2301": {"feedetail": [his.inpatient_line("I1", admission, "T000002", "10.00", "2018-05-02")]},
        "2302": {"data": {"psn_no": "GX0001", "mdtrt_id": admission, "feedetl_sn": "I0"}},
        "2303": his.inpatient_settlement(admission, "10.00"),
        "2304": his.inpatient_settlement(admission, "10.00"),
        "2305": {"data": {**settlement, "mdtrt_id": admission}},
        "2401": his.admission("2018-06-01"),
        "2402": his.discharge(admission, "2018-05-10"),
        "2404": {"data": {"psn_no": "GX0001", "mdtrt_id": "MD0"}},
        "2405": {"data": {"psn_no": "GX0001", "mdtrt_id": admission}},
        "2601": {"data": {"psn_no": "GX0001", "omsgid": "X", "oinfno": "2207"}},
        "3201": {"data": {"insutype": "390", "clr_type": "11", "setl_optins": "371525", "stmt_begndate": "2018-01-01",
                          "stmt_enddate": "2018-12-31", "medfee_sumamt": "0", "fund_pay_sumamt": "0",
                          "acct_pay": "0", "fixmedins_setl_cnt": 0}},
        "3202": {"data": {"setl_optins": "371525", "file_qury_no": "F0", "stmt_begndate": "2018-01-01",
                          "stmt_enddate": "2018-12-31", "medfee_sumamt": "0", "fund_pay_sumamt": "0",
                          "cash_payamt": "0", "fixmedins_setl_cnt": 0}},
        "9101": {"fsUploadIn": {"in": "eA==", "filename": "a.csv", "fixmedins_code": HOSPITAL}},
        "9102": {"fsDownloadIn": {"file_qury_no": "F0", "filename": "a.csv", "fixmedins_code": HOSPITAL}},
        "5203": {"data": settlement},
        "5204": {"data": settlement},
        "5206": {"data": {"psn_no": "GX0001", "cum_ym": ""}},
        **{infno: {"data": {"ver": "0"}} for infno in ("1301", "1302", "1305", "1306")},
        "3301": {"data": {"fixmedins_hilist_id": "HIS-1", "fixmedins_hilist_name": "自编药品", "list_type": "101",
                          "med_list_codg": "T000002", "begndate": "2018-01-01", "enddate": ""}},
        "3302": {"data": {"fixmedins_code": HOSPITAL, "fixmedins_hilist_id": "HIS-0", "list_type": "101",
                          "med_list_codg": "T000002"}},
        **{infno: {"setlinfo": settlement, "diseinfo": [{"diag_type": "1", "diag_code": "K35.8", "maindiag_flag": "1"}],
                   "oprninfo": [{"oprn_oprt_type": "1", "oprn_oprt_code": "47.01"}]} for infno in ("4101", "4101A")},
    }


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value} if depth % 2 else [value]
    return value


scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-10**30, max_value=10**30)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text() | st.text(alphabet="０１２３４５６７８９.")
           | st.decimals(allow_nan=False, allow_infinity=False).map(str)
           | st.sampled_from(["", " ", "\x00", "2018-02-30", "2018-05-10 25:00:00", "1e999", "-0.001", "00",
                              "9" * 40, "\ud800", "長" * 5000])
           | st.integers(min_value=20, max_value=300).map(_nested))
values = st.recursive(scalars, lambda children: st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=8), children, max_size=3), max_leaves=8)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [prefix] + [p for k, v in value.items() for p in _paths(v, prefix + (k,))]
    if isinstance(value, list):
        return [prefix] + [p for i, v in enumerate(value) for p in _paths(v, prefix + (i,))]
    return [prefix]


def _replaced(template: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(template))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


@st.composite
def requests(draw) -> tuple[str, Any, dict[str, Any]]:
    infno = draw(st.sampled_from(sorted(TRANSACTIONS)))
    return infno, draw(st.integers(min_value=0, max_value=10**6)), draw(values)


def _counts(store) -> dict[str, int]:
    return store.read(lambda s: {model.__tablename__: s.execute(select(func.count()).select_from(model)).scalar_one()
                                 for model in WRITTEN})


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(request=requests(), envelope_field=st.none() | st.sampled_from(["inf_time", "msgid", "insuplc_admdvs",
                                                                        "opter_name", "dev_no", "sign_no"]))
def test_random_values_in_every_transaction_answer_0_or_minus_1(world, request, envelope_field):
    hsa, store, template_of = world
    infno, choice, value = request
    template = template_of[infno]
    extra: dict[str, Any] = {}
    if envelope_field is not None and choice % 3 == 0:
        extra[envelope_field] = value  # a random envelope field
        body = template
    elif choice % 7 == 0:
        body = value  # a random input node
    else:
        paths = _paths(template)
        body = _replaced(template, paths[choice % len(paths)], value)
    before = _counts(store)
    envelope = hsa.envelope(infno, {}, **extra)
    envelope["input"] = body
    raw = json.dumps(envelope).encode()  # ASCII escapes: unpaired surrogates too
    response = hsa._http.post(f"/api/hsa/{infno}", content=raw,
                             headers={"content-type": "application/json", **sign_headers(HOSPITAL, SECRET, raw)})
    assert response.status_code in (200, 403), response.text  # 403: a random fixmedins_code names another
    answer = response.json()
    assert response.status_code == 200 or answer["infcode"] == -1
    assert answer["infcode"] in (0, -1), answer
    if answer["infcode"] == -1:
        assert "系统内部错误" not in answer["err_msg"], answer["err_msg"]
        assert _counts(store) == before, answer["err_msg"]
