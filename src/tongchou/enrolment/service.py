"""Enrolment, filings and contributions against the store (the imperative shell over `rules`).

Each public method is one transaction: the enrolment, the contribution line and its postings
are written together or not at all. A tax-bureau batch is the exception by design: each line
runs in its own savepoint, and a line that fails a rule is HELD with its reason, never dropped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import Date, Integer, String, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from tongchou.codes import Insutype
from tongchou.enrolment import rules, years
from tongchou.enrolment.rules import EnrolmentTerms, RuleError, date_text
from tongchou.ledger.service import entry_lines, personal_account_balance, record
from tongchou.ledger.postings import (
    account_credit_entry, account_transfer_entry, employee_contribution_entry, relative_contribution_entry,
    resident_contribution_entry,
)
from tongchou.money import Fen, MoneyError, to_fen, yuan_text
from tongchou.policy.registry import NoPolicy, Registry, Resolved
from tongchou.policy.schema import Contributions
from tongchou.store import models as m
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused, ServiceError
from tongchou.store.lookups import person_row, pool_of
from tongchou.store.uow import Store, lock_accounts


@dataclass(frozen=True)
class EnrolOutcome:
    enrolment_id: int
    terms: EnrolmentTerms


@dataclass(frozen=True)
class BatchOutcome:
    batch_no: str
    accepted: int
    held: list[tuple[int, str]]  # (line number, reason)




def _policy(registry: Registry, pool: str, insutype: str, day: dt.date) -> Resolved:
    try:
        return registry.resolve(pool, insutype, day)
    except NoPolicy as exc:
        raise InvalidRequest("year", f"{date_text(day)}统筹区{pool}险种{insutype}无有效政策：{exc}", "no_policy") from None


def _contributions(resolved: Resolved) -> Contributions:
    if resolved.version.contributions is None:
        raise InvalidRequest("policy", f"政策{resolved.label}未规定缴费办法。", "no_contribution_rules")
    return resolved.version.contributions


def _covering(session: Session, psn_no: str, insutype: str, start: dt.date, end: dt.date) -> list[m.Enrolment]:
    return list(session.execute(select(m.Enrolment).where(
        m.Enrolment.psn_no == psn_no, m.Enrolment.insutype == insutype, m.Enrolment.start <= end,
        (m.Enrolment.end.is_(None)) | (m.Enrolment.end >= start))).scalars())


def _cover(row: m.Enrolment) -> rules.Cover:
    return rules.Cover(row.id, row.insutype, row.start, row.end)


def _month_start(month: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidRequest("month", f"费款所属期应写为 YYYY-MM，而不是{month!r}。") from None


def _until_death(person: m.Person, start: dt.date, end: dt.date | None, field: str) -> dt.date | None:
    try:
        return rules.end_before_death(person.psn_no, person.death_date, start, end, field)
    except rules.Deceased as exc:
        raise Refused(exc.field, str(exc), "deceased") from None


def _check_other_scheme(session: Session, psn_no: str, insutype: str, start: dt.date, end: dt.date | None,
                        field: str = "start") -> None:
    """Every enrolment opened passes here: refused for days the person is insured in the other scheme."""
    other = Insutype.RESIDENT if insutype == Insutype.EMPLOYEE else Insutype.EMPLOYEE
    covers = [_cover(row) for row in _covering(session, psn_no, other, start, end or dt.date.max)]
    try:
        rules.check_not_insured_twice(covers, psn_no, insutype, start, end, field)
    except RuleError as exc:
        raise Conflict(exc.field, str(exc), "insured_twice") from None


def _latest(session: Session, psn_no: str, insutype: str, ending_from: dt.date | None = None) -> m.Enrolment | None:
    """The person's latest enrolment of the scheme (by start), only among those running on or after
    `ending_from` when given."""
    query = select(m.Enrolment).where(m.Enrolment.psn_no == psn_no, m.Enrolment.insutype == insutype)
    if ending_from is not None:
        query = query.where(m.Enrolment.end.is_(None) | (m.Enrolment.end >= ending_from))
    return session.execute(query.order_by(m.Enrolment.start.desc(), m.Enrolment.id.desc()).limit(1)).scalar()


def _scheme(insutype: str, field: str = "insutype") -> str:
    if insutype not in (Insutype.EMPLOYEE, Insutype.RESIDENT):
        raise InvalidRequest(field, f"险种{insutype or '（空）'}不是310（职工医保）或390（城乡居民医保）。")
    return insutype


def _rule_error(exc: RuleError) -> InvalidRequest:
    return InvalidRequest(exc.field, str(exc), "rule")


Also = Callable[[Session, int], object]


def _also(also: Also | None, session: Session, record_id: int) -> None:
    """What the caller saves with the matter in its transaction (the documents received, docs/front-office.md)."""
    if also is not None:
        also(session, record_id)


def new_batch(session: Session, source: str, received_on: dt.date, county: str | None,
               batch_no: str | None = None) -> m.ContributionBatch:
    batch = m.ContributionBatch(batch_no=batch_no or f"{source}-{uuid.uuid4().hex[:16]}", source=source,
                                received_on=received_on, county=county)
    session.add(batch)
    session.flush()
    return batch


class EnrolmentService:
    def __init__(self, store: Store, registry: Registry):
        self.store = store
        self.registry = registry

    # -------------------------------------------------- residents

    def enrol_resident(self, psn_no: str, year: int, paid_on: dt.date, *, tier: str | None = None,
                       newborn: bool = False, entered_subsidy: Fen | None = None,
                       paid_from_account_of: str | None = None) -> EnrolOutcome:
        """Enrol a resident for `year` by a payment on `paid_on` (collection period, late payment, newborn)."""
        return self.store.transaction(lambda s: self._enrol_resident(
            s, psn_no, year, paid_on, tier, newborn, entered_subsidy, paid_from_account_of, None))

    def _enrol_resident(self, session: Session, psn_no: str, year: int, paid_on: dt.date, tier: str | None,
                        newborn: bool, entered_subsidy: Fen | None, payer: str | None,
                        batch: m.ContributionBatch | None, paid_amount: Fen | None = None) -> EnrolOutcome:
        person = person_row(session, psn_no)
        contrib = _contributions(_policy(self.registry, pool_of(session, person.county), Insutype.RESIDENT, dt.date(year, 1, 1)))
        terms = self._terms(person, contrib, year, paid_on, tier, newborn, entered_subsidy)
        if paid_amount is not None and paid_amount != terms.individual_due:
            raise Refused("amount", f"缴费金额{yuan_text(paid_amount)}与应缴金额{yuan_text(terms.individual_due)}不符。",
                          "amount_mismatch")
        start = max(dt.date(year, 1, 1), person.birth_date or dt.date(year, 1, 1)) if newborn else dt.date(year, 1, 1)
        if _covering(session, psn_no, Insutype.RESIDENT, start, dt.date(year, 12, 31)):
            raise Conflict("year", f"参保人{psn_no}已参加{year}年度城乡居民医保。", "already_enrolled")
        enrolment = m.Enrolment(psn_no=psn_no, insutype=Insutype.RESIDENT, county=person.county, tier=tier, start=start,
                                end=_until_death(person, start, dt.date(year, 12, 31), "year"),
                                benefit_start=terms.benefit_start, kind=terms.kind,
                                paid_on=paid_on, note=terms.reason)
        session.add(enrolment)
        self._birth_year_enrolment(session, person, terms, tier)
        session.flush()
        if terms.individual_due:
            self._collect_resident(session, person, terms, payer, batch)
        # after the payment's own checks (a refused payer is the first thing the clerk hears); the transaction
        # writes nothing when this refuses
        _check_other_scheme(session, psn_no, Insutype.RESIDENT, start, dt.date(year, 12, 31), "year")
        return EnrolOutcome(enrolment.id, terms)

    def _terms(self, person: m.Person, contrib: Contributions, year: int, paid_on: dt.date, tier: str | None,
               newborn: bool, entered_subsidy: Fen | None) -> EnrolmentTerms:
        try:
            if newborn:
                if person.birth_date is None:
                    raise RuleError("birth_date", "新生儿参保需要出生日期。")
                return rules.newborn_terms(contrib, person.birth_date, year, paid_on, tier=tier,
                                           entered_subsidy=entered_subsidy)
            return rules.resident_terms(contrib, year, paid_on, tier=tier, entered_subsidy=entered_subsidy)
        except RuleError as exc:
            raise _rule_error(exc) from None

    def _birth_year_enrolment(self, session: Session, person: m.Person, terms: EnrolmentTerms,
                              tier: str | None) -> None:
        """A newborn enrolled within the grace months of the next year is covered from birth: add the birth year."""
        birth = person.birth_date
        if terms.kind != "newborn" or birth is None or birth.year >= terms.benefit_year:
            return
        if not _covering(session, person.psn_no, Insutype.RESIDENT, birth, dt.date(birth.year, 12, 31)):
            session.add(m.Enrolment(psn_no=person.psn_no, insutype=Insutype.RESIDENT, county=person.county, tier=tier,
                                    start=birth, end=dt.date(birth.year, 12, 31), benefit_start=birth,
                                    kind="newborn", paid_on=terms.paid_on, note="新生儿出生当年不缴费，自出生之日起享受待遇。"))

    def _collect_resident(self, session: Session, person: m.Person, terms: EnrolmentTerms, payer: str | None,
                          batch: m.ContributionBatch | None) -> None:
        batch = batch or new_batch(session, "counter", terms.paid_on, person.county)
        line_no = session.execute(select(func.count()).where(m.ContributionLine.batch_id == batch.id)).scalar_one()
        line = m.ContributionLine(batch_id=batch.id, line_no=line_no + 1, psn_no=person.psn_no, insutype=Insutype.RESIDENT,
                                  year=terms.benefit_year, kind="individual" if payer is None else "account_payment",
                                  amount=terms.individual_due, paid_on=terms.paid_on, status="accepted",
                                  raw={"payer": payer} if payer else {}, county=person.county)
        session.add(line)
        session.flush()
        cause = f"line:{line.id}"
        if payer is None:
            record(session, resident_contribution_entry(cause, person.county, terms.paid_on, terms.individual_due))
            return
        payer_person = self._check_family_payer(session, payer, person, terms.paid_on)
        lock_accounts(session, [payer])
        balance = personal_account_balance(session, payer)
        if balance < terms.individual_due:
            raise Refused("paid_from_account_of", f"{payer}个人账户余额{yuan_text(balance)}不足以代缴"
                                                  f"{yuan_text(terms.individual_due)}。", "insufficient_balance")
        record(session, relative_contribution_entry(cause, terms.paid_on, payer, payer_person.county, person.county,
                                                    terms.individual_due))

    def _check_family_payer(self, session: Session, payer: str, person: m.Person, day: dt.date) -> m.Person:
        payer_person = person_row(session, payer, "paid_from_account_of")
        relation = session.execute(select(m.FamilyRelation).where(
            m.FamilyRelation.psn_no == payer, m.FamilyRelation.relative == person.psn_no)).scalar_one_or_none()
        employee = _policy(self.registry, pool_of(session, payer_person.county), Insutype.EMPLOYEE, day)
        account = employee.version.personal_account
        allowed = (relation is not None and rules.mutual_use_allowed(account, relation.relation)
                   and account is not None and account.pays_resident_contributions_of_relatives)
        if not allowed or session.get(m.PersonalAccount, payer) is None:
            raise Refused("paid_from_account_of", f"{payer}的个人账户不能代缴{person.psn_no}的居民医保费"
                                                  "（仅限配偶、父母、子女）。", "mulaid_not_allowed")
        return payer_person

    def record_subsidies(self, county: str, year: int, subsidies: Mapping[str, Fen], booked_on: dt.date) -> int:
        """Fiscal subsidies by level for the residents of a county enrolled on time (or as newborns) for the year;
        a late payer paid the subsidy part himself. Returns the number of persons."""
        def work(session: Session) -> int:
            persons = session.execute(select(func.count(func.distinct(m.Enrolment.psn_no))).where(
                m.Enrolment.insutype == Insutype.RESIDENT, m.Enrolment.county == county,
                m.Enrolment.start >= dt.date(year, 1, 1), m.Enrolment.start <= dt.date(year, 12, 31),
                m.Enrolment.kind.in_(("on_time", "newborn")))).scalar_one()
            amounts = {level: per_person * persons for level, per_person in subsidies.items()}
            cause_id = f"subsidy:{county}:{year}:{booked_on}"
            if entry_lines(session, "subsidy", cause_id) is not None:
                raise Conflict("booked_on", f"{county} {year}年的财政补助已于{booked_on}入账，不能重复入账。",
                               "already_recorded")
            record(session, resident_contribution_entry(cause_id, county, booked_on, 0, amounts, cause_type="subsidy"))
            return int(persons)
        return self.store.transaction(work)

    # -------------------------------------------------- employees

    def enrol_employee(self, psn_no: str, start: dt.date, *, employer: str | None = None,
                       end: dt.date | None = None) -> int:
        """An employee (or retiree) is insured from `start`; the personal account is opened."""
        return self.store.transaction(lambda s: self.enrol_employee_in(s, psn_no, start, employer=employer, end=end))

    def enrol_employee_in(self, session: Session, psn_no: str, start: dt.date, *, employer: str | None = None,
                          end: dt.date | None = None) -> int:
        """`enrol_employee` inside the caller's transaction (an employer's joining writes both together).
        Refused for days the person is insured as a resident, naming that enrolment."""
        person = person_row(session, psn_no)
        if _covering(session, psn_no, Insutype.EMPLOYEE, start, end or dt.date.max):
            raise Conflict("start", f"参保人{psn_no}在该期间已参加职工医保。", "already_enrolled")
        _check_other_scheme(session, psn_no, Insutype.EMPLOYEE, start, end)
        end = _until_death(person, start, end, "start")
        if employer:
            person.employer = employer
        enrolment = m.Enrolment(psn_no=psn_no, insutype=Insutype.EMPLOYEE, county=person.county, start=start, end=end,
                                benefit_start=start, kind="on_time", paid_on=start)
        session.add(enrolment)
        if session.get(m.PersonalAccount, psn_no) is None:
            session.add(m.PersonalAccount(psn_no=psn_no, county=person.county, opened_on=start))
        session.flush()
        return enrolment.id

    def end_employee_enrolment_in(self, session: Session, enrolment_id: int, end: dt.date) -> None:
        """An employee leaves: the enrolment ends on `end` (the last insured day); the account stays. A cover
        that already ended earlier (a stop, a switch, a death) is never lengthened by the leaving."""
        enrolment = session.get(m.Enrolment, enrolment_id)
        if enrolment is None or enrolment.insutype != Insutype.EMPLOYEE:
            raise NotFound("enrolment_id", f"职工医保参保记录{enrolment_id}不存在。")
        if end < enrolment.start:
            raise InvalidRequest("left_on", f"终止日期{date_text(end)}早于参保日期{date_text(enrolment.start)}。")
        if enrolment.end is None or end < enrolment.end:
            enrolment.end = end
        session.flush()

    def record_employee_contribution(self, psn_no: str, month: str, base: Fen, employer: Fen, individual: Fen,
                                     paid_on: dt.date) -> int:
        """One month's employee contribution: the account part of the individual share credits the account."""
        return self.store.transaction(lambda s: self.employee_contribution_in(
            s, psn_no, month, base, employer, individual, paid_on, None))

    def employee_contribution_in(self, session: Session, psn_no: str, month: str, base: Fen, employer: Fen,
                                 individual: Fen, paid_on: dt.date, batch: m.ContributionBatch | None) -> int:
        """`record_employee_contribution` inside the caller's transaction, on a line of `batch` (a new counter
        batch when None); returns the part credited to the account."""
        person = person_row(session, psn_no)
        if session.get(m.PersonalAccount, psn_no) is None:
            raise Refused("psn_no", f"参保人{psn_no}未参加职工医保（无个人账户）。", "not_enrolled")
        period = _month_start(month)  # 费款所属期: the month's policy splits it, whenever it is paid
        resolved = _policy(self.registry, pool_of(session, person.county), Insutype.EMPLOYEE, period)
        try:
            to_account, to_pool = rules.employee_contribution_split(resolved.version.personal_account, base, individual)
        except RuleError as exc:
            raise _rule_error(exc) from None
        lock_accounts(session, [psn_no])
        cause_id = f"employee:{psn_no}:{month}"
        if entry_lines(session, "contribution", cause_id) is not None:
            raise Conflict("month", f"参保人{psn_no} {month}的职工医保费已经入账，不能重复入账。", "already_recorded")
        batch = batch or new_batch(session, "counter", paid_on, person.county)
        line_no = session.execute(select(func.count()).where(m.ContributionLine.batch_id == batch.id)).scalar_one()
        line = m.ContributionLine(batch_id=batch.id, line_no=line_no + 1, psn_no=psn_no, insutype=Insutype.EMPLOYEE,
                                  year=period.year, kind="employee", base=base, amount=employer + individual,
                                  paid_on=paid_on, status="accepted", county=person.county,
                                  raw={"month": month, "employer": employer, "individual": individual})
        session.add(line)
        session.flush()
        record(session, employee_contribution_entry(cause_id, person.county, paid_on, psn_no, employer,
                                                    to_account, to_pool))
        return to_account

    def credit_retiree_month(self, psn_no: str, month: str, booked_on: dt.date,
                             average_pension: Fen | None = None) -> Fen:
        """A retiree's monthly account credit from the pooled fund; once per month (a repeat moves nothing)."""
        def work(session: Session) -> Fen:
            person = person_row(session, psn_no)
            if session.get(m.PersonalAccount, psn_no) is None:
                raise Refused("psn_no", f"参保人{psn_no}未参加职工医保（无个人账户）。", "not_enrolled")
            if person.psn_type != "1201":
                raise Refused("psn_type", f"参保人{psn_no}不是退休人员（人员类别{person.psn_type}）。", "not_retired")
            cause = f"{psn_no}:{month}"
            done = entry_lines(session, "account_credit", cause)
            if done is not None:
                return sum(line.credit for line in done[1] if line.account.party == psn_no)
            resolved = _policy(self.registry, pool_of(session, person.county), Insutype.EMPLOYEE, booked_on)
            try:
                amount = rules.retiree_monthly_credit(resolved.version.personal_account, average_pension, booked_on)
            except RuleError as exc:
                raise _rule_error(exc) from None
            lock_accounts(session, [psn_no])
            record(session, account_credit_entry(cause, person.county, booked_on, psn_no, amount))
            return amount
        return self.store.transaction(work)

    # -------------------------------------------------- cover that changes (停保、续保、险种转换)

    def stop(self, psn_no: str, insutype: str, on: dt.date, *, also: Also | None = None) -> int:
        """停保: the person's open enrolment of the scheme ends on `on` (the last insured day); returns its id.
        `also(session, enrolment id)` runs in the same transaction (the console saves the documents received)."""
        def work(session: Session) -> int:
            person_row(session, psn_no)
            row = _latest(session, psn_no, _scheme(insutype), on)
            if row is None:
                raise NotFound("insutype", f"参保人{psn_no}在{date_text(on)}没有可停保的{rules.scheme_name(insutype)}"
                                           "参保记录。", "not_enrolled")
            try:
                rules.check_stop(_cover(row), on)
            except RuleError as exc:
                raise _rule_error(exc) from None
            row.end = on
            session.flush()
            _also(also, session, row.id)
            return row.id
        return self.store.transaction(work)

    def resume(self, psn_no: str, insutype: str, on: dt.date, *, also: Also | None = None
               ) -> tuple[int, rules.Resumption]:
        """续保: a new enrolment of the scheme from `on`, after the last one stopped; the policy's waiting period
        when cover lapsed (docs/front-office.md). Resident cover runs to the end of the year, employee cover on."""
        def work(session: Session) -> tuple[int, rules.Resumption]:
            person = person_row(session, psn_no)
            last = _latest(session, psn_no, _scheme(insutype))
            scheme = rules.scheme_name(insutype)
            if last is None:
                raise NotFound("insutype", f"参保人{psn_no}从未参加{scheme}，不能续保，请办理参保。", "not_enrolled")
            if last.end is None or last.end >= on:
                raise Conflict("on", f"参保人{psn_no}在{date_text(on)}仍参加{scheme}（参保记录{last.id}），"
                                     "无需续保。", "already_enrolled")
            if person.death_date is not None and on > person.death_date:
                raise Refused("on", f"参保人{psn_no}已于{date_text(person.death_date)}死亡，不能续保。", "deceased")
            contrib = _policy(self.registry, pool_of(session, person.county), insutype, on).version.contributions
            waiting = contrib.late_payment_waiting_months if contrib is not None else None
            try:
                terms = rules.resume_terms(insutype, last.end, on, waiting)
            except RuleError as exc:
                raise _rule_error(exc) from None
            end = dt.date(on.year, 12, 31) if insutype == Insutype.RESIDENT else None
            _check_other_scheme(session, psn_no, insutype, on, end, "on")
            row = self._open(session, person, insutype, on, end, terms.benefit_start, "resume", terms.reason,
                             last.tier)
            _also(also, session, row.id)
            return row.id, terms
        return self.store.transaction(work)

    def switch(self, psn_no: str, to: str, on: dt.date, *, also: Also | None = None) -> tuple[int, int]:
        """险种转换: the current scheme's enrolment ends the day before `on` and the other scheme's opens on `on`,
        in one transaction (no gap, no overlap, no waiting period). Returns (ended id, opened id)."""
        def work(session: Session) -> tuple[int, int]:
            ended, opened = self._switch(session, psn_no, to, on)
            _also(also, session, opened)
            return ended, opened
        return self.store.transaction(work)

    def open_in(self, session: Session, psn_no: str, insutype: str, start: dt.date, end: dt.date | None,
                kind: str, note: str) -> int:
        """An enrolment opened by another matter (a transfer into the pool) inside its transaction: refused for
        days the person is insured in either scheme, naming that enrolment; benefits from `start`."""
        person = person_row(session, psn_no)
        _check_other_scheme(session, psn_no, _scheme(insutype), start, end)
        if _covering(session, psn_no, insutype, start, end or dt.date.max):
            raise Conflict("start", f"参保人{psn_no}在该期间已参加{rules.scheme_name(insutype)}。", "already_enrolled")
        return self._open(session, person, insutype, start, end, start, kind, note, None).id
    def _switch(self, session: Session, psn_no: str, to: str, on: dt.date) -> tuple[int, int]:
        person = person_row(session, psn_no)
        source = Insutype.RESIDENT if _scheme(to, "to") == Insutype.EMPLOYEE else Insutype.EMPLOYEE
        already = _covering(session, psn_no, to, on, on)
        if already:
            raise Conflict("to", f"参保人{psn_no}在{date_text(on)}已参加{rules.scheme_name(to)}（参保记录"
                                 f"{already[0].id}），无需转换。", "already_enrolled")
        current = _latest(session, psn_no, source, on - dt.timedelta(days=1))
        if current is None:
            raise NotFound("psn_no", f"参保人{psn_no}在{date_text(on - dt.timedelta(days=1))}未参加"
                                     f"{rules.scheme_name(source)}，无需转换，请直接参保。", "not_enrolled")
        try:
            current.end = rules.switch_end(_cover(current), to, on)
        except RuleError as exc:
            raise _rule_error(exc) from None
        session.flush()
        reason = f"由{rules.scheme_name(source)}转入（参保记录{current.id}），参保连续，{date_text(on)}起享受待遇。"
        if to == Insutype.EMPLOYEE:
            opened = session.get(m.Enrolment, self.enrol_employee_in(session, psn_no, on))
            opened.kind, opened.note = "switch", reason  # the history says how the cover began
            session.flush()
            return current.id, opened.id
        end = dt.date(on.year, 12, 31)
        _check_other_scheme(session, psn_no, to, on, end, "on")
        if _covering(session, psn_no, to, on, end):
            raise Conflict("on", f"参保人{psn_no}在该期间已参加城乡居民医保。", "already_enrolled")
        return current.id, self._open(session, person, to, on, end, on, "switch", reason, None).id

    def _open(self, session: Session, person: m.Person, insutype: str, start: dt.date, end: dt.date | None,
              benefit_start: dt.date, kind: str, note: str, tier: str | None) -> m.Enrolment:
        row = m.Enrolment(psn_no=person.psn_no, insutype=insutype, county=person.county, tier=tier, start=start,
                          end=_until_death(person, start, end, "on"), benefit_start=benefit_start, kind=kind,
                          paid_on=start, note=note)
        session.add(row)
        if insutype == Insutype.EMPLOYEE and session.get(m.PersonalAccount, person.psn_no) is None:
            session.add(m.PersonalAccount(psn_no=person.psn_no, county=person.county, opened_on=start))
        session.flush()
        return row

    # -------------------------------------------------- transfer and filings

    def transfer(self, psn_no: str, to_county: str, on: dt.date) -> None:
        """Move a person to another county of the pool: enrolments continue (contribution years and any
        waiting period kept), the personal account moves to the new county's sub-ledger."""
        def work(session: Session) -> None:
            person = person_row(session, psn_no)
            target = session.get(m.CountyRow, to_county)
            if target is None or target.pool != pool_of(session, person.county):
                raise InvalidRequest("to_county", f"{to_county}不是本统筹区的区县。", "unknown_county")
            if to_county == person.county:
                raise InvalidRequest("to_county", "转入区县与当前区县相同。")
            old = person.county
            for enrolment in (_covering(session, psn_no, Insutype.RESIDENT, on, on)
                              + _covering(session, psn_no, Insutype.EMPLOYEE, on, on)):
                session.add(m.Enrolment(psn_no=psn_no, insutype=enrolment.insutype, county=to_county,
                                        tier=enrolment.tier, start=on, end=enrolment.end,
                                        benefit_start=max(enrolment.benefit_start, on), kind="transfer",
                                        paid_on=enrolment.paid_on, note=f"由{old}转入，缴费年限连续计算。"))
                enrolment.end = on - dt.timedelta(days=1)
            person.county = to_county
            account = lock_accounts(session, [psn_no]).get(psn_no)
            if account is not None:
                balance = personal_account_balance(session, psn_no)
                record(session, account_transfer_entry(f"{psn_no}:{old}:{to_county}:{on}", on, psn_no, old, to_county,
                                                       max(balance, 0)))
                account.county = to_county
            session.flush()
        self.store.transaction(work)

    def file(self, psn_no: str, kind: str, approved_on: dt.date, valid_from: dt.date,
             valid_to: dt.date | None = None, *, dise_code: str | None = None, target: str | None = None) -> int:
        """A chronic/special disease filing (kind chronic, with its disease) or a referral filing."""
        if kind not in ("chronic", "referral"):
            raise InvalidRequest("kind", "备案类型须为 chronic（门诊慢特病）或 referral（转诊）。")
        if kind == "chronic" and not dise_code:
            raise InvalidRequest("dise_code", "门诊慢特病备案须填写病种。")
        def work(session: Session) -> int:
            person = person_row(session, psn_no)
            filing = m.Filing(psn_no=psn_no, kind=kind, dise_code=dise_code, target=target, approved_on=approved_on,
                              valid_from=valid_from, valid_to=valid_to, county=person.county)
            session.add(filing)
            session.flush()
            return filing.id
        return self.store.transaction(work)

    # -------------------------------------------------- tax bureau batches

    def import_tax_batch(self, batch_no: str, received_on: dt.date, lines: Iterable[Mapping[str, Any]],
                         cipher=None) -> BatchOutcome:
        """Reconcile a tax-bureau batch against the persons it names. Each line: `psn_no` or `id_number`,
        `insutype`, `year`, `amount` (yuan), `paid_on`; employee lines also `base`, `employer`, `month`.
        A line that fails is held with its reason; the others are posted."""
        rows = list(lines)

        def work(session: Session) -> BatchOutcome:
            if session.execute(select(m.ContributionBatch).where(m.ContributionBatch.batch_no == batch_no)).first():
                raise Conflict("batch_no", f"批次{batch_no}已导入。", "duplicate_batch")
            batch = new_batch(session, "tax_bureau", received_on, None, batch_no)
            accepted, held = 0, []
            for number, raw in enumerate(rows, start=1):
                try:
                    with session.begin_nested():
                        self._tax_line(session, batch, raw, cipher)
                    accepted += 1
                except (ServiceError, RuleError, MoneyError, ValueError, KeyError) as exc:
                    reason = getattr(exc, "message", None) or str(exc)
                    held.append((number, reason))
                    session.add(m.ContributionLine(
                        batch_id=batch.id, line_no=10_000_000 + number, psn_no=str(raw.get("psn_no") or "") or None,
                        insutype=str(raw.get("insutype") or "") or None, kind=str(raw.get("kind") or "unknown"),
                        amount=0, status="held", held_reason=reason, raw=_jsonable(raw)))
                    session.flush()
            return BatchOutcome(batch_no, accepted, held)
        return self.store.transaction(work)

    def _tax_line(self, session: Session, batch: m.ContributionBatch, raw: Mapping[str, Any], cipher) -> None:
        psn_no = self._reconcile_person(session, raw, cipher)
        insutype = str(raw.get("insutype") or "")
        paid_on = dt.date.fromisoformat(str(raw["paid_on"]))
        amount = to_fen(raw["amount"])
        if amount < 0:
            raise InvalidRequest("amount", "缴费金额不能为负数。")
        if insutype == Insutype.RESIDENT:
            self._enrol_resident(session, psn_no, int(raw["year"]), paid_on, raw.get("tier"), bool(raw.get("newborn")),
                                 None, None, batch, paid_amount=amount)
        elif insutype == Insutype.EMPLOYEE:
            employer = to_fen(raw.get("employer", 0))
            self.employee_contribution_in(session, psn_no, str(raw.get("month") or paid_on.strftime("%Y-%m")),
                                        to_fen(raw["base"]), employer, amount, paid_on, batch)
        else:
            raise InvalidRequest("insutype", f"险种{insutype or '（空）'}不是310或390。")

    def _reconcile_person(self, session: Session, raw: Mapping[str, Any], cipher) -> str:
        if raw.get("psn_no"):
            return person_row(session, str(raw["psn_no"])).psn_no
        if raw.get("id_number") and cipher is not None:
            digest = cipher.lookup_hash(str(raw["id_number"]), "person.id_number")
            psn_no = session.execute(select(m.Person.psn_no).where(m.Person.id_number_hash == digest)).scalar()
            if psn_no:
                return psn_no
        raise NotFound("id_number", "未找到与该缴费记录对应的参保人（个人编号或身份证号不符）。")


