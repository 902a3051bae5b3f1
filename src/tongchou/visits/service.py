"""The visit lifecycle against the store: load a visit and its fee lines, apply `visits.rules`, save.

Every function runs inside the caller's transaction (`Session`); the rules name the national field at fault.
The split of each uploaded line (the `result` record) comes from the catalogue in force on the day the fee
was incurred, as `SettlementService` splits it when settling.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import Session

from tongchou.store import models as m
from tongchou.store.cache import ReferenceCache
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.visits import rules
from tongchou.visits.rules import (
    ALL_LINES, CANCELLED, DISCHARGED, INPATIENT, OPEN, OUTPATIENT, SETTLED, UPLOADED, Billable, Description,
    DischargeInfo, Forbidden, Registration, UploadLine,
)

_VISITS = m.ApiVisit.__table__
_FEES = m.ApiFee.__table__
_INSERT_VISIT = _VISITS.insert().returning(_VISITS.c.id)
_PERSON_ENROLLED = select(m.Person.county, exists().where(
    m.Enrolment.psn_no == m.Person.psn_no, m.Enrolment.insutype == bindparam("insutype")).label("enrolled")
).where(m.Person.psn_no == bindparam("psn_no"))


def person_or_refuse(session: Session, psn_no: str, field: str = "psn_no") -> m.Person:
    person = session.get(m.Person, psn_no)
    if person is None:
        raise NotFound(field, f"参保人{psn_no}不存在。")
    return person


def register(session: Session, code: str, registration: Registration) -> m.ApiVisit:
    """2201 / 2401: a new visit of an enrolled person; one open admission per person and institution."""
    r = registration
    connection = session.connection()
    person = connection.execute(_PERSON_ENROLLED, {"psn_no": r.psn_no, "insutype": r.insutype}).first()
    open_admission = None
    if person is not None and person.enrolled and r.kind == INPATIENT:
        open_admission = session.execute(select(m.ApiVisit.mdtrt_id).where(
            m.ApiVisit.fixmedins_code == code, m.ApiVisit.psn_no == r.psn_no, m.ApiVisit.kind == INPATIENT,
            m.ApiVisit.status == OPEN)).scalar()
    check_registration(r, person, bool(person and person.enrolled), open_admission)
    values = registration_values(code, r, person.county)
    visit_id = connection.execute(_INSERT_VISIT, values).scalar_one()
    return m.ApiVisit(id=visit_id, **values)  # transient: the answer reads it, nothing writes it back


def check_registration(registration: Registration, person: Any | None, enrolled: bool,
                       open_admission: str | None) -> None:
    """2201 / 2401 against what the store has: the person, enrolled in the scheme; one open admission per person
    and institution (`open_admission`: the mdtrt_id of one, or None)."""
    r = registration
    if person is None:
        raise NotFound("psn_no", f"参保人{r.psn_no}不存在。")
    if not enrolled:
        raise Refused("insutype", f"参保人{r.psn_no}未参加险种{r.insutype}。", "not_enrolled")
    if r.kind == INPATIENT and open_admission:
        raise Conflict(r.number_field, f"参保人{r.psn_no}在本院已有未出院的住院登记（就诊ID {open_admission}）。",
                       "already_admitted")


def registration_values(code: str, r: Registration, county: str) -> dict[str, Any]:
    """The new visit's row (a new mdtrt_id)."""
    return dict(fixmedins_code=code, mdtrt_id=rules.new_mdtrt_id(), psn_no=r.psn_no, insutype=r.insutype,
                kind=r.kind, med_type=r.med_type, ipt_otp_no=r.ipt_otp_no, begntime=r.begntime,
                dise_codg=r.dise_codg, dise_name=r.dise_name, diag_code=r.diag_code, oprn_code=r.oprn_code,
                status=OPEN, diagnoses=list(r.diagnoses), info=r.info, county=county)


def visit_of(session: Session, code: str, mdtrt_id: str, psn_no: str | None = None, *,
             lock: bool = False) -> m.ApiVisit:
    """The institution's visit; a visit id of another institution is Forbidden, not "not found"."""
    query = select(m.ApiVisit).where(m.ApiVisit.mdtrt_id == mdtrt_id)
    if lock:
        query = query.with_for_update()
    return _own_visit(session.execute(query).scalars().all(), code, mdtrt_id, psn_no)


_VISIT_FACTS = select(*(c for c in _VISITS.c if c.name not in ("info", "diagnoses"))).where(
    _VISITS.c.mdtrt_id == bindparam("mdtrt_id"))
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


