"""The console's reads, each limited to the principal's county when the role is county-scoped.

Every function takes `scope`: None (city-wide) or a county admdvs. A row outside the scope is
treated as not found (the page answers 404 and does not reveal that it exists). All searches
use indexed columns: psn_no (primary key), id_number_hash (unique), name (prefix LIKE on an
exact-prefix query), settlement (psn_no, insutype, year), visit/fee (setl_id).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session

from tongchou.access.models import ManualClaim
from tongchou.store import models as m

PAGE_SIZE = 20
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class Page:
    rows: Sequence[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def scoped(query: Select, column, scope: str | None) -> Select:
    return query if scope is None else query.where(column == scope)


def page_of(session: Session, query: Select, number: int, size: int = PAGE_SIZE) -> Page:
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    number = max(1, number)
    rows = session.execute(query.limit(size).offset((number - 1) * size)).all()
    return Page(rows, number, size, int(total))


# ---------------------------------------------------------------- places

def county_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(m.CountyRow.admdvs, m.CountyRow.name).order_by(m.CountyRow.admdvs)).all())


def place_names(session: Session) -> dict[str, str]:
    """Pools and counties by admdvs: their names."""
    pools = dict(session.execute(select(m.PoolRegion.admdvs, m.PoolRegion.name)).all())
    return {**pools, **county_names(session)}


def pool_of(session: Session) -> m.PoolRegion | None:
    return session.execute(select(m.PoolRegion).limit(1)).scalar_one_or_none()


def pool_of_county(session: Session, county: str) -> str | None:
    return session.execute(select(m.CountyRow.pool).where(m.CountyRow.admdvs == county)).scalar_one_or_none()


# ---------------------------------------------------------------- persons

def search_persons(session: Session, scope: str | None, *, psn_no: str | None = None, name: str | None = None,
                   id_hash: str | None = None) -> list[m.Person]:
    query = select(m.Person)
    if psn_no:
        query = query.where(m.Person.psn_no == psn_no)
    elif id_hash:
        query = query.where(m.Person.id_number_hash == id_hash)
    elif name:
        query = query.where(m.Person.name.like(_prefix(name), escape="\\"))
    else:
        return []
    query = scoped(query, m.Person.county, scope).order_by(m.Person.psn_no).limit(SEARCH_LIMIT)
    return list(session.execute(query).scalars())


def _prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def person(session: Session, scope: str | None, psn_no: str) -> m.Person | None:
    row = session.get(m.Person, psn_no)
    if row is None or (scope is not None and row.county != scope):
        return None
    return row


@dataclass(frozen=True)
class Contribution:
    """One contribution of the person: a contribution line, or an entry the ledger booked without one."""

    year: int | None
    insutype: str | None
    kind: str
    amount: int
    paid_on: dt.date | None
    status: str
    held_reason: str | None = None


@dataclass(frozen=True)
class PersonFile:
    enrolments: list[m.Enrolment]
    filings: list[m.Filing]
    contributions: list[Contribution]
    year_states: list[m.YearStateRow]
    settlements: list[m.Settlement]
    cancelled: set[str]
    manual: set[str]


def person_file(session: Session, psn_no: str) -> PersonFile:
    """Everything the person page shows (the caller has checked the scope with `person`)."""
    def rows(query):
        return list(session.execute(query).scalars())

    settlements = rows(select(m.Settlement).where(m.Settlement.psn_no == psn_no)
                       .order_by(m.Settlement.enddate.desc(), m.Settlement.id.desc()).limit(200))
    ids = [s.setl_id for s in settlements]
    enrolments = rows(select(m.Enrolment).where(m.Enrolment.psn_no == psn_no).order_by(m.Enrolment.start.desc()))
    return PersonFile(
        enrolments=enrolments,
        filings=rows(select(m.Filing).where(m.Filing.psn_no == psn_no).order_by(m.Filing.valid_from.desc())),
        contributions=contributions(session, psn_no, enrolments),
        year_states=rows(select(m.YearStateRow).where(m.YearStateRow.psn_no == psn_no)
                         .order_by(m.YearStateRow.year.desc(), m.YearStateRow.insutype)),
        settlements=settlements,
        cancelled=cancelled_among(session, ids),
        manual=manual_among(session, ids),
    )


def contributions(session: Session, psn_no: str, enrolments: list[m.Enrolment]) -> list[Contribution]:
    """The person's contribution lines, and the contributions the ledger booked for the person without a line
    (bulk history: cause `history:<insutype>:<psn_no>:<year>`, looked up by exact cause id, one per enrolment
    year), newest first."""
    lines = [Contribution(c.year, c.insutype, c.kind, c.amount, c.paid_on, c.status, c.held_reason)
             for c in session.execute(select(m.ContributionLine).where(m.ContributionLine.psn_no == psn_no)
                                      .order_by(m.ContributionLine.id.desc()).limit(100)).scalars()]
    causes = {f"history:{e.insutype}:{psn_no}:{year}": (e.insutype, year) for e in enrolments
              for year in range(e.start.year, (e.end or e.start).year + 1)}
    booked = []
    if causes:
        query = (select(m.JournalEntry.cause_id, m.JournalEntry.booked_on, func.sum(m.Posting.debit))
                 .join(m.Posting, m.Posting.entry_id == m.JournalEntry.id)
                 .where(m.JournalEntry.cause_type == "contribution", m.JournalEntry.cause_id.in_(causes))
                 .group_by(m.JournalEntry.cause_id, m.JournalEntry.booked_on))
        for cause, booked_on, amount in session.execute(query).all():
            insutype, year = causes[cause]
            booked.append(Contribution(year, insutype, "employee" if insutype == "310" else "individual",
                                       int(amount or 0), booked_on, "accepted"))
    return sorted(lines + booked, key=lambda c: (c.year or 0, c.paid_on or dt.date.min), reverse=True)


def institution_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(session.execute(select(m.Institution.code, m.Institution.name)
                                .where(m.Institution.code.in_(codes))).all())


def cancelled_among(session: Session, setl_ids: list[str]) -> set[str]:
    if not setl_ids:
        return set()
    return set(session.execute(select(m.SettlementCancellation.setl_id)
                               .where(m.SettlementCancellation.setl_id.in_(setl_ids))).scalars())


def manual_among(session: Session, setl_ids: list[str]) -> set[str]:
    if not setl_ids:
        return set()
    return set(session.execute(select(ManualClaim.setl_id).where(ManualClaim.setl_id.in_(setl_ids))).scalars())


# ---------------------------------------------------------------- settlements

@dataclass(frozen=True)
class SettlementFile:
    settlement: m.Settlement
    person: m.Person
    institution: m.Institution | None
    fees: list[m.FeeItem]
    cancellation: m.SettlementCancellation | None
    manual: ManualClaim | None


def settlement_file(session: Session, scope: str | None, setl_id: str) -> SettlementFile | None:
    row = session.execute(select(m.Settlement).where(m.Settlement.setl_id == setl_id)).scalar_one_or_none()
    if row is None or (scope is not None and row.county != scope):
        return None
    fees = list(session.execute(select(m.FeeItem).where(m.FeeItem.setl_id == setl_id)
                                .order_by(m.FeeItem.line_no)).scalars())
    return SettlementFile(
        settlement=row, person=session.get(m.Person, row.psn_no), institution=session.get(m.Institution, row.fixmedins_code),
        fees=fees,
        cancellation=session.execute(select(m.SettlementCancellation)
                                     .where(m.SettlementCancellation.setl_id == setl_id)).scalar_one_or_none(),
        manual=session.execute(select(ManualClaim).where(ManualClaim.setl_id == setl_id)).scalar_one_or_none(),
    )


def catalogue_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(session.execute(select(m.CatalogueItem.code, m.CatalogueItem.name)
                                .where(m.CatalogueItem.code.in_(codes))).all())


# ---------------------------------------------------------------- institutions

def institutions(session: Session, scope: str | None, number: int) -> Page:
    query = scoped(select(m.Institution), m.Institution.county, scope).order_by(m.Institution.code)
    return page_of(session, query, number)


def institution_options(session: Session, scope: str | None, limit: int = 500) -> list[tuple[str, str]]:
    """(code, name) of the institutions in the scope, for the forms' suggestions."""
    query = scoped(select(m.Institution.code, m.Institution.name), m.Institution.county, scope)
    return [tuple(row) for row in session.execute(query.order_by(m.Institution.code).limit(limit)).all()]


