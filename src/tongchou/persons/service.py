"""Persons and households against the store (the imperative shell over `persons.rules`).

Each public method is one transaction. A batch import is the exception by design: each row runs in its own
savepoint, so a good row is applied whole, a bad row not at all, and its errors are returned per column.
Personal data (ID number, phone, address, and the values of a change) is encrypted as the fixture loader
does; a person is found by the keyed look-up hash of the ID number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tongchou.accumulators import state_json
from tongchou.enrolment.rules import date_text
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused, ServiceError
from tongchou.filings.service import FilingService
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.postings import account_interest_entry, first_open_day
from tongchou.ledger.service import closed_to, entry_lines, record
from tongchou.persons import rules, yearend
from tongchou.persons.rules import Cover, PersonRuleError, Registration
from tongchou.sheets import Sheet, column_map, write_sheet
from tongchou.store import models as m
from tongchou.store.crypto import DataCipher, cipher_from_environment
from tongchou.policy.registry import NoPolicy
from tongchou.store.lookups import person_row, pool_of
from tongchou.store.uow import Store, insert_new

ID_COLUMN, PHONE_COLUMN, ADDRESS_COLUMN, CHANGE_COLUMN = (
    "person.id_number", "person.phone", "person.address", "person_change.value")
NEWBORN_PSN_TYPE = "1401"  # 学生儿童
Also = Callable[[Session, str], object]  # (session, the matter's record): saved in the matter's transaction


def _also(also: Also | None, session: Session, ref: str) -> None:
    if also is not None:
        also(session, ref)


@dataclass(frozen=True)
class ChangeView:
    field: str
    old: str  # masked
    new: str  # masked
    changed_on: dt.date
    changed_by: str


@dataclass(frozen=True)
class MemberView:
    psn_no: str
    name: str
    relation: str
    joined_on: dt.date
    left_on: dt.date | None


@dataclass(frozen=True)
class PersonView:
    psn_no: str
    name: str
    id_number: str  # masked
    sex: str | None
    birth_date: dt.date | None
    phone: str  # masked
    address: str  # masked
    county: str
    psn_type: str
    death_date: dt.date | None
    household_no: str | None
    household: tuple[MemberView, ...]
    changes: tuple[ChangeView, ...]


@dataclass
class ImportReport:
    registered: list[tuple[int, str]] = field(default_factory=list)  # (line, psn_no)
    refused: list[tuple[int, dict[str, str], list[tuple[str, str]]]] = field(default_factory=list)  # (line, row, errors)


def _invalid(exc: PersonRuleError) -> InvalidRequest:
    return InvalidRequest(exc.field, str(exc), "rule")



def _pool_counties(session: Session) -> list[str]:
    return list(session.scalars(select(m.CountyRow.admdvs)))


def _covers(session: Session, psn_no: str) -> list[Cover]:
    return [Cover(e.id, e.insutype, e.start, e.end) for e in session.scalars(
        select(m.Enrolment).where(m.Enrolment.psn_no == psn_no).order_by(m.Enrolment.start))]


def _membership(session: Session, psn_no: str) -> m.HouseholdMember | None:
    return session.scalars(select(m.HouseholdMember).where(
        m.HouseholdMember.psn_no == psn_no, m.HouseholdMember.left_on.is_(None))).first()


def _new_household(session: Session, head: m.Person, on: dt.date, by: str) -> m.Household:
    """A household numbered H + the head's person number (and the date, should the head have had one before)."""
    number = f"H{head.psn_no}"
    if session.scalars(select(m.Household.id).where(m.Household.household_no == number)).first():
        number = f"H{head.psn_no}-{on:%Y%m%d}"
    household = m.Household(household_no=number, head=head.psn_no, county=head.county, created_on=on)
    session.add(household)
    session.flush()
    session.add(m.HouseholdMember(household_id=household.id, psn_no=head.psn_no, relation="head", joined_on=on,
                                  recorded_by=by, county=head.county))
    return household