def describe_outpatient(visit: m.ApiVisit, description: Description) -> None:
    """2203: the visit's medical category, disease and diagnoses (the main one kept for DIP)."""
    rules.check_describe(visit)
    d = description
    visit.med_type, visit.begntime = d.med_type, d.begntime
    visit.dise_codg, visit.dise_name = d.dise_codg, d.dise_name
    visit.diagnoses = list(d.diagnoses)
    visit.diag_code = rules.main_diagnosis(d.diagnoses)
    visit.info = {**visit.info, "2203": d.info}


def cancel_registration(session: Session, visit: m.ApiVisit) -> None:
    """2202 / 2404: a visit with no active settlement is cancelled, with its unsettled fee lines."""
    rules.check_cancel_registration(visit, _has_settled_lines(session, visit))
    session.execute(update(m.ApiFee).where(m.ApiFee.visit_id == visit.id, m.ApiFee.status == UPLOADED)
                    .values(status=CANCELLED))
    visit.status = CANCELLED


def discharge(session: Session, visit: m.ApiVisit, info: DischargeInfo) -> None:
    """2402. The discharge's main diagnosis and procedure replace the admission's (they are final). After a
    final settlement that discharged the stay itself (no 2402 before it), the diagnoses are recorded."""
    rules.check_discharge(visit, info, _settled_discharge_day(session, visit))
    visit.status = DISCHARGED
    visit.endtime = info.endtime
    if info.dise_codg:
        visit.dise_codg, visit.dise_name = info.dise_codg, info.dise_name
    if info.diagnoses:
        visit.diagnoses = list(info.diagnoses)
    visit.diag_code = info.diag_code or visit.diag_code
    visit.oprn_code = info.oprn_code or visit.oprn_code
    visit.info = {**visit.info, "2402": info.info}


def _settled_discharge_day(session: Session, visit: m.ApiVisit) -> dt.date | None:
    """The discharge day a final settlement gave a stay that had no 2402 (None otherwise)."""
    if visit.status != DISCHARGED or "2402" in (visit.info or {}) or visit.endtime is None:
        return None
    return visit.endtime.date() if _has_settled_lines(session, visit) else None


def cancel_discharge(session: Session, visit: m.ApiVisit) -> None:
    """2405: back to in hospital, unless the admission is settled."""
    rules.check_cancel_discharge(visit, _has_settled_lines(session, visit))
    visit.status = OPEN
    visit.endtime = None


def _has_settled_lines(session: Session, visit: m.ApiVisit) -> bool:
    return session.execute(select(m.ApiFee.id).where(m.ApiFee.visit_id == visit.id, m.ApiFee.status == SETTLED)
                           .limit(1)).first() is not None


# ---------------------------------------------------------------- fee lines

_FEE_FACTS = select(*(_FEES.c[name] for name in (
    "id", "feedetl_sn", "init_feedetl_sn", "chrg_bchno", "code", "cnt", "pric", "amount", "restriction_met",
    "status", "fee_ocur_time", "setl_id")))
_FEES_OF_VISIT = _FEE_FACTS.where(_FEES.c.visit_id == bindparam("visit_id")).order_by(_FEES.c.id)
_LIVE_OF_VISIT = _FEES_OF_VISIT.where(_FEES.c.status.in_((UPLOADED, SETTLED)))


def upload_fees(session: Session, visit: Any, lines: list[UploadLine], references: ReferenceCache,
                tolerance: Decimal = rules.LINE_TOLERANCE) -> list[dict[str, Any]]:
    """2204 / 2301: store the lines and return their `result` records."""
    existing = session.connection().execute(_FEES_OF_VISIT, {"visit_id": visit.id}).all()
    rows, results, disease = upload_plan(
        visit, lines, existing, lambda codes, day: references.catalogue_in_force(session, codes, day), tolerance)
    connection = session.connection()
    connection.execute(_FEES.insert(), rows)
    if disease:
        connection.execute(update(_VISITS).where(_VISITS.c.id == visit.id).values(dise_codg=disease))
    return results


