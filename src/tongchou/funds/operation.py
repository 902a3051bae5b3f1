"""Fund operation analysis (基金运行分析): the functional core.

Pure functions from aggregate figures to the report structure of
``tongchou report fund-operation`` (docs/reference/contracts.md). Inputs are plain
dataclasses holding integer fen; the report is a nested dict whose amounts are
``Decimal`` yuan with two places, whose counts are ``int`` and whose ratios
are unrounded ``Decimal`` fractions. No I/O here and never a ``float``.

Formulas (docs/reports.md explains each):

- time progress: whole months / 12 when the period ends on a month's last
  day, else day of the year / days in the year, counted from 1 January;
- funding: total = insured × Σ per_capita, earmarked = insured ×
  Σ earmarked_per_capita, usable = total − earmarked;
- shares of inpatient visits, averages = medfee / visits (half-up to the fen),
  fund paid shares of the usable fund;
- spending progress = fund paid / usable; full-year share = spending progress
  / time progress; full-year fund paid = fund paid / time progress; overrun =
  max(0, full-year fund paid − usable);
- change: delta = current − comparison, growth = delta / comparison (null
  when the comparison value is 0 or absent).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

from tongchou.codes import ADMIN_TIERS
from tongchou.funds.errors import ReportInputError
from tongchou.money import Fen, fen_to_decimal

RESIDENT, EMPLOYEE = "390", "310"
SCHEME_NAMES = {RESIDENT: "城乡居民基本医疗保险", EMPLOYEE: "职工基本医疗保险"}

INPATIENT = "inpatient"
GENERAL_OUTPATIENT = "general_outpatient"
CHRONIC_OUTPATIENT = "chronic_outpatient"
OTHER = "other"
VISIT_TYPES = (INPATIENT, GENERAL_OUTPATIENT, CHRONIC_OUTPATIENT, OTHER)

# Groupings bureaus write beside the tiers (篇8: "省级及省外医疗机构").
TIER_GROUPS: Mapping[str, tuple[str, ...]] = {"province_and_outside": ("province", "outside")}

# Leaves of the report that are ratios: they get no `change` entry.
RATIO_LEAVES = frozenset(
    {"time_progress", "share", "fund_paid_share", "spending_progress", "full_year_share", "admission_rate"}
)
# Sections of the report made of ratios only: no `change` entry either.
RATIO_SECTIONS = frozenset({"fund_paid_share_of_spending"})
_RATIO_PRECISION = 28


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ClaimsCell:
    """Claims of one period summed by visit type, institution tier and poverty flag."""

    visit_type: str
    admin_tier: str
    poverty: bool
    count: int
    medfee_fen: Fen
    fund_paid_fen: Fen


@dataclass(frozen=True)
class Totals:
    """A count of visits with their medical expenses and pooled-fund payment."""

    count: int = 0
    medfee_fen: Fen = 0
    fund_paid_fen: Fen = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.count + other.count,
            self.medfee_fen + other.medfee_fen,
            self.fund_paid_fen + other.fund_paid_fen,
        )


@dataclass(frozen=True)
class Period:
    """A reporting period within one calendar year, both ends included."""

    start: date
    end: date


@dataclass(frozen=True)
class TimeProgress:
    """Elapsed part of the year as an exact fraction `elapsed / whole`."""

    elapsed: int
    whole: int

    @property
    def fraction(self) -> Decimal:
        return ratio(self.elapsed, self.whole)  # type: ignore[return-value]


@dataclass(frozen=True)
class Funding:
    """One scheme's funding of the year (a resident funding file): insured persons and yuan per head
    by source, in fen. Totals are insured × per head, exactly."""

    insured: int
    per_capita_fen: Mapping[str, Fen]
    earmarked_per_capita_fen: Mapping[str, Fen] = field(default_factory=dict)
    name: str | None = None
    insutype: str = RESIDENT

    @property
    def by_source_fen(self) -> dict[str, Fen]:
        return {source: self.insured * fen for source, fen in self.per_capita_fen.items()}

    @property
    def earmarked_by_item_fen(self) -> dict[str, Fen]:
        return {item: self.insured * fen for item, fen in self.earmarked_per_capita_fen.items()}

    @property
    def per_capita_total_fen(self) -> Fen:
        return sum(self.per_capita_fen.values())

    @property
    def total_fen(self) -> Fen:
        return sum(self.by_source_fen.values())

    @property
    def earmarked_fen(self) -> Fen:
        return sum(self.earmarked_by_item_fen.values())

    @property
    def usable_fen(self) -> Fen:
        return self.total_fen - self.earmarked_fen


def per_head_fen(total: Fen, insured: int) -> Fen:
    """A total shared per insured person, half-up to the fen (0 without insured persons)."""
    return divide_half_up(total, insured) if insured > 0 else 0


@dataclass(frozen=True)
class TotalsFunding(Funding):
    """Funding given as exact totals (an employee funding file, or the ledger's sums): the per-head
    figures are the totals divided by the insured, half-up to the fen."""

    totals_fen: Mapping[str, Fen] = field(default_factory=dict)
    earmarked_totals_fen: Mapping[str, Fen] = field(default_factory=dict)

    @property
    def by_source_fen(self) -> dict[str, Fen]:
        return dict(self.totals_fen)

    @property
    def earmarked_by_item_fen(self) -> dict[str, Fen]:
        return dict(self.earmarked_totals_fen)

    @property
    def per_capita_total_fen(self) -> Fen:
        return per_head_fen(self.total_fen, self.insured)


def totals_funding(insutype: str, insured: int, totals: Mapping[str, Fen], earmarked: Mapping[str, Fen],
                   name: str | None = None) -> TotalsFunding:
    return TotalsFunding(
        insured=insured,
        per_capita_fen={source: per_head_fen(fen, insured) for source, fen in totals.items()},
        earmarked_per_capita_fen={item: per_head_fen(fen, insured) for item, fen in earmarked.items()},
        name=name, insutype=insutype, totals_fen=dict(totals), earmarked_totals_fen=dict(earmarked))


@dataclass(frozen=True)
class PeriodFigures:
    """Everything one period's report is computed from."""

    period: Period
    cells: tuple[ClaimsCell, ...]
    funding: Funding | None = None


def visit_type_of(med_type: str) -> str:
    """The report's visit type of a `med_type`: 2x inpatient, 11 general, 14 chronic outpatient."""
    if med_type.startswith("2"):
        return INPATIENT
    return {"11": GENERAL_OUTPATIENT, "14": CHRONIC_OUTPATIENT}.get(med_type, OTHER)


# --------------------------------------------------------------------------- arithmetic


def ratio(numerator: int | Decimal, denominator: int | Decimal) -> Decimal | None:
    """numerator / denominator, unrounded (28 significant digits); None when the denominator is 0."""
    if denominator == 0:
        return None
    with localcontext() as context:
        context.prec = _RATIO_PRECISION
        return Decimal(numerator) / Decimal(denominator)


def divide_half_up(numerator: int, denominator: int) -> int:
    """Integer division rounded half away from zero (settlement's rounding rule)."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def average_fen(totals: Totals) -> Fen | None:
    """Average medical expenses per visit (次均费用) in fen, half-up; None without visits."""
    if totals.count == 0:
        return None
    return divide_half_up(totals.medfee_fen, totals.count)


def yuan(fen: Fen | None) -> Decimal | None:
    return None if fen is None else fen_to_decimal(fen)


# --------------------------------------------------------------------------- periods


def parse_period(text: str, option: str = "--period") -> Period:
    """Parse `FROM:TO` (YYYY-MM-DD each, FROM ≤ TO, one calendar year)."""
    parts = text.split(":")
    if len(parts) != 2:
        raise ReportInputError(option, f"expected FROM:TO as YYYY-MM-DD:YYYY-MM-DD, got {text!r}")
    start, end = (_parse_date(part.strip(), option) for part in parts)
    if start > end:
        raise ReportInputError(option, f"FROM {start} is after TO {end}")
    if start.year != end.year:
        raise ReportInputError(
            option, f"FROM and TO must be in the same year (the funding is yearly), got {text!r}"
        )
    return Period(start, end)


def _parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportInputError(option, f"not a date YYYY-MM-DD: {text!r}") from None


def ends_a_month(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def time_progress(end: date) -> TimeProgress:
    """Time elapsed from 1 January to `end`: whole months / 12 at a month's end, else days / days in year."""
    if ends_a_month(end):
        return TimeProgress(end.month, 12)
    days_in_year = 366 if calendar.isleap(end.year) else 365
    return TimeProgress(end.timetuple().tm_yday, days_in_year)


# --------------------------------------------------------------------------- selections


def total_of(
    cells: Iterable[ClaimsCell],
    *,
    visit_type: str | None = None,
    admin_tiers: Iterable[str] | None = None,
    poverty: bool | None = None,
) -> Totals:
    """Sum the cells that match every selector given."""
    tiers = None if admin_tiers is None else frozenset(admin_tiers)
    result = Totals()
    for cell in cells:
        if visit_type is not None and cell.visit_type != visit_type:
            continue
        if tiers is not None and cell.admin_tier not in tiers:
            continue
        if poverty is not None and cell.poverty != poverty:
            continue
        result += Totals(cell.count, cell.medfee_fen, cell.fund_paid_fen)
    return result


def tiers_in(cells: Iterable[ClaimsCell]) -> tuple[str, ...]:
    """The known tiers in their order, then any other tier value found among inpatient cells."""
    found = {cell.admin_tier for cell in cells if cell.visit_type == INPATIENT}
    extra = sorted(found - set(ADMIN_TIERS))
    return ADMIN_TIERS + tuple(extra)


# --------------------------------------------------------------------------- sections


def period_section(period: Period) -> dict[str, Any]:
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "time_progress": time_progress(period.end).fraction,
    }


