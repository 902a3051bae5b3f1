"""The national interface's wire format: the envelope and each transaction's input nodes.

Field names, lengths and required flags follow spec/national-interface.md so
that the requests existing HIS integrations send are accepted as they are;
unknown keys (regional extensions such as `exp_content`) are kept, not refused.
Amounts (N16,2) are parsed to integer fen; codes may arrive as numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema

from tongchou.money import to_fen


def _text(value: object) -> object:
    """Codes may arrive as JSON numbers: 390 and 390.0 are "390"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return str(int(value))
    if isinstance(value, (int, Decimal)):
        return str(value)
    return value


_DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
MAX_FEN = 10**16  # N16,2: at most 14 digits of yuan


def _number(value: object) -> Decimal:
    """A JSON number or a plain decimal string (no exponent, no spaces inside), finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError("应为数值")
    if isinstance(value, str):
        if not _DECIMAL_TEXT.match(value.strip()):
            raise ValueError("应为十进制数值（如 12.30）")
        value = value.strip()
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValueError("应为数值") from None
    if not number.is_finite() or abs(number) >= MAX_FEN:
        raise ValueError("数值超出范围（最多16位）")
    return number


def _signed_amount(value: object) -> int:
    try:
        return to_fen(_number(value))
    except (ArithmeticError, ValueError) as exc:
        if str(exc) in ("应为数值", "应为十进制数值（如 12.30）", "数值超出范围（最多16位）"):
            raise
        raise ValueError("应为金额（元，最多两位小数）") from None


def _amount(value: object) -> int:
    fen = _signed_amount(value)
    if fen < 0:
        raise ValueError("金额不能为负数")
    return fen


_DAY = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
_DATETIME_TEXT = re.compile(f"^{_DAY}[ T]([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$")
_DATE_TEXT = re.compile(f"^{_DAY}$")


def _datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _DATETIME_TEXT.match(value.strip()):
        raise ValueError("应为日期时间 yyyy-MM-dd HH:mm:ss")
    return dt.datetime.strptime(value.strip().replace("T", " "), "%Y-%m-%d %H:%M:%S")


def _date(value: object) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE_TEXT.match(value.strip()):
        raise ValueError("应为日期 yyyy-MM-dd")
    return dt.date.fromisoformat(value.strip())


def _day(value: object) -> dt.date:
    """A date given as yyyy-MM-dd or as yyyy-MM-dd HH:mm:ss (the time part ignored)."""
    if isinstance(value, str) and _DATETIME_TEXT.match(value.strip()):
        return _datetime(value).date()
    return _date(value)


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("应为整数")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
        return int(value)
    if isinstance(value, (float, Decimal)) and value == int(value):
        return int(value)
    raise ValueError("应为整数")


def _decimal(value: object) -> Decimal:
    return _number(value)


def _code_schema(max_length: int, required: bool) -> dict[str, Any]:
    text: dict[str, Any] = {"type": "string", "maxLength": max_length}
    if required:
        text["minLength"] = 1
    return {"anyOf": [text, {"type": "integer", "minimum": 0, "maximum": 10 ** min(max_length, 18) - 1}]}


def C(max_length: int) -> Any:  # noqa: N802 - the national spec's type letter
    return Annotated[str, BeforeValidator(_text), StringConstraints(strip_whitespace=True, max_length=max_length),
                     WithJsonSchema(_code_schema(max_length, False))]


def Creq(max_length: int) -> Any:  # noqa: N802
    return Annotated[str, BeforeValidator(_text), StringConstraints(strip_whitespace=True, min_length=1,
                                                                    max_length=max_length),
                     WithJsonSchema(_code_schema(max_length, True))]


_YUAN = "yuan (元), a JSON number or a decimal string with at most two decimals"
AMOUNT_SCHEMA = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": r"^\d{1,14}(\.\d{1,2})?$"}],
                 "description": _YUAN + ", not negative"}
SIGNED_AMOUNT_SCHEMA = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?\d{1,14}(\.\d{1,2})?$"}],
                        "description": _YUAN + ", negative on a refund line"}
NUMBER_SCHEMA = {"anyOf": [{"type": "number"}, {"type": "string", "pattern": r"^-?\d{1,16}(\.\d{1,6})?$"}],
                 "description": "a JSON number or a decimal string"}
DATETIME_SCHEMA = {"type": "string", "pattern": _DATETIME_TEXT.pattern,
                   "description": "yyyy-MM-dd HH:mm:ss (yyyy-MM-ddTHH:mm:ss is accepted too)"}

Amount = Annotated[int, BeforeValidator(_amount), WithJsonSchema(AMOUNT_SCHEMA)]
SignedAmount = Annotated[int, BeforeValidator(_signed_amount), WithJsonSchema(SIGNED_AMOUNT_SCHEMA)]
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime), WithJsonSchema(DATETIME_SCHEMA)]
Num = Annotated[Decimal, BeforeValidator(_decimal), WithJsonSchema(NUMBER_SCHEMA)]
INTEGER_SCHEMA = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^-?\d{1,18}$"}]}
DATE_SCHEMA = {"type": "string", "pattern": _DATE_TEXT.pattern, "description": "yyyy-MM-dd"}
Int = Annotated[int, BeforeValidator(_integer), WithJsonSchema(INTEGER_SCHEMA)]
Date = Annotated[dt.date, BeforeValidator(_date), WithJsonSchema(DATE_SCHEMA)]
DAY_SCHEMA = {"type": "string", "pattern": f"^{_DAY}([ T]([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d)?$",
              "description": "yyyy-MM-dd, or yyyy-MM-dd HH:mm:ss (the time part ignored)"}
Day = Annotated[dt.date, BeforeValidator(_day), WithJsonSchema(DAY_SCHEMA)]


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
    birctrl_matn_date: Date | None = None
    matn_type: C(6) | None = None
    geso_val: Int | None = None


class Diagnosis(Node):
    diag_type: Creq(3)
    diag_srt_no: Int
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
    die_date: Date | None = None


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
    dscgTime: Day | None = None  # noqa: N815 - regional camel-case name


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
    stmt_begndate: Date
    stmt_enddate: Date
    medfee_sumamt: Amount
    fund_pay_sumamt: Amount
    acct_pay: Amount
    fixmedins_setl_cnt: Annotated[Int, Field(ge=0)]
    refd_setl_flag: C(3) | None = None


class Input3201(Node):
    data: TotalsReconciliation


class DetailReconciliation(Node):
    setl_optins: Creq(6)
    file_qury_no: Creq(30)
    stmt_begndate: Date
    stmt_enddate: Date
    medfee_sumamt: Amount
    fund_pay_sumamt: Amount
    cash_payamt: Amount
    fixmedins_setl_cnt: Annotated[Int, Field(ge=0)]
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
