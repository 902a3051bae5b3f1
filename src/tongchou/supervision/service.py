"""The supervision shell over the store: findings, cases (with their postings, suspensions and
agreement actions), and the reads the settlement hook needs. One transaction per call."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tongchou.ledger.book import record
from tongchou.ledger.postings import PostingError
from tongchou.money import Fen
from tongchou.store import models as m
from tongchou.store.uow import Store
from tongchou.supervision import cases as wf
from tongchou.supervision import models as sv
from tongchou.supervision.errors import SupervisionError
from tongchou.supervision.findings import Finding
from tongchou.supervision.postings import (
    BANK, RECOVERY_RECEIVABLE, TREASURY_FINES, PaidSettlement, Share, allocate, fine_due_entry, fine_receipt_entry,
    fine_remit_entry, recoverable, recovery_due_entry, recovery_receipt_entry,
)


def _insert_ignore(session: Session, table, rows: list[dict]) -> None:
    if not rows:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(module.insert(table).on_conflict_do_nothing(), rows)


# ---------------------------------------------------------------- findings

def save_findings(store: Store, findings: Iterable[Finding], *, source: str, rules: str, counts: dict | None = None,
                  skipped: dict | None = None, found_on: dt.date | None = None) -> tuple[int, int]:
    """Record a run and its findings; a finding already recorded (same key) is not added again.
    Returns (run id, findings added)."""
    found_on = found_on or dt.date.today()
    rows = [{
        "finding_key": f.key, "rule_id": f.rule_id, "rule_name": f.rule_name, "severity": f.severity, "stage": f.stage,
        "blocking": f.blocking, "setl_id": f.setl_id, "related_setl_ids": list(f.related_setl_ids), "psn_no": f.psn_no,
        "fixmedins_code": f.fixmedins_code, "doctor_code": f.doctor_code, "feedetl_sns": list(f.feedetl_sns),
        "county": f.county, "amount": f.amount, "message": f.message, "evidence": dict(f.evidence),
        "found_on": found_on} for f in findings]

    def work(session: Session) -> tuple[int, int]:
        run = sv.ScreeningRun(source=source, rules=rules, counts=counts or {}, skipped=skipped or {})
        session.add(run)
        session.flush()
        before = session.execute(select(func.count()).select_from(sv.FindingRow)).scalar_one()
        for start in range(0, len(rows), 1000):
            _insert_ignore(session, sv.FindingRow.__table__, [{**r, "run_id": run.id} for r in rows[start:start + 1000]])
        after = session.execute(select(func.count()).select_from(sv.FindingRow)).scalar_one()
        return run.id, int(after - before)
    return store.transaction(work)


# ---------------------------------------------------------------- cases

@dataclass(frozen=True)
class CaseView:
    case: wf.Case
    finding_ids: tuple[int, ...]
    setl_ids: tuple[str, ...]


class CaseService:
    def __init__(self, store: Store, config: wf.CaseConfig | None = None):
        self.store = store
        self.config = config or wf.load_case_config()

    # -------------------------------------------------- reading

    def _load(self, session: Session, case_no: str, lock: bool = False) -> tuple[sv.CaseRow, wf.Case]:
        query = select(sv.CaseRow).where(sv.CaseRow.case_no == case_no)
        row = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        if row is None:
            raise SupervisionError("case_no", f"案件{case_no}不存在。")
        events = session.execute(select(sv.CaseEventRow).where(sv.CaseEventRow.case_id == row.id)
                                 .order_by(sv.CaseEventRow.seq)).scalars().all()
        case = wf.replay(self.config, row.case_no, row.subject_kind, row.subject_id, row.county, row.amount_at_issue,
                         [wf.Event(e.kind, e.on, dict(e.data), e.actor, e.text) for e in events])
        return row, case

    def _findings(self, session: Session, case_id: int) -> list[sv.FindingRow]:
        return list(session.execute(select(sv.FindingRow).join(
            sv.CaseFindingRow, sv.CaseFindingRow.finding_id == sv.FindingRow.id).where(
            sv.CaseFindingRow.case_id == case_id).order_by(sv.FindingRow.id)).scalars())

    def get(self, case_no: str) -> CaseView:
        def work(session: Session) -> CaseView:
            row, case = self._load(session, case_no)
            found = self._findings(session, row.id)
            return CaseView(case, tuple(f.id for f in found), _setl_ids(found))
        return self.store.read(work)

    def list(self, state: str | None = None, today: dt.date | None = None) -> list[wf.Case]:
        def work(session: Session) -> list[wf.Case]:
            numbers = session.execute(select(sv.CaseRow.case_no).order_by(sv.CaseRow.id)).scalars().all()
            out = [self._load(session, n)[1] for n in numbers]
            return [c for c in out if state is None or c.state == state]
        return self.store.read(work)

    # -------------------------------------------------- steps

    def _append(self, session: Session, row: sv.CaseRow, case: wf.Case) -> None:
        event = case.events[-1]
        session.add(sv.CaseEventRow(case_id=row.id, seq=len(case.events), kind=event.kind, on=event.on,
                                    actor=event.actor, data=_jsonable(event.data), text=event.text))

    def open(self, finding_ids: list[int], subject_kind: str, subject_id: str | None = None, *, on: dt.date,
             actor: str = "") -> wf.Case:
        """A case over findings (all of one subject); the subject defaults to the findings' institution or person."""
        if not finding_ids:
            raise SupervisionError("finding_ids", "立案至少需要一条疑点。")

        def work(session: Session) -> wf.Case:
            found = session.execute(select(sv.FindingRow).where(sv.FindingRow.id.in_(finding_ids))).scalars().all()
            missing = sorted(set(finding_ids) - {f.id for f in found})
            if missing:
                raise SupervisionError("finding_ids", f"疑点{missing}不存在。")
            taken = session.execute(select(sv.CaseFindingRow.finding_id).where(
                sv.CaseFindingRow.finding_id.in_(finding_ids))).scalars().all()
            if taken:
                raise SupervisionError("finding_ids", f"疑点{sorted(taken)}已在其他案件中。")
            subject = subject_id or _subject_of(found, subject_kind)
            county = _county_of(session, subject_kind, subject, found)
            number = session.execute(select(func.count()).select_from(sv.CaseRow)).scalar_one() + 1
            case_no = f"{self.config.case_no_prefix}{on:%Y%m%d}{number:05d}"
            amount = sum(f.amount for f in found)
            case = wf.open_case(self.config, case_no, subject_kind, subject, county, amount, on, len(found), actor)
            row = sv.CaseRow(case_no=case_no, subject_kind=subject_kind, subject_id=subject, county=county,
                             amount_at_issue=amount, opened_on=on)
            session.add(row)
            session.flush()
            session.add_all([sv.CaseFindingRow(case_id=row.id, finding_id=f.id) for f in found])
            self._append(session, row, case)
            return case
        return self.store.transaction(work)

    def review(self, case_no: str, *, on: dt.date, violation: bool, text: str = "", actor: str = "") -> wf.Case:
        return self._step(case_no, lambda case: wf.review(self.config, case, on, violation, text, actor))

    def appeal(self, case_no: str, *, on: dt.date, text: str, actor: str = "") -> wf.Case:
        return self._step(case_no, lambda case: wf.appeal(self.config, case, on, text, actor))

    def _step(self, case_no: str, step) -> wf.Case:
        def work(session: Session) -> wf.Case:
            row, case = self._load(session, case_no, lock=True)
            case = step(case)
            self._append(session, row, case)
            return case
        return self.store.transaction(work)

    def decide(self, case_no: str, *, on: dt.date, recover: Fen = 0, dismiss: bool = False, fraud: bool = False,
               fine_multiple: str | None = None, suspend_benefits: bool = False, agreement: str | None = None,
               fund: str | None = None, text: str = "", actor: str = "") -> wf.Case:
        """The decision; a recovery posts what the debtor owes to each fund that paid, a fine what it owes the
        treasury; the person's benefits or the institution's agreement are suspended as decided."""
        def work(session: Session) -> wf.Case:
            row, case = self._load(session, case_no, lock=True)
            case = wf.decide(self.config, case, on, recover=recover, dismiss=dismiss, fraud=fraud,
                             fine_multiple=fine_multiple, suspend_benefits=suspend_benefits, agreement=agreement,
                             text=text, actor=actor)
            self._append(session, row, case)
            decision = case.decision
            if decision is None or decision.outcome != "recover":
                return case
            shares = self._shares(session, row, decision.recover, fund)
            try:
                record(session, recovery_due_entry(case_no, case.subject_id, on, shares, case.county))
                if decision.fine:
                    record(session, fine_due_entry(case_no, case.subject_id, case.county, on, decision.fine))
            except PostingError as exc:
                raise SupervisionError(exc.field, str(exc)) from None
            if decision.suspend_benefits:
                session.add(sv.BenefitSuspensionRow(
                    psn_no=case.subject_id, kind="suspend", valid_from=on, valid_to=dt.date(on.year, 12, 31),
                    case_no=case_no, reason=f"欺诈骗保（案件{case_no}），取消{on.year}年度剩余医保待遇"))
            if decision.agreement:
                institution = session.get(m.Institution, case.subject_id, with_for_update=True)
                if institution is None:
                    raise SupervisionError("subject_id", f"定点医药机构{case.subject_id}不在库中，不能处理其协议。")
                institution.agreement_status = decision.agreement
                session.add(sv.AgreementActionRow(fixmedins_code=case.subject_id, action=decision.agreement, on=on,
                                                  case_no=case_no, reason=case.events[-1].text))
            return case
        return self.store.transaction(work)

    def _shares(self, session: Session, row: sv.CaseRow, amount: Fen, fund: str | None) -> list[Share]:
        setl_ids = _setl_ids(self._findings(session, row.id))
        cancelled = set(session.execute(select(m.SettlementCancellation.setl_id).where(
            m.SettlementCancellation.setl_id.in_(setl_ids))).scalars())
        rows = session.execute(select(m.Settlement).where(m.Settlement.setl_id.in_(setl_ids))
                               .order_by(m.Settlement.setl_id)).scalars().all()
        paid = [PaidSettlement(r.setl_id, r.insutype, r.med_type, r.county,
                               {name: getattr(r, name) for name in ("hifp_pay", "hifob_pay", "cvlserv_pay", "hifes_pay",
                                                                    "hifmi_pay", "maf_pay", "oth_pay")},
                               r.hifmi_insurer) for r in rows if r.setl_id not in cancelled]
        pools = recoverable(paid)
        if not pools:
            if not fund:
                raise SupervisionError("fund", f"案件{row.case_no}的结算{list(setl_ids)}不在库中（或基金未支付），"
                                               f"无法确定追回到哪个基金：请指定基金（--fund）。")
            return [Share(fund, row.county, amount, "", "fund")]
        try:
            return allocate(amount, pools, "recover")
        except PostingError as exc:
            raise SupervisionError(exc.field, str(exc)) from None

    def receive(self, case_no: str, *, on: dt.date, kind: str, amount: Fen, actor: str = "") -> wf.Case:
        """Money received from the debtor: the recovery back into the funds' banks, or the fine (for the treasury)."""
        def work(session: Session) -> wf.Case:
            row, case = self._load(session, case_no, lock=True)
            case = wf.receipt(self.config, case, on, kind, amount, actor)
            self._append(session, row, case)
            cause_id = f"{case_no}#{len(case.events)}"
            if kind == "recovery":
                owed = outstanding_recovery(session, case.subject_id, case_no)
                record(session, recovery_receipt_entry(cause_id, case.subject_id, on, owed, amount, case.county))
            else:
                record(session, fine_receipt_entry(cause_id, case.subject_id, case.county, on, amount))
            return case
        return self.store.transaction(work)


    def remit_fines(self, county: str, *, on: dt.date) -> Fen:
        """Pay the fines collected in the county over to the treasury (罚没款上缴国库): all that the
        treasury-fines books hold in the bank. Returns the amount paid over (0: nothing was held)."""
        def work(session: Session) -> Fen:
            held = fines_held(session, county)
            if held > 0:
                earlier = session.scalar(select(func.count()).select_from(m.JournalEntry).where(
                    m.JournalEntry.cause_type == "fine_remit", m.JournalEntry.county == county))
                record(session, fine_remit_entry(f"{county}#{earlier + 1}", county, on, held))
            return held
        return self.store.transaction(work)


