"""End to end as an existing HIS drives the interface (issue 17, item 9): `tongchou.client` builds every
request as vendors do — every national field present, those not known as "" — signed the national gateway's
way or the hmac way, through the outpatient flow 9001 → 1101 → 2201 → 2203 → 2204 → 2206 → 2207 →
5203/5204/5206 → 2208, on SQLite and PostgreSQL. Every call answers infcode 0 and the amounts add up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api.conftest import HOSPITAL, SECRET
from tests.api.flows import DAY, ok
from tests.store.support import TEST_CIPHER
from tongchou.api.security import Credentials
from tongchou.client import HsaClient, filled
from tongchou.client_fields import NATIONAL_INPUT

ID_NUMBER = "371525199001011234"
FUNDS = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")


@pytest.fixture(params=["hmac", "gateway"])
def his(request, store, http) -> HsaClient:
    secret = SECRET
    if request.param == "gateway":
        secret = Credentials(store, TEST_CIPHER).rotate(HOSPITAL, grace_hours=0, signature="gateway")
    return HsaClient("http://testserver", HOSPITAL, secret, name="冠县人民医院", admdvs="371525", http=http,
                     signature=request.param, fill=True)


def test_the_client_fills_every_national_field_with_empty_strings():
    sent = filled("2203", {"mdtrtinfo": {"mdtrt_id": "M1", "dise_codg": None}, "diseinfo": [{"diag_code": "I10"}]})
    assert set(sent["mdtrtinfo"]) == set(NATIONAL_INPUT["2203"]["mdtrtinfo"][1])
    assert sent["mdtrtinfo"]["mdtrt_id"] == "M1" and sent["mdtrtinfo"]["dise_codg"] == ""
    assert sent["mdtrtinfo"]["birctrl_matn_date"] == "" and sent["diseinfo"][0]["diag_srt_no"] == ""
    assert set(sent["diseinfo"][0]) == set(NATIONAL_INPUT["2203"]["diseinfo"][1])


def fee_line(sn: str, mdtrt_id: str, code: str, amount: str) -> dict:
    return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": "GX0001", "chrg_bchno": "B1", "rx_circ_flag": "0",
            "fee_ocur_time": f"{DAY} 10:00:00", "med_list_codg": code, "medins_list_codg": f"HIS-{code}",
            "det_item_fee_sumamt": amount, "cnt": "1", "pric": amount, "bilg_dept_codg": "D01",
            "bilg_dept_name": "内科", "bilg_dr_codg": "DR01", "bilg_dr_name": "王医生", "hosp_appr_flag": "1"}


def settle_data(mdtrt_id: str) -> dict:
    return {"data": {"psn_no": "GX0001", "mdtrt_cert_type": "02", "mdtrt_cert_no": ID_NUMBER, "med_type": "11",
                     "medfee_sumamt": "110.00", "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
                     "insutype": "390", "acct_used_flag": "0"}}


def adds_up(info: dict) -> None:
    assert info["medfee_sumamt"] == info["fund_pay_sumamt"] + info["psn_part_amt"] + info["hosp_part_amt"]
    assert info["fund_pay_sumamt"] == sum(info[name] for name in FUNDS)
    assert info["psn_part_amt"] == info["acct_pay"] + info["psn_cash_pay"]


def test_the_outpatient_flow_as_a_his_sends_it(his):
    ok(his.call("9001", {"signIn": {"opter_no": "0001", "ip": "127.0.0.1"}}))
    assert his.sign_no
    base = ok(his.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": ID_NUMBER,
                                         "psn_name": "张三"}}))["baseinfo"]
    assert base["psn_no"] == "GX0001"
    mdtrt_id = ok(his.call("2201", {"data": {
        "psn_no": "GX0001", "insutype": "390", "begntime": f"{DAY} 09:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": ID_NUMBER, "ipt_otp_no": "OP0001", "atddr_no": "DR01", "dr_name": "王医生",
        "dept_code": "D01", "dept_name": "内科", "caty": "A03"}}))["data"]["mdtrt_id"]
    ok(his.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": "GX0001", "med_type": "11",
                                       "begntime": f"{DAY} 09:00:00"},
                         "diseinfo": [{"diag_type": "1", "diag_srt_no": "1", "diag_code": "I10", "diag_name": "高血压",
                                       "diag_dept": "内科", "dise_dor_no": "DR01", "dise_dor_name": "王医生",
                                       "diag_time": f"{DAY} 09:10:00", "vali_flag": "1"}]}))
    result = ok(his.call("2204", {"feedetail": [fee_line("F1", mdtrt_id, "T000002", "80.00"),
                                                fee_line("F2", mdtrt_id, "T000001", "20.00"),
                                                fee_line("F3", mdtrt_id, "T000003", "10.00")]}))["result"]
    assert sum(r["det_item_fee_sumamt"] for r in result) == Decimal("110.00")

    pre = ok(his.call("2206", settle_data(mdtrt_id)))["setlinfo"]
    info = ok(his.call("2207", settle_data(mdtrt_id)))
    setl = info["setlinfo"]
    # the catalogue's split, computed by hand: C 10.00 self-paid, B 20.00 × 10 % first self-paid, the rest in scope
    assert (setl["medfee_sumamt"], setl["fulamt_ownpay_amt"], setl["preselfpay_amt"], setl["inscp_scp_amt"]) == (
        Decimal("110.00"), Decimal("10.00"), Decimal("2.00"), Decimal("98.00"))
    adds_up(setl)
    assert all(setl[name] == pre[name] for name in ("medfee_sumamt", "hifp_pay", "psn_part_amt"))
    assert sum(row["fund_payamt"] for row in info["setldetail"]) == setl["fund_pay_sumamt"]

    keys = {"data": {"psn_no": "GX0001", "setl_id": setl["setl_id"], "mdtrt_id": mdtrt_id}}
    query = ok(his.call("5203", keys))["setlinfo"]
    assert query["hifp_pay"] == setl["hifp_pay"] and query["medfee_sumamt"] == setl["medfee_sumamt"]
    fees = ok(his.call("5204", keys))
    assert sum(f["det_item_fee_sumamt"] for f in fees) == setl["medfee_sumamt"]
    cum = ok(his.call("5206", {"data": {"psn_no": "GX0001", "cum_ym": DAY[:4] + DAY[5:7]}}))["cuminfo"]
    assert any(row["cum_type_code"] == "SETL_CNT" and row["cum"] == 1 for row in cum)

    cancel = ok(his.call("2208", keys))["setlinfo"]
    assert cancel["hifp_pay"] == -setl["hifp_pay"] and cancel["medfee_sumamt"] == -setl["medfee_sumamt"]
