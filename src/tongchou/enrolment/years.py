"""Contribution years (缴费年限) from the contribution history (pure).

    years(history, insutype, on, gap_months) -> Years(total_months, continuous_months)

The one rule every rule that depends on the years uses (settlement's `continuous_years`, the transfer
certificate, the person page):

- **Residents** (390): a year counts when cover was paid for the whole insurance year — the person's resident
  enrolments cover 1 January to 31 December of it AND a resident contribution for that year was collected
  (an accepted contribution line; a newborn's free birth year and a fixture's enrolments are not payments).
  Any year missing breaks continuity: the continuous run ends at the date's year when it is paid, else at
  the year before (a claim early in a year still unpaid keeps last year's run), else there is none.
- **Employees** (310): months paid / 12 — a month counts when its contribution was collected (an accepted
  employee contribution line of that month). Continuity: walking back from the date's month, a gap of at
  most `gap_months` unpaid months (policy data: `contributions.continuity.gap_months`) keeps the run going
  (the unpaid months are not counted); a longer gap — also between the last month paid and the date's month
  (that month itself excluded: it may not be due yet) — breaks it.
- **Years recognised** from outside the history add to them: the opening years a fixture brings (the years
  before the system's history, any scheme: total and continuous, joined to the run when the run reaches the
  first year/month of the history or there is none) and the years a transfer-in certificate recognises
  (per scheme: total months and continuous months ending on the last day covered in the other pool, joined to
  the run when the gap between that day and the run's first month is within the allowance — residents: the
  next year at the latest).
- After a transfer out of the pool followed by a transfer in, the certificate received supersedes the history
  before the transfer out (the other pool's certificate counts what it recognised from ours): only what comes
  after `superseded_to` counts, and the opening years no longer do.

Years are whole years of months: `total_years = total_months // 12`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

RESIDENT = "390"
EMPLOYEE = "310"


def month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def month_of(text: str) -> int:
    """`2021-03` → its month index."""
    year, month = text.split("-")[:2]
    return int(year) * 12 + int(month) - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Recognised:
    """Years recognised from outside the history: `ended_on` None = the opening years before the history."""

    insutype: str | None  # None: any scheme (the fixture's opening years)
    total_months: int
    continuous_months: int
    ended_on: dt.date | None = None
    source: str = ""


@dataclass(frozen=True)
class History:
    """What the store knows of a person's contributions (one scheme or both)."""

    resident_cover: tuple[tuple[dt.date, dt.date | None], ...] = ()   # resident enrolment periods
    resident_paid_years: frozenset[int] = frozenset()                 # years with a resident contribution collected
    employee_paid_months: frozenset[int] = frozenset()                # month indexes with an employee contribution
    recognised: tuple[Recognised, ...] = ()
    opening_years: int = 0
    superseded_to: dt.date | None = None  # the last transfer out before a transfer in: history up to it no longer counts


@dataclass(frozen=True)
class Years:
    total_months: int
    continuous_months: int
    counted: tuple[str, ...] = field(default=(), compare=False)  # the years ("2021") or months ("2021-03") counted

    @property
    def total_years(self) -> int:
        return self.total_months // 12

    @property
    def continuous_years(self) -> int:
        return self.continuous_months // 12


def years_text(months: int) -> str:
    """36 → 3年; 40 → 3年4个月; 5 → 5个月; 0 → 0年."""
    years, rest = divmod(months, 12)
    if not rest:
        return f"{years}年"
    return f"{years}年{rest}个月" if years else f"{rest}个月"


def covers_year(cover: Iterable[tuple[dt.date, dt.date | None]], year: int) -> bool:
    """The periods together cover 1 January to 31 December of `year` without a day missing."""
    day, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    for start, end in sorted(cover, key=lambda period: period[0]):
        if start > day:
            break
        if end is None or end >= last:
            return True
        if end >= day:
            day = end + dt.timedelta(days=1)
    return False


