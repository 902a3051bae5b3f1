"""End to end over HTTP (the ASGI app), on SQLite and PostgreSQL: the national outpatient and inpatient
flows, idempotency by msgid, one settlement per visit, reversal, cancellation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from tests.api.flows import (
    DAY, admission_input, admit, diagnosis, discharge, fee, inpatient_fee, inpatient_settle_input, ok, outpatient_info,
    refused, register, settle_input,
)
from tongchou.clearing import service
from tongchou.clearing.dip import catalogue_index
from tongchou.clearing.rules import load_rules
from tongchou.ledger.service import verify
from tongchou.store import models as m


def settlement_count(store) -> int:
    return store.read(lambda s: s.execute(select(func.count()).select_from(m.Settlement)).scalar_one())


def test_outpatient_flow_sign_in_to_settlement_and_cancellation(hsa, store):
    sign = ok(hsa.call("9001", {"signIn": {"opter_no": "0001", "mac": "00-00", "ip": "127.0.0.1"}}))
    assert sign["signinoutb"]["sign_no"] and hsa.sign_no == sign["signinoutb"]["sign_no"]

    person = ok(hsa.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "371525199001011234",
                                           "begntime": "2018-05-10 09:00:00"}}))
    assert person["baseinfo"]["psn_no"] == "GX0001" and person["baseinfo"]["psn_name"] == "张三"
    assert [row["insutype"] for row in person["insuinfo"]] == ["390"]
    assert person["insuinfo"][0]["psn_insu_stas"] == "1" and person["insuinfo"][0]["insuplc_admdvs"] == "371525"

    mdtrt_id = register(hsa)
    outpatient_info(hsa, mdtrt_id)
    result = ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00"),
                                                fee("F2", mdtrt_id, "T000001", "20.00"),
                                                fee("F3", mdtrt_id, "T000003", "10.00")]}))["result"]
    assert [(r["feedetl_sn"], r["chrgitm_lv"]) for r in result] == [("F1", "01"), ("F2", "02"), ("F3", "03")]
    assert result[1]["preselfpay_amt"] == Decimal("2.00") and result[1]["inscp_scp_amt"] == Decimal("18.00")
    assert result[2]["fulamt_ownpay_amt"] == Decimal("10.00") and result[2]["selfpay_prop"] == Decimal("1")

    pre = ok(hsa.call("2206", settle_input(mdtrt_id, "110.00")))
    assert pre["setlinfo"]["medfee_sumamt"] == Decimal("110.00")
    assert settlement_count(store) == 0  # a pre-settlement commits nothing

    answer = hsa.call("2207", settle_input(mdtrt_id, "110.00", fulamt_ownpay_amt="10.00", overlmt_selfpay="0",
                                           preselfpay_amt="2.00", inscp_scp_amt="98.00"))
    info = ok(answer)["setlinfo"]
    assert "warn_msg" not in answer
    for name in ("medfee_sumamt", "fulamt_ownpay_amt", "preselfpay_amt", "inscp_scp_amt", "hifp_pay",
                 "fund_pay_sumamt", "psn_part_amt", "psn_cash_pay"):
        assert info[name] == pre["setlinfo"][name], name
    assert info["medfee_sumamt"] == info["fund_pay_sumamt"] + info["psn_part_amt"] + info["hosp_part_amt"]
    assert info["certno"] == "371525********1234" and info["psn_name"] == "张三"
    assert info["medins_setl_id"] == answer["_msgid"] and info["clr_type"] == "11"
    assert len(answer["inf_refmsgid"]) == 30 and answer["inf_refmsgid"].startswith("371525")
    assert len(answer["refmsg_time"]) == 17 and len(answer["respond_time"]) == 17
    detail = ok(answer)["setldetail"]
    assert detail[0]["fund_pay_type"] == "390100" and detail[0]["fund_payamt"] == info["hifp_pay"]
    assert detail[0]["setl_proc_info"]

    query = ok(hsa.call("5203", {"data": {"psn_no": "GX0001", "setl_id": info["setl_id"], "mdtrt_id": mdtrt_id}}))
    assert query["setlinfo"]["hifp_pay"] == info["hifp_pay"] and query["setlinfo"]["refd_setl_flag"] == "0"
    fees = ok(hsa.call("5204", {"data": {"psn_no": "GX0001", "setl_id": info["setl_id"], "mdtrt_id": mdtrt_id}}))
    assert [f["feedetl_sn"] for f in fees] == ["F1", "F2", "F3"]
    cum = ok(hsa.call("5206", {"data": {"psn_no": "GX0001", "cum_ym": "201805"}}))["cuminfo"]
    assert any(row["cum_type_code"] == "SETL_CNT" and row["cum"] == 1 for row in cum)

    cancel = ok(hsa.call("2208", {"data": {"setl_id": info["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}))
    assert cancel["setlinfo"]["hifp_pay"] == -info["hifp_pay"]
    query = ok(hsa.call("5203", {"data": {"psn_no": "GX0001", "setl_id": info["setl_id"], "mdtrt_id": mdtrt_id}}))
    assert query["setlinfo"]["refd_setl_flag"] == "1"
    # cancelled: the batch may be settled again
    again = ok(hsa.call("2207", settle_input(mdtrt_id, "110.00")))["setlinfo"]
    assert again["hifp_pay"] == info["hifp_pay"] and again["setl_id"] != info["setl_id"]
    assert verify(store).ok


def test_retries_of_a_msgid_get_the_first_answer_and_move_no_money(hsa, store):
    mdtrt_id = register(hsa)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00")]}))
    first = hsa.call("2207", settle_input(mdtrt_id, 80))
    retry = hsa.call("2207", settle_input(mdtrt_id, 80), msgid=first["_msgid"])
    retry_numbers = hsa.call("2207", settle_input(mdtrt_id, 80.0), msgid=first["_msgid"])  # the same number
    assert ok(first) == ok(retry) == ok(retry_numbers)
    assert settlement_count(store) == 1
    assert verify(store).ok

    changed = hsa.call("2207", settle_input(mdtrt_id, 80, acct_used_flag="1"), msgid=first["_msgid"])
    refused(changed, "msgid 重复且内容不同")
    other_infno = hsa.call("2206", settle_input(mdtrt_id, 80), msgid=first["_msgid"])
    refused(other_infno, "msgid 重复且内容不同")

    second = hsa.call("2207", settle_input(mdtrt_id, "80.00"))  # a new msgid for a settled batch
    refused(second, "已有有效结算")
    assert settlement_count(store) == 1 and verify(store).ok


def test_registration_retry_gives_the_same_visit(hsa):
    body = {"data": {"psn_no": "GX0001", "insutype": "390", "begntime": "2018-05-10 09:00:00",
                     "mdtrt_cert_type": "02", "mdtrt_cert_no": "371525199001011234", "ipt_otp_no": "OP9",
                     "atddr_no": "D",
                     "dr_name": "医生", "dept_code": "D01", "dept_name": "内科", "caty": "A03"}}
    first = hsa.call("2201", body)
    assert ok(first) == ok(hsa.call("2201", body, msgid=first["_msgid"]))


def test_medfee_mismatch_is_refused_with_both_figures_and_split_differences_are_warned(hsa):
    mdtrt_id = register(hsa)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000001", "100.00")]}))
    refused(hsa.call("2207", settle_input(mdtrt_id, "99.00")), "medfee_sumamt", "99.00", "100.00")
    answer = hsa.call("2207", settle_input(mdtrt_id, "100.00", preselfpay_amt="0", inscp_scp_amt="100.00"))
    ok(answer)
    assert "preselfpay_amt" in answer["warn_msg"] and "10.00" in answer["warn_msg"]


def test_reversal_after_a_lost_answer_cancels_and_the_resent_original_is_refused(hsa, store):
    mdtrt_id = register(hsa)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00")]}))
    lost = hsa.call("2207", settle_input(mdtrt_id, "80.00"))  # the HIS never saw this answer
    ok(hsa.call("2601", {"data": {"psn_no": "GX0001", "omsgid": lost["_msgid"], "oinfno": "2207"}}))
    refused(hsa.call("2207", settle_input(mdtrt_id, "80.00"), msgid=lost["_msgid"]), "冲正")
    cancelled = store.read(lambda s: s.execute(select(func.count()).select_from(m.SettlementCancellation)).scalar())
    assert cancelled == 1 and verify(store).ok
    ok(hsa.call("2207", settle_input(mdtrt_id, "80.00")))  # the batch is free again


def test_a_reversal_before_its_original_refuses_the_late_original(hsa, store):
    mdtrt_id = register(hsa)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00")]}))
    late = hsa.envelope("2207", settle_input(mdtrt_id, "80.00"))["msgid"]
    ok(hsa.call("2601", {"data": {"psn_no": "GX0001", "omsgid": late, "oinfno": "2207"}}))
    refused(hsa.call("2207", settle_input(mdtrt_id, "80.00"), msgid=late), "冲正")
    assert settlement_count(store) == 0


def test_fee_cancellation_and_batches(hsa):
    mdtrt_id = register(hsa)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00", chrg_bchno="B1"),
                                       fee("F2", mdtrt_id, "T000002", "30.00", chrg_bchno="B2")]}))
    ok(hsa.call("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "B2", "psn_no": "GX0001"}}))
    refused(hsa.call("2207", settle_input(mdtrt_id, "30.00", chrg_bchno="B2")), "费用明细")
    ok(hsa.call("2207", settle_input(mdtrt_id, "80.00", chrg_bchno="B1")))
    ok(hsa.call("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000", "psn_no": "GX0001"}}))
    refused(hsa.call("2204", {"feedetail": [fee("F3", mdtrt_id, "T000002", "5.00", chrg_bchno="B1")]}), "已结算")
    refused(hsa.call("2202", {"data": {"psn_no": "GX0001", "mdtrt_id": mdtrt_id, "ipt_otp_no": "OP0001"}}), "结算")


def test_inpatient_flow_with_a_refund_line_settlement_and_cancellation(hsa, store):
    mdtrt_id = admit(hsa)
    result = ok(hsa.call("2301", {"feedetail": [
        inpatient_fee("I1", mdtrt_id, "T000002", "12000.00"),
        inpatient_fee("I2", mdtrt_id, "T000001", "3000.00", cnt="3"),
        inpatient_fee("I3", mdtrt_id, "T000003", "500.00")]}))["result"]
    assert [r["chrgitm_lv"] for r in result] == ["01", "02", "03"]
    refund = ok(hsa.call("2301", {"feedetail": [
        inpatient_fee("I4", mdtrt_id, "T000001", "-1000.00", cnt="-1", init_feedetl_sn="I2")]}))["result"]
    assert refund[0]["preselfpay_amt"] == Decimal("-100.00")
    ok(hsa.call("2302", {"data": {"feedetl_sn": "I3", "mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}))
    # a trial during the stay, as of its date, changes nothing (issue 17: 2303 at any time)
    trial = ok(hsa.call("2303", inpatient_settle_input(mdtrt_id, "14000.00"), inf_time="2018-05-05 12:00:00"))
    assert trial["setlinfo"]["medfee_sumamt"] == Decimal("14000.00") and settlement_count(store) == 0
    discharge(hsa, mdtrt_id)
    pre = ok(hsa.call("2303", inpatient_settle_input(mdtrt_id, "14000.00")))["setlinfo"]
    assert pre["medfee_sumamt"] == Decimal("14000.00") and pre["preselfpay_amt"] == Decimal("200.00")
    answer = hsa.call("2304", inpatient_settle_input(mdtrt_id, "14000.00"))
    info = ok(answer)["setlinfo"]
    assert info["hifp_pay"] == pre["hifp_pay"] and info["clr_type"] == "21" and "hifdm_pay" in info
    assert info["act_pay_dedc"] == Decimal("500.00")
    refused(hsa.call("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}), "2305")
    cancel = ok(hsa.call("2305", {"data": {"mdtrt_id": mdtrt_id, "setl_id": info["setl_id"], "psn_no": "GX0001"}}))
    assert cancel["setlinfo"]["fund_pay_sumamt"] == -info["fund_pay_sumamt"]
    ok(hsa.call("2405", {"data": {"mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}))
    assert verify(store).ok


def dip_codes(store) -> dict[str, tuple[str | None, str | None]]:
    """Each settlement's main diagnosis and procedure."""
    return store.read(lambda s: {r.setl_id: (r.diag_code, r.oprn_code)
                                 for r in s.execute(select(m.Settlement)).scalars()})