def funding_section(funding: Funding) -> dict[str, Any]:
    return {
        "insutype": funding.insutype,
        "insured": funding.insured,
        "per_capita": yuan(funding.per_capita_total_fen),
        "total": yuan(funding.total_fen),
        "earmarked": yuan(funding.earmarked_fen),
        "usable": yuan(funding.usable_fen),
        "by_source": {source: yuan(fen) for source, fen in funding.by_source_fen.items()},
        "per_capita_by_source": {source: yuan(fen) for source, fen in funding.per_capita_fen.items()},
        "earmarked_by_item": {item: yuan(fen) for item, fen in funding.earmarked_by_item_fen.items()},
        "earmarked_per_capita_by_item": {
            item: yuan(fen) for item, fen in funding.earmarked_per_capita_fen.items()
        },
    }


def visit_entry(totals: Totals) -> dict[str, Any]:
    return {
        "count": totals.count,
        "medfee_sumamt": yuan(totals.medfee_fen),
        "avg_medfee": yuan(average_fen(totals)),
    }


def visits_section(cells: tuple[ClaimsCell, ...]) -> dict[str, Any]:
    section = {"all": visit_entry(total_of(cells))}
    for visit_type in VISIT_TYPES:
        section[visit_type] = visit_entry(total_of(cells, visit_type=visit_type))
    return section


