"""The national flows the tests (and docs/api.md) walk through, as plain functions over `HsaClient`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tongchou.client import HsaClient

DAY = "2018-05-10"


def ok(answer: dict[str, Any]) -> dict[str, Any]:
    assert answer["infcode"] == 0, answer.get("err_msg")
    return answer["output"]


def refused(answer: dict[str, Any], *words: str) -> str:
    assert answer["infcode"] == -1, answer
    assert answer["_status"] == 200, answer
    for word in words:
        assert word in answer["err_msg"], answer["err_msg"]
    return answer["err_msg"]


def fee(sn: str, mdtrt_id: str, code: str, amount: str, *, psn_no: str = "GX0001", cnt: str = "1",
        chrg_bchno: str | None = "B1", day: str = DAY, **extra: Any) -> dict[str, Any]:
    line = {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "rx_circ_flag": "0",
            "fee_ocur_time": f"{day} 10:00:00", "med_list_codg": code, "medins_list_codg": f"HIS-{code}",
            "det_item_fee_sumamt": amount, "cnt": cnt, "pric": str(Decimal(amount) / Decimal(cnt)),
            "bilg_dept_codg": "D01", "bilg_dept_name": "内科", "bilg_dr_codg": "DR01", "bilg_dr_name": "王医生",
            "hosp_appr_flag": "1", **extra}
    if chrg_bchno is not None:
        line["chrg_bchno"] = chrg_bchno
    return line


def register(hsa: HsaClient, psn_no: str = "GX0001", insutype: str = "390", day: str = DAY) -> str:
    out = ok(hsa.call("2201", {"data": {
        "psn_no": psn_no, "insutype": insutype, "begntime": f"{day} 09:00:00", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": "371525199001011234", "ipt_otp_no": "OP0001", "atddr_no": "DR01", "dr_name": "王医生",
        "dept_code": "D01", "dept_name": "内科", "caty": "A03"}}))
    return out["data"]["mdtrt_id"]


def outpatient_info(hsa: HsaClient, mdtrt_id: str, psn_no: str = "GX0001", med_type: str = "11",
                    dise_codg: str | None = None, day: str = DAY) -> None:
    ok(hsa.call("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": med_type,
                                       "begntime": f"{day} 09:00:00", "dise_codg": dise_codg},
                         "diseinfo": [{"diag_type": "1", "diag_srt_no": 1, "diag_code": "I10", "diag_name": "高血压",
                                       "diag_dept": "内科", "dise_dor_no": "DR01", "dise_dor_name": "王医生",
                                       "diag_time": f"{day} 09:10:00", "vali_flag": "1"}]}))


def settle_input(mdtrt_id: str, medfee: str, *, psn_no: str = "GX0001", chrg_bchno: str = "B1",
                 med_type: str = "11", **extra: Any) -> dict[str, Any]:
    return {"data": {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": "371525199001011234",
                     "med_type": med_type, "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt_id,
                     "chrg_bchno": chrg_bchno, "acct_used_flag": "0", "insutype": "390", **extra}}


def admit(hsa: HsaClient, psn_no: str = "GX0001", day: str = "2018-05-01") -> str:
    return ok(hsa.call("2401", admission_input(psn_no, day)))["result"]["mdtrt_id"]


def admission_input(psn_no: str = "GX0001", day: str = "2018-05-01") -> dict[str, Any]:
    return {
        "mdtrtinfo": {"psn_no": psn_no, "insutype": "390", "begntime": f"{day} 08:00:00", "mdtrt_cert_type": "02",
                      "mdtrt_cert_no": "371525199001011234", "med_type": "21", "ipt_no": "IP0001",
                      "atddr_no": "DR02", "chfpdr_name": "李医生", "adm_diag_dscr": "肺炎", "adm_dept_codg": "D02",
                      "adm_dept_name": "呼吸科", "adm_bed": "12", "dscg_maindiag_code": "J18.9",
                      "dscg_maindiag_name": "肺炎"},
        "diseinfo": [{"psn_no": psn_no, "diag_type": "1", "maindiag_flag": "1", "diag_srt_no": 1, "diag_code": "J18.9",
                      "diag_name": "肺炎", "diag_dept": "呼吸科", "dise_dor_no": "DR02", "dise_dor_name": "李医生",
                      "diag_time": f"{day} 08:30:00"}]}


def inpatient_fee(sn: str, mdtrt_id: str, code: str, amount: str, **extra: Any) -> dict[str, Any]:
    line = fee(sn, mdtrt_id, code, amount, chrg_bchno=None, day=extra.pop("day", "2018-05-02"), **extra)
    line["med_type"] = "21"
    line.pop("rx_circ_flag")
    return line


def discharge(hsa: HsaClient, mdtrt_id: str, psn_no: str = "GX0001", day: str = "2018-05-10",
              diseinfo: list[dict[str, Any]] = (), **extra: Any) -> None:
    ok(hsa.call("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "insutype": "390",
                                      "endtime": f"{day} 10:00:00", "dscg_dept_codg": "D02", "dscg_dept_name": "呼吸科",
                                      "dscg_way": "1", **extra}, "diseinfo": list(diseinfo)}))


def diagnosis(code: str, name: str, *, main: bool, number: int = 1, psn_no: str = "GX0001",
              day: str = "2018-05-10") -> dict[str, Any]:
    """A diseinfo record; `main`: maindiag_flag "1" (else "0")."""
    return {"psn_no": psn_no, "diag_type": "1", "maindiag_flag": "1" if main else "0", "diag_srt_no": number,
            "diag_code": code, "diag_name": name, "diag_dept": "外科", "dise_dor_no": "DR02", "dise_dor_name": "李医生",
            "diag_time": f"{day} 09:00:00"}


def inpatient_settle_input(mdtrt_id: str, medfee: str, psn_no: str = "GX0001", **extra: Any) -> dict[str, Any]:
    return {"data": {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": "371525199001011234",
                     "medfee_sumamt": medfee, "psn_setlway": "01", "mdtrt_id": mdtrt_id, "insutype": "390",
                     "acct_used_flag": "0", "mid_setl_flag": "0", **extra}}
