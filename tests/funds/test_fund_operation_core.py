"""The functional core: time progress, rounding, change, funding file, warning thresholds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tongchou.funds.indicators import WarningThresholds, parse_thresholds, status_of, with_warnings
from tongchou.funds.errors import ReportInputError
from tongchou.funds.funding import parse_funding_yaml
from tongchou.funds.operation import (
    ClaimsCell,
    Funding,
    Period,
    PeriodFigures,
    build_fund_operation_report,
    change_entry,
    divide_half_up,
    full_year_fund_paid_fen,
    parse_period,
    time_progress,
)
from tongchou.funds.documents import dumps
from tongchou.funds.wording import comparison_label, period_label

# --------------------------------------------------------------------------- time progress


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        (date(2018, 6, 30), Decimal("0.5")),  # whole months: 6 / 12
        (date(2018, 12, 31), Decimal(1)),
        (date(2018, 1, 31), Decimal(1) / 12),
        (date(2018, 2, 28), Decimal(2) / 12),  # 28 February ends the month in a common year
        (date(2020, 2, 29), Decimal(2) / 12),  # 29 February ends it in a leap year
        (date(2020, 2, 28), Decimal(59) / 366),  # …and 28 February does not: days / days in year
        (date(2018, 6, 29), Decimal(180) / 365),
        (date(2018, 1, 1), Decimal(1) / 365),
        (date(2020, 12, 30), Decimal(365) / 366),
    ],
)
def test_time_progress(end: date, expected: Decimal) -> None:
    assert time_progress(end).fraction == expected


def test_projection_is_exact_with_day_counts() -> None:
    # 100 days of 365: 1 000.00 yuan paid → 3 650.00 yuan for the year, exactly
    assert full_year_fund_paid_fen(100_000, time_progress(date(2018, 4, 10))) == 365_000
    # a third of a year at month end: 4 months of 12
    assert full_year_fund_paid_fen(100, time_progress(date(2018, 4, 30))) == 300


@pytest.mark.parametrize(("numerator", "denominator", "expected"), [
    (5, 2, 3), (-5, 2, -3), (7, 3, 2), (8, 3, 3), (0, 7, 0), (1, 2, 1), (-1, 2, -1), (1, 3, 0)])
def test_divide_half_up(numerator: int, denominator: int, expected: int) -> None:
    assert divide_half_up(numerator, denominator) == expected


# --------------------------------------------------------------------------- periods


def test_parse_period() -> None:
    assert parse_period("2018-01-01:2018-06-30") == Period(date(2018, 1, 1), date(2018, 6, 30))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2018-01-01", "FROM:TO"),
        ("2018-01-01:2018-13-01", "not a date"),
        ("2018-06-30:2018-01-01", "after"),
        ("2017-07-01:2018-06-30", "same year"),
        ("a:b:c", "FROM:TO"),
    ],
)
def test_bad_period_names_the_option(text: str, fragment: str) -> None:
    with pytest.raises(ReportInputError) as error:
        parse_period(text, "--compare")
    assert error.value.field == "--compare"
    assert fragment in str(error.value)


def test_period_labels() -> None:
    assert period_label(date(2018, 1, 1), date(2018, 6, 30)) == "2018年上半年"
    assert period_label(date(2018, 1, 1), date(2018, 12, 31)) == "2018年"
    assert period_label(date(2018, 1, 1), date(2018, 9, 30)) == "2018年1-9月"
    assert period_label(date(2018, 7, 1), date(2018, 9, 30)) == "2018年第三季度"
    assert period_label(date(2018, 3, 1), date(2018, 3, 31)) == "2018年3月"
    assert period_label(date(2018, 1, 1), date(2018, 6, 15)) == "2018年1月1日至2018年6月15日"
    current = (date(2020, 1, 1), date(2020, 2, 29))
    assert comparison_label(current, (date(2019, 1, 1), date(2019, 2, 28))) == "2019年同期"
    assert comparison_label(current, (date(2018, 1, 1), date(2018, 2, 28))) == "2018年1-2月"


# --------------------------------------------------------------------------- change


def test_change_growth_is_null_when_the_old_value_is_zero() -> None:
    assert change_entry(5, 0) == {"delta": 5, "growth": None}
    assert change_entry(None, Decimal("1.00")) == {"delta": None, "growth": None}
    assert change_entry(Decimal("3.00"), Decimal("2.00")) == {"delta": Decimal("1.00"), "growth": Decimal("0.5")}


def _cells(count: int, medfee_fen: int, fund_fen: int, tier: str = "county") -> tuple[ClaimsCell, ...]:
    return (ClaimsCell("inpatient", tier, False, count, medfee_fen, fund_fen),)


def test_change_covers_counts_amounts_and_averages_not_ratios() -> None:
    funding = Funding(1000, {"individual": 50000})
    current = PeriodFigures(Period(date(2018, 1, 1), date(2018, 6, 30)), _cells(4, 400000, 200000), funding)
    previous = PeriodFigures(Period(date(2017, 1, 1), date(2017, 6, 30)), _cells(2, 100000, 100000, "city"),
                             Funding(900, {"individual": 40000}))
    report = build_fund_operation_report(current, previous)
    change = report["change"]
    assert change["visits"]["all"]["count"] == {"delta": 2, "growth": Decimal(1)}
    assert change["inpatient"]["by_tier"]["county"]["count"] == {"delta": 4, "growth": None}  # none before
    assert change["inpatient"]["by_tier"]["county"]["avg_medfee"] == {"delta": None, "growth": None}
    assert change["inpatient"]["avg_medfee"]["delta"] == Decimal("500.00")
    assert change["funding"]["usable"]["delta"] == Decimal("140000.00")
    assert change["projection"]["full_year_fund_paid"]["delta"] == Decimal("2000.00")
    assert "share" not in change["inpatient"]["by_tier"]["county"]
    assert "spending_progress" not in change and "time_progress" not in change.get("period", {})
    assert "fund_paid_share_of_spending" not in change


def test_report_without_claims_has_no_division_by_zero() -> None:
    funding = Funding(1000, {"individual": 50000})
    report = with_warnings(build_fund_operation_report(
        PeriodFigures(Period(date(2018, 1, 1), date(2018, 3, 31)), (), funding)))
    assert report["visits"]["all"] == {"count": 0, "medfee_sumamt": Decimal("0.00"), "avg_medfee": None}
    assert report["inpatient"]["by_tier"]["county"]["share"] is None
    assert report["spending_progress"] == 0
    assert report["projection"]["overrun"] == Decimal("0.00")
    assert [w["status"] for w in report["warnings"]] == ["normal", "normal"]
    dumps(report)  # serialisable


# --------------------------------------------------------------------------- funding file


def test_funding_file_reads_decimals_exactly() -> None:
    funding, thresholds = parse_funding_yaml(
        "insured: 3\nper_capita: {a: 115.6, b: 0.1}\nearmarked_per_capita: {c: 0.2}\n"
        "warning_thresholds: {spending_gap_alarm: 0.08}\n"
    )
    assert funding.per_capita_fen == {"a": 11560, "b": 10}
    assert funding.usable_fen == 3 * (11570 - 20)
    assert thresholds.spending_gap_alarm == Decimal("0.08")
    assert thresholds.spending_gap_watch == WarningThresholds().spending_gap_watch


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("per_capita: {a: 1}", "--funding insured", "missing"),
        ("insured: -5\nper_capita: {a: 1}", "--funding insured", "positive"),
        ("insured: 1.5\nper_capita: {a: 1}", "--funding insured", "whole number"),
        ("insured: 10", "--funding per_capita", "missing"),
        ("insured: 10\nper_capita: 700", "--funding per_capita", "mapping"),
        ("insured: 10\nper_capita: {a: 1.234}", "--funding per_capita.a", "two decimals"),
        ("insured: 10\nper_capita: {a: x}", "--funding per_capita.a", "amount"),
        ("insured: 10\nper_capita: {a: -1}", "--funding per_capita.a", "negative"),
        ("insured: 10\nper_capita: {a: 1}\nearmarked_per_capita: {b: 0.001}", "--funding earmarked_per_capita.b",
         "two decimals"),
        ("insured: 10\nper_capita: {a: 1}\ninsureds: 3", "--funding insureds", "unknown key"),
        ("insured: [1", "--funding", "not valid YAML"),
        ("- 1\n- 2", "--funding", "mapping"),
        ("insured: 10\nper_capita: {a: 1}\nwarning_thresholds: {nope: 1}", "--funding warning_thresholds.nope",
         "unknown threshold"),
        ("insured: 10\nper_capita: {a: 1}\nwarning_thresholds: {spending_gap_watch: 0.5}",
         "--funding warning_thresholds.spending_gap_watch", "must not exceed"),
    ],
)
def test_malformed_funding_names_the_field(text: str, field: str, fragment: str) -> None:
    with pytest.raises(ReportInputError) as error:
        parse_funding_yaml(text)
    assert error.value.field == field
    assert fragment in str(error.value)


# --------------------------------------------------------------------------- thresholds


def test_status_thresholds_are_exclusive() -> None:
    assert status_of(Decimal("0"), Decimal("0"), Decimal("0.05")) == "normal"
    assert status_of(Decimal("0.05"), Decimal("0"), Decimal("0.05")) == "watch"
    assert status_of(Decimal("0.0501"), Decimal("0"), Decimal("0.05")) == "alarm"


def test_thresholds_default_when_absent() -> None:
    assert parse_thresholds(None, "x") == WarningThresholds()


def test_spending_vs_funding_growth_needs_both_fundings() -> None:
    period, old_period = Period(date(2018, 1, 1), date(2018, 6, 30)), Period(date(2017, 1, 1), date(2017, 6, 30))
    current = PeriodFigures(period, _cells(4, 400000, 300000), Funding(1000, {"a": 100000}))
    previous = PeriodFigures(old_period, _cells(4, 400000, 200000), Funding(1000, {"a": 90000}))
    report = with_warnings(build_fund_operation_report(current, previous))
    warning = next(w for w in report["warnings"] if w["indicator"] == "spending_vs_funding_growth")
    assert warning["value"] == Decimal("0.5") - Decimal(1) / 9
    assert warning["status"] == "alarm"
    no_funding = with_warnings(build_fund_operation_report(current, PeriodFigures(old_period, previous.cells)))
    assert all(w["indicator"] != "spending_vs_funding_growth" for w in no_funding["warnings"])
