"""The national interface's wire format: the envelope and each transaction's input nodes.

Field names, lengths and required flags follow docs/reference/national-interface.md so
that the requests existing HIS integrations send are accepted as they are;
unknown keys (regional extensions such as `exp_content`) are kept, not refused.
Amounts (N16,2) are parsed to integer fen; codes may arrive as numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

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


_DECIMAL_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$", re.ASCII)  # ASCII digits only: "１０.００" is refused
MAX_FEN = 10**16  # N16,2: at most 14 digits of yuan
MAX_DIGITS = 16  # N16,x: at most 16 digits in all
PLACES_AMOUNT, PLACES_CNT, PLACES_PRIC = 2, 4, 6  # N16,2 amounts, N16,4 cnt, N16,6 pric


def _number(value: object, places: int) -> Decimal:
    """A JSON number or a plain ASCII decimal string (no exponent, no spaces inside), finite, at most 16
    digits and at most `places` decimals (the national type N16,places)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise ValueError("应为数值")
    if isinstance(value, str):
        if not _DECIMAL_TEXT.match(value.strip()):
            raise ValueError("应为十进制数值（如 12.30，半角数字）")
        value = value.strip()
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValueError("应为数值") from None
    if not number.is_finite() or (number and number.adjusted() >= MAX_DIGITS):
        raise ValueError(f"数值超出范围（最多{MAX_DIGITS}位）")
    if number.as_tuple().exponent < -places and number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"小数位数超过{places}位")
    return number


def _signed_amount(value: object) -> int:
    number = _number(value, PLACES_AMOUNT)
    if abs(number) * 100 >= MAX_FEN:
        raise ValueError(f"数值超出范围（最多{MAX_DIGITS}位）")
    return to_fen(number)


def _amount(value: object) -> int:
    fen = _signed_amount(value)
    if fen < 0:
        raise ValueError("金额不能为负数")
    return fen


_DAY = r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
_DATETIME_TEXT = re.compile(f"^{_DAY}[ T]{_TIME}$", re.ASCII)
_DATE_TEXT = re.compile(f"^{_DAY}$", re.ASCII)
_DATE_OR_DATETIME = f"^{_DAY}([ T]{_TIME})?$"


def _datetime(value: object) -> dt.datetime:
    """yyyy-MM-dd HH:mm:ss, or a date alone (midnight): the national DT fields as clients fill them."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value.strip()):
        return dt.datetime.combine(_date(value), dt.time())
    if not isinstance(value, str) or not _DATETIME_TEXT.match(value.strip()):
        raise ValueError("应为日期时间 yyyy-MM-dd HH:mm:ss")
    try:
        return dt.datetime.strptime(value.strip().replace("T", " "), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValueError("日期不存在") from None


def _date(value: object) -> dt.date:
    """yyyy-MM-dd, or a date-time whose time part is ignored: the national D fields as clients fill them."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATETIME_TEXT.match(value.strip()):
        return _datetime(value).date()
    if not isinstance(value, str) or not _DATE_TEXT.match(value.strip()):
        raise ValueError("应为日期 yyyy-MM-dd")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("日期不存在") from None


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("应为整数")
    if isinstance(value, int) and abs(value) < 10**18:
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,18}", value.strip(), re.ASCII):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and abs(value) < 10**18 and value == int(value):
        return int(value)
    raise ValueError("应为整数")


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


def _decimal_schema(integer_digits: int, places: int, signed: bool, description: str) -> dict[str, Any]:
    sign = "-?" if signed else ""
    number: dict[str, Any] = {"type": "number"} if signed else {"type": "number", "minimum": 0}
    pattern = f"^{sign}[0-9]{{1,{integer_digits}}}(\\.[0-9]{{1,{places}}})?$"
    return {"anyOf": [number, {"type": "string", "pattern": pattern}],
            "description": description}


def N(places: int) -> Any:  # noqa: N802 - N16,places
    text = f"a JSON number or an ASCII decimal string, at most {places} decimals"
    return Annotated[Decimal, BeforeValidator(lambda value: _number(value, places)),
                     WithJsonSchema(_decimal_schema(MAX_DIGITS - places, places, True, text))]


_YUAN = "yuan (元), a JSON number or an ASCII decimal string with at most two decimals"
Amount = Annotated[int, BeforeValidator(_amount),
                   WithJsonSchema(_decimal_schema(14, 2, False, _YUAN + ", not negative"))]
SignedAmount = Annotated[int, BeforeValidator(_signed_amount),
                         WithJsonSchema(_decimal_schema(14, 2, True, _YUAN + ", negative on a refund line"))]
Cnt = N(PLACES_CNT)
Pric = N(PLACES_PRIC)
DATETIME_SCHEMA = {"type": "string", "pattern": _DATE_OR_DATETIME,
                   "description": "yyyy-MM-dd HH:mm:ss (yyyy-MM-ddTHH:mm:ss, or a date alone = midnight, accepted too)"}
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime), WithJsonSchema(DATETIME_SCHEMA)]
INTEGER_SCHEMA = {"anyOf": [{"type": "integer"}, {"type": "string", "pattern": r"^-?[0-9]{1,18}$"}]}
DATE_SCHEMA = {"type": "string", "pattern": _DATE_OR_DATETIME,
               "description": "yyyy-MM-dd (a date-time is accepted, its time part ignored)"}