class PersonService:
    def __init__(self, store: Store, cipher: DataCipher | None = None,
                 today: Callable[[], dt.date] = dt.date.today):
        self.store = store
        self.cipher = cipher or cipher_from_environment()
        self.today = today

    # -------------------------------------------------- registration

    def register(self, row: Mapping[str, str | None], *, also: Also | None = None) -> str:
        """Register a person from a form (id_number, name, phone, address, county, psn_type); the person number.
        `also(session, psn_no)` runs in the same transaction (e.g. the documents received, kept with it)."""
        def work(session: Session) -> str:
            psn_no = self._register(session, row)
            _also(also, session, psn_no)
            return psn_no
        return self.store.transaction(work)

    def _register(self, session: Session, row: Mapping[str, str | None]) -> str:
        registration, errors = rules.check_registration(row, _pool_counties(session), self.today())
        if errors:
            column, message = errors[0]
            raise InvalidRequest(column, message, "rule")
        return self._insert(session, registration)

    def _insert(self, session: Session, reg: Registration) -> str:
        digest = self.cipher.lookup_hash(reg.id_number, ID_COLUMN)
        other = session.scalars(select(m.Person.psn_no).where(m.Person.id_number_hash == digest)).first()
        if other is not None:
            raise Conflict("id_number", f"该公民身份号码已登记为参保人{other}，一人只能登记一次。", "already_registered")
        psn_no = self._next_psn_no(session, reg.county)
        session.add(m.Person(
            psn_no=psn_no, name=reg.name, id_number_enc=self.cipher.encrypt(reg.id_number, ID_COLUMN),
            id_number_hash=digest, phone_enc=self.cipher.encrypt(reg.phone, PHONE_COLUMN),
            phone_hash=self.cipher.lookup_hash(reg.phone, PHONE_COLUMN),
            address_enc=self.cipher.encrypt(reg.address, ADDRESS_COLUMN), sex=reg.sex, birth_date=reg.birth_date,
            county=reg.county, psn_type=reg.psn_type, assistance=[], contribution_years=0))
        session.flush()
        return psn_no

    def _next_psn_no(self, session: Session, county: str) -> str:
        numbers = session.scalars(select(m.Person.psn_no).where(m.Person.psn_no.like(f"{county}%")))
        sequences = [rules.sequence_of(number, county) for number in numbers]
        try:
            return rules.psn_no_for(county, max((s for s in sequences if s is not None), default=0) + 1)
        except PersonRuleError as exc:
            raise _invalid(exc) from None

    # -------------------------------------------------- the person and the changes

    def show(self, psn_no: str) -> PersonView:
        def read(session: Session) -> PersonView:
            p = person_row(session, psn_no)
            membership = _membership(session, psn_no)
            household, members = None, ()
            if membership is not None:
                household = session.get(m.Household, membership.household_id)
                members = tuple(
                    MemberView(row.psn_no, name, row.relation, row.joined_on, row.left_on)
                    for row, name in session.execute(
                        select(m.HouseholdMember, m.Person.name).join(m.Person, m.Person.psn_no == m.HouseholdMember.psn_no)
                        .where(m.HouseholdMember.household_id == membership.household_id)
                        .order_by(m.HouseholdMember.joined_on, m.HouseholdMember.id)))
            changes = tuple(ChangeView(c.field, c.old_masked, c.new_masked, c.changed_on, c.changed_by)
                            for c in session.scalars(select(m.PersonChange).where(m.PersonChange.psn_no == psn_no)
                                                     .order_by(m.PersonChange.id)))
            return PersonView(
                p.psn_no, p.name, rules.masked("id_number", self.cipher.decrypt(p.id_number_enc, ID_COLUMN)),
                p.sex, p.birth_date, rules.masked("phone", self.cipher.decrypt(p.phone_enc, PHONE_COLUMN)),
                rules.masked("address", self.cipher.decrypt(p.address_enc, ADDRESS_COLUMN)), p.county, p.psn_type,
                p.death_date, household.household_no if household else None, members, changes)
        return self.store.read(read)

    def change(self, psn_no: str, field_name: str, value: str, on: dt.date, by: str, *,
               also: Also | None = None) -> None:
        """Change the name, phone or address; the old and new values go to the change history."""
        try:
            new = rules.check_change(field_name, value)
        except PersonRuleError as exc:
            raise _invalid(exc) from None

        def work(session: Session) -> None:
            p = person_row(session, psn_no)
            old = self._current(p, field_name)
            if old == new:
                raise InvalidRequest("value", f"新的{rules.CHANGEABLE[field_name]}与原值相同。")
            self._set(p, field_name, new)
            row = m.PersonChange(
                psn_no=psn_no, field=field_name, old_enc=self.cipher.encrypt(old, CHANGE_COLUMN),
                new_enc=self.cipher.encrypt(new, CHANGE_COLUMN), old_masked=rules.masked(field_name, old),
                new_masked=rules.masked(field_name, new), changed_on=on, changed_by=by, county=p.county)
            session.add(row)
            session.flush()
            _also(also, session, f"person_change:{row.id}")
        self.store.transaction(work)

    def _current(self, p: m.Person, field_name: str) -> str | None:
        if field_name == "name":
            return p.name
        if field_name == "phone":
            return self.cipher.decrypt(p.phone_enc, PHONE_COLUMN)
        return self.cipher.decrypt(p.address_enc, ADDRESS_COLUMN)

    def _set(self, p: m.Person, field_name: str, value: str) -> None:
        if field_name == "name":
            p.name = value
        elif field_name == "phone":
            p.phone_enc = self.cipher.encrypt(value, PHONE_COLUMN)
            p.phone_hash = self.cipher.lookup_hash(value, PHONE_COLUMN)
        else:
            p.address_enc = self.cipher.encrypt(value, ADDRESS_COLUMN)

    # -------------------------------------------------- households

    def create_household(self, head: str, on: dt.date, by: str, *, also: Also | None = None) -> str:
        """A household under its head (a resident in no other household); its number."""
        def work(session: Session) -> str:
            number = _new_household(session, self._resident_without_household(session, head, "head"), on,
                                    by).household_no
            _also(also, session, number)
            return number
        return self.store.transaction(work)

    def add_member(self, household_no: str, psn_no: str, relation: str, on: dt.date, by: str, *,
                   also: Also | None = None) -> None:
        try:
            code = rules.relation_code(relation)
        except PersonRuleError as exc:
            raise _invalid(exc) from None

        def work(session: Session) -> None:
            self._add_member(session, household_no, psn_no, code, on, by)
            _also(also, session, household_no)
        self.store.transaction(work)

    def _add_member(self, session: Session, household_no: str, psn_no: str, relation: str, on: dt.date,
                    by: str) -> None:
        household = self._open_household(session, household_no)
        p = self._resident_without_household(session, psn_no, "psn_no")
        session.add(m.HouseholdMember(household_id=household.id, psn_no=psn_no, relation=relation, joined_on=on,
                                      recorded_by=by, county=p.county))
        session.flush()

    def remove_member(self, household_no: str, psn_no: str, on: dt.date, by: str, *,
                      also: Also | None = None) -> None:
        """A member leaves (the membership is closed, not deleted); the head leaves last, closing the household."""
        def work(session: Session) -> None:
            household = self._open_household(session, household_no)
            membership = _membership(session, psn_no)
            if membership is None or membership.household_id != household.id:
                raise NotFound("psn_no", f"参保人{psn_no}不是家庭户{household_no}的成员。")
            if on < membership.joined_on:
                raise InvalidRequest("on", f"迁出日期早于入户日期{date_text(membership.joined_on)}。")
            others = [row for row in session.scalars(select(m.HouseholdMember).where(
                m.HouseholdMember.household_id == household.id, m.HouseholdMember.left_on.is_(None)))
                if row.psn_no != psn_no]
            if membership.relation == "head" and others:
                raise Refused("psn_no", f"户主须在其他{len(others)}名成员迁出后才能迁出。", "head_with_members")
            membership.left_on = on
            if not others:
                household.closed_on = on
            _also(also, session, household_no)
        self.store.transaction(work)

    def _open_household(self, session: Session, household_no: str) -> m.Household:
        household = session.scalars(select(m.Household).where(m.Household.household_no == household_no)).first()
        if household is None:
            raise NotFound("household_no", f"家庭户{household_no}不存在。")
        if household.closed_on is not None:
            raise Refused("household_no", f"家庭户{household_no}已于{date_text(household.closed_on)}注销。", "closed")
        return household

    def _resident_without_household(self, session: Session, psn_no: str, field_name: str) -> m.Person:
        p = person_row(session, psn_no, field_name)
        try:
            rules.check_resident(p.psn_type, field_name)
        except PersonRuleError as exc:
            raise _invalid(exc) from None
        current = _membership(session, psn_no)
        if current is not None:
            other = session.get(m.Household, current.household_id)
            raise Conflict(field_name, f"参保人{psn_no}已是家庭户{other.household_no}的成员，一人只能属于一个家庭户。",
                           "in_household")
        return p

    # -------------------------------------------------- death

    def record_death(self, psn_no: str, death_date: dt.date, by: str, *, also: Also | None = None) -> list[int]:
        """Record the death; the person's enrolments end on the date of death (cover ends the day after).
        The enrolments cut, by id."""
        def work(session: Session) -> list[int]:
            p = person_row(session, psn_no)
            if p.death_date is not None:
                raise Conflict("death_date", f"参保人{psn_no}的死亡已于登记为{date_text(p.death_date)}。",
                               "already_recorded")
            try:
                rules.check_death_date(death_date, p.birth_date, self.today())
            except PersonRuleError as exc:
                raise _invalid(exc) from None
            p.death_date = death_date
            cut = rules.ends_after_death(_covers(session, psn_no), death_date)
            for enrolment_id, end in cut.items():
                enrolment = session.get(m.Enrolment, enrolment_id)
                enrolment.end = end
                enrolment.note = ((enrolment.note or "") + f"参保人{date_text(death_date)}死亡，次日起终止（{by}登记）。")
            membership = _membership(session, psn_no)
            if membership is not None and membership.relation != "head":
                membership.left_on = death_date
            _also(also, session, psn_no)
            return sorted(cut)
        return self.store.transaction(work)

    # -------------------------------------------------- newborns

    def register_newborn(self, parent: str, name: str, birth_date: dt.date, sex: str, by: str,
                         id_number: str | None = None, *, also: Also | None = None) -> str:
        """A newborn of an insured parent: registered in the parent's county as 学生儿童, recorded as the parent's
        child, and entered in the parent's household (one is created under a resident parent when there is none;
        an employee's newborn without a household stays out of one until a resident household takes it)."""
        def work(session: Session) -> str:
            mother_or_father = person_row(session, parent, "parent")
            try:
                rules.check_newborn_birth(birth_date, self.today())
                rules.check_parent_covered(_covers(session, parent), birth_date, parent)
                name_ok = rules.check_name(name)
                if sex not in ("1", "2"):
                    raise PersonRuleError("sex", "性别须为1（男）或2（女）。")
                facts = rules.id_number_facts(id_number) if id_number else None
                if facts and (facts.birth_date != birth_date or facts.sex != sex):
                    raise PersonRuleError("id_number", "公民身份号码中的出生日期或性别与登记的不一致。")
            except PersonRuleError as exc:
                raise _invalid(exc) from None
            self._check_not_registered(session, parent, name_ok, birth_date)
            psn_no = self._insert_newborn(session, mother_or_father, name_ok, birth_date, sex, facts)
            self._newborn_household(session, mother_or_father, psn_no, birth_date, by)
            _also(also, session, psn_no)
            return psn_no
        return self.store.transaction(work)

    def _check_not_registered(self, session: Session, parent: str, name: str, birth_date: dt.date) -> None:
        """A child of the parent with the same name and birth date is the same newborn (twins have two names):
        a second registration — a resubmitted form — is refused naming the first."""
        same = session.scalars(select(m.Person.psn_no).join(
            m.FamilyRelation, (m.FamilyRelation.relative == m.Person.psn_no) & (m.FamilyRelation.psn_no == parent)
            & (m.FamilyRelation.relation == "child")).where(m.Person.name == name, m.Person.birth_date == birth_date)
        ).first()
        if same is not None:
            raise Conflict("name", f"{name}（{date_text(birth_date)}出生）已作为参保人{parent}的子女登记为参保人{same}，"
                                   "不能重复登记。", "already_registered")

    def _insert_newborn(self, session: Session, parent: m.Person, name: str, birth_date: dt.date, sex: str,
                        facts: rules.IdFacts | None) -> str:
        if facts is not None:
            reg = Registration(facts.number, name, sex, birth_date, None, None, parent.county, NEWBORN_PSN_TYPE)
            psn_no = self._insert(session, reg)
        else:
            psn_no = self._next_psn_no(session, parent.county)
            session.add(m.Person(psn_no=psn_no, name=name, sex=sex, birth_date=birth_date, county=parent.county,
                                 psn_type=NEWBORN_PSN_TYPE, assistance=[], contribution_years=0,
                                 address_enc=parent.address_enc))
            session.flush()
        for a, b, relation in ((parent.psn_no, psn_no, "child"), (psn_no, parent.psn_no, "parent")):
            session.add(m.FamilyRelation(psn_no=a, relative=b, relation=relation, county=parent.county))
        return psn_no

    def _newborn_household(self, session: Session, parent: m.Person, psn_no: str, on: dt.date, by: str) -> None:
        membership = _membership(session, parent.psn_no)
        if membership is None and not rules.is_resident(parent.psn_type):
            return
        if membership is None:
            household_id, relation = _new_household(session, parent, on, by).id, "child"
        else:
            household_id, relation = membership.household_id, rules.newborn_relation(membership.relation)
        session.add(m.HouseholdMember(household_id=household_id, psn_no=psn_no, relation=relation, joined_on=on,
                                      recorded_by=by, county=parent.county))

    # -------------------------------------------------- batch

    def import_sheet(self, sheet: Sheet, *, counties: Sequence[str] | None = None) -> ImportReport:
        """Register every good row of a batch file (`sheets.read_sheet`: CSV or XLSX; columns by code or Chinese
        label), each whole in its own savepoint; return the bad ones with their errors by column. `counties`:
        the counties rows may register into (the console's county scope; default every county of the store) —
        a row of another county is refused naming its county."""
        found = column_map(sheet.header, rules.COLUMN_LABELS, required=REQUIRED_COLUMNS)
        rows = [(row.line, {code: row.values.get(cell, "") for code, cell in found.items()}) for row in sheet.rows]
        report = self.import_rows(rows, counties=counties)
        as_given = {row.line: row.values for row in sheet.rows}  # the errors file gives rows back as they came
        report.refused = [(line, as_given[line], errors) for line, _row, errors in report.refused]
        return report

    def import_rows(self, rows: Iterable[tuple[int, Mapping[str, str | None]]], *,
                    counties: Sequence[str] | None = None) -> ImportReport:
        """Register every good (line, row) (each whole, in its own savepoint); return the bad ones with their errors."""
        report = ImportReport()
        batch = [(line, dict(row)) for line, row in rows]

        def work(session: Session) -> None:
            pool = _pool_counties(session)
            for line, row in batch:
                registration, errors = rules.check_registration(row, pool, self.today())
                county = (row.get("county") or "").strip()
                if counties is not None and county in pool and county not in counties:
                    errors.append(("county", f"区县{county}不在您可办理的范围（{'、'.join(counties)}）内。"))
                    registration = None
                if registration is None:
                    report.refused.append((line, row, errors))
                    continue
                try:
                    with session.begin_nested():
                        report.registered.append((line, self._insert(session, registration)))
                except ServiceError as exc:
                    report.refused.append((line, row, [(exc.field or "row", exc.message)]))
                except IntegrityError:
                    report.refused.append((line, row, [("id_number", "该公民身份号码已登记。")]))
        self.store.transaction(work)
        return report


