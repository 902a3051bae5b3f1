"""The fund operation report from the store (`tongchou report fund-operation --db URL`, the console's
report page): the one module of `funds` for this report that reads the store.

Each scheme (`insutype` 390 resident, 310 employee) is reported on its own, from its own claims and
its own fund's income; nothing here adds one scheme's figure to another's.

Claims: the period's settlements (non-cancelled, `enddate` in the period, of the insured person's
county with a county) summed by scheme, visit type, institution tier and poverty flag in one SQL
query (no export to a claims table).

Funding of the period's year, of the pool or one county, from the ledger (entries booked in the year):

- 390: total = contributions and fiscal subsidies credited to the resident pooled fund, by source;
  earmarked = premiums (entries caused by `premium`: expense_premium, or the transfer to the
  self-run critical illness fund);
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
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from tongchou.funds.early_warning import WarningThresholds, with_warnings
from tongchou.funds.operation import (EMPLOYEE, RESIDENT, ClaimsCell, Funding, Period, PeriodFigures,
                                      build_fund_operation_report, totals_funding, visit_type_of, with_schemes)
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.balances import REVENUE_TITLES, title_sums
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


def _revenue_by_source(session: Session, year: int, county: str | None, fund: str) -> dict[str, int]:
    start, end = _year(year)
    by_source: dict[str, int] = defaultdict(int)
    for s in title_sums(session, start=start, end=end, cause_types=["contribution", "subsidy"], funds=[fund]):
        if (county is None or s.county == county) and s.title in REVENUE_TITLES and s.title in SOURCES:
            by_source[SOURCES[Title(s.title)]] += s.credit - s.debit
    return dict(by_source)


def _resident_earmarked(session: Session, year: int, county: str | None) -> dict[str, int]:
    start, end = _year(year)
    premiums = sum(s.debit - s.credit for s in title_sums(session, start=start, end=end, cause_types=["premium"],
                                                          funds=[Fund.RESIDENT_POOLED.value])
                   if (county is None or s.county == county)
                   and s.title in (Title.EXPENSE_PREMIUM, Title.EXPENSE_TRANSFER_OUT))
    return {"premiums": premiums} if premiums else {}


def _account_credits(session: Session, year: int, county: str | None) -> int:
    """The individual shares credited to personal accounts by contributions (not a relative's payment,
    which debits an account)."""
    start, end = _year(year)
    return sum(s.credit for s in title_sums(session, start=start, end=end, cause_types=["contribution"],
                                            funds=[Fund.PERSONAL_ACCOUNT.value])
               if (county is None or s.county == county) and s.title == Title.ACCOUNT_HOLDER)


def ledger_funding(session: Session, year: int, county: str | None, insutype: str = RESIDENT,
                   name: str | None = None) -> Funding:
    """The year's funding of a scheme's pooled fund (of one county when given) from the ledger."""
    by_source = _revenue_by_source(session, year, county, POOLED_FUND[insutype])
    if insutype == EMPLOYEE:
        account = _account_credits(session, year, county)
        if account:
            by_source["individual"] = by_source.get("individual", 0) + account
        earmarked = {"personal_account": account} if account else {}
    else:
        earmarked = _resident_earmarked(session, year, county)
    return totals_funding(insutype, insured_of(session, year, county, insutype), dict(sorted(by_source.items())),
                          earmarked, name)


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
    reports = {}
    for insutype in schemes_of(session):
        current = PeriodFigures(period, cells.get(insutype, ()),
                                ledger_funding(session, period.start.year, county, insutype, name))
        previous = None if comparison is None else PeriodFigures(
            comparison, before.get(insutype, ()), ledger_funding(session, comparison.start.year, county, insutype,
                                                                 name))
        report = build_fund_operation_report(current, previous, county_admdvs=county, insutype=insutype)
        reports[insutype] = with_warnings(report, thresholds)
    return reports


def fund_operation_from_store(session: Session, period: Period, comparison: Period | None, county: str | None,
                              name: str | None, main: str = RESIDENT,
                              thresholds: WarningThresholds | None = None) -> dict[str, Any]:
    """The report of scheme `main` at the top level and every scheme under `by_scheme`."""
    reports = scheme_reports(session, period, comparison, county, name, thresholds or WarningThresholds())
    return with_schemes(main, reports)

