"""Early-warning indicators of the fund per county and for the pool (docs/reference/fund-rules.md "Monitoring
and early warning"), with a status — normal (正常), watch (关注), alarm (预警) — and a Chinese
reason each. Thresholds are `fund_rules.Band`s from configuration (`WarningBands`, defaults
of docs/reference/fund-rules.md and marked examples); a value is compared with strict bounds:

    value < alarm_below → alarm;  value > alarm_above → alarm;
    value < watch_below → watch;  value > watch_above → watch;  else normal.

Indicators (each computed only when its figures are given):

- ``months_covered`` 累计结余可支付月数 = accumulated balance / (expenditure / months);
- ``current_surplus_ratio`` 当期结余率 = (revenue − expenditure) / revenue;
- ``spending_progress_gap`` = expenditure / annual planned expenditure − months / 12;
- ``expenditure_over_revenue_growth`` = expenditure growth − revenue growth (year on year);
- ``per_capita_expenditure`` 人均基金支出 = expenditure / insured, status by its growth;
- ``admission_rate`` 住院率 = admissions / insured;
- ``avg_cost_per_admission`` 次均住院费用 by institution tier, status by its growth.

The fund operation report's warnings (its `warnings` list) are the same model over the report's
figures: the same status rule and the same threshold file (policies/funds/early-warning-thresholds.yaml),
with four indicators of their own (docs/reports.md "Early warning"):

- ``spending_progress``: spending progress − time progress (band ``spending_progress_gap``);
- ``projection``: projected full-year fund paid / usable fund (band ``full_year_share``);
- ``inpatient_avg_medfee_growth`` (with a comparison period), for all admissions and per tier
  (band ``avg_cost_per_admission_growth``);
- ``spending_vs_funding_growth`` (with a comparison funding file): growth of the fund paid − growth of
  the usable fund (band ``expenditure_over_revenue_growth``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from typing import Any

from tongchou.funds import wording
from tongchou.funds.errors import ReportInputError
from tongchou.funds.fund_errors import FundInputError
from tongchou.funds.fund_rules import Band, WarningBands, shipped_bands
from tongchou.funds.subledger import ratio
from tongchou.money import Fen

POOL = "pool"
NORMAL, WATCH, ALARM = "normal", "watch", "alarm"


@dataclass(frozen=True)
class TierAdmissions:
    """Admissions of one institution tier: their count and total medical cost (fen)."""

    admissions: int
    medfee: Fen

    @property
    def average(self) -> Decimal | None:
        return ratio(self.medfee, self.admissions)


@dataclass(frozen=True)
class ScopeFigures:
    """The figures of one county (or the pool) for a period of `months` months of a year."""

    scope: str
    months: int
    accumulated_balance: Fen
    revenue: Fen
    expenditure: Fen
    annual_plan_expenditure: Fen | None = None
    insured: int | None = None
    admissions: int | None = None
    previous_revenue: Fen | None = None
    previous_expenditure: Fen | None = None
    previous_insured: int | None = None
    by_tier: Mapping[str, TierAdmissions] = field(default_factory=dict)
    previous_by_tier: Mapping[str, TierAdmissions] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.months <= 12:
            raise FundInputError(f"{self.scope}.months", f"expected 1–12, got {self.months}")
        for name in ("revenue", "expenditure", "insured", "admissions"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise FundInputError(f"{self.scope}.{name}", f"must not be negative, got {value}")


@dataclass(frozen=True)
class Indicator:
    indicator: str
    scope: str
    value: Decimal
    status: str
    reason: str
    band: Band
    tier: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator, "scope": self.scope, "tier": self.tier, "value": self.value,
            "status": self.status, "status_name": wording.STATUS_NAMES[self.status], "reason": self.reason,
            "thresholds": {k: getattr(self.band, k) for k in ("alarm_below", "watch_below", "watch_above",
                                                               "alarm_above")},
        }


# ---------------------------------------------------------------- status and wording

def band_status(value: Decimal, band: Band) -> str:
    if band.alarm_below is not None and value < band.alarm_below:
        return ALARM
    if band.alarm_above is not None and value > band.alarm_above:
        return ALARM
    if band.watch_below is not None and value < band.watch_below:
        return WATCH
    if band.watch_above is not None and value > band.watch_above:
        return WATCH
    return NORMAL


def band_phrase(value: Decimal, band: Band, show) -> str:
    """Where the value stands, in Chinese: '低于预警线3个月' … '处于正常区间'."""
    for bound, relation, line in ((band.alarm_below, "低于", "预警线"), (band.alarm_above, "高于", "预警线"),
                                  (band.watch_below, "低于", "关注线"), (band.watch_above, "高于", "关注线")):
        if bound is not None and (value < bound if relation == "低于" else value > bound):
            return f"{relation}{line}{show(bound)}"
    return "处于正常区间"


def months_text(value: Decimal) -> str:
    return f"{wording.two_places(value)}个月"


def points_text(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{wording.points(value)}个百分点"


def _yuan(fen: Fen | Decimal) -> Decimal:
    return Decimal(fen) / 100


def _indicator(name: str, scope: str, value: Decimal, band: Band, lead: str, show, tier: str | None = None,
               ) -> Indicator:
    reason = f"{lead}，{band_phrase(value, band, show)}"
    return Indicator(name, scope, value, band_status(value, band), reason, band, tier)


def growth(current: Decimal | Fen, previous: Decimal | Fen | None) -> Decimal | None:
    if previous is None or previous == 0:
        return None
    return (Decimal(current) - Decimal(previous)) / Decimal(previous)


# ---------------------------------------------------------------- the indicators

def months_covered(f: ScopeFigures, bands: WarningBands) -> Indicator | None:
    if f.expenditure == 0:
        return None
    monthly = Decimal(f.expenditure) / f.months
    value = Decimal(f.accumulated_balance) / monthly
    lead = (f"累计结余{wording.wan(_yuan(f.accumulated_balance))}，月均支出{wording.wan(_yuan(monthly))}，"
            f"可支付{months_text(value)}")
    return _indicator("months_covered", f.scope, value, bands.months_covered, lead, months_text)


def current_surplus_ratio(f: ScopeFigures, bands: WarningBands) -> Indicator | None:
    value = ratio(f.revenue - f.expenditure, f.revenue)
    if value is None:
        return None
    lead = (f"当期收入{wording.wan(_yuan(f.revenue))}，支出{wording.wan(_yuan(f.expenditure))}，"
            f"当期结余率{wording.pct(value)}")
    return _indicator("current_surplus_ratio", f.scope, value, bands.current_surplus_ratio, lead, wording.pct)


def spending_progress_gap(f: ScopeFigures, bands: WarningBands) -> Indicator | None:
    if not f.annual_plan_expenditure:
        return None
    progress, elapsed = Decimal(f.expenditure) / f.annual_plan_expenditure, Decimal(f.months) / 12
    gap = progress - elapsed
    lead = f"基金支出进度{wording.pct(progress)}，时间进度{wording.pct(elapsed)}，相差{points_text(gap)}"
    return _indicator("spending_progress_gap", f.scope, gap, bands.spending_progress_gap, lead, points_text)


def expenditure_over_revenue_growth(f: ScopeFigures, bands: WarningBands) -> Indicator | None:
    spending, income = growth(f.expenditure, f.previous_expenditure), growth(f.revenue, f.previous_revenue)
    if spending is None or income is None:
        return None
    gap = spending - income
    lead = (f"基金支出同比{wording.rise_or_fall(spending)}{wording.pct(abs(spending))}，"
            f"收入同比{wording.rise_or_fall(income)}{wording.pct(abs(income))}，支出增幅减收入增幅{points_text(gap)}")
    return _indicator("expenditure_over_revenue_growth", f.scope, gap, bands.expenditure_over_revenue_growth,
                      lead, points_text)


def per_capita_expenditure(f: ScopeFigures, bands: WarningBands) -> Indicator | None:
    if not f.insured or not f.previous_insured or f.previous_expenditure is None:
        return None
    now = Decimal(f.expenditure) / f.insured
    before = Decimal(f.previous_expenditure) / f.previous_insured
    change = growth(now, before)
    if change is None:
        return None
    lead = (f"人均基金支出{wording.yuan_text(_yuan(now))}，上年同期{wording.yuan_text(_yuan(before))}，"
            f"同比{wording.rise_or_fall(change)}{wording.pct(abs(change))}")
    return _indicator("per_capita_expenditure", f.scope, change, bands.per_capita_expenditure_growth, lead,
                      wording.pct)


def admission_rate(f: ScopeFigures, bands: WarningBands) -> Indicator | None:
    if not f.insured or f.admissions is None:
        return None
    value = Decimal(f.admissions) / f.insured
    lead = f"住院{f.admissions}人次，参保{f.insured}人，住院率{wording.pct(value)}"
    return _indicator("admission_rate", f.scope, value, bands.admission_rate, lead, wording.pct)


def avg_cost_per_admission(f: ScopeFigures, bands: WarningBands) -> list[Indicator]:
    found = []
    for tier in sorted(f.by_tier):
        now, before = f.by_tier[tier].average, None
        if tier in f.previous_by_tier:
            before = f.previous_by_tier[tier].average
        change = None if now is None else growth(now, before)
        if change is None or now is None or before is None:
            continue
        lead = (f"{wording.tier_name(tier)}次均住院费用{wording.per_visit(_yuan(now))}，"
                f"同比{wording.rise_or_fall(change)}{wording.pct(abs(change))}")
        found.append(_indicator("avg_cost_per_admission", f.scope, change, bands.avg_cost_per_admission_growth,
                                lead, wording.pct, tier))
    return found


def indicators_of(figures: ScopeFigures, bands: WarningBands | None = None) -> list[Indicator]:
    """Every indicator the figures allow, in a fixed order."""
    bands = bands or WarningBands()
    single = (months_covered, current_surplus_ratio, spending_progress_gap, expenditure_over_revenue_growth,
              per_capita_expenditure, admission_rate)
    found = [i for i in (compute(figures, bands) for compute in single) if i is not None]
    return found + avg_cost_per_admission(figures, bands)


# ---------------------------------------------------------------- the pool

def _sum_optional(values: Iterable[int | None]) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(v for v in values if v is not None)


def _sum_tiers(maps: Iterable[Mapping[str, TierAdmissions]]) -> dict[str, TierAdmissions]:
    total: dict[str, TierAdmissions] = {}
    for by_tier in maps:
        for tier, t in by_tier.items():
            old = total.get(tier, TierAdmissions(0, 0))
            total[tier] = TierAdmissions(old.admissions + t.admissions, old.medfee + t.medfee)
    return total


def pool_figures(counties: list[ScopeFigures]) -> ScopeFigures:
    """The pool's figures: the sum of its counties' (a figure missing in one county is missing for the pool)."""
    if not counties:
        raise FundInputError("counties", "at least one county")
    months = {c.months for c in counties}
    if len(months) != 1:
        raise FundInputError("months", f"the counties cover different periods: {sorted(months)}")
    return ScopeFigures(
        scope=POOL, months=months.pop(),
        accumulated_balance=sum(c.accumulated_balance for c in counties),
        revenue=sum(c.revenue for c in counties), expenditure=sum(c.expenditure for c in counties),
        annual_plan_expenditure=_sum_optional(c.annual_plan_expenditure for c in counties),
        insured=_sum_optional(c.insured for c in counties), admissions=_sum_optional(c.admissions for c in counties),
        previous_revenue=_sum_optional(c.previous_revenue for c in counties),
        previous_expenditure=_sum_optional(c.previous_expenditure for c in counties),
        previous_insured=_sum_optional(c.previous_insured for c in counties),
        by_tier=_sum_tiers(c.by_tier for c in counties),
        previous_by_tier=_sum_tiers(c.previous_by_tier for c in counties),
    )


def indicators_by_scope(counties: list[ScopeFigures], bands: WarningBands | None = None) -> dict[str, list[Indicator]]:
    """Indicators of each county, then of the pool."""
    result = {c.scope: indicators_of(c, bands) for c in counties}
    result[POOL] = indicators_of(pool_figures(counties), bands)
    return result


# ---------------------------------------------------------------- the fund operation report's warnings

# The report's thresholds by the name a funding file overrides them with → the band they come from.
THRESHOLD_BANDS = {"spending_gap": "spending_progress_gap", "full_year_share": "full_year_share",
                   "avg_medfee_growth": "avg_cost_per_admission_growth",
                   "spending_over_funding_growth": "expenditure_over_revenue_growth"}


def _shipped(stem: str, bound: str) -> Any:
    return field(default_factory=lambda: Decimal(getattr(shipped_bands()[THRESHOLD_BANDS[stem]], bound)))


@dataclass(frozen=True)
class WarningThresholds:
    """Watch and alarm thresholds of the report's indicators (fractions, not percentages): the shipped
    threshold file's bands, each overridable under `warning_thresholds:` in the funding file."""

    spending_gap_watch: Decimal = _shipped("spending_gap", "watch_above")
    spending_gap_alarm: Decimal = _shipped("spending_gap", "alarm_above")
    full_year_share_watch: Decimal = _shipped("full_year_share", "watch_above")
    full_year_share_alarm: Decimal = _shipped("full_year_share", "alarm_above")
    avg_medfee_growth_watch: Decimal = _shipped("avg_medfee_growth", "watch_above")
    avg_medfee_growth_alarm: Decimal = _shipped("avg_medfee_growth", "alarm_above")
    spending_over_funding_growth_watch: Decimal = _shipped("spending_over_funding_growth", "watch_above")
    spending_over_funding_growth_alarm: Decimal = _shipped("spending_over_funding_growth", "alarm_above")


