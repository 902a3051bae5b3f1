"""Visits and fee details of the institution API (the service behind 2201–2205, 2301–2302, 2401–2405).

A visit is registered (2201 outpatient, 2401 admission), described (2203 / the admission itself),
given fee lines (2204, 2301; refunds in 2301 are negative lines that name the refunded line),
settled through `SettlementService`, and cancelled. Every function runs inside the caller's
transaction (`Session`) and names the national field at fault in a `ServiceError`.

The split of each uploaded line (the `result` record) comes from the catalogue in force on the day
the fee was incurred, as `SettlementService` splits it when settling.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from tongchou.enrolment.rules import date_text
from tongchou.money import fen_to_decimal
from tongchou.settlement.model import Item
from tongchou.settlement.service import INPATIENT_MED_TYPES, FeeLine
from tongchou.settlement.split import SplitError, split_item
from tongchou.store import models as m
from tongchou.store.cache import ReferenceCache
from tongchou.store.errors import Conflict, InvalidRequest, NotFound, Refused

ALL_LINES = "0000"  # chrg_bchno / feedetl_sn that cancels every unsettled line
CHRGITM_LV = {"A": "01", "B": "02", "C": "03"}
OPEN, CANCELLED, DISCHARGED = "open", "cancelled", "discharged"
UPLOADED, SETTLED = "uploaded", "settled"
MAIN_DIAGNOSIS = "1"  # diseinfo maindiag_flag of the main diagnosis


class Forbidden(Exception):
    """The visit or settlement belongs to another institution (HTTP 403)."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(field)


def new_mdtrt_id(code: str) -> str:
    """A visit id (C30): 'MD' + yyyyMMdd + 20 hex characters."""
    return f"MD{dt.date.today():%Y%m%d}{uuid.uuid4().hex[:20]}"


def setl_id_for(code: str, msgid: str) -> str:
    """The settlement id of a message, the same on every retry of it (C30)."""
    return "ST" + hashlib.sha256(f"{code}|{msgid}".encode()).hexdigest()[:26]


# ---------------------------------------------------------------- visits

def person_or_refuse(session: Session, psn_no: str, field: str = "psn_no") -> m.Person:
    person = session.get(m.Person, psn_no)
    if person is None:
        raise NotFound(field, f"参保人{psn_no}不存在。")
    return person


_INSERT_VISIT = m.ApiVisit.__table__.insert().returning(m.ApiVisit.__table__.c.id)
_PERSON_ENROLLED = select(m.Person.county, exists().where(
    m.Enrolment.psn_no == m.Person.psn_no, m.Enrolment.insutype == bindparam("insutype")).label("enrolled")
).where(m.Person.psn_no == bindparam("psn_no"))


def register(session: Session, code: str, *, psn_no: str, insutype: str, kind: str, med_type: str | None,
             ipt_otp_no: str, begntime: dt.datetime, info: dict[str, Any], diagnoses: list[dict[str, Any]] = (),
             dise_codg: str | None = None, dise_name: str | None = None, mdtrt_id: str | None = None,
             diag_code: str | None = None, oprn_code: str | None = None) -> m.ApiVisit:
    connection = session.connection()
    person = connection.execute(_PERSON_ENROLLED, {"psn_no": psn_no, "insutype": insutype}).first()
    if person is None:
        raise NotFound("psn_no", f"参保人{psn_no}不存在。")
    if not person.enrolled:
        raise Refused("insutype", f"参保人{psn_no}未参加险种{insutype}。", "not_enrolled")
    field = "ipt_no" if kind == "inpatient" else "ipt_otp_no"
    if kind == "inpatient":
        open_admission = session.execute(select(m.ApiVisit.mdtrt_id).where(
            m.ApiVisit.fixmedins_code == code, m.ApiVisit.psn_no == psn_no, m.ApiVisit.kind == "inpatient",
            m.ApiVisit.status == OPEN)).first()
        if open_admission:
            raise Conflict(field, f"参保人{psn_no}在本院已有未出院的住院登记（就诊ID {open_admission[0]}）。",
                           "already_admitted")
    values = dict(fixmedins_code=code, mdtrt_id=mdtrt_id or new_mdtrt_id(code), psn_no=psn_no,
                  insutype=insutype, kind=kind, med_type=med_type, ipt_otp_no=ipt_otp_no, begntime=begntime,
                  dise_codg=dise_codg, dise_name=dise_name, diag_code=diag_code, oprn_code=oprn_code,
                  status=OPEN, diagnoses=list(diagnoses), info=info, county=person.county)
    visit_id = connection.execute(_INSERT_VISIT, values).scalar_one()
    return m.ApiVisit(id=visit_id, **values)  # transient: the answer reads it, nothing writes it back