def tier_entry(tier_totals: Totals, inpatient: Totals, funding: Funding | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "count": tier_totals.count,
        "share": ratio(tier_totals.count, inpatient.count),
        "avg_medfee": yuan(average_fen(tier_totals)),
        "medfee_sumamt": yuan(tier_totals.medfee_fen),
        "fund_paid": yuan(tier_totals.fund_paid_fen),
    }
    if funding is not None:
        entry["fund_paid_share"] = ratio(tier_totals.fund_paid_fen, funding.usable_fen)
    return entry


def inpatient_section(
    cells: tuple[ClaimsCell, ...], tiers: tuple[str, ...], funding: Funding | None
) -> dict[str, Any]:
    inpatient = total_of(cells, visit_type=INPATIENT)

    def of_tiers(selected: Iterable[str]) -> dict[str, Any]:
        return tier_entry(total_of(cells, visit_type=INPATIENT, admin_tiers=selected), inpatient, funding)

    poverty = total_of(cells, visit_type=INPATIENT, poverty=True)
    section: dict[str, Any] = {
        "count": inpatient.count,
        "avg_medfee": yuan(average_fen(inpatient)),
        "by_tier": {tier: of_tiers((tier,)) for tier in tiers},
        "tier_groups": {group: of_tiers(members) for group, members in TIER_GROUPS.items()},
        "poverty": {
            "count": poverty.count,
            "share": ratio(poverty.count, inpatient.count),
            "avg_medfee": yuan(average_fen(poverty)),
            "fund_paid": yuan(poverty.fund_paid_fen),
        },
    }
    if funding is not None:
        section["admission_rate"] = ratio(inpatient.count, funding.insured)
    return section


def fund_paid_section(cells: tuple[ClaimsCell, ...]) -> dict[str, Any]:
    section = {"all": yuan(total_of(cells).fund_paid_fen)}
    for visit_type in VISIT_TYPES:
        section[visit_type] = yuan(total_of(cells, visit_type=visit_type).fund_paid_fen)
    return section


