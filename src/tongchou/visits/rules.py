"""The visit lifecycle's rules, pure: what a registration, a description, fee lines, a discharge and a
settlement of a visit may be, over typed data (no store, no wire).

A visit is registered (outpatient or admission), described (2203 / the admission), given fee lines
(refunds are negative lines naming the refunded line), settled, discharged and cancelled. Each rule names
the national field at fault in a `ServiceError`; `visits.service` loads and saves around them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Mapping, Protocol

from tongchou.enrolment.rules import date_text
from tongchou.errors import Conflict, InvalidRequest, Refused
from tongchou.money import fen_to_decimal
from tongchou.settlement.model import Item
from tongchou.settlement.request import INPATIENT_MED_TYPES, FeeLine
from tongchou.settlement.split import SplitError, self_pay_proportion, split_item

ALL_LINES = "0000"  # chrg_bchno / feedetl_sn that cancels every unsettled line
CHRGITM_LV = {"A": "01", "B": "02", "C": "03"}
OPEN, CANCELLED, DISCHARGED = "open", "cancelled", "discharged"
UPLOADED, SETTLED = "uploaded", "settled"
OUTPATIENT, INPATIENT = "outpatient", "inpatient"
MAIN_DIAGNOSIS = "1"  # diseinfo maindiag_flag of the main diagnosis
LINE_TOLERANCE = Decimal("0.01")  # yuan a line total may differ from half-up(cnt × pric)


class Forbidden(Exception):
    """The visit or settlement belongs to another institution (HTTP 403)."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(field)


class VisitState(Protocol):
    mdtrt_id: str
    kind: str
    status: str
    begntime: dt.datetime
    endtime: dt.datetime | None


class CatalogueEntry(Protocol):
    category: str
    selfpay_prop: Any
    price_cap: Any
    essential_drug: bool
    restriction: str | None


class FeeRow(Protocol):
    id: int
    feedetl_sn: str
    init_feedetl_sn: str | None
    chrg_bchno: str | None
    code: str
    cnt: Any
    pric: Any
    amount: int
    restriction_met: bool
    status: str
    fee_ocur_time: dt.datetime


def new_mdtrt_id() -> str:
    """A visit id (C30): 'MD' + yyyyMMdd + 20 hex characters."""
    return f"MD{dt.date.today():%Y%m%d}{uuid.uuid4().hex[:20]}"


def setl_id_for(code: str, msgid: str) -> str:
    """The settlement id of a message, the same on every retry of it (C30)."""
    return "ST" + hashlib.sha256(f"{code}|{msgid}".encode()).hexdigest()[:26]


def is_inpatient(med_type: str) -> bool:
    return med_type in INPATIENT_MED_TYPES


# ---------------------------------------------------------------- registration, description, discharge

@dataclass(frozen=True)
class Registration:
    """2201 (outpatient) or 2401 (admission): who, under which scheme, when, as the institution numbers it."""

    psn_no: str
    insutype: str
    kind: str  # OUTPATIENT or INPATIENT
    ipt_otp_no: str
    begntime: dt.datetime
    info: dict[str, Any]
    med_type: str | None = None
    diagnoses: tuple[dict[str, Any], ...] = ()
    dise_codg: str | None = None
    dise_name: str | None = None
    diag_code: str | None = None
    oprn_code: str | None = None

    @property
    def number_field(self) -> str:
        return "ipt_no" if self.kind == INPATIENT else "ipt_otp_no"


@dataclass(frozen=True)
class Description:
    """2203: the outpatient visit's medical category, disease and diagnoses."""

    med_type: str
    begntime: dt.datetime
    dise_codg: str | None
    dise_name: str | None
    diagnoses: tuple[dict[str, Any], ...]
    info: dict[str, Any]


@dataclass(frozen=True)
class DischargeInfo:
    """2402: the discharge time and the final diagnoses (they replace the admission's)."""

    endtime: dt.datetime
    dise_codg: str | None
    dise_name: str | None
    oprn_code: str | None
    diagnoses: tuple[dict[str, Any], ...]
    info: dict[str, Any]

    @property
    def diag_code(self) -> str | None:
        return main_diagnosis(self.diagnoses)


def main_diagnosis(diagnoses: Iterable[Mapping[str, Any]]) -> str | None:
    """The code of the diagnosis flagged main (maindiag_flag "1") in a diseinfo list, if any."""
    return next((d.get("diag_code") for d in diagnoses if d.get("maindiag_flag") == MAIN_DIAGNOSIS), None)