def visit_of(session: Session, code: str, mdtrt_id: str, psn_no: str | None = None, *,
             lock: bool = False) -> m.ApiVisit:
    """The institution's visit; a visit id of another institution is Forbidden, not "not found"."""
    query = select(m.ApiVisit).where(m.ApiVisit.mdtrt_id == mdtrt_id)
    if lock:
        query = query.with_for_update()
    return _own_visit(session.execute(query).scalars().all(), code, mdtrt_id, psn_no)


_VISIT_TABLE = m.ApiVisit.__table__
_VISIT_FACTS = select(*(c for c in _VISIT_TABLE.c if c.name not in ("info", "diagnoses"))).where(
    _VISIT_TABLE.c.mdtrt_id == bindparam("mdtrt_id"))
_VISIT_FACTS_LOCKED = _VISIT_FACTS.with_for_update()


def visit_facts(session: Session, code: str, mdtrt_id: str, psn_no: str | None = None, *, lock: bool = False):
    """`visit_of` without the national fields as sent (`info`, `diagnoses`), for reading only: the columns by
    name. Settling and uploading fees read it; the handlers that change a visit use `visit_of`."""
    query = _VISIT_FACTS_LOCKED if lock else _VISIT_FACTS
    return _own_visit(session.connection().execute(query, {"mdtrt_id": mdtrt_id}).all(), code, mdtrt_id, psn_no)


def _own_visit(visits, code: str, mdtrt_id: str, psn_no: str | None):
    own = [v for v in visits if v.fixmedins_code == code]
    if not own:
        if visits:
            raise Forbidden("mdtrt_id")
        raise NotFound("mdtrt_id", f"就诊ID {mdtrt_id} 不存在。")
    visit = own[0]
    if psn_no is not None and visit.psn_no != psn_no:
        raise InvalidRequest("psn_no", f"就诊ID {mdtrt_id} 不属于参保人{psn_no}。", "visit_of_other_person")
    return visit


def require_open(visit: m.ApiVisit, field: str = "mdtrt_id") -> None:
    if visit.status == CANCELLED:
        raise Refused(field, f"就诊ID {visit.mdtrt_id} 已撤销。", "visit_cancelled")


def main_diagnosis(diagnoses: list[dict[str, Any]]) -> str | None:
    """The code of the diagnosis flagged main (maindiag_flag "1") in a diseinfo list, if any."""
    return next((d.get("diag_code") for d in diagnoses if d.get("maindiag_flag") == MAIN_DIAGNOSIS), None)


def describe_outpatient(session: Session, visit: m.ApiVisit, *, med_type: str, begntime: dt.datetime,
                        dise_codg: str | None, dise_name: str | None, diagnoses: list[dict[str, Any]],
                        info: dict[str, Any]) -> None:
    """2203: the visit's medical category, disease and diagnoses (the main one kept for DIP)."""
    require_open(visit)
    if visit.kind != "outpatient":
        raise InvalidRequest("mdtrt_id", f"就诊ID {visit.mdtrt_id} 是住院登记，不能上传门诊就诊信息。")
    visit.med_type = med_type
    visit.begntime = begntime
    visit.dise_codg = dise_codg
    visit.dise_name = dise_name
    visit.diagnoses = diagnoses
    visit.diag_code = main_diagnosis(diagnoses)
    visit.info = {**visit.info, "2203": info}


def cancel_registration(session: Session, visit: m.ApiVisit) -> None:
    """2202 / 2404: a visit with no active settlement is cancelled, with its unsettled fee lines."""
    require_open(visit)
    if _has_settled_lines(session, visit):
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已有结算，请先撤销结算。", "settled")
    session.execute(update(m.ApiFee).where(m.ApiFee.visit_id == visit.id, m.ApiFee.status == UPLOADED)
                    .values(status=CANCELLED))
    visit.status = CANCELLED