def dip_groups(store) -> dict[str, str]:
    """The DIP group of each settlement (policies/clearing/example-city.yaml)."""
    rules = load_rules()
    index = catalogue_index(rules.dip)
    return store.read(lambda s: {r.setl_id: service.dip_case(r, rules, index).group_code
                                 for r in s.execute(select(m.Settlement)).scalars()})


def test_the_main_diagnosis_and_procedure_of_an_admission_reach_its_settlement(hsa, store):
    # 2401 names the main diagnosis (dscg_maindiag_code), 2402 the main procedure (oprn_oprt_code)
    admission = admission_input()
    admission["mdtrtinfo"].update(adm_diag_dscr="急性阑尾炎", dscg_maindiag_code="K35.8", dscg_maindiag_name="急性阑尾炎")
    admission["diseinfo"] = [diagnosis("K35.8", "急性阑尾炎", main=True, day="2018-05-01")]
    mdtrt_id = ok(hsa.call("2401", admission))["result"]["mdtrt_id"]
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I1", mdtrt_id, "T000002", "13000.00")]}))
    discharge(hsa, mdtrt_id, oprn_oprt_code="47.01", oprn_oprt_name="腹腔镜下阑尾切除术")
    first = ok(hsa.call("2304", inpatient_settle_input(mdtrt_id, "13000.00")))["setlinfo"]["setl_id"]
    # the discharge's main diagnosis (its diseinfo) replaces the admission's J18.9; no procedure
    mdtrt_id = admit(hsa, day="2018-06-01")
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I1", mdtrt_id, "T000002", "7500.00", day="2018-06-02")]}))
    discharge(hsa, mdtrt_id, day="2018-06-08", diseinfo=[
        diagnosis("J18.9", "肺炎", main=False, day="2018-06-08"),
        diagnosis("J44.1", "慢性阻塞性肺病伴急性加重", main=True, number=2, day="2018-06-08")])
    second = ok(hsa.call("2304", inpatient_settle_input(mdtrt_id, "7500.00")))["setlinfo"]["setl_id"]
    assert dip_codes(store) == {first: ("K35.8", "47.01"), second: ("J44.1", None)}
    assert dip_groups(store) == {first: "D013", second: "D010"}  # 腹腔镜阑尾切除, 慢阻肺急性加重 保守治疗


