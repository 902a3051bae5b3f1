"""Issue 17 as a HIS vendor's integration engineer tries it, on SQLite and PostgreSQL: every field present and
the optional ones "", the inpatient orders hospitals use, the checks against the visit, fee lines whose total
the quantity and price do not explain, and the smaller mismatches (2206's setl_id, a second 2208, 5206, 3201,
zipped 9101 files, signs of the cancellation's fund breakdown)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.api import his
from tests.api.flows import diagnosis, fee, inpatient_fee, ok, refused
from tongchou.ledger.service import verify
from tongchou.store import models as m

DAY = "2018-05-10"


def count(store, model) -> int:
    return store.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def visit_row(store, mdtrt_id: str) -> m.ApiVisit:
    return store.read(lambda s: s.execute(select(m.ApiVisit).where(m.ApiVisit.mdtrt_id == mdtrt_id)).scalar_one())


# ---------------------------------------------------------------- the flows with every field, optional ones ""

@pytest.mark.parametrize("hsa", ["hmac", "gateway"], indirect=True)
def test_outpatient_flow_with_every_field_and_the_optional_ones_empty(hsa, store):
    ok(hsa.call("9001", {"signIn": {"opter_no": "0001", "mac": "", "ip": "127.0.0.1"}}))
    person = ok(hsa.call("1101", his.person_query()))
    assert person["baseinfo"]["psn_no"] == "GX0001"
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    ok(hsa.call("2203", his.outpatient_info(mdtrt_id, DAY)))
    lines = [his.outpatient_fee("F1", mdtrt_id, "T000002", "80.00", DAY),
             his.outpatient_fee("F2", mdtrt_id, "T000001", "20.00", DAY)]
    ok(hsa.call("2204", {"feedetail": lines}))
    pre = ok(hsa.call("2206", his.outpatient_settlement(mdtrt_id, "100.00")))["setlinfo"]
    assert pre["setl_id"] == ""  # a pre-settlement has no settlement
    info = ok(hsa.call("2207", his.outpatient_settlement(mdtrt_id, "100.00")))["setlinfo"]
    # independent: A 80 in scope, B 20 with 10 % first self-pay = 2.00, 18.00 in scope
    assert info["medfee_sumamt"] == Decimal("100.00") and info["preselfpay_amt"] == Decimal("2.00")
    assert info["inscp_scp_amt"] == Decimal("98.00")
    assert info["medfee_sumamt"] == info["fund_pay_sumamt"] + info["psn_part_amt"] + info["hosp_part_amt"]
    query = {"data": {"psn_no": "GX0001", "setl_id": info["setl_id"], "mdtrt_id": mdtrt_id}}
    assert ok(hsa.call("5203", query))["setlinfo"]["medfee_sumamt"] == Decimal("100.00")
    assert [f["feedetl_sn"] for f in ok(hsa.call("5204", query))] == ["F1", "F2"]
    year = ok(hsa.call("5206", {"data": {"psn_no": "GX0001", "cum_ym": ""}}))["cuminfo"]  # the year to date
    assert any(row["cum_type_code"] == "SETL_CNT" and row["cum"] == 1 and row["year"] == "2018" for row in year)
    ok(hsa.call("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}))
    assert verify(store).ok


def _admit_with_fees(hsa, day: str = "2018-05-01") -> str:
    mdtrt_id = ok(hsa.call("2401", his.admission(day)))["result"]["mdtrt_id"]
    ok(hsa.call("2301", {"feedetail": [his.inpatient_line("I1", mdtrt_id, "T000002", "6000.00", "2018-05-03"),
                                       his.inpatient_line("I2", mdtrt_id, "T000003", "500.00", "2018-05-04")]}))
    return mdtrt_id


@pytest.mark.parametrize("hsa", ["hmac", "gateway"], indirect=True)
def test_inpatient_2401_2301_2303_2304_2402_the_order_hospitals_use(hsa, store):
    mdtrt_id = _admit_with_fees(hsa)
    trial = ok(hsa.call("2303", his.inpatient_settlement(mdtrt_id, "6500.00"), inf_time="2018-05-09 16:00:00"))
    assert trial["setlinfo"]["medfee_sumamt"] == Decimal("6500.00") and count(store, m.Settlement) == 0
    assert visit_row(store, mdtrt_id).status == "open"  # a trial changes nothing
    info = ok(hsa.call("2304", his.inpatient_settlement(mdtrt_id, "6500.00"),
                       inf_time="2018-05-10 09:00:00"))["setlinfo"]
    assert info["hifp_pay"] == trial["setlinfo"]["hifp_pay"]
    rows = store.read(lambda s: s.execute(select(m.Settlement.enddate, m.Settlement.medfee_sumamt)).all())
    assert rows == [(dt.date(2018, 5, 10), 650000)]  # settled as discharged on the day of inf_time
    # the 2402 that follows records the discharge diagnoses and the DIP codes (the same discharge day)
    ok(hsa.call("2402", his.discharge(mdtrt_id, "2018-05-10", oprn_oprt_code="47.01", diseinfo=[
        diagnosis("K35.8", "急性阑尾炎", main=True)])))
    visit = visit_row(store, mdtrt_id)
    assert (visit.diag_code, visit.oprn_code, visit.status) == ("K35.8", "47.01", "discharged")
    refused(hsa.call("2402", his.discharge(mdtrt_id, "2018-05-10")), "已办理出院")
    assert verify(store).ok


def test_a_2402_after_the_settlement_on_another_day_is_refused_with_the_reason(hsa, store):
    mdtrt_id = _admit_with_fees(hsa)
    ok(hsa.call("2304", his.inpatient_settlement(mdtrt_id, "6500.00"), inf_time="2018-05-10 09:00:00"))
    message = refused(hsa.call("2402", his.discharge(mdtrt_id, "2018-05-12")), "endtime", "2018-05-10", "2305")
    assert "出院日期" in message
    assert visit_row(store, mdtrt_id).info.get("2402") is None


@pytest.mark.parametrize("hsa", ["hmac", "gateway"], indirect=True)
def test_2304_with_dscgTime_then_2402(hsa, store):
    mdtrt_id = _admit_with_fees(hsa)
    ok(hsa.call("2304", his.inpatient_settlement(mdtrt_id, "6500.00", dscgTime="2018-05-08 10:00:00")))
    assert store.read(lambda s: s.execute(select(m.Settlement.enddate)).scalar_one()) == dt.date(2018, 5, 8)
    ok(hsa.call("2402", his.discharge(mdtrt_id, "2018-05-08", diseinfo=[diagnosis("J18.9", "肺炎", main=True)])))


@pytest.mark.parametrize("hsa", ["hmac", "gateway"], indirect=True)
def test_inpatient_2402_2303_2304_still_works_with_optional_fields_empty(hsa, store):
    mdtrt_id = _admit_with_fees(hsa)
    ok(hsa.call("2402", his.discharge(mdtrt_id, "2018-05-10")))
    pre = ok(hsa.call("2303", his.inpatient_settlement(mdtrt_id, "6500.00")))["setlinfo"]
    info = ok(hsa.call("2304", his.inpatient_settlement(mdtrt_id, "6500.00")))["setlinfo"]
    assert info["hifp_pay"] == pre["hifp_pay"]
    cancel = ok(hsa.call("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": info["setl_id"], "psn_no": "GX0001",
                                           "exp_content": ""}}))
    for row in cancel["setldetail"]:  # every amount of the breakdown negated, for every fund type
        assert row["fund_payamt"] <= 0 and row["crt_payb_lmt_amt"] <= 0 and row["inscp_scp_amt"] <= 0, row
    assert cancel["setldetail"][0]["fund_payamt"] == -info["hifp_pay"]


# ---------------------------------------------------------------- the request against its visit

@pytest.fixture
def settled_ready(hsa):
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    ok(hsa.call("2203", his.outpatient_info(mdtrt_id, DAY)))
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00")]}))
    return mdtrt_id


@pytest.mark.parametrize("infno", ["2206", "2207"])
@pytest.mark.parametrize("change, field", [
    ({"mdtrt_cert_no": "371525195001011111"}, "mdtrt_cert_no"),  # GX0002's ID card
    ({"acct_used_flag": "1"}, "acct_used_flag"),  # a resident has no personal account
    ({"med_type": "14"}, "med_type"),  # 2203 said 11
])
def test_settlement_refuses_what_contradicts_the_visit(hsa, store, settled_ready, infno, change, field):
    request = his.outpatient_settlement(settled_ready, "80.00")
    request["data"].update(change)
    message = refused(hsa.call(infno, request), field)
    assert "371525195001011111" not in message and count(store, m.Settlement) == 0


@pytest.mark.parametrize("envelope", ["insuplc_admdvs", "mdtrtarea_admvs"])
def test_settlement_refuses_a_region_that_is_not_the_visits(hsa, store, settled_ready, envelope):
    refused(hsa.call("2207", his.outpatient_settlement(settled_ready, "80.00"), **{envelope: "220100"}), envelope)
    assert count(store, m.Settlement) == 0


def test_inpatient_settlement_refuses_another_persons_certificate(hsa, store):
    mdtrt_id = _admit_with_fees(hsa)
    request = his.inpatient_settlement(mdtrt_id, "6500.00", mdtrt_cert_no="371525195001011111")
    refused(hsa.call("2304", request, inf_time="2018-05-10 09:00:00"), "mdtrt_cert_no")
    assert count(store, m.Settlement) == 0


# ---------------------------------------------------------------- fee lines

def test_a_line_total_the_quantity_and_price_do_not_explain_is_refused_by_its_serial(hsa, store):
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    line = fee("F9", mdtrt_id, "T000004", "500.00", pric="16.50")  # 1 × 16.50 under a 50.00 cap
    message = refused(hsa.call("2204", {"feedetail": [line]}), "feedetail[0].det_item_fee_sumamt", "F9")
    assert count(store, m.ApiFee) == 0 and "500" not in message.split("：", 1)[0]
    # within 0.01 of half-up(cnt × pric) is accepted: 3 × 3.335 = 10.005 → 10.01; 10.00 differs by 0.01
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "10.00", cnt="3", pric="3.335")]}))


def test_price_caps_apply_to_the_unit_price(hsa):
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    result = ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000004", "120.00", cnt="2", pric="60")]}))
    assert result["result"][0]["overlmt_amt"] == Decimal("20.00")  # (60 − 50) × 2


# ---------------------------------------------------------------- the wire: lenient where clients differ

def test_optional_fields_sent_empty_are_taken_as_absent(hsa):
    assert ok(hsa.call("1101", his.person_query()))["baseinfo"]["psn_no"] == "GX0001"  # begntime ""
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    info = his.outpatient_info(mdtrt_id, DAY)
    info["mdtrtinfo"]["geso_val"] = None
    ok(hsa.call("2203", info))


def test_dates_and_datetimes_in_either_national_form(hsa):
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    info = his.outpatient_info(mdtrt_id, DAY)
    info["mdtrtinfo"].update(birctrl_matn_date="2018-05-01 00:00:00", begntime=DAY)
    ok(hsa.call("2203", info))
    totals = {"insutype": "390", "clr_type": "11", "setl_optins": "371525", "stmt_begndate": "2018-01-01 00:00:00",
              "stmt_enddate": "2018-12-31 23:59:59", "medfee_sumamt": "0", "fund_pay_sumamt": "0", "acct_pay": "0",
              "fixmedins_setl_cnt": 0}
    assert ok(hsa.call("3201", {"data": totals}))["stmtinfo"]["stmt_rslt"] in ("0", "1")


def test_codes_as_strings_or_numbers_leading_zeros_kept(hsa, store):
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    info = his.outpatient_info(mdtrt_id, DAY)
    info["mdtrtinfo"]["med_type"] = 11
    ok(hsa.call("2203", info))
    assert visit_row(store, mdtrt_id).med_type == "11"
    refused(hsa.call("1101", his.person_query(mdtrt_cert_type=2)), "mdtrt_cert_type")  # "2" is not "02"


# ---------------------------------------------------------------- the wire: strict where money is at stake

SECRET_VALUE = "１０.００"


@pytest.mark.parametrize("field, value", [
    ("det_item_fee_sumamt", "１０.００"),  # full-width digits
    ("det_item_fee_sumamt", "10.001"),  # amounts: 2 decimals
    ("cnt", "1.00001"),  # cnt: 4 decimals
    ("pric", "10.0000001"),  # pric: 6 decimals
    ("bilg_dr_name", "王\x00医生"),  # a control character
    ("memo", "长" * 501),  # over the national C500
    ("exp_content", {"k": "长" * 4000}),  # the extension slot over 4,000 characters serialised
    ("exp_content", "x" * 600_000),
])
def test_values_no_national_field_takes_are_refused_by_field_without_echo(hsa, store, field, value):
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    line = fee("F1", mdtrt_id, "T000002", "10.00")
    line[field] = value
    message = refused(hsa.call("2204", {"feedetail": [line]}), f"input.feedetail[0].{field}")
    assert (value if isinstance(value, str) else "长" * 10)[:10] not in message
    assert count(store, m.ApiFee) == 0


def test_a_body_nested_100000_deep_is_refused_not_an_internal_error(hsa, http):
    from tests.api.conftest import HOSPITAL, SECRET
    from tongchou.api.signing import sign_headers

    envelope = hsa.envelope("2204", {"feedetail": []})
    text = json.dumps(envelope, ensure_ascii=False)
    body = text.replace('"feedetail": []', '"feedetail": ' + "[" * 100_000 + "]" * 100_000).encode()
    response = http.post("/api/hsa/2204", content=body, headers={"content-type": "application/json",
                                                               **sign_headers(HOSPITAL, SECRET, body)})
    answer = response.json()
    assert response.status_code == 200 and answer["infcode"] == -1 and "系统内部错误" not in answer["err_msg"]
    assert "嵌套" in answer["err_msg"]


def test_moderate_nesting_in_an_extension_is_refused_by_its_field(hsa):
    mdtrt_id = ok(hsa.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
    deep: object = "x"
    for _ in range(40):
        deep = [deep]
    line = fee("F1", mdtrt_id, "T000002", "10.00", exp_content={"k": deep})
    refused(hsa.call("2204", {"feedetail": [line]}), "input.feedetail[0].exp_content")


# ---------------------------------------------------------------- the rest (item 7)

def test_a_second_2208_with_a_new_msgid_is_refused_and_a_retry_replays(hsa, settled_ready):
    info = ok(hsa.call("2207", his.outpatient_settlement(settled_ready, "80.00")))["setlinfo"]
    cancel = {"data": {"setl_id": info["setl_id"], "mdtrt_id": settled_ready, "psn_no": "GX0001"}}
    first = hsa.call("2208", cancel)
    ok(first)
    refused(hsa.call("2208", cancel), "setl_id", "已撤销")
    again = hsa.call("2208", cancel, msgid=first["_msgid"])
    assert ok(again)["setlinfo"]["hifp_pay"] == ok(first)["setlinfo"]["hifp_pay"]


def test_a_zipped_detail_file_is_read(hsa):
    from tests.api.test_reconcile import TODAY, settle

    first = settle(hsa, "80.00")
    text = ("setl_id,mdtrt_id,psn_no,medfee_sumamt,fund_pay_sumamt,acct_pay,refd_setl_flag\n"
            f"{first['setl_id']},{first['mdtrt_id']},GX0001,999.00,{first['fund_pay_sumamt']},0,0\n")
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("detail.csv", text)
    upload = ok(hsa.call("9101", {"fsUploadIn": {"in": base64.b64encode(packed.getvalue()).decode(),
                                                 "filename": "detail.zip", "fixmedins_code": "H37152500001"}}))["data"]
    fileinfo = ok(hsa.call("3202", {"data": {
        "setl_optins": "371525", "file_qury_no": upload["file_qury_no"], "stmt_begndate": TODAY,
        "stmt_enddate": f"{TODAY} 23:59:59", "medfee_sumamt": str(first["medfee_sumamt"]),
        "fund_pay_sumamt": str(first["fund_pay_sumamt"]), "cash_payamt": str(first["psn_cash_pay"]),
        "fixmedins_setl_cnt": 1, "clr_type": ""}}))["fileinfo"]
    download = ok(hsa.call("9102", {"fsDownloadIn": {"file_qury_no": fileinfo["file_qury_no"],
                                                     "filename": fileinfo["filename"],
                                                     "fixmedins_code": "H37152500001"}}))["data"]
    assert "999.00" in base64.b64decode(download["file"]).decode()


def test_cancelling_a_settlement_that_discharged_the_stay_puts_it_back_in_hospital(hsa, store):
    mdtrt_id = _admit_with_fees(hsa)
    info = ok(hsa.call("2304", his.inpatient_settlement(mdtrt_id, "6500.00"),
                       inf_time="2018-05-10 09:00:00"))["setlinfo"]
    ok(hsa.call("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": info["setl_id"], "psn_no": "GX0001"}}))
    assert visit_row(store, mdtrt_id).status == "open"
    ok(hsa.call("2402", his.discharge(mdtrt_id, "2018-05-12")))  # now any discharge day
    ok(hsa.call("2304", his.inpatient_settlement(mdtrt_id, "6500.00")))
    assert store.read(lambda s: s.execute(select(m.Settlement.enddate).order_by(m.Settlement.id.desc()))
                      .scalars().first()) == dt.date(2018, 5, 12)


def test_the_line_tolerance_is_configurable(store, registry):
    from starlette.testclient import TestClient

    from tests.api.conftest import HOSPITAL, SECRET
    from tests.store.support import TEST_CIPHER
    from tongchou.api.app import ApiConfig, create_app
    from tongchou.client import HsaClient

    app = create_app(store, registry, TEST_CIPHER, ApiConfig(division="371525", cache_interval=0.0,
                                                             line_tolerance=Decimal("0")))
    with TestClient(app) as http:
        strict = HsaClient("http://testserver", HOSPITAL, SECRET, admdvs="371525", http=http)
        mdtrt_id = ok(strict.call("2201", his.registration(DAY)))["data"]["mdtrt_id"]
        line = fee("F1", mdtrt_id, "T000002", "10.00", cnt="3", pric="3.335")  # half-up 10.01
        refused(strict.call("2204", {"feedetail": [line]}), "feedetail[0].det_item_fee_sumamt", "F1")