def discharge(visit: m.ApiVisit, *, endtime: dt.datetime, dise_codg: str | None, dise_name: str | None,
              oprn_code: str | None, diagnoses: list[dict[str, Any]], info: dict[str, Any]) -> None:
    """2402. The discharge's main diagnosis and procedure replace the admission's (they are final)."""
    require_open(visit)
    if visit.kind != "inpatient":
        raise InvalidRequest("mdtrt_id", f"就诊ID {visit.mdtrt_id} 不是住院登记。")
    if visit.status == DISCHARGED:
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已办理出院。", "discharged")
    if endtime < visit.begntime:
        raise InvalidRequest("endtime", "出院时间早于入院时间。")
    visit.status = DISCHARGED
    visit.endtime = endtime
    if dise_codg:
        visit.dise_codg, visit.dise_name = dise_codg, dise_name
    if diagnoses:
        visit.diagnoses = diagnoses
    visit.diag_code = main_diagnosis(diagnoses) or visit.diag_code
    visit.oprn_code = oprn_code or visit.oprn_code
    visit.info = {**visit.info, "2402": info}


def cancel_discharge(session: Session, visit: m.ApiVisit) -> None:
    """2405: back to in hospital, unless the admission is settled."""
    if visit.status != DISCHARGED:
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 未办理出院。", "not_discharged")
    if _has_settled_lines(session, visit):
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已结算，请先撤销住院结算（2305）。", "settled")
    visit.status = OPEN
    visit.endtime = None


def _has_settled_lines(session: Session, visit: m.ApiVisit) -> bool:
    return session.execute(select(m.ApiFee.id).where(m.ApiFee.visit_id == visit.id, m.ApiFee.status == SETTLED)
                           .limit(1)).first() is not None


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
    detail: dict[str, Any]
    chrg_bchno: str | None = None
    init_feedetl_sn: str | None = None
    dise_codg: str | None = None


def restriction_met(hosp_appr_flag: str | None) -> bool:
    """A restricted-use item is reimbursable only with hospital approval flag 1 (2204's remark:
    0 or 2 = self-pay, 1 = reimbursable); without the flag it is self-paid."""
    return hosp_appr_flag == "1"


def upload_fees(session: Session, visit: m.ApiVisit, lines: list[UploadLine], references: ReferenceCache
                ) -> list[dict[str, Any]]:
    """2204 / 2301: store the lines and return their `result` records."""
    require_open(visit)
    if visit.kind == "inpatient" and visit.status == DISCHARGED and _has_settled_lines(session, visit):
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已结算，不能再上传费用。", "settled")
    existing = {row.feedetl_sn: row for row in session.connection().execute(_FEES_OF_VISIT, {"visit_id": visit.id})}
    _check_batches(visit, lines, existing)
    days = {line.fee_ocur_time.date() for line in lines}
    codes = {line.code for line in lines}
    catalogue = {(code, day): entry for day in days
                 for code, entry in references.catalogue_in_force(session, codes, day).items()}
    rows, results = [], []
    for index, line in enumerate(lines):
        if line.feedetl_sn in existing or any(r["feedetl_sn"] == line.feedetl_sn for r in rows):
            raise Conflict(f"feedetail[{index}].feedetl_sn", f"费用明细流水号{line.feedetl_sn}重复。", "duplicate_line")
        original = _refunded_line(existing, line, index) if line.amount < 0 or line.cnt < 0 else None
        entry = _entry_for(catalogue, line, index)
        result = fee_result(line, entry, refunded=original)
        rows.append({"visit_id": visit.id, "feedetl_sn": line.feedetl_sn, "init_feedetl_sn": line.init_feedetl_sn,
                     "chrg_bchno": line.chrg_bchno, "code": line.code, "cnt": line.cnt, "pric": line.pric,
                     "amount": line.amount, "restriction_met": restriction_met(line.hosp_appr_flag),
                     "fee_ocur_time": line.fee_ocur_time, "status": UPLOADED, "setl_id": None, "result": result,
                     "detail": line.detail})
        results.append(result)
    connection = session.connection()
    connection.execute(_FEES.insert(), rows)
    disease = next((line.dise_codg for line in lines if line.dise_codg), None)
    if visit.kind == "outpatient" and not visit.dise_codg and disease:
        connection.execute(update(_VISIT_TABLE).where(_VISIT_TABLE.c.id == visit.id).values(dise_codg=disease))
    return results


