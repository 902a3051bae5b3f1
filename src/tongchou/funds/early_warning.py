"""Early-warning indicators (预警) that a claims table and the funding file can give.

Pure functions over the report structure of `tongchou.funds.operation`. Each
indicator has a status — normal (正常), watch (关注), alarm (预警) — set by
comparing its value with two thresholds (value > alarm → alarm, value > watch
→ watch, else normal), and a reason in Chinese that names the figures.

Indicators and default thresholds (overridable under `warning_thresholds:`
in the funding file; docs/reports.md documents them):

- ``spending_progress``: spending progress − time progress, in fractions of
  the usable fund. Watch above 0 (spending ahead of time), alarm above 0.05
  (five percentage points ahead).
- ``projection``: projected full-year fund paid / usable fund. Watch above
  0.95 (little or no surplus left: the budget aims at 略有结余), alarm above 1
  (projected to exceed the usable fund).
- ``inpatient_avg_medfee_growth`` (with a comparison period), for all
  admissions and per tier: growth of the average cost per admission. Watch
  above 0.05, alarm above 0.10.
- ``spending_vs_funding_growth`` (with a comparison funding file): growth of
  the fund paid − growth of the usable fund. Watch above 0, alarm above 0.10.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any

from tongchou.funds import wording
from tongchou.funds.errors import ReportInputError

NORMAL, WATCH, ALARM = "normal", "watch", "alarm"


@dataclass(frozen=True)
class WarningThresholds:
    """Watch and alarm thresholds of each indicator (fractions, not percentages)."""

    spending_gap_watch: Decimal = Decimal("0")
    spending_gap_alarm: Decimal = Decimal("0.05")
    full_year_share_watch: Decimal = Decimal("0.95")
    full_year_share_alarm: Decimal = Decimal("1")
    avg_medfee_growth_watch: Decimal = Decimal("0.05")
    avg_medfee_growth_alarm: Decimal = Decimal("0.10")
    spending_over_funding_growth_watch: Decimal = Decimal("0")
    spending_over_funding_growth_alarm: Decimal = Decimal("0.10")


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
    if value > alarm:
        return ALARM
    if value > watch:
        return WATCH
    return NORMAL


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
