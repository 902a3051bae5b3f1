"""The fund operation report from the store (`tongchou report fund-operation --db URL`): the claims come
from the store's settlements (exported as the claims table), the funding from the ledger.

Funding of the period's year for the resident pooled fund (of one county with ``--county``):

- total = the year's contributions and fiscal subsidies (revenue titles of entries caused by
  `contribution` or `subsidy`; interest and other revenue are not 筹资), by source;
- earmarked = the year's premiums (entries caused by `premium`: expense_premium, or the transfer to a
  self-run critical illness fund);
- insured = persons with a resident enrolment (390) in force at some time of the year.

`funding.total`, `.earmarked`, `.usable` are these exact sums; the per-capita figures are the sums
divided by the insured, rounded half-up to the fen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from collections.abc import Mapping

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tongchou.codes import Insutype
from tongchou.funds.operation import Funding
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.balances import REVENUE_TITLES, title_sums
from tongchou.store import models as m

SOURCES = {
    Title.REVENUE_INDIVIDUAL: "individual", Title.REVENUE_EMPLOYER: "employer",
    Title.REVENUE_SUBSIDY_CENTRAL: "central_subsidy", Title.REVENUE_SUBSIDY_PROVINCIAL: "provincial_subsidy",
    Title.REVENUE_SUBSIDY_CITY: "city_subsidy", Title.REVENUE_SUBSIDY_COUNTY: "county_subsidy",
    Title.REVENUE_SUBSIDY: "subsidy",
}


@dataclass(frozen=True)
class LedgerFunding(Funding):
    """Funding summed from the ledger: totals exact, per-capita figures rounded."""

    total_by_source_fen: Mapping[str, int] = field(default_factory=dict)
    earmarked_total_fen: int = 0

    @property
    def total_fen(self) -> int:
        return sum(self.total_by_source_fen.values())

    @property
    def earmarked_fen(self) -> int:
        return self.earmarked_total_fen


def _per_capita(total: int, insured: int) -> int:
    return (2 * total + insured) // (2 * insured) if insured else 0


def ledger_funding(session: Session, year: int, county: str | None, name: str | None = None) -> LedgerFunding:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    fund = Fund.RESIDENT_POOLED.value
    by_source: dict[str, int] = {}
    for s in title_sums(session, start=start, end=end, cause_types=["contribution", "subsidy"], funds=[fund]):
        if (county is None or s.county == county) and s.title in REVENUE_TITLES and s.title in SOURCES:
            key = SOURCES[Title(s.title)]
            by_source[key] = by_source.get(key, 0) + s.credit - s.debit
    earmarked = sum(s.debit - s.credit for s in title_sums(session, start=start, end=end, cause_types=["premium"],
                                                           funds=[fund])
                    if (county is None or s.county == county)
                    and s.title in (Title.EXPENSE_PREMIUM, Title.EXPENSE_TRANSFER_OUT))
    query = select(func.count(func.distinct(m.Enrolment.psn_no))).where(
        m.Enrolment.insutype == Insutype.RESIDENT.value, m.Enrolment.start <= end,
        or_(m.Enrolment.end.is_(None), m.Enrolment.end >= start))
    if county is not None:
        query = query.where(m.Enrolment.county == county)
    insured = int(session.execute(query).scalar_one())
    return LedgerFunding(insured=insured,
                         per_capita_fen={k: _per_capita(v, insured) for k, v in sorted(by_source.items())},
                         earmarked_per_capita_fen={"premiums": _per_capita(earmarked, insured)} if earmarked else {},
                         name=name, total_by_source_fen=dict(sorted(by_source.items())),
                         earmarked_total_fen=earmarked)