def _check_batches(visit: m.ApiVisit, lines: list[UploadLine], existing: dict[str, m.ApiFee]) -> None:
    """Outpatient: one disease code per charge batch; a settled batch takes no more lines."""
    if visit.kind != "outpatient":
        return
    for index, line in enumerate(lines):
        for row in existing.values():
            if row.chrg_bchno == line.chrg_bchno and row.status == SETTLED:
                raise Refused(f"feedetail[{index}].chrg_bchno", f"收费批次{line.chrg_bchno}已结算，不能再上传费用。",
                              "settled")
        codes = {other.dise_codg or "" for other in lines if other.chrg_bchno == line.chrg_bchno}
        if len(codes) > 1:
            raise InvalidRequest(f"feedetail[{index}].dise_codg", f"收费批次{line.chrg_bchno}只能对应一个病种编码。")
        if line.amount < 0 or line.cnt < 0:
            raise InvalidRequest(f"feedetail[{index}].cnt", "门诊费用明细的数量和金额不能为负数（退费请撤销明细后重传）。")


def _refunded_line(existing: dict[str, m.ApiFee], line: UploadLine, index: int) -> m.ApiFee:
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


def _entry_for(catalogue: dict, line: UploadLine, index: int) -> m.CatalogueItem:
    day = line.fee_ocur_time.date()
    entry = catalogue.get((line.code, day))
    if entry is None:
        raise InvalidRequest(f"feedetail[{index}].med_list_codg",
                             f"医疗目录编码{line.code}在{date_text(day)}不在医保目录内（或目录未生效）。", "unknown_item")
    return entry


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def fee_result(line: UploadLine, entry: m.CatalogueItem, refunded: m.ApiFee | None = None) -> dict[str, Any]:
    """The national fee result record of a line: its split by the catalogue (a refund line is split as
    the negative of the same split of its absolute amount)."""
    sign = -1 if line.amount < 0 else 1
    met = restriction_met(line.hosp_appr_flag) if entry.restriction else True
    item = Item(code=line.code, category=entry.category, amount=abs(line.amount), qty=abs(line.cnt) or None,
                price=line.pric, price_cap=_dec(entry.price_cap), selfpay_prop=_dec(entry.selfpay_prop),
                essential_drug=entry.essential_drug, restriction_met=met)
    try:
        part = split_item(item)
    except SplitError as exc:
        raise InvalidRequest("feedetail.med_list_codg", str(exc)) from None
    return {
        "feedetl_sn": line.feedetl_sn, "det_item_fee_sumamt": str(fen_to_decimal(line.amount)),
        "cnt": str(line.cnt), "pric": str(line.pric),
        "pric_uplmt_amt": str(entry.price_cap) if entry.price_cap is not None else "0",
        "selfpay_prop": str(_self_pay_prop(entry, met)),
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
        "memo": _memo(entry, met, refunded),
    }


def _self_pay_prop(entry: m.CatalogueItem, met: bool) -> Decimal:
    if entry.category == "C" or not met:
        return Decimal("1")
    return Decimal(str(entry.selfpay_prop)) if entry.category == "B" and entry.selfpay_prop is not None else Decimal(0)


def _memo(entry: m.CatalogueItem, met: bool, refunded: m.ApiFee | None) -> str:
    notes = []
    if entry.restriction and not met:
        notes.append(f"限定支付范围（{entry.restriction}）未经医院审批，按自费")
    if refunded is not None:
        notes.append(f"退费，冲减原明细{refunded.feedetl_sn}")
    return "；".join(notes)


def cancel_fees(session: Session, visit: m.ApiVisit, *, chrg_bchno: str | None = None,
                feedetl_sn: str | None = None) -> int:
    """2205 (a charge batch, or "0000" for all) / 2302 (a line, or "0000" for all): unsettled lines only."""
    require_open(visit)
    query = update(m.ApiFee).where(m.ApiFee.visit_id == visit.id, m.ApiFee.status == UPLOADED)
    field, value = ("chrg_bchno", chrg_bchno) if chrg_bchno is not None else ("feedetl_sn", feedetl_sn)
    if value != ALL_LINES:
        column = m.ApiFee.chrg_bchno if field == "chrg_bchno" else m.ApiFee.feedetl_sn
        query = query.where((column == value) | (m.ApiFee.init_feedetl_sn == value) if field == "feedetl_sn"
                            else column == value)
    count = session.execute(query.values(status=CANCELLED)).rowcount
    if count == 0 and value != ALL_LINES:
        raise NotFound(field, f"{'收费批次' if field == 'chrg_bchno' else '费用明细流水号'}{value}没有可撤销的未结算明细。")
    return count


# ---------------------------------------------------------------- settling

@dataclass(frozen=True)
class Billable:
    """What a settlement of a visit (or an outpatient charge batch) is made of."""

    fee_ids: tuple[int, ...]
    lines: tuple[FeeLine, ...]
    medfee_sumamt: int
    last_day: dt.date  # the day of the latest line
    after_interim: bool = False  # other lines of the visit are settled already (an interim settlement)