def require_open(visit: VisitState, field: str = "mdtrt_id") -> None:
    if visit.status == CANCELLED:
        raise Refused(field, f"就诊ID {visit.mdtrt_id} 已撤销。", "visit_cancelled")


def require_kind(visit: VisitState, kind: str, field: str = "mdtrt_id") -> None:
    if visit.kind != kind:
        raise InvalidRequest(field, f"就诊ID {visit.mdtrt_id} 不是{'住院' if kind == INPATIENT else '门诊'}就诊。")


def check_describe(visit: VisitState) -> None:
    require_open(visit)
    if visit.kind != OUTPATIENT:
        raise InvalidRequest("mdtrt_id", f"就诊ID {visit.mdtrt_id} 是住院登记，不能上传门诊就诊信息。")


def check_cancel_registration(visit: VisitState, settled: bool) -> None:
    """2202 / 2404: a visit with no active settlement may be cancelled."""
    require_open(visit)
    if settled:
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已有结算，请先撤销结算。", "settled")


def check_discharge(visit: VisitState, discharge: DischargeInfo, settled_day: dt.date | None) -> None:
    """2402 on an open admission; after a final settlement without 2402 (the stay settled as discharged on
    `settled_day`), a 2402 of the same day records the diagnoses, another day is refused."""
    require_open(visit)
    require_kind(visit, INPATIENT)
    if discharge.endtime < visit.begntime:
        raise InvalidRequest("endtime", "出院时间早于入院时间。")
    if visit.status != DISCHARGED:
        return
    if settled_day is None:
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已办理出院。", "discharged")
    if discharge.endtime.date() != settled_day:
        raise Refused("endtime", f"出院日期与住院结算时确定的出院日期（{settled_day:%Y-%m-%d}）不一致；"
                                 "如需更改请先撤销住院结算（2305）。", "discharge_date_differs")


def check_cancel_discharge(visit: VisitState, settled: bool) -> None:
    """2405: back to in hospital, unless the admission is settled."""
    if visit.status != DISCHARGED:
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 未办理出院。", "not_discharged")
    if settled:
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已结算，请先撤销住院结算（2305）。", "settled")


def settlement_end(visit: VisitState, dscg_day: dt.date | None, inf_day: dt.date, interim: bool,
                   last_fee_day: dt.date) -> dt.date:
    """The end date of an inpatient (pre-)settlement: an interim one ends on its latest fee line (or the
    discharge); a final one on the discharge (2402), else the `dscgTime` sent, else the day of the call."""
    if visit.endtime is not None:
        return visit.endtime.date()
    if interim:
        return last_fee_day
    return dscg_day or inf_day


# ---------------------------------------------------------------- fee lines

@dataclass(frozen=True)
class UploadLine:
    """One fee detail line as sent (2204 or 2301), amounts in fen."""

    feedetl_sn: str
    code: str
    cnt: Decimal
    pric: Decimal
    amount: int
    fee_ocur_time: dt.datetime
    hosp_appr_flag: str | None
    detail: dict[str, Any] = field(default_factory=dict)
    chrg_bchno: str | None = None
    init_feedetl_sn: str | None = None
    dise_codg: str | None = None

    @property
    def refund(self) -> bool:
        return self.amount < 0 or self.cnt < 0


def restriction_met(hosp_appr_flag: str | None) -> bool:
    """A restricted-use item is reimbursable only with hospital approval flag 1 (2204's remark:
    0 or 2 = self-pay, 1 = reimbursable); without the flag it is self-paid."""
    return hosp_appr_flag == "1"


def check_line_total(line: UploadLine, index: int, tolerance: Decimal = LINE_TOLERANCE) -> None:
    """A line total that differs from half-up(cnt × pric, 2 places) by more than the tolerance is refused:
    the total is the amount split, so a total that the quantity and price do not explain is not trusted."""
    expected = (line.cnt * line.pric).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(fen_to_decimal(line.amount) - expected) > tolerance:
        raise InvalidRequest(f"feedetail[{index}].det_item_fee_sumamt",
                             f"费用明细{line.feedetl_sn}的明细项目费用总额与数量×单价（{expected} 元）不符。",
                             "line_total_mismatch")