def parse_thresholds(value: Any, field: str) -> WarningThresholds:
    """Override the default thresholds with a mapping of name: fraction."""
    if value is None:
        return WarningThresholds()
    if not isinstance(value, Mapping):
        raise ReportInputError(field, "expected a mapping of threshold name: fraction")
    known = {f.name for f in fields(WarningThresholds)}
    overrides: dict[str, Decimal] = {}
    for name, number in value.items():
        if name not in known:
            raise ReportInputError(f"{field}.{name}", f"unknown threshold (known: {', '.join(sorted(known))})")
        if isinstance(number, bool) or not isinstance(number, (int, Decimal)):
            raise ReportInputError(f"{field}.{name}", f"expected a number (a fraction), got {number!r}")
        overrides[name] = Decimal(number)
    thresholds = replace(WarningThresholds(), **overrides)
    for stem in ("spending_gap", "full_year_share", "avg_medfee_growth", "spending_over_funding_growth"):
        if getattr(thresholds, f"{stem}_watch") > getattr(thresholds, f"{stem}_alarm"):
            raise ReportInputError(f"{field}.{stem}_watch", f"must not exceed {stem}_alarm")
    return thresholds


def status_of(value: Decimal, watch: Decimal, alarm: Decimal) -> str:
    """The status of a value against upper bounds: the same rule as `band_status`."""
    return band_status(value, Band(watch_above=watch, alarm_above=alarm, example=True, assumptions=["报告阈值"]))


