"""Employers, joining and leaving, declarations, arrears and the tax bureau's collections against the store
(the imperative shell over `rules`). Each public method is one transaction; a batch of declarations runs
each row in its own transaction (the good rows applied, a bad row changes nothing), and a collection batch
holds a line that does not match its declaration with the reason, as the enrolment service does.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tongchou.codes import Insutype
from tongchou.employers import rules
from tongchou.employers.terms import EmployerTerms, YearTerms, load_terms
from tongchou.enrolment.rules import RuleError, date_text
from tongchou.enrolment.service import EnrolmentService, new_batch
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused, ServiceError
from tongchou.ledger.service import record
from tongchou.ledger.postings import late_fee_entry
from tongchou.money import Fen, MoneyError, to_fen, yuan_text
from tongchou.policy.registry import Registry
from tongchou.store import models as m
from tongchou.store.lookups import pool_of
from tongchou.store.uow import Store

DECLARATION_COLUMNS = ("employer", "psn_no", "month", "wage")
COLUMN_NAMES = {"employer": "统一社会信用代码", "psn_no": "个人编号", "month": "费款所属期", "wage": "申报工资",
                "employer_part": "单位缴费", "individual_part": "个人缴费", "late_fee": "滞纳金", "paid_on": "缴费日期"}
COLLECTION_COLUMNS = ("employer", "psn_no", "month", "employer_part", "individual_part", "paid_on")  # + late_fee


@dataclass(frozen=True)
class EmployerView:
    code: str
    name: str
    county: str


@dataclass(frozen=True)
class EmployerRow:
    """An employer in a list: with its employees in service and its declarations unpaid past their due date."""

    code: str
    name: str
    county: str
    employees: int
    declarations: int


@dataclass(frozen=True)
class EmploymentView:
    psn_no: str
    joined_on: dt.date
    left_on: dt.date | None
    enrolment_id: int
    name: str = ""
    enrolment_start: dt.date | None = None
    enrolment_end: dt.date | None = None


@dataclass(frozen=True)
class DeclarationView:
    employer: str
    psn_no: str
    month: str
    wage: Fen
    base: Fen
    employer_part: Fen
    individual_part: Fen
    due_on: dt.date
    collected_on: dt.date | None
    late_fee: Fen | None
    note: str


@dataclass(frozen=True)
class EmployerSummary:
    employer: EmployerView
    employments: list[EmploymentView]
    declarations: list[DeclarationView]


@dataclass(frozen=True)
class RowError:
    row: int  # the line in the file (the header is 1) for sheet rows; 1 = the first row for plain mappings
    column: str
    message: str
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class RowsOutcome:
    applied: list[DeclarationView]
    errors: list[RowError]

    @property
    def rows(self) -> int:
        return len(self.applied) + len(self.errors)


@dataclass(frozen=True)
class Arrear:
    """A declaration past its due date and unpaid on `as_of`, with the late fee accrued to that day."""

    declaration: DeclarationView
    days: int
    late_fee: Fen

    @property
    def unpaid(self) -> Fen:
        return self.declaration.employer_part + self.declaration.individual_part


@dataclass(frozen=True)
class CollectionOutcome:
    batch_no: str
    accepted: int
    late_fees: Fen
    held: list[tuple[int, str]]  # (line number, "field：reason")
    held_rows: list[RowError] = field(default_factory=list)  # the same lines with their column and raw values
    collected: Fen = 0  # both parts of the accepted lines


def _rule_error(exc: RuleError) -> InvalidRequest:
    return InvalidRequest(exc.field, str(exc), "rule")


def _view(row: m.Declaration) -> DeclarationView:
    return DeclarationView(row.employer, row.psn_no, row.month, row.wage, row.base, row.employer_part,
                           row.individual_part, row.due_on, row.collected_on, row.late_fee, row.note)


def _employer(session: Session, code: str, field: str = "employer", county: str | None = None) -> m.Employer:
    """The employer; with `county` (a county-scoped store) one of another county is not revealed."""
    row = session.get(m.Employer, normalized(code).upper())
    if row is None or (county and row.county != county):
        raise NotFound(field, f"用人单位{code}未登记。" if not county else f"用人单位{code}未登记或不属于本区县。")
    return row


def _person(session: Session, psn_no: str, county: str | None = None) -> m.Person:
    person = session.get(m.Person, psn_no)
    if person is None:
        raise NotFound("psn_no", f"参保人{psn_no}不存在。" if not county else f"参保人{psn_no}不存在或不属于本区县。")
    return person



def _open_employment(session: Session, code: str, psn_no: str) -> m.Employment | None:
    return session.execute(select(m.Employment).where(
        m.Employment.employer == code, m.Employment.psn_no == psn_no, m.Employment.left_on.is_(None))).scalar()


def _day(value: Any, field: str) -> dt.date:
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidRequest(field, f"日期应写为“年-月-日”（如 2021-04-15），而不是“{value}”。") from None


def normalized(value: Any) -> str:
    """A cell or a field as typed, NFKC-normalised: full-width digits, letters and punctuation (５０００．００,
    ２０２１－０３) read as their ASCII forms; surrounding spaces (also the ideographic space) dropped."""
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def numbered(rows: Iterable[Any]) -> list[tuple[int, dict[str, Any]]]:
    """(row number, values) of plain mappings (numbered 1…) or of `tongchou.sheets.SheetRow`s (their line in
    the file), every value normalised."""
    found = []
    for index, row in enumerate(rows, start=1):
        values, number = (row, index) if isinstance(row, Mapping) else (row.values, row.line)
        found.append((number, {str(k): normalized(v) for k, v in dict(values).items()}))
    return found


def _require(raw: Mapping[str, Any], columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if not str(raw.get(column) or "").strip()]
    if missing:
        raise InvalidRequest(missing[0], f"缺少{COLUMN_NAMES[missing[0]]}（{missing[0]}）。")


def _amount(value: Any, field: str, name: str) -> Fen:
    text = normalized(value) or "0"
    if not text.isascii():
        raise InvalidRequest(field, f"{name}应为元，最多两位小数，而不是“{value}”。")
    try:
        amount = to_fen(text.replace(",", ""))
    except MoneyError:
        raise InvalidRequest(field, f"{name}应为元，最多两位小数，而不是“{value}”。") from None
    if amount < 0:
        raise InvalidRequest(field, f"{name}不能为负数。")
    return amount


class EmployerService:
    def __init__(self, store: Store, registry: Registry, terms: Mapping[str, EmployerTerms] | None = None):
        self.store = store
        self.enrolment = EnrolmentService(store, registry)
        self.terms = dict(terms) if terms is not None else load_terms()

    def _year_terms(self, session: Session, county: str, month: str) -> YearTerms:
        year, _ = rules.parse_month(month)
        pool = pool_of(session, county)
        found = self.terms.get(pool)
        year_terms = found.for_year(year) if found else None
        if year_terms is None:
            raise InvalidRequest("month", f"统筹区{pool}未规定{year}年的职工医保缴费申报规则（policies/employers）。",
                                 "no_terms")
        return year_terms

    # -------------------------------------------------- registration

    def register(self, code: str, name: str, county: str, *,
                 after: Callable[[Session, EmployerView], None] | None = None) -> EmployerView:
        """An employer by its unified social credit code (checked), its name and its county of the pool.
        `after(session, view)` runs in the same transaction (the documents received saved with the matter)."""
        name, county = normalized(name), normalized(county)
        try:
            code = rules.checked_credit_code(normalized(code))
        except RuleError as exc:
            raise _rule_error(exc) from None
        if not name:
            raise InvalidRequest("name", "单位名称不能为空。")
        if len(name) > 200:
            raise InvalidRequest("name", "单位名称不能超过200个字。")

        def work(session: Session) -> EmployerView:
            if session.get(m.CountyRow, county) is None:
                raise NotFound("county", f"区县{county}不是本系统的统筹区区县。")
            if self.store.county and county != self.store.county:
                raise Refused("county", f"只能登记本区县（{self.store.county}）的用人单位。", "other_county")
            existing = session.get(m.Employer, code)
            if existing is not None:
                raise Conflict("code", f"统一社会信用代码{code}已登记（{existing.name}），一个代码只登记一个单位。",
                               "already_registered")
            session.add(m.Employer(code=code, name=name, county=county))
            session.flush()
            view = EmployerView(code, name, county)
            if after:
                after(session, view)
            return view
        return self.store.transaction(work)

    def show(self, code: str) -> EmployerSummary:
        def work(session: Session) -> EmployerSummary:
            row = _employer(session, code, "code", self.store.county)
            employments = session.execute(select(m.Employment, m.Person.name, m.Enrolment.start, m.Enrolment.end)
                                          .join(m.Person, m.Person.psn_no == m.Employment.psn_no)
                                          .outerjoin(m.Enrolment, m.Enrolment.id == m.Employment.enrolment_id)
                                          .where(m.Employment.employer == row.code)
                                          .order_by(m.Employment.joined_on, m.Employment.id)).all()
            declarations = session.execute(select(m.Declaration).where(m.Declaration.employer == row.code)
                                           .order_by(m.Declaration.month, m.Declaration.psn_no)).scalars()
            return EmployerSummary(EmployerView(row.code, row.name, row.county),
                                   [EmploymentView(e.psn_no, e.joined_on, e.left_on, e.enrolment_id, name, start, end)
                                    for e, name, start, end in employments],
                                   [_view(d) for d in declarations])
        return self.store.read(work)

    def search(self, text: str = "", limit: int = 200) -> list[EmployerRow]:
        """Employers by the start of their code or a part of their name (all when empty), of the store's
        county when it is scoped, each with its employees in service and its declarations not yet collected."""
        text = normalized(text)

        def work(session: Session) -> list[EmployerRow]:
            query = select(m.Employer).order_by(m.Employer.code).limit(limit)
            if text:
                query = query.where(or_(m.Employer.code.like(f"{text.upper()}%"), m.Employer.name.contains(text)))
            if self.store.county:
                query = query.where(m.Employer.county == self.store.county)
            employers = list(session.execute(query).scalars())
            codes = [e.code for e in employers]
            staff = dict(session.execute(select(m.Employment.employer, func.count()).where(
                m.Employment.employer.in_(codes), m.Employment.left_on.is_(None)).group_by(m.Employment.employer)).all())
            unpaid = dict(session.execute(select(m.Declaration.employer, func.count()).where(
                m.Declaration.employer.in_(codes), m.Declaration.collected_on.is_(None))
                .group_by(m.Declaration.employer)).all())
            return [EmployerRow(e.code, e.name, e.county, staff.get(e.code, 0), unpaid.get(e.code, 0))
                    for e in employers]
        return self.store.read(work)

    # -------------------------------------------------- joining and leaving (增减员)

    def join(self, code: str, psn_no: str, joined_on: dt.date, *,
             after: Callable[[Session, int], None] | None = None) -> int:
        """增员: the person is employed from `joined_on` and enrolled in the employee scheme through
        `EnrolmentService.enrol_employee` in the same transaction. Returns the enrolment's id (also given to
        `after(session, enrolment_id)`, run in the same transaction)."""
        psn_no = normalized(psn_no)

        def work(session: Session) -> int:
            employer = _employer(session, code, county=self.store.county)
            person = _person(session, psn_no, self.store.county)
            if self.store.county and person.county != self.store.county:
                raise Refused("psn_no", f"参保人{psn_no}不属于本区县，由其参保地区县经办。", "other_county")
            if pool_of(session, person.county) != pool_of(session, employer.county):
                raise Refused("psn_no", f"参保人{psn_no}不属于用人单位{employer.code}所在统筹区。", "other_pool")
            if _open_employment(session, employer.code, psn_no) is not None:
                raise Conflict("psn_no", f"参保人{psn_no}已是{employer.name}的在职职工。", "already_employed")
            enrolment_id = self.enrolment.enrol_employee_in(session, psn_no, joined_on, employer=employer.code)
            session.add(m.Employment(employer=employer.code, psn_no=psn_no, county=person.county, joined_on=joined_on,
                                     enrolment_id=enrolment_id))
            session.flush()
            if after:
                after(session, enrolment_id)
            return enrolment_id
        return self.store.transaction(work)

    def leave(self, code: str, psn_no: str, left_on: dt.date, *,
              after: Callable[[Session, int], None] | None = None) -> int:
        """减员: the employment and the employee enrolment it opened end on `left_on` (the last insured day).
        Returns the enrolment's id (also given to `after(session, enrolment_id)`, in the same transaction)."""
        psn_no = normalized(psn_no)

        def work(session: Session) -> int:
            employer = _employer(session, code, county=self.store.county)
            employment = _open_employment(session, employer.code, psn_no)
            if employment is None:
                raise NotFound("psn_no", f"参保人{psn_no}不是{employer.name}的在职职工，不能减员。", "not_employed")
            try:
                rules.check_leave_date(employment.joined_on, left_on)
            except RuleError as exc:
                raise _rule_error(exc) from None
            employment.left_on = left_on
            self.enrolment.end_employee_enrolment_in(session, employment.enrolment_id, left_on)
            if after:
                after(session, employment.enrolment_id)
            return employment.enrolment_id
        return self.store.transaction(work)

    # -------------------------------------------------- declarations (缴费申报)

    def declare(self, code: str, psn_no: str, month: str, wage: Fen, declared_on: dt.date) -> DeclarationView:
        """One employee's monthly declaration: the base within the bounds and both parts at the policy's rates."""
        return self.store.transaction(lambda s: self._declare(s, code, psn_no, month, wage, declared_on))

    def _declare(self, session: Session, code: str, psn_no: str, month: str, wage: Fen,
                 declared_on: dt.date) -> DeclarationView:
        try:
            rules.parse_month(month)
        except RuleError as exc:
            raise _rule_error(exc) from None
        employer = _employer(session, code, county=self.store.county)
        person = _person(session, psn_no, self.store.county)
        if self.store.county and person.county != self.store.county:
            raise Refused("psn_no", f"参保人{psn_no}不属于本区县，由其参保地区县经办。", "other_county")
        employed = session.execute(select(m.Employment).where(
            m.Employment.employer == employer.code, m.Employment.psn_no == psn_no)).scalars().all()
        if not any(rules.employed_in_month(e.joined_on, e.left_on, month) for e in employed):
            raise Refused("psn_no", f"参保人{psn_no}在{month}不是{employer.name}的职工（先办理增员）。", "not_employed")
        terms = self._year_terms(session, employer.county, month)
        try:
            assessed = rules.assess(terms, wage)
        except RuleError as exc:
            raise _rule_error(exc) from None
        if session.execute(select(m.Declaration.id).where(
                m.Declaration.employer == employer.code, m.Declaration.psn_no == psn_no,
                m.Declaration.month == month)).first():
            raise Conflict("month", f"{employer.name}已申报参保人{psn_no} {month}的缴费基数。", "already_declared")
        row = m.Declaration(employer=employer.code, psn_no=psn_no, month=month, county=person.county,
                            wage=assessed.wage, base=assessed.base, employer_part=assessed.employer_part,
                            individual_part=assessed.individual_part, due_on=rules.due_date(terms, month),
                            declared_on=declared_on, note=assessed.note)
        session.add(row)
        session.flush()
        return _view(row)

    def declare_rows(self, rows: Iterable[Any], declared_on: dt.date, *, employer: str | None = None) -> RowsOutcome:
        """A batch of declarations (columns employer, psn_no, month, wage in yuan; plain mappings or
        `sheets.SheetRow`s): every row checked, each good row applied in its own transaction, each bad one
        returned with the column at fault. A row repeating an earlier row's employer, person and month is
        refused naming that row; with `employer` (a batch the employer brought to the window) a row of
        another employer is refused."""
        applied, errors = [], []
        seen: dict[tuple[str, str, str], int] = {}
        only = normalized(employer).upper() if employer else None
        for number, raw in numbered(rows):
            try:
                _require(raw, DECLARATION_COLUMNS)
                code, psn_no, month = raw["employer"].upper(), raw["psn_no"], raw["month"]
                if only and code != only:
                    raise Refused("employer", f"本批次只申报{only}的职工，该行的单位为{code}。", "other_employer")
                key = (code, psn_no, month)
                if key in seen:
                    raise Conflict("month", f"与第{seen[key]}行重复：同一单位、个人编号和费款所属期只申报一次。",
                                   "duplicate_row")
                seen[key] = number
                wage = _amount(raw["wage"], "wage", "申报工资")
                applied.append(self.declare(code, psn_no, month, wage, declared_on))
            except ServiceError as exc:
                errors.append(RowError(number, exc.field or "", exc.message, dict(raw)))
        return RowsOutcome(applied, errors)

    # -------------------------------------------------- arrears and late fees

    def arrears(self, as_of: dt.date, code: str | None = None) -> list[Arrear]:
        """Declarations past their due date and unpaid on `as_of` (of one employer, or all), each with the
        late fee accrued from the first day in arrears to `as_of`."""
        def work(session: Session) -> list[Arrear]:
            query = select(m.Declaration).where(
                m.Declaration.due_on < as_of,
                m.Declaration.collected_on.is_(None) | (m.Declaration.collected_on > as_of))
            if code:
                query = query.where(m.Declaration.employer == _employer(session, code, "code", self.store.county).code)
            if self.store.county:
                query = query.join(m.Employer, m.Employer.code == m.Declaration.employer).where(
                    m.Employer.county == self.store.county)
            found = []
            for row in session.execute(query.order_by(m.Declaration.employer, m.Declaration.month,
                                                      m.Declaration.psn_no)).scalars():
                view = _view(row)
                terms = self._year_terms(session, _employer(session, row.employer).county, row.month)
                amount = view.employer_part + view.individual_part
                found.append(Arrear(view, rules.days_in_arrears(row.due_on, as_of),
                                    rules.late_fee(amount, row.due_on, as_of, terms.late_fee.daily_rate)))
            return found
        return self.store.read(work)

    # -------------------------------------------------- the tax bureau's collections (征缴对账)

    def reconcile(self, batch_no: str, received_on: dt.date, lines: Iterable[Mapping[str, Any]]) -> CollectionOutcome:
        """Match the tax bureau's collection lines (employer, psn_no, month, employer_part, individual_part,
        late_fee in yuan, paid_on) to declarations: a line equal to what was declared, with the late fee due
        on its payment date, is booked (contribution through the enrolment service, the late fee as revenue of
        the employee pooled fund); any other line is held with its reason, never dropped."""
        rows = numbered(lines)
        batch_no = normalized(batch_no)
        if not batch_no:
            raise InvalidRequest("batch_no", "请填写税务批次号。")
        if len(batch_no) > 40:
            raise InvalidRequest("batch_no", "税务批次号不能超过40个字符。")

        def work(session: Session) -> CollectionOutcome:
            if session.execute(select(m.ContributionBatch).where(m.ContributionBatch.batch_no == batch_no)).first():
                raise Conflict("batch_no", f"批次{batch_no}已导入。", "duplicate_batch")
            batch = new_batch(session, "tax_bureau", received_on, None, batch_no)
            accepted, fees, collected, held, held_rows = 0, 0, 0, [], []
            for number, raw in rows:
                try:
                    with session.begin_nested():
                        fee, parts = self._collect(session, batch, raw)
                    accepted += 1
                    fees += fee
                    collected += parts
                except (ServiceError, RuleError) as exc:
                    reason = getattr(exc, "message", None) or str(exc)
                    field = getattr(exc, "field", None)
                    held.append((number, f"{field}：{reason}" if field else reason))
                    held_rows.append(RowError(number, field or "", reason, dict(raw)))
                    session.add(m.ContributionLine(
                        batch_id=batch.id, line_no=10_000_000 + number, psn_no=str(raw.get("psn_no") or "") or None,
                        insutype=Insutype.EMPLOYEE, kind="employee", amount=0, status="held", held_reason=reason,
                        raw={str(k): str(v) for k, v in raw.items()}))
                    session.flush()
            return CollectionOutcome(batch_no, accepted, fees, held, held_rows, collected)
        return self.store.transaction(work)

    def _collect(self, session: Session, batch: m.ContributionBatch, raw: Mapping[str, Any]) -> tuple[Fen, Fen]:
        """(late fee, both parts) of a line booked; a refusal when it does not match its declaration."""
        _require(raw, COLLECTION_COLUMNS)
        employer = _employer(session, str(raw["employer"]), county=self.store.county)
        psn_no, month = str(raw["psn_no"]).strip(), str(raw["month"]).strip()
        paid_on = _day(raw["paid_on"], "paid_on")
        paid = {"employer_part": _amount(raw["employer_part"], "employer_part", "单位缴费"),
                "individual_part": _amount(raw["individual_part"], "individual_part", "个人缴费"),
                "late_fee": _amount(raw.get("late_fee"), "late_fee", "滞纳金")}
        row = session.execute(select(m.Declaration).where(
            m.Declaration.employer == employer.code, m.Declaration.psn_no == psn_no,
            m.Declaration.month == month).with_for_update()).scalar()
        if row is None:
            raise NotFound("month", f"未找到{employer.name}对参保人{psn_no} {month}的申报，不能对账。", "not_declared")
        if row.collected_on is not None:
            raise Conflict("month", f"{employer.name}参保人{psn_no} {month}的费款已于{date_text(row.collected_on)}征收入账。",
                           "already_collected")
        terms = self._year_terms(session, employer.county, month)
        due = {"employer_part": row.employer_part, "individual_part": row.individual_part,
               "late_fee": rules.late_fee(row.employer_part + row.individual_part, row.due_on, paid_on,
                                          terms.late_fee.daily_rate)}
        for field, name in (("employer_part", "单位缴费"), ("individual_part", "个人缴费"), ("late_fee", "滞纳金")):
            if paid[field] != due[field]:
                raise Refused(field, f"{name}{yuan_text(paid[field])}与应缴{yuan_text(due[field])}不符"
                                     f"（{month}，缴费日{date_text(paid_on)}）。", "amount_mismatch")
        self.enrolment.employee_contribution_in(session, psn_no, month, row.base, row.employer_part,
                                                row.individual_part, paid_on, batch)
        line = session.execute(select(m.ContributionLine).where(
            m.ContributionLine.batch_id == batch.id, m.ContributionLine.psn_no == psn_no)
            .order_by(m.ContributionLine.id.desc())).scalars().first()
        row.collected_on, row.late_fee, row.collection_line_id = paid_on, due["late_fee"], line.id
        if due["late_fee"]:
            self._book_late_fee(session, batch, row, paid_on)
        session.flush()
        return due["late_fee"], row.employer_part + row.individual_part

    def _book_late_fee(self, session: Session, batch: m.ContributionBatch, row: m.Declaration,
                       paid_on: dt.date) -> None:
        count = session.execute(select(m.ContributionLine.id).where(m.ContributionLine.batch_id == batch.id)).all()
        session.add(m.ContributionLine(batch_id=batch.id, line_no=len(count) + 1, psn_no=row.psn_no,
                                       insutype=Insutype.EMPLOYEE, year=paid_on.year, kind="late_fee",
                                       amount=row.late_fee, paid_on=paid_on, status="accepted", county=row.county,
                                       raw={"employer": row.employer, "month": row.month}))
        record(session, late_fee_entry(f"{row.employer}:{row.psn_no}:{row.month}", row.county, paid_on,
                                       row.employer, row.late_fee))