Int = Annotated[int, BeforeValidator(_integer), WithJsonSchema(INTEGER_SCHEMA)]
Date = Annotated[dt.date, BeforeValidator(_date), WithJsonSchema(DATE_SCHEMA)]


class Node(BaseModel):
    """A national input node. An optional field sent as "" or null is taken as absent (HIS clients send every
    field, empty when unknown); a required one is refused."""

    model_config = ConfigDict(extra="allow", populate_by_name=True,
                              json_schema_extra=lambda schema, _cls: _blank_allowed(schema))

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        blank = [key for name, info in cls.model_fields.items() if not info.is_required()
                 for key in (info.alias or name, name) if key in value and _blank(value[key])]
        return {k: v for k, v in value.items() if k not in blank} if blank else value


def _blank_allowed(schema: dict[str, Any]) -> None:
    """The document says what the validator does: an optional field may also be ""."""
    required = set(schema.get("required", ()))
    for name, prop in schema.get("properties", {}).items():
        if name not in required:
            schema["properties"][name] = {"anyOf": [prop, {"type": "string", "maxLength": 0}]}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
    cnt: Cnt
    pric: Pric
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
    dscgTime: Date | None = None  # noqa: N815 - regional camel-case name


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


# ---------------------------------------------------------------- every value of a request, declared or not

MAX_DEPTH = 16  # nesting of objects and arrays: the deepest national request (an extension object inside a
# fee line) needs 6
MAX_TEXT = 4000  # the national C4000: the longest text field (setl_proc_info, exp_content)
MAX_NUMBER_EXPONENT = 40
EXTENSIONS = ("exp_content", "expContent")  # C4000, a JSON string or object; its keys are regional
NATIONAL_LENGTHS = {  # national fields not declared by a model (kept as sent, unused): their lengths
    "main_cond_dscr": 1000, "adm_cond": 500, "medrcdno": 30, "fpsc_no": 50, "matn_type": 6, "birctrl_type": 6,
    "latechb_flag": 3, "pret_flag": 3, "dise_type_code": 6, "cop_flag": 3, "sin_dos_dscr": 200,
    "used_frqu_dscr": 200, "medc_way_dscr": 200, "acord_dept_codg": 30, "acord_dept_name": 100,
    "orders_dr_code": 30, "orders_dr_name": 50, "tcmdrug_used_way": 6, "etip_flag": 3, "etip_hosp_code": 30,
    "dscg_tkdrug_flag": 3, "matn_fee_flag": 6, "memo": 500, "drord_no": 30, "rxno": 30, "invono": 20,
    "psn_setlway": 6, "psn_cert_type": 6, "certno": 50, "psn_name": 50, "card_sn": 64,
}
# control characters but tab and line breaks (ordinary in free text such as 描述), and unpaired surrogates
_BAD_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class ValueProblem(ValueError):
    """A value no national field may take: `path` names the field (never the value)."""

    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(message)


def check_values(raw: Any, root: str = "") -> None:
    """Every string, number and container of a request, declared fields or not (regional extensions are kept):
    no control characters or unpaired surrogates, text within its national length (C4000 when unknown, the
    extension slot at most 4,000 characters serialised), numbers of a sane size, nesting at most MAX_DEPTH.
    Iterative: a pathological request cannot exhaust the stack here."""
    todo: list[tuple[str, Any, int]] = [(root, raw, 0)]
    while todo:
        path, value, depth = todo.pop()
        if isinstance(value, dict):
            _check_container(path, depth)
            for key, item in value.items():
                _check_text(path or "(body)", key, MAX_TEXT)  # a bad key: named by where it is
                child = f"{path}.{key}" if path else key
                if key in EXTENSIONS:
                    _check_extension(child, item)
                todo.append((child, item, depth + 1))
        elif isinstance(value, list):
            _check_container(path, depth)
            todo.extend((f"{path}[{index}]", item, depth + 1) for index, item in enumerate(value))
        elif isinstance(value, str):
            _check_text(path, value, NATIONAL_LENGTHS.get(path.rsplit(".", 1)[-1], MAX_TEXT))
        elif isinstance(value, Decimal) and value.is_finite() and value and abs(value.adjusted()) > MAX_NUMBER_EXPONENT:
            raise ValueProblem(path, "数值超出范围")
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** MAX_NUMBER_EXPONENT:
            raise ValueProblem(path, "数值超出范围")


def _check_container(path: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueProblem(path, f"嵌套层数超过{MAX_DEPTH}层")


def _check_text(path: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise ValueProblem(path, f"超过最大长度{limit}")
    if _BAD_CHARACTER.search(text):
        raise ValueProblem(path, "含有控制字符或无效的Unicode字符")


def _check_extension(path: str, value: Any) -> None:
    if isinstance(value, (dict, list)):
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        except (ValueError, RecursionError):
            raise ValueProblem(path, f"嵌套层数超过{MAX_DEPTH}层") from None
        if len(text) > MAX_TEXT:
            raise ValueProblem(path, f"序列化后超过最大长度{MAX_TEXT}")