def fines_held(session: Session, county: str) -> Fen:
    """The fines received in the county and not yet paid over (the treasury-fines books' bank balance)."""
    debit, credit = session.execute(select(func.coalesce(func.sum(m.Posting.debit), 0),
                                           func.coalesce(func.sum(m.Posting.credit), 0)).where(
        m.Posting.fund == str(TREASURY_FINES), m.Posting.title == str(BANK), m.Posting.county == county)).one()
    return int(debit) - int(credit)


def outstanding_recovery(session: Session, debtor: str, case_no: str) -> dict[tuple[str, str], Fen]:
    """What the debtor still owes each fund and county on recoveries (debits − credits of its receivable)."""
    rows = session.execute(
        select(m.Posting.fund, m.Posting.county, func.sum(m.Posting.debit) - func.sum(m.Posting.credit))
        .where(m.Posting.title == str(RECOVERY_RECEIVABLE), m.Posting.party == debtor)
        .group_by(m.Posting.fund, m.Posting.county)).all()
    return {(fund, county): int(balance) for fund, county, balance in rows if int(balance) > 0}


def _setl_ids(found: Iterable[sv.FindingRow]) -> tuple[str, ...]:
    out: set[str] = set()
    for f in found:
        if f.setl_id:
            out.add(f.setl_id)
        out.update(s for s in (f.related_setl_ids or []) if s)
    return tuple(sorted(out))


