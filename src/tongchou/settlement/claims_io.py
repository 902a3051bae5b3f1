"""The `tongchou settle` line format: JSON claims in, JSON settlements out (docs/reference/contracts.md).

Parsing turns a line into a `Claim` or a `LineError` naming the field; amounts
are parsed from JSON numbers or decimal strings straight to fen, never through
a float.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Iterable, Iterator

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from tongchou.accumulators import AccumulatorError, YearState, state_to_json, stored_state  # noqa: F401  (the ytd shape)
from tongchou.codes import AdminTier, Code, MedType
from tongchou.money import MoneyError, fen_to_str, to_fen
from tongchou.settlement.model import (
    AMOUNT_FIELDS, Claim, Item, Person, Settlement, Split,
)
from tongchou.settlement.split import SplitError, check_split, split_items
from tongchou.validation_text import reason

SPLIT_FIELDS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")


@dataclass(frozen=True)
class LineError(Exception):
    code: str
    field: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}


NEGATIVE = "金额不能为负数"


def _amount(value: object) -> int:
    try:
        fen = to_fen(value)
    except MoneyError:
        raise ValueError(f"金额须为元，最多两位小数，而不是 {value!r}") from None
    if fen < 0:
        raise ValueError(NEGATIVE)
    return fen


def _code(value: object) -> object:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return value


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"应为数字，而不是 {value!r}")
    return Decimal(str(value))


def _national(table: type[Code], what: str):
    """A validator: the code is one of its national table's (a code outside it is a malformed field)."""

    def check(code: str) -> str:
        if not table.is_valid(code):
            known = "、".join(f"{m.value} {m.label}" for m in table)
            raise ValueError(f"{code!r} 不是{what}代码（{known}）")
        return code

    return AfterValidator(check)


Amount = Annotated[int, BeforeValidator(_amount)]
CodeStr = Annotated[str, BeforeValidator(_code)]
Dec = Annotated[Decimal, BeforeValidator(_decimal)]
MedTypeCode = Annotated[str, BeforeValidator(_code), _national(MedType, "国家医疗类别")]
AdminTierCode = Annotated[str, _national(AdminTier, "机构隶属层级")]


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ItemIn(_In):
    code: CodeStr
    category: str = Field(pattern=r"^[ABC]$")
    amount: Amount
    qty: Dec | None = None
    price: Dec | None = None
    price_cap: Dec | None = None
    selfpay_prop: Dec | None = Field(None, ge=0, le=1)
    essential_drug: bool = False
    restriction_met: bool = True


class PersonIn(_In):
    psn_type: CodeStr | None = None
    birth_date: dt.date | None = None
    student: bool = False
    assistance: list[str] = Field(default_factory=list)
    tier: CodeStr | None = None
    continuous_years: int = Field(0, ge=0)
    acct_balance: Amount | None = None
    mulaid_balance: Amount = 0
    county: CodeStr | None = None


class ClaimIn(_In):
    setl_id: CodeStr = Field(min_length=1)
    psn_no: CodeStr = Field(min_length=1)
    insutype: CodeStr = Field(pattern=r"^(310|390)$")
    insuplc_admdvs: CodeStr = Field(pattern=r"^\d{6}$")
    policy_id: str | None = None
    med_type: MedTypeCode
    begndate: dt.date
    enddate: dt.date
    hosp_lv: int = Field(ge=0, le=3)
    admin_tier: AdminTierCode
    dise_code: CodeStr | None = None
    accident: bool = False
    third_party_liable: bool = False
    person: PersonIn = PersonIn()
    items: list[ItemIn] | None = None
    medfee_sumamt: Amount | None = None
    fulamt_ownpay_amt: Amount | None = None
    overlmt_selfpay: Amount | None = None
    preselfpay_amt: Amount | None = None
    inscp_scp_amt: Amount | None = None
    inscp_essential_amt: Amount = 0
    hosp_part_amt: Amount = 0
    mdtrt_id: CodeStr | None = None
    acct_used_flag: CodeStr | None = None
    county_admdvs: CodeStr | None = None
    ytd: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _dates_and_amounts(self) -> ClaimIn:
        if self.enddate < self.begndate:
            raise _WholeClaimError("invalid_field", "enddate", "enddate（结束日期）早于 begndate（开始日期）")
        if self.items is None and any(getattr(self, f) is None for f in SPLIT_FIELDS):
            missing = next(f for f in SPLIT_FIELDS if getattr(self, f) is None)
            raise _WholeClaimError("missing_field", missing, f"缺少必填字段 {missing}：须给出 items（费用明细）或全部拆分金额")
        if self.hosp_part_amt and self.items is None and self.medfee_sumamt is not None and self.inscp_scp_amt is not None:
            if self.hosp_part_amt > self.medfee_sumamt - self.inscp_scp_amt:
                raise _WholeClaimError("invalid_field", "hosp_part_amt",
                                       "hosp_part_amt（医院负担金额）超过 medfee_sumamt 中目录外的部分")
        return self


