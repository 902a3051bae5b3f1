"""Contribution years from the history (enrolment/years.py), every figure worked by hand."""

import datetime as dt

from tongchou.enrolment.years import (
    History, Recognised, Years, covers_year, employee_years, month_of, resident_years, years, years_text,
)

D = dt.date


def whole(*years_):
    return tuple((D(y, 1, 1), D(y, 12, 31)) for y in years_)


def months(first: str, last: str, skip=()):
    start, end = month_of(first), month_of(last)
    return frozenset(m for m in range(start, end + 1) if m not in {month_of(s) for s in skip})


def test_cover_of_a_whole_year_may_be_split_between_enrolments():
    # moved county on 1 July: 1 Jan–30 Jun and 1 Jul–31 Dec cover the year
    assert covers_year([(D(2021, 1, 1), D(2021, 6, 30)), (D(2021, 7, 1), D(2021, 12, 31))], 2021)
    # stopped on 30 June: not the whole year
    assert not covers_year([(D(2021, 1, 1), D(2021, 6, 30))], 2021)
    # a day missing (1 July) breaks it
    assert not covers_year([(D(2021, 1, 1), D(2021, 6, 30)), (D(2021, 7, 2), D(2021, 12, 31))], 2021)


def test_resident_years_with_a_gap():
    # paid and covered 2016, 2017, 2019, 2020, 2021; 2018 not paid → total 5 years, continuous 2019–2021 = 3
    history = History(resident_cover=whole(2016, 2017, 2019, 2020, 2021),
                      resident_paid_years=frozenset({2016, 2017, 2019, 2020, 2021}))
    got = resident_years(history, D(2021, 5, 10))
    assert (got.total_years, got.continuous_years) == (5, 3)
    # on 10 January 2022, 2022 not paid: the run ends at 2021 → still 3; the total counts years up to the date
    assert resident_years(history, D(2022, 1, 10)).continuous_years == 3
    # in 2023, with neither 2023 nor 2022 paid, there is no run
    assert resident_years(history, D(2023, 3, 1)).continuous_years == 0


def test_a_resident_year_counts_only_when_paid_and_covered_whole():
    # 2020 covered but not paid (a fixture's enrolment), 2021 paid but stopped on 30 June, 2022 paid and whole
    history = History(resident_cover=whole(2020, 2022) + ((D(2021, 1, 1), D(2021, 6, 30)),),
                      resident_paid_years=frozenset({2021, 2022}))
    got = resident_years(history, D(2022, 8, 1))
    assert got == Years(12, 12) and got.counted == ("2022",)


def test_opening_years_join_the_run_when_it_reaches_the_start_of_the_history():
    # a fixture says 4 years before the history; 2021 and 2022 paid here → 6 continuous
    history = History(resident_cover=whole(2021, 2022), resident_paid_years=frozenset({2021, 2022}), opening_years=4)
    assert resident_years(history, D(2022, 2, 1)) == Years(72, 72)
    # no history at all: the opening years as the fixture says (what settlement used before)
    assert resident_years(History(opening_years=4), D(2022, 2, 1)) == Years(48, 48)
    # a gap (2022 missing, 2023 paid): 2023 alone is continuous; the total is 4 + 2 = 6 years
    gap = History(resident_cover=whole(2021, 2023), resident_paid_years=frozenset({2021, 2023}), opening_years=4)
    assert resident_years(gap, D(2023, 6, 1)) == Years(72, 12)


def test_employee_months_over_twelve_with_a_gap_within_the_allowance():
    # paid 2019-01 … 2021-12 except 2020-04 and 2020-05 (a gap of 2 months); allowance 3
    paid = months("2019-01", "2021-12", skip=("2020-04", "2020-05"))
    history = History(employee_paid_months=paid)
    got = employee_years(history, D(2022, 1, 20), gap_months=3)
    # 36 − 2 = 34 months paid: 2 years (34 // 12); the gap of 2 ≤ 3 keeps the run: continuous 34 months
    assert (got.total_months, got.continuous_months, got.total_years, got.continuous_years) == (34, 34, 2, 2)