# ---------------------------------------------------------------- batch files

ERROR_COLUMN = "错误"
LINE_COLUMN = "行号"
REQUIRED_COLUMNS = ("id_number", "name", "county", "psn_type")  # phone and address may be absent


def error_text(errors: Iterable[tuple[str, str]]) -> str:
    """Each error of a row as 列名（column）：message, joined."""
    return "；".join(f"{rules.COLUMN_LABELS.get(column, column)}（{column}）：{message}" for column, message in errors)


# ---------------------------------------------------------------- the year end for persons (年度结转)


@dataclass
class YearEndReport:
    """What the year end did (or, dry, would do)."""

    year: int
    dry_run: bool
    accounts: int = 0
    credited: list[tuple[str, int, int]] = field(default_factory=list)  # (psn_no, balance, interest) this run
    already: int = 0  # accounts whose interest for the year was booked by an earlier run
    nothing: int = 0  # a balance of zero or less: no interest
    no_rate: list[str] = field(default_factory=list)  # accounts whose pool's policy sets no interest rate
    states_opened: int = 0  # new year's accumulators opened empty this run
    states_existing: int = 0  # already there (opened earlier, or a settlement of the new year came first)
    renewals: list = field(default_factory=list)  # filings.service.RenewalView

    @property
    def interest_total(self) -> int:
        return sum(amount for _, _, amount in self.credited)