_FEES = m.ApiFee.__table__
_FEE_FACTS = select(*(_FEES.c[name] for name in (
    "id", "feedetl_sn", "init_feedetl_sn", "chrg_bchno", "code", "cnt", "pric", "amount", "restriction_met",
    "status", "fee_ocur_time")))
_FEES_OF_VISIT = _FEE_FACTS.where(_FEES.c.visit_id == bindparam("visit_id")).order_by(_FEES.c.id)
_UNSETTLED_OF_BATCH = _FEES_OF_VISIT.where(_FEES.c.status == UPLOADED, _FEES.c.chrg_bchno == bindparam("chrg_bchno"))
_LIVE_OF_VISIT = _FEES_OF_VISIT.where(_FEES.c.status.in_((UPLOADED, SETTLED)))


def billable(session: Session, visit: m.ApiVisit, chrg_bchno: str | None) -> Billable:
    """The unsettled lines, refunds netted into the lines they refund (docs/reference/settlement-rules.md §1)."""
    after_interim = False
    if chrg_bchno is None:
        lines = session.connection().execute(_LIVE_OF_VISIT, {"visit_id": visit.id}).all()
        rows = [row for row in lines if row.status == UPLOADED]
        after_interim = len(rows) < len(lines)
    else:
        rows = session.connection().execute(_UNSETTLED_OF_BATCH, {"visit_id": visit.id, "chrg_bchno": chrg_bchno}).all()
    if not rows:
        _refuse_if_settled(session, visit, chrg_bchno)
    return billable_of(rows, "chrg_bchno" if chrg_bchno is not None else "mdtrt_id", after_interim)


def _refuse_if_settled(session: Session, visit: m.ApiVisit, chrg_bchno: str | None) -> None:
    query = select(m.ApiFee.setl_id).where(m.ApiFee.visit_id == visit.id, m.ApiFee.status == SETTLED)
    if chrg_bchno is not None:
        query = query.where(m.ApiFee.chrg_bchno == chrg_bchno)
    active = session.execute(query.limit(1)).scalar()
    if active:
        what = f"收费批次{chrg_bchno}" if chrg_bchno is not None else f"就诊（{visit.mdtrt_id}）"
        raise Conflict("chrg_bchno" if chrg_bchno is not None else "mdtrt_id",
                       f"该{what}已有有效结算{active}，如需重新结算请先撤销。", "already_settled")


def billable_of(rows: Iterable[m.ApiFee], field: str, after_interim: bool = False) -> Billable:
    rows = list(rows)
    refunds: dict[str, list[m.ApiFee]] = {}
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


_MARK_SETTLED = update(_FEES).where(_FEES.c.id.in_(bindparam("ids", expanding=True)), _FEES.c.status == UPLOADED
                                    ).values(status=SETTLED, setl_id=bindparam("setl_id"))


def mark_settled(session: Session, fee_ids: tuple[int, ...], setl_id: str) -> None:
    """The lines a settlement was made of; refused (rolled back) when they changed meanwhile."""
    changed = session.connection().execute(_MARK_SETTLED, {"ids": list(fee_ids), "setl_id": setl_id}).rowcount
    if changed != len(fee_ids):
        raise Conflict("mdtrt_id", "结算期间费用明细发生了变化，请重新结算。", "fees_changed")


_CLOSE_ADMISSION = update(_VISIT_TABLE).where(_VISIT_TABLE.c.id == bindparam("visit_id"), _VISIT_TABLE.c.status == OPEN
                                              ).values(status=DISCHARGED, endtime=bindparam("endtime"))


def close_admission(session: Session, visit_id: int, day: dt.date) -> None:
    """A final inpatient settlement given the discharge date (dscgTime) without 2402: discharged then."""
    session.connection().execute(_CLOSE_ADMISSION, {"visit_id": visit_id,
                                                    "endtime": dt.datetime.combine(day, dt.time())})


def mark_unsettled(session: Session, setl_id: str) -> None:
    """After a cancellation: the lines may be settled again or cancelled."""
    session.execute(update(_FEES).where(_FEES.c.setl_id == setl_id, _FEES.c.status == SETTLED)
                    .values(status=UPLOADED, setl_id=None))


def is_inpatient(med_type: str) -> bool:
    return med_type in INPATIENT_MED_TYPES