def indicator(
    name: str, scope: str, value: Decimal, watch: Decimal, alarm: Decimal, reason: str
) -> dict[str, Any]:
    return {
        "indicator": name,
        "scope": scope,
        "status": status_of(value, watch, alarm),
        "value": value,
        "watch_above": watch,
        "alarm_above": alarm,
        "reason": reason,
    }


def spending_progress_warning(report: Mapping[str, Any], limits: WarningThresholds) -> dict[str, Any]:
    spending, elapsed = report["spending_progress"], report["period"]["time_progress"]
    gap = spending - elapsed
    relation = "超过" if gap > 0 else "低于" if gap < 0 else "持平于"
    reason = f"基金支出进度{wording.pct(spending)}，时间进度{wording.pct(elapsed)}，支出进度{relation}时间进度"
    if gap != 0:
        reason += f"{wording.points(gap)}个百分点"
    return indicator("spending_progress", "all", gap, limits.spending_gap_watch, limits.spending_gap_alarm, reason)


def projection_warning(report: Mapping[str, Any], limits: WarningThresholds) -> dict[str, Any]:
    projection, usable = report["projection"], report["funding"]["usable"]
    share, full_year = projection["full_year_share"], projection["full_year_fund_paid"]
    reason = f"按当前支出进度，全年基金支出预计{wording.wan(full_year)}，为可用基金的{wording.pct(share)}"
    if projection["overrun"] > 0:
        reason += f"，超支{wording.wan(projection['overrun'])}"
    else:
        reason += f"，结余{wording.wan(usable - full_year)}"
    return indicator(
        "projection", "all", share, limits.full_year_share_watch, limits.full_year_share_alarm, reason
    )


