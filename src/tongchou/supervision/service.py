"""The supervision shell over the store — the one module of the package that touches it: findings, cases
(with their postings, suspensions and agreement actions), and supervision's implementation of settlement's
screening hook (`settlement.hooks.ScreeningHook`): benefits suspended by a fraud decision, and screening a
request before and while it is settled.

    hook = SupervisionHook(load_rules())
    SettlementService(store, registry, supervision=hook)         # and SettlementHistory(..., supervision=hook)
    hook.suspensions(session, psn_nos)     # the decisions adjudication refuses on (benefits_suspended)
    hook.review(session, req, person, items)   # raises Refused on a blocking finding; returns the warnings
    hook.screen(session, req, person, items)   # the pure screen_claim over store history

The request is read by attribute (psn_no, insutype, fixmedins_code, med_type, begndate, enddate,
dise_code, setl_id, items with code/qty/price/amount), so screening also serves requests that are not
the service's. History is the person's settlements in the store (not cancelled) whose
stay ends within `lookback_days` of the request, with the drugs bought on each, and the
registration time of API visits where there is one.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from tongchou.errors import Refused
from tongchou.ledger.postings import PostingError
from tongchou.ledger.service import record
from tongchou.money import Fen
from tongchou.settlement.adjudication import Suspension, check_suspension
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
from tongchou.supervision.rules import RuleBook
from tongchou.supervision.screening import ClaimContext, FeeLine, ItemLimits, PastVisit, PersonFacts, Screening, screen


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


def screen_stored(store: Store, start: dt.date, end: dt.date, *, source: str, found_on: dt.date,
                  reader: Store | None = None) -> int:
    """事后筛查: the settlements ending from `start` to `end` (read through `reader`, e.g. a county-scoped
    store; `store` by default) screened with the rule book; the findings are recorded. Returns how many
    findings were new."""
    from tongchou.store.export import claim_rows, write_parquet
    from tongchou.supervision.batch import Inputs, run_batch
    from tongchou.supervision.rules import load_rules

    book = load_rules()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "claims.parquet"
        (reader or store).read(lambda s: write_parquet(claim_rows(s, start, end), path))
        result = run_batch(book, Inputs(path))
    _run, added = save_findings(store, result.findings(), source=source, rules=book.name, counts=result.counts,
                                skipped=result.skipped, found_on=found_on)
    return added


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


# ---------------------------------------------------------------- the screening hook

DEFAULT_LOOKBACK_DAYS = 90


class SupervisionHook:
    def __init__(self, book: RuleBook, limits: Mapping[str, ItemLimits] | None = None,
                 lookback_days: int = DEFAULT_LOOKBACK_DAYS):
        self.book = book
        self.limits = dict(limits or {})
        self.lookback_days = lookback_days

    def suspensions(self, session: Session, psn_nos: Sequence[str]) -> dict[str, tuple[Suspension, ...]]:
        """Each person's suspensions and lifts, oldest first."""
        found: dict[str, list[Suspension]] = {}
        for start in range(0, len(psn_nos), 500):
            for row in session.connection().execute(_SUSPENSIONS_OF, {"psn_nos": list(psn_nos[start:start + 500])}):
                found.setdefault(row.psn_no, []).append(
                    Suspension(row.psn_no, row.kind, row.valid_from, row.valid_to, row.reason))
        return {psn_no: tuple(rows) for psn_no, rows in found.items()}

    def check_benefits(self, session: Session, psn_no: str, day: dt.date) -> None:
        check_suspension(self.suspensions(session, [psn_no]).get(psn_no, ()), day)

    def review(self, session: Session, req: Any, person: Any, items: Sequence[Any]) -> tuple[str, ...]:
        """The settlement service's screening of an adjudicated request: refuse on a blocking finding (Refused,
        naming the field), otherwise return the warnings for the institution (warn_msg)."""
        return _verdict(self.screen(session, req, person, items, begntime=getattr(req, "begntime", None)))

    def review_history(self, req: Any, person: Any, items: Sequence[Any], history: list[PastVisit]) -> tuple[str, ...]:
        """`review` with the person's history read by the caller (the API's hot path reads it in the same
        statement as the rest of the settlement's facts, with `past_visits`); the request carries `begntime`."""
        claim = self.claim_of(req, person, items, getattr(req, "begntime", None))
        return _verdict(screen(self.book, claim, history, ("pre", "during")))

    def screen(self, session: Session, req: Any, person: Any, items: Sequence[Any] = (), *,
               begntime: dt.datetime | None = None, stages: Iterable[str] = ("pre", "during")) -> Screening:
        if begntime is None:  # the API's registration time of the visit, when it came through the API
            visit = session.execute(select(m.ApiVisit.begntime).where(
                m.ApiVisit.fixmedins_code == req.fixmedins_code, m.ApiVisit.mdtrt_id == req.mdtrt_id)).first()
            begntime = visit[0] if visit else None
        claim = self.claim_of(req, person, items, begntime)
        history = history_from_store(session, req.psn_no, req.begndate, self.lookback_days,
                                     exclude=(req.fixmedins_code, req.mdtrt_id), book=self.book)
        return screen(self.book, claim, history, stages)

    def claim_of(self, req: Any, person: Any, items: Sequence[Any], begntime: dt.datetime | None) -> ClaimContext:
        lines = []
        for index, line in enumerate(req.items):
            item = items[index] if index < len(items) else None
            limits = self.limits.get(line.code)
            cap = getattr(item, "price_cap", None)
            if cap is not None:
                limits = ItemLimits(**{**(limits.__dict__ if limits else {}), "price_cap": Decimal(str(cap))})
            qty = Decimal(str(line.qty)) if line.qty is not None else Decimal(1)
            price = Decimal(str(line.price)) if line.price is not None else Decimal(line.amount) / 100 / qty
            lines.append(FeeLine(code=line.code, qty=qty, price=price, amount=line.amount,
                                 time=getattr(line, "time", None), feedetl_sn=getattr(line, "feedetl_sn", None),
                                 name=getattr(line, "name", "") or "", limits=limits))
        facts = PersonFacts(person.psn_no, getattr(person, "sex", None), getattr(person, "birth_date", None)) \
            if person is not None else None
        return ClaimContext(psn_no=req.psn_no, insutype=req.insutype, fixmedins_code=req.fixmedins_code,
                            med_type=req.med_type, begndate=req.begndate, enddate=req.enddate,
                            setl_id=getattr(req, "setl_id", None), begntime=begntime, dise_code=req.dise_code,
                            county=getattr(person, "county", None), person=facts, lines=tuple(lines),
                            medfee=sum(line.amount for line in req.items))