def _subject_of(found: list[sv.FindingRow], kind: str) -> str:
    attr = {"institution": "fixmedins_code", "person": "psn_no", "doctor": "doctor_code"}.get(kind)
    if attr is None:
        raise SupervisionError("subject_kind", f"案件对象类型应为 institution、person 或 doctor，而不是 {kind!r}。")
    values = {getattr(f, attr) for f in found} - {None}
    if len(values) != 1:
        raise SupervisionError("subject_id", f"所选疑点涉及{len(values)}个{wf.SUBJECT_NAMES[kind]}，请指定案件对象。")
    return values.pop()


def _county_of(session: Session, kind: str, subject: str, found: list[sv.FindingRow]) -> str:
    if kind == "institution":
        inst = session.get(m.Institution, subject)
        if inst is not None:
            return inst.county
    if kind == "person":
        person = session.get(m.Person, subject)
        if person is not None:
            return person.county
    counties = sorted({f.county for f in found if f.county})
    if not counties:
        raise SupervisionError("county", f"无法确定案件对象{subject}所属区县。")
    return counties[0]


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if not isinstance(v, (int, str, bool, type(None), list, dict, float)) else v)
            for k, v in data.items()}


# ---------------------------------------------------------------- suspensions (the settlement check)

_SUSPENSIONS = sv.BenefitSuspensionRow.__table__
_SUSPENSIONS_ON = select(_SUSPENSIONS).where(
    _SUSPENSIONS.c.psn_no == bindparam("psn_no"), _SUSPENSIONS.c.valid_from <= bindparam("day"),
    _SUSPENSIONS.c.valid_to >= bindparam("day")).order_by(_SUSPENSIONS.c.id)


def benefits_suspended(session: Session, psn_no: str, day: dt.date):
    """The suspension in force for the person on the day (the latest row covering it, unless it is a lift):
    its columns by name (psn_no, kind, valid_from, valid_to, reason, case_no …), or None. Every settlement asks,
    so it is one prepared statement."""
    rows = session.connection().execute(_SUSPENSIONS_ON, {"psn_no": psn_no, "day": day}).all()
    if not rows or rows[-1].kind == "lift":
        return None
    return rows[-1]