# -------------------------------------------------- the contribution history (contribution years)

PAID_KINDS = ("individual", "account_payment", "employee")  # a resident's payment (own or from a relative's
# account) and an employee's month; subsidies and held lines are not the person's contribution


def _history_rows(psn_nos: list[str] | None, with_cover: bool):
    """One statement: the accepted contributions, the years recognised, the transfers and (`with_cover`) the
    resident enrolments of the persons — every branch on an indexed `psn_no`. `psn_nos` None: one person, bound
    as `:psn_no` (the statement is built once, for the settlement's hot path)."""
    line, rec, tr, en = (m.ContributionLine.__table__, m.RecognisedYears.__table__, m.Transfer.__table__,
                         m.Enrolment.__table__)

    def of(column):
        return column == bindparam("psn_no") if psn_nos is None else column.in_(psn_nos)

    none_int, none_date, none_text = cast(null(), Integer), cast(null(), Date), cast(null(), String)
    branches = [
        select(literal("line").label("what"), line.c.psn_no, line.c.insutype, line.c.year.label("n1"),
               none_int.label("n2"), m.ContributionLine.raw["month"].as_string().label("text"),
               none_date.label("d1"), none_date.label("d2"))
        .where(of(line.c.psn_no), line.c.status == "accepted", line.c.kind.in_(PAID_KINDS)),
        select(literal("recognised"), rec.c.psn_no, rec.c.insutype, rec.c.total_months, rec.c.continuous_months,
               rec.c.source, rec.c.ended_on, none_date).where(of(rec.c.psn_no)),
        select(literal("transfer"), tr.c.psn_no, none_text, none_int, none_int, tr.c.direction, tr.c.transfer_date,
               none_date).where(of(tr.c.psn_no)),
    ]
    if with_cover:
        branches.append(select(literal("cover"), en.c.psn_no, en.c.insutype, none_int, none_int, en.c.kind,
                               en.c.start, en.c.end).where(of(en.c.psn_no), en.c.insutype == Insutype.RESIDENT))
    return union_all(*branches)