class YearEndService:
    """The year end for persons: interest on personal accounts, the new year's accumulators, and the filings to
    renew. Safe to run again after a crash: each account is its own transaction and its interest entry has a
    unique cause (`account_interest`, `psn:year`), so a second run books nothing twice; the new year's
    accumulator rows are inserted only where missing."""

    def __init__(self, store: Store, registry, today: Callable[[], dt.date] = dt.date.today):
        self.store = store
        self.registry = registry
        self.today = today

    def accounts(self) -> list[tuple[str, str]]:
        """(psn_no, county) of every personal account the store's scope sees."""
        def work(session: Session) -> list[tuple[str, str]]:
            query = select(m.PersonalAccount.psn_no, m.PersonalAccount.county).order_by(m.PersonalAccount.psn_no)
            if self.store.county:
                query = query.where(m.PersonalAccount.county == self.store.county)
            return [tuple(row) for row in session.execute(query).all()]
        return self.store.read(work)

    def _rate(self, session: Session, county: str, year: int):
        pool = pool_of(session, county)
        try:
            account = self.registry.resolve(pool, "310", yearend.year_end(year)).version.personal_account
        except NoPolicy:
            return None
        return account.interest.rate if account is not None and account.interest is not None else None

    def run(self, year: int, *, dry_run: bool = False, within_days: int = 30,
            progress: Callable[[int, int], None] | None = None) -> YearEndReport:
        why = yearend.check_year_over(year, self.today())
        if why:
            raise Refused("year", why, "year_not_over")
        report = YearEndReport(year, dry_run)
        accounts = self.accounts()
        report.accounts = len(accounts)
        end = yearend.year_end(year)
        for done, (psn_no, county) in enumerate(accounts, 1):
            def one(session: Session, psn_no=psn_no, county=county) -> None:
                cause = yearend.cause_id(psn_no, year)
                if entry_lines(session, yearend.CAUSE, cause) is not None:
                    report.already += 1
                    return
                rate = self._rate(session, county, year)
                if rate is None:
                    report.no_rate.append(psn_no)
                    return
                balance = _balance_on(session, psn_no, end)
                amount = yearend.interest(balance, rate)
                if amount == 0:
                    report.nothing += 1
                    return
                report.credited.append((psn_no, balance, amount))
                if not dry_run:
                    record(session, account_interest_entry(cause, county, first_open_day(closed_to(session), end),
                                                           psn_no, amount,
                                                           yearend.interest_memo(year, balance, rate, amount)))
            (self.store.read if dry_run else self.store.transaction)(one)
            if progress:
                progress(done, len(accounts))
        report.states_opened, report.states_existing = self._open_states(year + 1, dry_run)
        report.renewals = FilingService(self.store, self.registry, self.today).renewals(year, within_days)
        return report

    def _open_states(self, year: int, dry_run: bool) -> tuple[int, int]:
        """The new year's accumulators, opened empty for everyone insured on 1 January (ON CONFLICT DO NOTHING:
        a row already there — opened earlier or by a settlement — is left as it is)."""
        first = dt.date(year, 1, 1)

        def work(session: Session) -> tuple[int, int]:
            query = (select(m.Enrolment.psn_no, m.Enrolment.insutype, m.Person.county)
                     .join(m.Person, m.Person.psn_no == m.Enrolment.psn_no)
                     .where(m.Enrolment.start <= first, (m.Enrolment.end.is_(None)) | (m.Enrolment.end >= first))
                     .distinct())
            if self.store.county:
                query = query.where(m.Person.county == self.store.county)
            wanted = {(psn, insutype): county for psn, insutype, county in session.execute(query).all()}
            have = {(psn, insutype) for psn, insutype in session.execute(
                select(m.YearStateRow.psn_no, m.YearStateRow.insutype).where(m.YearStateRow.year == year)).all()}
            missing = [key for key in wanted if key not in have]
            if missing and not dry_run:
                empty = state_json(yearend.fresh_state(), year)
                statement = insert_new(session.connection().dialect.name, m.YearStateRow.__table__, "psn_no")
                for start in range(0, len(missing), 1000):
                    session.execute(statement, [{"psn_no": psn, "insutype": insutype, "year": year,
                                                 "county": wanted[(psn, insutype)], "state": empty, "settlements": 0}
                                                for psn, insutype in missing[start:start + 1000]])
            return len(missing), len(wanted) - len(missing)
        return (self.store.read if dry_run else self.store.transaction)(work)