_SUSPENSION_TABLE = sv.BenefitSuspensionRow.__table__
_SUSPENSIONS_OF = select(_SUSPENSION_TABLE).where(
    _SUSPENSION_TABLE.c.psn_no.in_(bindparam("psn_nos", expanding=True))).order_by(_SUSPENSION_TABLE.c.id)
_SETTLEMENTS = m.Settlement.__table__
_HISTORY = select(*(_SETTLEMENTS.c[name] for name in (
    "setl_id", "fixmedins_code", "mdtrt_id", "med_type", "begndate", "enddate", "dise_code", "medfee_sumamt"))).where(
    _SETTLEMENTS.c.psn_no == bindparam("psn_no"), _SETTLEMENTS.c.enddate >= bindparam("since"),
    ~_SETTLEMENTS.c.setl_id.in_(select(m.SettlementCancellation.__table__.c.setl_id)))


_FEE_ITEMS = m.FeeItem.__table__
_DRUGS = select(_FEE_ITEMS.c.setl_id, _FEE_ITEMS.c.code).where(
    _FEE_ITEMS.c.setl_id.in_(bindparam("setl_ids", expanding=True)))
_API_VISITS = m.ApiVisit.__table__
_REGISTERED = select(_API_VISITS.c.fixmedins_code, _API_VISITS.c.mdtrt_id, _API_VISITS.c.begntime).where(
    _API_VISITS.c.psn_no == bindparam("psn_no"), _API_VISITS.c.mdtrt_id.in_(bindparam("mdtrt_ids", expanding=True)))


def history_from_store(session: Session, psn_no: str, around: dt.date, lookback_days: int,
                       exclude: tuple[str, str] | None = None, book: RuleBook | None = None) -> list[PastVisit]:
    """The person's settled, not cancelled visits ending on or after `around − lookback_days`."""
    since = around - dt.timedelta(days=lookback_days)
    rows = session.connection().execute(_HISTORY, {"psn_no": psn_no, "since": since}).all()
    if exclude is not None:
        rows = [r for r in rows if (r.fixmedins_code, r.mdtrt_id) != exclude]
    if not rows:
        return []
    connection = session.connection()
    codes = connection.execute(_DRUGS, {"setl_ids": [r.setl_id for r in rows]}).all()
    times = {(v.fixmedins_code, v.mdtrt_id): v.begntime for v in connection.execute(
        _REGISTERED, {"psn_no": psn_no, "mdtrt_ids": [r.mdtrt_id for r in rows]})}
    return past_visits(rows, codes, times, book)


def past_visits(rows: Iterable[Any], codes: Iterable[tuple[str, str]], times: Mapping[tuple[str, str], Any],
                book: RuleBook | None) -> list[PastVisit]:
    """The history of screening from the store's rows: settlements (the columns of `_HISTORY`), their fee
    lines' (setl_id, code) and the API registration times by (fixmedins_code, mdtrt_id)."""
    prefixes: tuple[str, ...] = ()
    if book is not None:
        for rule in book.rules:
            if rule.id == "frequent_drug_purchase":
                prefixes = tuple(rule.params.drug_code_prefixes)
    drugs: dict[str, set[str]] = {}
    for setl_id, code in codes:
        if not prefixes or code.startswith(prefixes):
            drugs.setdefault(setl_id, set()).add(code)
    return [PastVisit(setl_id=r.setl_id, fixmedins_code=r.fixmedins_code, med_type=r.med_type, begndate=r.begndate,
                      enddate=r.enddate, begntime=times.get((r.fixmedins_code, r.mdtrt_id)), dise_code=r.dise_code,
                      medfee=r.medfee_sumamt, drug_codes=tuple(sorted(drugs.get(r.setl_id, ()))))
            for r in sorted(rows, key=lambda r: (r.begndate, r.setl_id))]


def _verdict(screening: Screening) -> tuple[str, ...]:
    if screening.blocking:
        raise Refused(refusal_field(screening), screening.refusal(), refusal_code(screening))
    return tuple(f.text for f in screening.warnings)


def refusal_code(screening: Screening) -> str:
    """The error code of a refusal: supervision_<rule id> of the first blocking finding."""
    return f"supervision_{screening.blocking[0].rule_id}"


def refusal_field(screening: Screening) -> str:
    """The request field a refusal names: the fee lines for an item rule, the visit otherwise."""
    return "items" if screening.blocking[0].feedetl_sns or screening.blocking[0].evidence.get("item") else "mdtrt_id"
