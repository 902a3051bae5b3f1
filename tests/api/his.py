"""Requests as an existing HIS fills them: every national field of the transaction present, the optional ones
sent as "" when unknown (spec: docs/api.md, the national field lists)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.api.flows import admission_input, diagnosis, fee, inpatient_fee, inpatient_settle_input, settle_input

CERT = "371525199001011234"  # GX0001's ID card


def person_query(**extra: Any) -> dict[str, Any]:
    return {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": CERT, "card_sn": "", "begntime": "",
                     "psn_cert_type": "", "certno": "", "psn_name": "", **extra}}


def registration(day: str) -> dict[str, Any]:
    return {"data": {"psn_no": "GX0001", "insutype": "390", "begntime": f"{day} 09:00:00", "mdtrt_cert_type": "02",
                     "mdtrt_cert_no": CERT, "ipt_otp_no": "OP0001", "atddr_no": "DR01", "dr_name": "王医生",
                     "dept_code": "D01", "dept_name": "内科", "caty": "A03"},
            "psnbaseinfo": {"psn_no": "", "expContent": ""}}


def outpatient_info(mdtrt_id: str, day: str) -> dict[str, Any]:
    return {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": "GX0001", "med_type": "11", "begntime": f"{day} 09:00:00",
                          "main_cond_dscr": "", "dise_codg": "", "dise_name": "", "birctrl_type": "",
                          "birctrl_matn_date": "", "matn_type": "", "geso_val": ""},
            "diseinfo": [{**diagnosis("I10", "高血压", main=True, day=day), "vali_flag": "1"}]}


FEE_OPTIONAL = ("rxno", "sin_dos_dscr", "used_frqu_dscr", "prd_days", "medc_way_dscr", "acord_dept_codg",
                "acord_dept_name", "orders_dr_code", "orders_dr_name", "tcmdrug_used_way", "etip_flag",
                "etip_hosp_code", "dscg_tkdrug_flag", "matn_fee_flag", "exp_content", "init_feedetl_sn", "memo")


def outpatient_fee(sn: str, mdtrt_id: str, code: str, amount: str, day: str) -> dict[str, Any]:
    return {**fee(sn, mdtrt_id, code, amount, day=day), "dise_codg": "", **{name: "" for name in FEE_OPTIONAL}}


def inpatient_line(sn: str, mdtrt_id: str, code: str, amount: str, day: str) -> dict[str, Any]:
    return {**inpatient_fee(sn, mdtrt_id, code, amount, day=day), "drord_no": "",
            **{name: "" for name in FEE_OPTIONAL}}


SETTLE_OPTIONAL = {"invono": "", "fulamt_ownpay_amt": "", "overlmt_selfpay": "", "preselfpay_amt": "",
                   "inscp_scp_amt": ""}


def outpatient_settlement(mdtrt_id: str, medfee: str) -> dict[str, Any]:
    return settle_input(mdtrt_id, medfee, **SETTLE_OPTIONAL)


def inpatient_settlement(mdtrt_id: str, medfee: str, **extra: Any) -> dict[str, Any]:
    return inpatient_settle_input(mdtrt_id, medfee, **{**SETTLE_OPTIONAL, "dscgTime": "", "exp_content": "",
                                                       **extra})


ADMISSION_OPTIONAL = ("coner_name", "tel", "medrcdno", "main_cond_dscr", "dise_codg", "dise_name", "oprn_oprt_code",
                      "oprn_oprt_name", "fpsc_no", "matn_type", "birctrl_type", "latechb_flag", "geso_val", "fetts",
                      "fetus_cnt", "pret_flag", "birctrl_matn_date", "dise_type_code", "exp_content")


def admission(day: str) -> dict[str, Any]:
    request = admission_input(day=day)
    request["mdtrtinfo"].update({name: "" for name in ADMISSION_OPTIONAL})
    request["diseinfo"][0]["adm_cond"] = ""
    return request


def discharge(mdtrt_id: str, day: str, *, diseinfo: list[dict[str, Any]] = (), **extra: Any) -> dict[str, Any]:
    info = {"mdtrt_id": mdtrt_id, "psn_no": "GX0001", "insutype": "390", "endtime": f"{day} 10:00:00",
            "dscg_dept_codg": "D02", "dscg_dept_name": "呼吸科", "dscg_way": "1", "cop_flag": "", "dscg_bed": "",
            "die_date": "", **{name: "" for name in ADMISSION_OPTIONAL if name in (
                "dise_codg", "dise_name", "oprn_oprt_code", "oprn_oprt_name", "fpsc_no", "matn_type", "birctrl_type",
                "latechb_flag", "geso_val", "fetts", "fetus_cnt", "pret_flag", "birctrl_matn_date")}, **extra}
    return {"dscginfo": info, "diseinfo": [{**d, "mdtrt_id": mdtrt_id} for d in diseinfo]}


def total(*amounts: str) -> str:
    return str(sum(Decimal(a) for a in amounts))