def test_employee_months_with_a_gap_over_the_allowance():
    # paid 2018-01 … 2019-06, then nothing until 2019-11 (4 months unpaid: 07–10), then 2019-11 … 2021-12
    paid = months("2018-01", "2019-06") | months("2019-11", "2021-12")
    history = History(employee_paid_months=paid)
    got = employee_years(history, D(2021, 12, 31), gap_months=3)
    # total 18 + 26 = 44 months = 3 years; the 4-month gap > 3 breaks it: continuous 26 months = 2 years
    assert (got.total_months, got.continuous_months) == (44, 26)
    assert (got.total_years, got.continuous_years) == (3, 2)
    # with an allowance of 4 the gap no longer breaks it: 44 continuous months
    assert employee_years(history, D(2021, 12, 31), gap_months=4).continuous_months == 44


def test_employee_run_broken_after_the_last_month_paid():
    # paid 2020-01 … 2020-12; on 2021-05-10 the months 2021-01 … 2021-04 (4) are unpaid > 3: no run
    history = History(employee_paid_months=months("2020-01", "2020-12"))
    assert employee_years(history, D(2021, 5, 10), gap_months=3) == Years(12, 0)
    # on 2021-04-10 only 3 months (01–03) are unpaid, the current month is not yet due: the run holds
    assert employee_years(history, D(2021, 4, 10), gap_months=3) == Years(12, 12)


def test_years_recognised_by_a_certificate_join_when_the_gap_is_within_the_allowance():
    # other pool: 10 years 5 months recognised, 8 years continuous, last day covered 2021-02-28;
    # here paid 2021-04 … 2021-12 (9 months; March unpaid: a gap of 1)
    certificate = Recognised("310", 125, 96, D(2021, 2, 28), "certificate")
    history = History(employee_paid_months=months("2021-04", "2021-12"), recognised=(certificate,))
    got = years(history, "310", D(2021, 12, 15), gap_months=3)
    assert (got.total_months, got.continuous_months) == (125 + 9, 96 + 9)
    assert (got.total_years, got.continuous_years) == (11, 8)
    # a certificate for the other scheme is not counted
    assert years(history, "390", D(2021, 12, 15)).total_months == 0
    # the first month here 5 months after the certificate's end (gap 4 > 3): only the 9 months are continuous
    late = History(employee_paid_months=months("2021-08", "2021-12"), recognised=(certificate,))
    assert years(late, "310", D(2021, 12, 15), gap_months=3) == Years(125 + 5, 5)


def test_a_resident_certificate_joins_the_next_year_paid_here():
    # transferred in mid-2021 (the other pool's 2021 recognised); 2022 paid here → continuous 6 + 1
    certificate = Recognised("390", 84, 72, D(2021, 6, 30), "certificate")
    history = History(resident_cover=((D(2021, 7, 1), D(2021, 12, 31)),) + whole(2022),
                      resident_paid_years=frozenset({2022}), recognised=(certificate,), opening_years=2)
    # the opening years are superseded by the certificate (which counts the person's whole past)
    assert resident_years(history, D(2022, 3, 1)) == Years(96, 84)
    # before any year is paid here the certificate's years are the person's
    assert resident_years(history, D(2021, 9, 1)) == Years(84, 72)


def test_history_before_a_transfer_out_is_superseded_by_the_certificate_received_back():
    # paid 2015–2018 here, transferred out on 2018-12-31, came back with a certificate of 6 years (all of it)
    certificate = Recognised("390", 72, 72, D(2020, 12, 31), "certificate")
    history = History(resident_cover=whole(2015, 2016, 2017, 2018, 2021),
                      resident_paid_years=frozenset({2015, 2016, 2017, 2018, 2021}),
                      recognised=(certificate,), opening_years=3, superseded_to=D(2018, 12, 31))
    assert resident_years(history, D(2021, 6, 1)) == Years(84, 84)


def test_years_text():
    assert [years_text(n) for n in (0, 5, 36, 40)] == ["0年", "5个月", "3年", "3年4个月"]