def _balance_on(session: Session, psn_no: str, day: dt.date) -> int:
    """The account's balance at the end of `day`: credits − debits of its holder account booked on or before it."""
    debit, credit = session.execute(
        select(func.coalesce(func.sum(m.Posting.debit), 0), func.coalesce(func.sum(m.Posting.credit), 0))
        .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
        .where(m.Posting.fund == str(Fund.PERSONAL_ACCOUNT), m.Posting.title == str(Title.ACCOUNT_HOLDER),
               m.Posting.party == psn_no, m.JournalEntry.booked_on <= day)).one()
    return int(credit) - int(debit)


def errors_file(report: ImportReport, header: Sequence[str], fmt: str) -> bytes:
    """The refused rows as they came (行号, the file's own columns, 错误 — each error as 列名（column）：message),
    written in the format received (`sheets.write_sheet`: CSV with BOM, or XLSX); fixed, it can be sent again
    (行号 and 错误 are ignored on reading)."""
    columns = [c for c in header if c not in (LINE_COLUMN, ERROR_COLUMN)]
    rows = [[line, *(row.get(c, "") or "" for c in columns), error_text(errors)] for line, row, errors in report.refused]
    return write_sheet([LINE_COLUMN, *columns, ERROR_COLUMN], rows, fmt)