def check_batches(kind: str, lines: list[UploadLine], existing: Mapping[str, FeeRow]) -> None:
    """Outpatient: one disease code per charge batch; a settled batch takes no more lines; no refunds."""
    if kind != OUTPATIENT:
        return
    for index, line in enumerate(lines):
        for row in existing.values():
            if row.chrg_bchno == line.chrg_bchno and row.status == SETTLED:
                raise Refused(f"feedetail[{index}].chrg_bchno", f"收费批次{line.chrg_bchno}已结算，不能再上传费用。",
                              "settled")
        codes = {other.dise_codg or "" for other in lines if other.chrg_bchno == line.chrg_bchno}
        if len(codes) > 1:
            raise InvalidRequest(f"feedetail[{index}].dise_codg", f"收费批次{line.chrg_bchno}只能对应一个病种编码。")
        if line.refund:
            raise InvalidRequest(f"feedetail[{index}].cnt", "门诊费用明细的数量和金额不能为负数（退费请撤销明细后重传）。")


def check_new_serial(line: UploadLine, index: int, existing: Mapping[str, FeeRow], earlier: Iterable[str]) -> None:
    if line.feedetl_sn in existing or line.feedetl_sn in earlier:
        raise Conflict(f"feedetail[{index}].feedetl_sn", f"费用明细流水号{line.feedetl_sn}重复。", "duplicate_line")


def refunded_line(existing: Mapping[str, FeeRow], line: UploadLine, index: int) -> FeeRow:
    """The line a refund line refunds, checked: uploaded, unsettled, same item, not over-refunded."""
    if not line.init_feedetl_sn:
        raise InvalidRequest(f"feedetail[{index}].init_feedetl_sn", "退费明细（数量为负）必须填写原费用流水号。")
    original = existing.get(line.init_feedetl_sn)
    if original is None or original.status != UPLOADED or original.amount < 0:
        raise InvalidRequest(f"feedetail[{index}].init_feedetl_sn",
                             f"原费用流水号{line.init_feedetl_sn}不存在或已结算、已撤销。")
    if original.code != line.code:
        raise InvalidRequest(f"feedetail[{index}].med_list_codg", "退费明细的医疗目录编码与原明细不一致。")
    if line.amount > 0 or line.cnt > 0:
        raise InvalidRequest(f"feedetail[{index}].det_item_fee_sumamt", "退费明细的数量和金额都应为负数。")
    refunded = sum(row.amount for row in existing.values()
                   if row.init_feedetl_sn == original.feedetl_sn and row.status == UPLOADED)
    if original.amount + refunded + line.amount < 0:
        raise InvalidRequest(f"feedetail[{index}].det_item_fee_sumamt",
                             f"退费金额超过原明细{line.init_feedetl_sn}的剩余金额。")
    return original


def entry_for(catalogue: Mapping[tuple[str, dt.date], CatalogueEntry], line: UploadLine, index: int
              ) -> CatalogueEntry:
    day = line.fee_ocur_time.date()
    entry = catalogue.get((line.code, day))
    if entry is None:
        raise InvalidRequest(f"feedetail[{index}].med_list_codg",
                             f"医疗目录编码{line.code}在{date_text(day)}不在医保目录内（或目录未生效）。", "unknown_item")
    return entry


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def catalogue_item(line: UploadLine, entry: CatalogueEntry) -> Item:
    """The line as the split sees it: its absolute amount and quantity, the catalogue's terms."""
    met = restriction_met(line.hosp_appr_flag) if entry.restriction else True
    return Item(code=line.code, category=entry.category, amount=abs(line.amount), qty=abs(line.cnt) or None,
                price=line.pric, price_cap=_dec(entry.price_cap), selfpay_prop=_dec(entry.selfpay_prop),
                essential_drug=entry.essential_drug, restriction_met=met)