def resident_years_counted(history: History) -> list[int]:
    """The resident years that count: paid and covered for the whole year (after any superseded history)."""
    cut = history.superseded_to.year if history.superseded_to else None
    return sorted(y for y in history.resident_paid_years
                  if (cut is None or y > cut) and covers_year(history.resident_cover, y))


def employee_months_counted(history: History) -> list[int]:
    cut = month_index(history.superseded_to) if history.superseded_to else None
    return sorted(m for m in history.employee_paid_months if cut is None or m > cut)


def _latest_certificate(history: History, insutype: str, on: dt.date) -> Recognised | None:
    dated = [r for r in history.recognised if r.ended_on is not None and r.ended_on <= on
             and (r.insutype in (None, insutype))]
    return max(dated, key=lambda r: r.ended_on) if dated else None  # type: ignore[arg-type, return-value]


def _opening(history: History, insutype: str) -> list[Recognised]:
    if history.superseded_to is not None:
        return []
    found = [r for r in history.recognised if r.ended_on is None and r.insutype in (None, insutype)]
    if history.opening_years:
        found.append(Recognised(None, history.opening_years * 12, history.opening_years * 12, None, "opening"))
    return found


def resident_years(history: History, on: dt.date) -> Years:
    counted = [y for y in resident_years_counted(history) if y <= on.year]
    paid = set(counted)
    certificate = _latest_certificate(history, RESIDENT, on)
    if certificate is not None:  # years here before the certificate's end were recognised by it
        counted = [y for y in counted if y > certificate.ended_on.year]  # type: ignore[union-attr]
        paid = set(counted)
    opening = [] if certificate is not None else _opening(history, RESIDENT)
    start = on.year if on.year in paid else on.year - 1 if on.year - 1 in paid else None
    run, year = 0, start
    while year is not None and year in paid:
        run, year = run + 1, year - 1
    reached_start = not counted or (start is not None and year is not None and year < counted[0])
    broken = bool(counted) and start is None
    continuous = run * 12
    total = len(counted) * 12
    if certificate is not None:
        total += certificate.total_months
        anchor = (start - run + 1) if run else on.year
        if not broken and reached_start and anchor - certificate.ended_on.year <= 1:  # type: ignore[union-attr]
            continuous += certificate.continuous_months
    for block in opening:
        total += block.total_months
        if not broken and reached_start:
            continuous += block.continuous_months
    return Years(total, continuous, tuple(str(y) for y in counted))


def employee_years(history: History, on: dt.date, gap_months: int = 0) -> Years:
    now = month_index(on)
    counted = [m for m in employee_months_counted(history) if m <= now]
    certificate = _latest_certificate(history, EMPLOYEE, on)
    if certificate is not None:
        counted = [m for m in counted if m > month_index(certificate.ended_on)]  # type: ignore[arg-type]
    opening = [] if certificate is not None else _opening(history, EMPLOYEE)
    run, broken, first = 0, False, None
    if counted:
        last = counted[-1]
        if last < now and now - last - 1 > gap_months:
            broken = True
        else:
            run, first = 1, last
            for earlier in reversed(counted[:-1]):
                if first - earlier - 1 > gap_months:
                    break
                run, first = run + 1, earlier
    reached_start = not counted or (not broken and first == counted[0])
    continuous, total = run, len(counted)
    if certificate is not None:
        total += certificate.total_months
        anchor = first if first is not None else now
        gap = anchor - month_index(certificate.ended_on) - 1  # type: ignore[arg-type]
        if not broken and reached_start and gap <= gap_months:
            continuous += certificate.continuous_months
    for block in opening:
        total += block.total_months
        if not broken and reached_start:
            continuous += block.continuous_months
    return Years(total, continuous, tuple(month_text(m) for m in counted))


def years(history: History, insutype: str, on: dt.date, gap_months: int = 0) -> Years:
    """The person's contribution years in the scheme as at `on`."""
    if insutype == RESIDENT:
        return resident_years(history, on)
    return employee_years(history, on, gap_months)