def avg_medfee_growth_warnings(report: Mapping[str, Any], limits: WarningThresholds) -> list[dict[str, Any]]:
    """Growth of the average cost per admission, for all admissions then for each tier."""
    change = report["change"]["inpatient"]
    entries = [("all", "住院", report["inpatient"]["avg_medfee"], change["avg_medfee"])]
    for tier, tier_change in change["by_tier"].items():
        name = wording.tier_name(tier) + "住院"
        entries.append((tier, name, report["inpatient"]["by_tier"][tier]["avg_medfee"], tier_change["avg_medfee"]))
    warnings = []
    for scope, name, average, tier_change in entries:
        growth = tier_change["growth"]
        if growth is None:
            continue
        reason = (
            f"{name}次均费用{wording.per_visit(average)}，同比{wording.rise_or_fall(growth)}"
            f"{wording.pct(abs(growth))}"
        )
        warnings.append(
            indicator(
                "inpatient_avg_medfee_growth", scope, growth,
                limits.avg_medfee_growth_watch, limits.avg_medfee_growth_alarm, reason,
            )
        )
    return warnings


def spending_vs_funding_warning(report: Mapping[str, Any], limits: WarningThresholds) -> dict[str, Any] | None:
    change = report["change"]
    spending_growth = change["fund_paid"]["all"]["growth"]
    funding_growth = change.get("funding", {}).get("usable", {}).get("growth")
    if spending_growth is None or funding_growth is None:
        return None
    gap = spending_growth - funding_growth
    reason = (
        f"基金支出同比{wording.rise_or_fall(spending_growth)}{wording.pct(abs(spending_growth))}，"
        f"可用基金同比{wording.rise_or_fall(funding_growth)}{wording.pct(abs(funding_growth))}"
    )
    return indicator(
        "spending_vs_funding_growth", "all", gap,
        limits.spending_over_funding_growth_watch, limits.spending_over_funding_growth_alarm, reason,
    )


def evaluate_warnings(report: Mapping[str, Any], limits: WarningThresholds) -> list[dict[str, Any]]:
    """Every indicator the report's figures allow, in a fixed order."""
    warnings: list[dict[str, Any]] = []
    if "spending_progress" in report:
        warnings.append(spending_progress_warning(report, limits))
        warnings.append(projection_warning(report, limits))
    if "change" in report:
        warnings.extend(avg_medfee_growth_warnings(report, limits))
        funding_warning = spending_vs_funding_warning(report, limits)
        if funding_warning is not None:
            warnings.append(funding_warning)
    return warnings


def with_warnings(report: Mapping[str, Any], limits: WarningThresholds | None = None) -> dict[str, Any]:
    """The report with its `warnings` list."""
    return {**report, "warnings": evaluate_warnings(report, limits or WarningThresholds())}