class _WholeClaimError(ValueError):
    """A rule over several fields, raised inside validation: carries the field and code to report."""

    def __init__(self, code: str, field: str, message: str):
        self.line_error = LineError(code, field, message)
        super().__init__(message)


def _error_from_validation(exc: ValidationError) -> LineError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    cause = (first.get("ctx") or {}).get("error")
    if isinstance(cause, _WholeClaimError):
        return cause.line_error
    if first["type"] == "missing":
        return LineError("missing_field", field, f"缺少必填字段 {field}")
    if str(cause) == NEGATIVE:
        return LineError("negative_amount", field, f"{field}：{NEGATIVE}")
    return LineError("invalid_field", field, f"{field}：{reason(first)}")


def parse_line(text: str) -> tuple[ClaimIn, dict[str, Any]]:
    try:
        raw = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise LineError("invalid_json", None, f"不是有效的 JSON（第 {exc.colno} 列有误）") from None
    if not isinstance(raw, dict):
        raise LineError("invalid_json", None, "每行须为一个 JSON 对象（一条就诊）")
    try:
        return ClaimIn.model_validate(raw), raw
    except ValidationError as exc:
        raise _error_from_validation(exc) from None


def _split_of(claim_in: ClaimIn) -> tuple[Split, tuple]:
    if claim_in.items is not None:
        items = [Item(**item.model_dump()) for item in claim_in.items]
        try:
            return split_items(items)
        except SplitError as exc:
            code = "missing_selfpay_prop" if exc.field.endswith("selfpay_prop") else "invalid_field"
            raise LineError(code, exc.field, str(exc)) from None
    split = Split(*(getattr(claim_in, f) for f in SPLIT_FIELDS), inscp_essential_amt=claim_in.inscp_essential_amt)
    broken = check_split(split)
    if broken:
        raise LineError("invalid_field", broken, f"{broken}：拆分金额之和不等于 medfee_sumamt（医疗费总额）"
                        if broken == "medfee_sumamt" else f"{broken}：超过 inscp_scp_amt（符合范围金额）")
    return split, ()


def to_claim(claim_in: ClaimIn) -> Claim:
    split, item_splits = _split_of(claim_in)
    p = claim_in.person
    person = Person(
        psn_no=claim_in.psn_no, psn_type=p.psn_type, birth_date=p.birth_date, student=p.student,
        assistance=frozenset(p.assistance), tier=p.tier, continuous_years=p.continuous_years,
        county=p.county or claim_in.county_admdvs, mulaid_balance=p.mulaid_balance,
    )
    return Claim(
        setl_id=claim_in.setl_id, person=person, insutype=claim_in.insutype,
        insuplc_admdvs=claim_in.insuplc_admdvs, med_type=claim_in.med_type, begndate=claim_in.begndate,
        enddate=claim_in.enddate, hosp_lv=claim_in.hosp_lv, admin_tier=claim_in.admin_tier, split=split,
        dise_code=claim_in.dise_code, accident=claim_in.accident, third_party_liable=claim_in.third_party_liable,
        mdtrt_id=claim_in.mdtrt_id, policy_id=claim_in.policy_id,
        acct_used=claim_in.acct_used_flag != "0", hosp_part_amt=claim_in.hosp_part_amt, item_splits=item_splits,
    )


# ---------------------------------------------------------------- year-to-date state as JSON

def state_from_json(raw: dict[str, Any]) -> YearState:
    try:
        return stored_state(raw)
    except AccumulatorError as exc:
        raise LineError("invalid_field", exc.field, exc.message) from None


# ---------------------------------------------------------------- settlement as JSON

def settlement_to_json(settlement: Settlement, state_after: YearState, year: int) -> dict[str, Any]:
    out: dict[str, Any] = {"setl_id": settlement.setl_id, "policy_id": settlement.policy_id,
                           "policy_version": settlement.policy_version, "benefit_line": settlement.benefit_line}
    out.update({name: fen_to_str(getattr(settlement, name)) for name in AMOUNT_FIELDS})
    out["inscp_essential_amt"] = fen_to_str(settlement.inscp_essential_amt)
    out["acct_mulaid_pay"] = fen_to_str(settlement.acct_mulaid_pay)
    out["pool_prop_selfpay"] = str(settlement.pool_prop)
    out["balc"] = None if settlement.balc is None else fen_to_str(settlement.balc)
    out["explanation"] = [explanation_step_json(step) for step in settlement.explanation]
    out["ytd_after"] = state_to_json(state_after, year)
    return out


def explanation_step_json(step) -> dict[str, Any]:
    data = {k: (fen_to_str(v) if isinstance(v, int) and not isinstance(v, bool) and k not in ("ordinal", "version")
                else v) for k, v in step.data.items()}
    return {"step": step.step, "text": step.text, **({"data": data} if data else {})}


def read_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, text in enumerate(lines, start=1):
        if text.strip():
            yield number, text