def upload_plan(visit: Any, lines: list[UploadLine], existing_rows: Any, catalogue_on: Any,
                tolerance: Decimal = rules.LINE_TOLERANCE
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str | None]:
    """2204 / 2301 from what the store has: the visit, its lines so far (every status, by id) and
    `catalogue_on(codes, day)` (the catalogue rows in force); the rows to insert, their `result` records and the
    disease code an outpatient visit takes from its first lines (None: unchanged)."""
    rules.require_open(visit)
    existing = {row.feedetl_sn: row for row in existing_rows}
    if visit.kind == INPATIENT and visit.status == DISCHARGED and any(
            row.status == SETTLED for row in existing.values()):
        raise Refused("mdtrt_id", f"就诊ID {visit.mdtrt_id} 已结算，不能再上传费用。", "settled")
    for index, line in enumerate(lines):
        rules.check_line_total(line, index, tolerance)
    rules.check_batches(visit.kind, lines, existing)
    days = {line.fee_ocur_time.date() for line in lines}
    codes = {line.code for line in lines}
    catalogue = {(code, day): entry for day in days for code, entry in catalogue_on(codes, day).items()}
    rows, results = [], []
    for index, line in enumerate(lines):
        rules.check_new_serial(line, index, existing, (r["feedetl_sn"] for r in rows))
        original = rules.refunded_line(existing, line, index) if line.refund else None
        result = rules.fee_result(line, rules.entry_for(catalogue, line, index), refunded=original)
        rows.append({"visit_id": visit.id, "feedetl_sn": line.feedetl_sn, "init_feedetl_sn": line.init_feedetl_sn,
                     "chrg_bchno": line.chrg_bchno, "code": line.code, "cnt": line.cnt, "pric": line.pric,
                     "amount": line.amount, "restriction_met": rules.restriction_met(line.hosp_appr_flag),
                     "fee_ocur_time": line.fee_ocur_time, "status": UPLOADED, "setl_id": None, "result": result,
                     "detail": line.detail})
        results.append(result)
    disease = next((line.dise_codg for line in lines if line.dise_codg), None)
    return rows, results, disease if visit.kind == OUTPATIENT and not visit.dise_codg and disease else None


def cancel_fees(session: Session, visit: m.ApiVisit, *, chrg_bchno: str | None = None,
                feedetl_sn: str | None = None) -> int:
    """2205 (a charge batch, or "0000" for all) / 2302 (a line, or "0000" for all): unsettled lines only."""
    rules.require_open(visit)
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

def billable(session: Session, visit: Any, chrg_bchno: str | None) -> Billable:
    """The unsettled lines of the visit (inpatient) or of a charge batch (outpatient)."""
    return rules.billable_from(session.connection().execute(_LIVE_OF_VISIT, {"visit_id": visit.id}).all(),
                               visit.mdtrt_id, chrg_bchno)


_MARK_SETTLED = update(_FEES).where(_FEES.c.id.in_(bindparam("ids", expanding=True)), _FEES.c.status == UPLOADED
                                    ).values(status=SETTLED, setl_id=bindparam("setl_id"))


def mark_settled(session: Session, fee_ids: tuple[int, ...], setl_id: str) -> None:
    """The lines a settlement was made of; refused (rolled back) when they changed meanwhile."""
    changed = session.connection().execute(_MARK_SETTLED, {"ids": list(fee_ids), "setl_id": setl_id}).rowcount
    if changed != len(fee_ids):
        raise Conflict("mdtrt_id", "结算期间费用明细发生了变化，请重新结算。", "fees_changed")


_CLOSE_ADMISSION = update(_VISITS).where(_VISITS.c.id == bindparam("visit_id"), _VISITS.c.status == OPEN
                                         ).values(status=DISCHARGED, endtime=bindparam("endtime"))


def close_admission(session: Session, visit_id: int, day: dt.date) -> None:
    """A final inpatient settlement without 2402: the stay is discharged on the settlement's end date (a later
    2402 of that day records the discharge diagnoses)."""
    session.connection().execute(_CLOSE_ADMISSION, {"visit_id": visit_id,
                                                    "endtime": dt.datetime.combine(day, dt.time())})


def mark_unsettled(session: Session, setl_id: str) -> None:
    """After a cancellation or reversal: the lines may be settled again or cancelled; a stay that only the
    settlement discharged (no 2402) is in hospital again."""
    visit_ids = session.execute(select(_FEES.c.visit_id).where(_FEES.c.setl_id == setl_id).distinct()).scalars().all()
    session.execute(update(_FEES).where(_FEES.c.setl_id == setl_id, _FEES.c.status == SETTLED)
                    .values(status=UPLOADED, setl_id=None))
    for visit in session.execute(select(m.ApiVisit).where(m.ApiVisit.id.in_(visit_ids),
                                                          m.ApiVisit.status == DISCHARGED)).scalars():
        if "2402" not in (visit.info or {}):
            visit.status, visit.endtime = OPEN, None