def fee_result(line: UploadLine, entry: CatalogueEntry, refunded: FeeRow | None = None) -> dict[str, Any]:
    """The national fee result record of a line: its split by the catalogue (a refund line is split as
    the negative of the same split of its absolute amount)."""
    sign = -1 if line.amount < 0 else 1
    item = catalogue_item(line, entry)
    try:
        part = split_item(item)
    except SplitError as exc:
        raise InvalidRequest("feedetail.med_list_codg", str(exc)) from None
    return {
        "feedetl_sn": line.feedetl_sn, "det_item_fee_sumamt": str(fen_to_decimal(line.amount)),
        "cnt": str(line.cnt), "pric": str(line.pric),
        "pric_uplmt_amt": str(entry.price_cap) if entry.price_cap is not None else "0",
        "selfpay_prop": str(self_pay_proportion(item)),
        "fulamt_ownpay_amt": str(fen_to_decimal(sign * part.fulamt_ownpay_amt)),
        "overlmt_amt": str(fen_to_decimal(sign * part.overlmt_selfpay)),
        "preselfpay_amt": str(fen_to_decimal(sign * part.preselfpay_amt)),
        "inscp_scp_amt": str(fen_to_decimal(sign * part.inscp_scp_amt)),
        "chrgitm_lv": CHRGITM_LV[entry.category],
        "med_chrgitm_type": line.detail.get("med_chrgitm_type") or "",
        "bas_medn_flag": "1" if entry.essential_drug else "0",
        "hi_nego_drug_flag": "0", "chld_medc_flag": "0", "list_sp_item_flag": "0",
        "lmt_used_flag": "1" if entry.restriction else "0",
        "drt_reim_flag": "0",
        "memo": _memo(entry, item.restriction_met, refunded),
    }


def _memo(entry: CatalogueEntry, met: bool, refunded: FeeRow | None) -> str:
    notes = []
    if entry.restriction and not met:
        notes.append(f"限定支付范围（{entry.restriction}）未经医院审批，按自费")
    if refunded is not None:
        notes.append(f"退费，冲减原明细{refunded.feedetl_sn}")
    return "；".join(notes)


# ---------------------------------------------------------------- settling

@dataclass(frozen=True)
class Billable:
    """What a settlement of a visit (or an outpatient charge batch) is made of."""

    fee_ids: tuple[int, ...]
    lines: tuple[FeeLine, ...]
    medfee_sumamt: int
    last_day: dt.date  # the day of the latest line
    after_interim: bool = False  # other lines of the visit are settled already (an interim settlement)


def billable_of(rows: Iterable[FeeRow], field: str, after_interim: bool = False) -> Billable:
    """The unsettled lines, refunds netted into the lines they refund (docs/reference/settlement-rules.md §1)."""
    rows = list(rows)
    refunds: dict[str, list[FeeRow]] = {}
    for row in rows:
        if row.init_feedetl_sn and row.amount < 0:
            refunds.setdefault(row.init_feedetl_sn, []).append(row)
    lines = []
    for row in rows:
        if row.init_feedetl_sn and row.amount < 0:
            continue
        minus = refunds.get(row.feedetl_sn, [])
        amount = row.amount + sum(r.amount for r in minus)
        qty = Decimal(str(row.cnt)) + sum(Decimal(str(r.cnt)) for r in minus)
        if amount == 0:
            continue
        lines.append(FeeLine(code=row.code, amount=amount, qty=qty if qty > 0 else None,
                             price=Decimal(str(row.pric)), restriction_met=row.restriction_met))
    if not lines:
        raise Refused(field, "没有可结算的费用明细，请先上传费用明细。", "no_fees")
    return Billable(tuple(row.id for row in rows), tuple(lines), sum(line.amount for line in lines),
                    max(row.fee_ocur_time for row in rows).date(), after_interim)


def billable_from(live: Iterable[Any], mdtrt_id: str, chrg_bchno: str | None) -> Billable:
    """The unsettled lines of a visit (inpatient, `chrg_bchno` None) or of a charge batch (outpatient), from the
    visit's live lines (uploaded or settled, by id, with `setl_id`); refused when the visit or batch has an
    active settlement and nothing left to settle."""
    live = list(live)
    if chrg_bchno is None:
        rows = [row for row in live if row.status == UPLOADED]
        after_interim = len(rows) < len(live)
        scope = live
    else:
        scope = [row for row in live if row.chrg_bchno == chrg_bchno]
        rows = [row for row in scope if row.status == UPLOADED]
        after_interim = False
    if not rows:
        active = next((row.setl_id for row in scope if row.status == SETTLED and row.setl_id), None)
        if active:
            what = f"收费批次{chrg_bchno}" if chrg_bchno is not None else f"就诊（{mdtrt_id}）"
            raise Conflict("chrg_bchno" if chrg_bchno is not None else "mdtrt_id",
                           f"该{what}已有有效结算{active}，如需重新结算请先撤销。", "already_settled")
    return billable_of(rows, "chrg_bchno" if chrg_bchno is not None else "mdtrt_id", after_interim)