def enrolments_of(session: Session, psn_no: str) -> list[m.Enrolment]:
    return list(session.execute(select(m.Enrolment).where(m.Enrolment.psn_no == psn_no)
                                .order_by(m.Enrolment.start)).scalars())


def institution(session: Session, scope: str | None, code: str) -> m.Institution | None:
    row = session.get(m.Institution, code)
    if row is None or (scope is not None and row.county != scope):
        return None
    return row


def institution_settlements(session: Session, scope: str | None, code: str, number: int) -> Page:
    """The institution's settlements, newest first; a county user sees only its own county's insured."""
    query = (select(m.Settlement.setl_id, m.Settlement.psn_no, m.Settlement.insutype, m.Settlement.med_type,
                    m.Settlement.enddate, m.Settlement.medfee_sumamt, m.Settlement.fund_pay_sumamt,
                     m.Settlement.psn_part_amt, m.Settlement.county)
             .where(m.Settlement.fixmedins_code == code))
    query = scoped(query, m.Settlement.county, scope).order_by(m.Settlement.enddate.desc(), m.Settlement.id.desc())
    return page_of(session, query, number)


def institution_months(session: Session, code: str) -> list[str]:
    """The months (YYYY-MM) in which the institution has settlements, newest first."""
    month = func.substr(cast(m.Settlement.enddate, String), 1, 7)
    return [row for row in session.execute(select(month).where(m.Settlement.fixmedins_code == code)
                                           .group_by(month).order_by(month.desc())).scalars()]


def month_settlements(session: Session, code: str, month: str) -> list[tuple[m.Settlement, bool]]:
    year, mon = int(month[:4]), int(month[5:7])
    start = dt.date(year, mon, 1)
    end = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    rows = list(session.execute(select(m.Settlement).where(
        m.Settlement.fixmedins_code == code, m.Settlement.enddate >= start, m.Settlement.enddate < end)).scalars())
    cancelled = cancelled_among(session, [r.setl_id for r in rows])
    return [(r, r.setl_id in cancelled) for r in rows]


def clearing_runs(session: Session, code: str) -> list[m.ClearingRun]:
    return list(session.execute(select(m.ClearingRun).where(m.ClearingRun.fixmedins_code == code)
                                .order_by(m.ClearingRun.period.desc())).scalars())


def latest_booking(session: Session) -> dt.date | None:
    return session.execute(select(func.max(m.JournalEntry.booked_on))).scalar_one_or_none()
