"""The fund operation report from the store (`tongchou report fund-operation --db URL`, the console's
report page): the one module of `funds` for this report that reads the store.

Each scheme (`insutype` 390 resident, 310 employee) is reported on its own, from its own claims and
its own fund's income; nothing here adds one scheme's figure to another's.

Claims: the period's settlements (non-cancelled, `enddate` in the period, of the insured person's
county with a county) summed by scheme, visit type, institution tier and poverty flag in one SQL
query (no export to a claims table).

Funding of the period's year, of the pool or one county, from the ledger (entries booked in the year):

- 390: total = contributions and fiscal subsidies credited to the resident pooled fund, by source;
  earmarked = entries caused by `premium`: `premiums` paid to an insurer (expense_premium) and
  `critical_illness_fund`, the transfer to the self-run critical illness fund;
- 310: total = the employer share and the whole individual share (the part to the pooled fund and
  the part credited to personal accounts, causes `contribution`); earmarked = the personal-account
  part (it never reaches the pooled fund);
- insured = persons with an enrolment of the scheme in force at some time of the year.

`funding.total`, `.earmarked`, `.usable` are these exact sums; per-head figures are the sums divided
by the scheme's insured, half-up to the fen.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from tongchou.funds.indicators import WarningThresholds, with_warnings
from tongchou.funds.operation import (EMPLOYEE, RESIDENT, ClaimsCell, Funding, Period, PeriodFigures,
                                      build_fund_operation_report, totals_funding, visit_type_of, with_schemes)
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.balances import REVENUE_TITLES
from tongchou.store import models as m

SOURCES = {
    Title.REVENUE_INDIVIDUAL: "individual", Title.REVENUE_EMPLOYER: "employer",
    Title.REVENUE_SUBSIDY_CENTRAL: "central_subsidy", Title.REVENUE_SUBSIDY_PROVINCIAL: "provincial_subsidy",
    Title.REVENUE_SUBSIDY_CITY: "city_subsidy", Title.REVENUE_SUBSIDY_COUNTY: "county_subsidy",
    Title.REVENUE_SUBSIDY: "subsidy",
}
POOLED_FUND = {RESIDENT: Fund.RESIDENT_POOLED.value, EMPLOYEE: Fund.EMPLOYEE_POOLED.value}


# ---------------------------------------------------------------- funding from the ledger

def _year(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def insured_of(session: Session, year: int, county: str | None, insutype: str) -> int:
    start, end = _year(year)
    query = select(func.count(func.distinct(m.Enrolment.psn_no))).where(
        m.Enrolment.insutype == insutype, m.Enrolment.start <= end,
        or_(m.Enrolment.end.is_(None), m.Enrolment.end >= start))
    if county is not None:
        query = query.where(m.Enrolment.county == county)
    return int(session.execute(query).scalar_one())


FUNDING_CAUSES = ("contribution", "subsidy", "premium")


@dataclass(frozen=True)
class CauseSum:
    """Σ debit and Σ credit of a fund's title in a county, for entries of one cause type."""

    fund: str
    county: str
    title: str
    cause_type: str
    debit: int
    credit: int


def funding_sums(session: Session, year: int) -> list[CauseSum]:
    """The year's postings of the causes that fund a scheme, summed per fund, county, title and cause
    (one scan of the ledger for every scheme's funding)."""
    start, end = _year(year)
    query = (select(m.Posting.fund, m.Posting.county, m.Posting.title, m.JournalEntry.cause_type,
                    func.sum(m.Posting.debit), func.sum(m.Posting.credit))
             .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
             .where(m.JournalEntry.booked_on >= start, m.JournalEntry.booked_on <= end,
                    m.JournalEntry.cause_type.in_(FUNDING_CAUSES))
             .group_by(m.Posting.fund, m.Posting.county, m.Posting.title, m.JournalEntry.cause_type))
    return [CauseSum(fund, county, title, cause, int(debit or 0), int(credit or 0))
            for fund, county, title, cause, debit, credit in session.execute(query)]


def _sums(sums: list[CauseSum], county: str | None, fund: str, causes: tuple[str, ...]) -> list[CauseSum]:
    return [s for s in sums if s.fund == fund and s.cause_type in causes and (county is None or s.county == county)]