_HISTORY = _history_rows(None, False)
_HISTORY_WITH_COVER = _history_rows(None, True)


def _history_of(rows: list, opening: int, cover: list[tuple[dt.date, dt.date | None]] | None) -> years.History:
    paid_years: set[int] = set()
    months: set[int] = set()
    recognised: list[years.Recognised] = []
    outs: list[dt.date] = []
    ins: list[dt.date] = []
    periods = list(cover or [])
    for what, _psn, insutype, n1, n2, text, d1, d2 in rows:
        if what == "line":
            if insutype == Insutype.RESIDENT and n1 is not None:
                paid_years.add(int(n1))
            elif insutype == Insutype.EMPLOYEE and text:
                months.add(years.month_of(text))
        elif what == "recognised":
            recognised.append(years.Recognised(insutype, int(n1), int(n2), d1, text or ""))
        elif what == "transfer":
            (outs if text == "out" else ins).append(d1)
        elif what == "cover" and cover is None:
            periods.append((d1, d2))
    superseded = None
    if ins and outs:
        last_in = max(ins)
        before = [day for day in outs if day < last_in]
        superseded = max(before) if before else None
    return years.History(tuple(periods), frozenset(paid_years), frozenset(months), tuple(recognised), opening,
                         superseded)


def contribution_history(session: Session, psn_no: str, *, opening_years: int | None = None,
                         resident_cover: Iterable[tuple[dt.date, dt.date | None]] | None = None) -> years.History:
    """A person's contribution history for `enrolment.years` in one statement. `resident_cover`: the resident
    enrolments when the caller has them already (settlement); `opening_years`: the person's stored years before
    the history (read from the person when None)."""
    if opening_years is None:
        opening_years = session.execute(select(m.Person.contribution_years).where(
            m.Person.psn_no == psn_no)).scalar() or 0
    cover = list(resident_cover) if resident_cover is not None else None
    statement = _HISTORY if cover is not None else _HISTORY_WITH_COVER
    rows = session.connection().execute(statement, {"psn_no": psn_no}).all()
    return _history_of(rows, opening_years, cover)