def fund_paid_shares_of_spending(cells: tuple[ClaimsCell, ...]) -> dict[str, Any]:
    """Each visit type's part of the fund paid (篇8's outpatient and chronic "shares" are these)."""
    paid = total_of(cells).fund_paid_fen
    return {
        visit_type: ratio(total_of(cells, visit_type=visit_type).fund_paid_fen, paid)
        for visit_type in VISIT_TYPES
    }


def full_year_fund_paid_fen(fund_paid_fen: Fen, progress: TimeProgress) -> Fen:
    """Fund paid at the current pace over the whole year: fund paid / time progress, half-up."""
    return divide_half_up(fund_paid_fen * progress.whole, progress.elapsed)


def projection_section(fund_paid_fen: Fen, progress: TimeProgress, funding: Funding) -> dict[str, Any]:
    full_year = full_year_fund_paid_fen(fund_paid_fen, progress)
    return {
        "full_year_fund_paid": yuan(full_year),
        "full_year_share": ratio(fund_paid_fen * progress.whole, funding.usable_fen * progress.elapsed),
        "overrun": yuan(max(0, full_year - funding.usable_fen)),
    }


def period_report(figures: PeriodFigures, tiers: tuple[str, ...]) -> dict[str, Any]:
    """The report keys of one period (without `compare`, `change` and `warnings`)."""
    cells, funding = figures.cells, figures.funding
    report: dict[str, Any] = {"period": period_section(figures.period)}
    if funding is not None:
        report["funding"] = funding_section(funding)
    report["visits"] = visits_section(cells)
    report["inpatient"] = inpatient_section(cells, tiers, funding)
    report["fund_paid"] = fund_paid_section(cells)
    report["fund_paid_share_of_spending"] = fund_paid_shares_of_spending(cells)
    if funding is not None:
        paid = total_of(cells).fund_paid_fen
        report["spending_progress"] = ratio(paid, funding.usable_fen)
        report["per_capita_fund_paid"] = yuan(divide_half_up(paid, funding.insured))
        report["projection"] = projection_section(paid, time_progress(figures.period.end), funding)
    return report


# --------------------------------------------------------------------------- change


def is_measure(key: str, value: Any) -> bool:
    """Counts, amounts and averages (not ratios, not labels) get a change entry."""
    if key in RATIO_LEAVES or isinstance(value, bool):
        return False
    return value is None or isinstance(value, (int, Decimal))


def change_entry(new: int | Decimal | None, old: int | Decimal | None) -> dict[str, Any]:
    if new is None or old is None:
        return {"delta": None, "growth": None}
    delta = new - old
    return {"delta": delta, "growth": ratio(delta, old)}


def change_section(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """`change.<path>.delta/.growth` for every measure present in both reports."""
    result: dict[str, Any] = {}
    for key, value in current.items():
        if key == "period" or key in RATIO_SECTIONS or key not in previous:
            continue
        old = previous[key]
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            nested = change_section(value, old)
            if nested:
                result[key] = nested
        elif is_measure(key, value) and is_measure(key, old):
            result[key] = change_entry(value, old)
    return result


# --------------------------------------------------------------------------- the report


def region_section(funding: Funding | None, county_admdvs: str | None) -> dict[str, Any]:
    return {"name": funding.name if funding else None, "county_admdvs": county_admdvs}


def build_fund_operation_report(
    current: PeriodFigures,
    comparison: PeriodFigures | None = None,
    *,
    county_admdvs: str | None = None,
    insutype: str | None = None,
) -> dict[str, Any]:
    """The report of one scheme: the current period's keys, then `compare` and `change` when compared.
    `insutype` defaults to the funding's scheme (390 without funding); the cells must be that scheme's only.

    Warnings are added by `tongchou.funds.indicators.with_warnings`.
    """
    all_cells = current.cells + (comparison.cells if comparison else ())
    tiers = tiers_in(all_cells)
    scheme = insutype or (current.funding.insutype if current.funding else RESIDENT)
    report = {"region": region_section(current.funding, county_admdvs), "insutype": scheme,
              **period_report(current, tiers)}
    if comparison is not None:
        previous = period_report(comparison, tiers)
        report["compare"] = previous
        report["change"] = change_section(report, previous)
    return report


def with_schemes(main: str, reports: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Each scheme's report on its own under `by_scheme.<insutype>`; the top-level keys are `main`'s."""
    if main not in reports:
        raise ReportInputError("insutype", f"no figures of scheme {main} (have: {', '.join(sorted(reports))})")
    return {**reports[main], "by_scheme": {insutype: dict(report) for insutype, report in sorted(reports.items())}}