def funding_of(sums: list[CauseSum], insured: int, county: str | None, insutype: str,
               name: str | None = None) -> Funding:
    """A scheme's funding from the year's `funding_sums` (pure)."""
    by_source: dict[str, int] = defaultdict(int)
    for s in _sums(sums, county, POOLED_FUND[insutype], ("contribution", "subsidy")):
        if s.title in REVENUE_TITLES and s.title in SOURCES:
            by_source[SOURCES[Title(s.title)]] += s.credit - s.debit
    earmarked: dict[str, int] = {}
    if insutype == EMPLOYEE:
        account = sum(s.credit for s in _sums(sums, county, Fund.PERSONAL_ACCOUNT.value, ("contribution",))
                      if s.title == Title.ACCOUNT_HOLDER)  # a relative's payment debits an account: not counted
        if account:
            by_source["individual"] += account
            earmarked["personal_account"] = account
    else:
        for item, title in (("premiums", Title.EXPENSE_PREMIUM), ("critical_illness_fund", Title.EXPENSE_TRANSFER_OUT)):
            amount = sum(s.debit - s.credit for s in _sums(sums, county, Fund.RESIDENT_POOLED.value, ("premium",))
                         if s.title == title)
            if amount:
                earmarked[item] = amount
    return totals_funding(insutype, insured, dict(sorted(by_source.items())), earmarked, name)


# ---------------------------------------------------------------- claims from the settlements

def claims_cells(session: Session, period: Period, county: str | None) -> dict[str, tuple[ClaimsCell, ...]]:
    """The period's non-cancelled settlements summed per scheme by visit type, tier and poverty flag."""
    s = m.Settlement
    cancelled = select(m.SettlementCancellation.setl_id)
    query = (select(s.insutype, s.med_type, s.admin_tier, cast(s.assistance, String), func.count(),
                    func.sum(s.medfee_sumamt), func.sum(s.hifp_pay))
             .where(s.enddate >= period.start, s.enddate <= period.end, s.setl_id.not_in(cancelled))
             .group_by(s.insutype, s.med_type, s.admin_tier, cast(s.assistance, String)))
    if county is not None:
        query = query.where(s.county == county)
    return cells_of(session.execute(query).all())


def _poverty(assistance: str | None) -> bool:
    return bool(assistance) and "poverty" in (json.loads(assistance) or [])


def cells_of(rows: list[tuple]) -> dict[str, tuple[ClaimsCell, ...]]:
    """Grouped settlement rows (insutype, med_type, admin_tier, assistance JSON, count, medfee, fund paid)
    as cells per scheme, merged by visit type, tier and poverty flag."""
    sums: dict[str, dict[tuple[str, str, bool], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for insutype, med_type, admin_tier, assistance, count, medfee, paid in rows:
        key = (visit_type_of(str(med_type)), (admin_tier or "").strip().lower() or "unknown", _poverty(assistance))
        total = sums[str(insutype)][key]
        total[0] += int(count)
        total[1] += int(medfee or 0)
        total[2] += int(paid or 0)
    return {insutype: tuple(ClaimsCell(v, t, p, *total) for (v, t, p), total in sorted(cells.items()))
            for insutype, cells in sums.items()}


def schemes_of(session: Session) -> list[str]:
    """The schemes the store has insured persons of (390 and 310 in a city pool)."""
    found = set(session.execute(select(m.Enrolment.insutype).distinct()).scalars())
    return [insutype for insutype in (RESIDENT, EMPLOYEE) if insutype in found] or [RESIDENT]


# ---------------------------------------------------------------- the report

def scheme_reports(session: Session, period: Period, comparison: Period | None, county: str | None,
                   name: str | None, thresholds: WarningThresholds) -> dict[str, dict[str, Any]]:
    """Each scheme's report (with its warnings) from its own claims and its own fund's income."""
    cells = claims_cells(session, period, county)
    before = claims_cells(session, comparison, county) if comparison is not None else {}
    sums = funding_sums(session, period.start.year)
    earlier = funding_sums(session, comparison.start.year) if comparison is not None else []

    def funding(year_sums: list[CauseSum], year: int, insutype: str) -> Funding:
        return funding_of(year_sums, insured_of(session, year, county, insutype), county, insutype, name)

    reports = {}
    for insutype in schemes_of(session):
        current = PeriodFigures(period, cells.get(insutype, ()), funding(sums, period.start.year, insutype))
        previous = None if comparison is None else PeriodFigures(
            comparison, before.get(insutype, ()), funding(earlier, comparison.start.year, insutype))
        report = build_fund_operation_report(current, previous, county_admdvs=county, insutype=insutype)
        reports[insutype] = with_warnings(report, thresholds)
    return reports


def fund_operation_from_store(session: Session, period: Period, comparison: Period | None, county: str | None,
                              name: str | None, main: str = RESIDENT,
                              thresholds: WarningThresholds | None = None) -> dict[str, Any]:
    """The report of scheme `main` at the top level and every scheme under `by_scheme`."""
    reports = scheme_reports(session, period, comparison, county, name, thresholds or WarningThresholds())
    return with_schemes(main, reports)