def test_the_main_diagnosis_of_an_outpatient_visit_reaches_its_settlement(hsa, store):
    mdtrt_id = register(hsa)
    ok(hsa.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": "GX0001", "med_type": "11",
                                       "begntime": f"{DAY} 09:00:00"},
                         "diseinfo": [diagnosis("I10", "原发性高血压", main=True, day=DAY)]}))
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "80.00")]}))
    setl_id = ok(hsa.call("2207", settle_input(mdtrt_id, "80.00")))["setlinfo"]["setl_id"]
    assert dip_codes(store) == {setl_id: ("I10", None)}


def test_admission_reversal_and_cancellation(hsa):
    first = hsa.call("2401", {"mdtrtinfo": {}})  # malformed: names the field
    refused(first, "input.mdtrtinfo.psn_no")
    mdtrt_id = admit(hsa)
    refused(hsa.call("2401", {"mdtrtinfo": {}}), "input.mdtrtinfo")
    ok(hsa.call("2404", {"data": {"mdtrt_id": mdtrt_id, "psn_no": "GX0001"}}))
    second = admit(hsa)
    assert second != mdtrt_id


def test_reversal_of_an_admission_cancels_it(hsa):
    first = hsa.call("2401", admission_input())
    mdtrt_id = ok(first)["result"]["mdtrt_id"]
    ok(hsa.call("2601", {"data": {"psn_no": "GX0001", "omsgid": first["_msgid"], "oinfno": "2401"}}))
    refused(hsa.call("2301", {"feedetail": [inpatient_fee("I1", mdtrt_id, "T000002", "100.00")]}), "撤销")
    refused(hsa.call("2401", admission_input(), msgid=first["_msgid"]), "冲正")
    ok(hsa.call("2401", admission_input()))  # a new admission is possible


