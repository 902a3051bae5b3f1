"""The national interface's wire format: the envelope and each transaction's input nodes.

Field names, lengths and required flags follow spec/national-interface.md so
that the requests existing HIS integrations send are accepted as they are;
unknown keys (regional extensions such as `exp_content`) are kept, not refused.
Amounts (N16,2) are parsed to integer fen; codes may arrive as numbers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from tongchou.money import to_fen


def _text(value: object) -> object:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


def _amount(value: object) -> int:
    fen = to_fen(value)
    if fen < 0:
        raise ValueError("an amount must not be negative")
    return fen


def _signed_amount(value: object) -> int:
    return to_fen(value)


def _datetime(value: object) -> object:
    if isinstance(value, str) and len(value) == 19 and value[10] == " ":
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    return value


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError("not a number")
    return Decimal(str(value))


def C(max_length: int) -> Any:  # noqa: N802 - the national spec's type letter
    return Annotated[str, BeforeValidator(_text), StringConstraints(strip_whitespace=True, max_length=max_length)]


def Creq(max_length: int) -> Any:  # noqa: N802
    return Annotated[str, BeforeValidator(_text), StringConstraints(strip_whitespace=True, min_length=1,
                                                                    max_length=max_length)]


Amount = Annotated[int, BeforeValidator(_amount)]
SignedAmount = Annotated[int, BeforeValidator(_signed_amount)]
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime)]
Num = Annotated[Decimal, BeforeValidator(_decimal)]


class Node(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# ---------------------------------------------------------------- envelope

class Envelope(Node):
    infno: Creq(6)
    msgid: Creq(30)
    mdtrtarea_admvs: Creq(6)
    insuplc_admdvs: C(6) | None = None
    recer_sys_code: Creq(10)
    dev_no: C(100) | None = None
    dev_safe_info: C(2000) | None = None
    cainfo: C(1024) | None = None
    signtype: C(10) | None = None
    infver: Creq(6)
    opter_type: Creq(3)
    opter: Creq(30)
    opter_name: Creq(50)
    inf_time: DateTime
    fixmedins_code: Creq(30)
    fixmedins_name: Creq(200)
    sign_no: C(30) | None = None
    fixmedins_soft_fcty: str | None = None
    enc_type: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------- 9001, 1101

class SignIn(Node):
    opter_no: Creq(20)
    mac: C(20) | None = None
    ip: Creq(20)


class Input9001(Node):
    signIn: SignIn  # noqa: N815 - national field name


class PersonQuery(Node):
    mdtrt_cert_type: Creq(3)
    mdtrt_cert_no: Creq(50)
    card_sn: str | None = None
    begntime: DateTime | None = None
    psn_cert_type: C(6) | None = None
    certno: C(50) | None = None
    psn_name: C(50) | None = None


class Input1101(Node):
    data: PersonQuery


# ---------------------------------------------------------------- outpatient 2201–2208

class Register(Node):
    psn_no: Creq(30)
    insutype: Creq(6)
    begntime: DateTime
    mdtrt_cert_type: Creq(3)
    mdtrt_cert_no: Creq(50)
    ipt_otp_no: Creq(30)
    atddr_no: Creq(30)
    dr_name: Creq(50)
    dept_code: Creq(30)
    dept_name: Creq(100)
    caty: Creq(6)


class Input2201(Node):
    data: Register


class VisitRef(Node):
    psn_no: Creq(30)
    mdtrt_id: Creq(30)


class CancelRegister(VisitRef):
    ipt_otp_no: Creq(30)


class Input2202(Node):
    data: CancelRegister


class OutpatientVisit(Node):
    mdtrt_id: Creq(30)
    psn_no: Creq(30)
    med_type: Creq(6)
    begntime: DateTime
    main_cond_dscr: C(1000) | None = None
    dise_codg: C(30) | None = None
    dise_name: C(500) | None = None
    birctrl_type: C(6) | None = None
    birctrl_matn_date: dt.date | None = None
    matn_type: C(6) | None = None
    geso_val: int | None = None


class Diagnosis(Node):
    diag_type: Creq(3)
    diag_srt_no: int
    diag_code: Creq(20)
    diag_name: Creq(100)
    diag_dept: Creq(50)
    dise_dor_no: Creq(30)
    dise_dor_name: Creq(50)
    diag_time: DateTime
    vali_flag: C(3) | None = None
    maindiag_flag: C(3) | None = None


class Input2203(Node):
    mdtrtinfo: OutpatientVisit
    diseinfo: list[Diagnosis] = Field(default_factory=list)


class FeeDetail(Node):
    feedetl_sn: Creq(30)
    mdtrt_id: Creq(30)
    psn_no: Creq(30)
    fee_ocur_time: DateTime
    med_list_codg: Creq(50)
    medins_list_codg: Creq(150)
    det_item_fee_sumamt: SignedAmount
    cnt: Num
    pric: Num
    bilg_dept_codg: Creq(30)
    bilg_dept_name: Creq(100)
    bilg_dr_codg: Creq(30)
    bilg_dr_name: Creq(50)
    hosp_appr_flag: C(3) | None = None
    init_feedetl_sn: C(30) | None = None


class OutpatientFee(FeeDetail):
    chrg_bchno: Creq(30)
    dise_codg: C(30) | None = None
    rxno: C(30) | None = None
    rx_circ_flag: C(3) | None = None


class InpatientFee(FeeDetail):
    med_type: Creq(6)
    drord_no: C(30) | None = None


class Input2204(Node):
    feedetail: list[OutpatientFee] = Field(min_length=1)


class CancelFees(VisitRef):
    chrg_bchno: Creq(30)


class Input2205(Node):
    data: CancelFees


class OutpatientSettle(Node):
    psn_no: Creq(30)
    mdtrt_cert_type: Creq(3)
    mdtrt_cert_no: Creq(50)
    med_type: Creq(6)
    medfee_sumamt: Amount
    psn_setlway: Creq(6)
    mdtrt_id: Creq(30)
    chrg_bchno: Creq(30)
    acct_used_flag: Creq(1)
    insutype: Creq(6)
    invono: C(20) | None = None
    fulamt_ownpay_amt: Amount | None = None
    overlmt_selfpay: Amount | None = None
    preselfpay_amt: Amount | None = None
    inscp_scp_amt: Amount | None = None


class Input2206(Node):
    data: OutpatientSettle


Input2207 = Input2206


class SettlementRef(VisitRef):
    setl_id: Creq(30)


class Input2208(Node):
    data: SettlementRef


# ---------------------------------------------------------------- inpatient 2401–2405, 2301–2305

class Admission(Node):
    psn_no: Creq(30)
    insutype: Creq(6)
    begntime: DateTime
    mdtrt_cert_type: Creq(3)
    mdtrt_cert_no: Creq(50)
    med_type: Creq(6)
    ipt_no: Creq(30)
    atddr_no: Creq(30)
    chfpdr_name: Creq(50)
    adm_diag_dscr: Creq(200)
    adm_dept_codg: Creq(30)
    adm_dept_name: Creq(100)
    adm_bed: Creq(30)
    dscg_maindiag_code: Creq(20)
    dscg_maindiag_name: Creq(300)
    dise_codg: C(30) | None = None
    dise_name: C(500) | None = None
    oprn_oprt_code: C(30) | None = None
    oprn_oprt_name: C(500) | None = None
    coner_name: C(50) | None = None
    tel: C(50) | None = None


class Input2401(Node):
    mdtrtinfo: Admission
    diseinfo: list[Diagnosis] = Field(default_factory=list)


class Discharge(Node):
    mdtrt_id: Creq(30)
    psn_no: Creq(30)
    insutype: Creq(6)
    endtime: DateTime
    dscg_dept_codg: Creq(30)
    dscg_dept_name: Creq(100)
    dscg_way: Creq(3)
    dise_codg: C(30) | None = None
    dise_name: C(500) | None = None
    oprn_oprt_code: C(30) | None = None
    oprn_oprt_name: C(500) | None = None
    dscg_bed: C(30) | None = None
    die_date: dt.date | None = None


class Input2402(Node):
    dscginfo: Discharge
    diseinfo: list[Diagnosis] = Field(default_factory=list)


class Input2404(Node):
    data: VisitRef


Input2405 = Input2404


class Input2301(Node):
    feedetail: list[InpatientFee] = Field(min_length=1)


class CancelInpatientFee(VisitRef):
    feedetl_sn: Creq(30)


class Input2302(Node):
    data: CancelInpatientFee | list[CancelInpatientFee]


class InpatientSettle(Node):
    psn_no: Creq(30)
    mdtrt_cert_type: Creq(3)
    mdtrt_cert_no: Creq(50)
    medfee_sumamt: Amount
    psn_setlway: Creq(6)
    mdtrt_id: Creq(30)
    insutype: Creq(6)
    acct_used_flag: Creq(1)
    mid_setl_flag: Creq(3)
    invono: C(20) | None = None
    fulamt_ownpay_amt: Amount | None = None
    overlmt_selfpay: Amount | None = None
    preselfpay_amt: Amount | None = None
    inscp_scp_amt: Amount | None = None
    dscgTime: str | None = None  # noqa: N815 - regional camel-case name


class Input2303(Node):
    data: InpatientSettle


Input2304 = Input2303


class Input2305(Node):
    data: SettlementRef


# ---------------------------------------------------------------- 2601, 3201/3202, 9101/9102, 52xx

class Reversal(Node):
    psn_no: Creq(30)
    omsgid: Creq(30)
    oinfno: Creq(4)


class Input2601(Node):
    data: Reversal


class TotalsReconciliation(Node):
    insutype: Creq(6)
    clr_type: Creq(6)
    setl_optins: Creq(6)
    stmt_begndate: dt.date
    stmt_enddate: dt.date
    medfee_sumamt: Amount
    fund_pay_sumamt: Amount
    acct_pay: Amount
    fixmedins_setl_cnt: int = Field(ge=0)
    refd_setl_flag: C(3) | None = None


class Input3201(Node):
    data: TotalsReconciliation


class DetailReconciliation(Node):
    setl_optins: Creq(6)
    file_qury_no: Creq(30)
    stmt_begndate: dt.date
    stmt_enddate: dt.date
    medfee_sumamt: Amount
    fund_pay_sumamt: Amount
    cash_payamt: Amount
    fixmedins_setl_cnt: int = Field(ge=0)
    clr_type: C(6) | None = None


class Input3202(Node):
    data: DetailReconciliation


class FileUpload(Node):
    in_: str = Field(alias="in", description="file content, base64")
    filename: Creq(200)
    fixmedins_code: Creq(30)


class Input9101(Node):
    fsUploadIn: FileUpload  # noqa: N815


class FileDownload(Node):
    file_qury_no: Creq(30)
    filename: Creq(200)
    fixmedins_code: Creq(30)


class Input9102(Node):
    fsDownloadIn: FileDownload  # noqa: N815


class SettlementQuery(Node):
    psn_no: Creq(30)
    setl_id: Creq(30)
    mdtrt_id: Creq(30)


class Input5203(Node):
    data: SettlementQuery


Input5204 = Input5203


class AccumulationQuery(Node):
    psn_no: Creq(30)
    cum_ym: C(6) | None = None


class Input5206(Node):
    data: AccumulationQuery


INPUTS: dict[str, type[Node]] = {
    "9001": Input9001, "1101": Input1101, "2201": Input2201, "2202": Input2202, "2203": Input2203,
    "2204": Input2204, "2205": Input2205, "2206": Input2206, "2207": Input2207, "2208": Input2208,
    "2301": Input2301, "2302": Input2302, "2303": Input2303, "2304": Input2304, "2305": Input2305,
    "2401": Input2401, "2402": Input2402, "2404": Input2404, "2405": Input2405, "2601": Input2601,
    "3201": Input3201, "3202": Input3202, "9101": Input9101, "9102": Input9102,
    "5203": Input5203, "5204": Input5204, "5206": Input5206,
}