def history_of_rows(rows: Iterable[tuple], opening_years: int,
                    resident_cover: Iterable[tuple[dt.date, dt.date | None]]) -> years.History:
    """`contribution_history` from rows read by the caller (the API's hot path reads them with the rest of a
    settlement's facts): (what, psn_no, insutype, n1, n2, text, d1, d2) as `_history_rows` gives them."""
    return _history_of(list(rows), opening_years, list(resident_cover))


def contribution_histories(session: Session, persons: Mapping[str, int],
                           resident_cover: Mapping[str, list[tuple[dt.date, dt.date | None]]]) -> dict[str, years.History]:
    """The histories of many persons (bulk history): `persons` psn_no → opening years, the resident cover given."""
    grouped: dict[str, list] = {psn: [] for psn in persons}
    numbers = list(persons)
    for start in range(0, len(numbers), 500):
        for row in session.execute(_history_rows(numbers[start:start + 500], False)).all():
            grouped[row[1]].append(row)
    return {psn: _history_of(rows, persons[psn], list(resident_cover.get(psn, ()))) for psn, rows in grouped.items()}


def gap_allowance(registry: Registry, pool: str, day: dt.date) -> int:
    """The employee policy's continuity allowance in force on `day` (0 when it sets none: any gap breaks)."""
    try:
        contributions = registry.resolve(pool, Insutype.EMPLOYEE, day).version.contributions
    except NoPolicy:
        return 0
    return contributions.continuity.gap_months if contributions and contributions.continuity else 0


def _jsonable(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The line as received, for the clerk who resolves it; an ID number is masked (never stored in clear)."""
    out = {str(k): (v if isinstance(v, (str, int, bool, type(None))) else str(v)) for k, v in raw.items()}
    if out.get("id_number"):
        text = str(out["id_number"])
        out["id_number"] = text[:6] + "*" * max(len(text) - 10, 0) + text[-4:]
    return out