def test_smart_audit_refuses_a_duplicate_charge_before_any_money_moves(hsa, store):
    # supervision rule duplicate_charge (blocking, during settlement): the same item charged twice at the same time
    mdtrt_id = register(hsa)
    outpatient_info(hsa, mdtrt_id)
    ok(hsa.call("2204", {"feedetail": [fee("F1", mdtrt_id, "T000002", "40.00"), fee("F2", mdtrt_id, "T000002", "40.00")]}))
    message = refused(hsa.call("2207", settle_input(mdtrt_id, "80.00")))
    assert "重复" in message
    assert settlement_count(store) == 0


def test_an_admission_settled_in_parts_pays_one_deductible_and_never_a_line_twice(hsa, store):
    mdtrt_id = admit(hsa)
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I1", mdtrt_id, "T000002", "6000.00", day="2018-05-03")]}))
    interim = ok(hsa.call("2304", inpatient_settle_input(mdtrt_id, "6000.00", mid_setl_flag="1")))["setlinfo"]
    assert Decimal(str(interim["act_pay_dedc"])) > 0  # the admission's deductible, once
    again = hsa.call("2304", inpatient_settle_input(mdtrt_id, "6000.00", mid_setl_flag="1"))  # a new msgid
    refused(again, "已有有效结算")
    ok(hsa.call("2301", {"feedetail": [inpatient_fee("I2", mdtrt_id, "T000002", "4000.00", day="2018-05-08")]}))
    discharge(hsa, mdtrt_id)
    final = ok(hsa.call("2304", inpatient_settle_input(mdtrt_id, "4000.00")))["setlinfo"]
    assert Decimal(str(final["act_pay_dedc"])) == 0 and final["setl_id"] != interim["setl_id"]
    assert Decimal(str(final["hifp_pay"])) > 0
    rows = store.read(lambda s: s.execute(select(m.Settlement.enddate, m.Settlement.medfee_sumamt)
                                          .order_by(m.Settlement.id)).all())
    assert rows == [(dt.date(2018, 5, 3), 600000), (dt.date(2018, 5, 10), 400000)]
    assert verify(store).ok
