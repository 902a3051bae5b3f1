"""Cover that changes (停保、续保、险种转换) as pure rules, with the dates worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tongchou.enrolment.rules import (
    Cover, RuleError, check_no_resident_cover, check_not_insured_twice, check_stop, resume_terms, switch_end,
)

D = dt.date
RESIDENT_2018 = Cover(11, "390", D(2018, 1, 1), D(2018, 12, 31))
EMPLOYEE_OPEN = Cover(12, "310", D(2021, 1, 1), None)


def test_stop_on_the_start_day_is_allowed_but_not_before():
    check_stop(RESIDENT_2018, D(2018, 1, 1))
    check_stop(EMPLOYEE_OPEN, D(2030, 6, 30))  # an open enrolment stops any day from its start
    with pytest.raises(RuleError) as err:
        check_stop(RESIDENT_2018, D(2017, 12, 31))
    assert err.value.field == "on" and "停保日期2017年12月31日早于参保记录11的参保日期2018年1月1日" in str(err.value)


def test_stop_after_the_cover_already_ended_is_refused():
    with pytest.raises(RuleError) as err:
        check_stop(RESIDENT_2018, D(2019, 1, 1))
    assert err.value.field == "on" and "参保记录11已于2018年12月31日终止" in str(err.value)


def test_resumed_the_next_day_never_lapsed_so_no_waiting():
    # stopped 30 June (last insured day), resumed 1 July: no day without cover
    terms = resume_terms("390", D(2018, 6, 30), D(2018, 7, 1), 3)
    assert terms.benefit_start == D(2018, 7, 1) and "参保连续" in terms.reason


def test_resumed_after_a_gap_waits_the_policy_months():
    # stopped 31 March, resumed 15 May (a 45-day gap): 冠县's 3 months from 15 May → 15 August
    terms = resume_terms("390", D(2018, 3, 31), D(2018, 5, 15), 3)
    assert terms.benefit_start == D(2018, 8, 15)
    assert "满3个月，2018年8月15日起享受待遇" in terms.reason
    # resumed 30 November: 3 months later is 28 February 2019 (the end of the shorter month)
    assert resume_terms("390", D(2018, 3, 31), D(2018, 11, 30), 3).benefit_start == D(2019, 2, 28)


def test_resumed_after_a_gap_where_the_policy_sets_no_waiting_period():
    terms = resume_terms("310", D(2021, 5, 31), D(2021, 9, 1), None)
    assert terms.benefit_start == D(2021, 9, 1) and "政策未设续保等待期" in terms.reason


def test_resume_must_come_after_the_stop():
    for day in (D(2018, 6, 30), D(2018, 6, 1)):
        with pytest.raises(RuleError) as err:
            resume_terms("390", D(2018, 6, 30), day, 3)
        assert err.value.field == "on" and "续保日期" in str(err.value)


def test_switch_ends_the_current_cover_the_day_before():
    # from resident to employee on 1 June 2018: the resident cover ends 31 May, no gap and no overlap
    assert switch_end(RESIDENT_2018, "310", D(2018, 6, 1)) == D(2018, 5, 31)
    # on 1 January 2019, the day after the resident year ended: it ends as it did
    assert switch_end(RESIDENT_2018, "310", D(2019, 1, 1)) == D(2018, 12, 31)
    # from employee to resident on 1 March 2024 (a leap year): the employee cover ends 29 February
    assert switch_end(EMPLOYEE_OPEN, "390", D(2024, 3, 1)) == D(2024, 2, 29)


def test_switch_refusals_name_the_field():
    cases = [(RESIDENT_2018, "390", D(2018, 6, 1), "to"), (RESIDENT_2018, "999", D(2018, 6, 1), "to"),
             (RESIDENT_2018, "310", D(2018, 1, 1), "on"),  # would end the day before it began
             (RESIDENT_2018, "310", D(2019, 1, 2), "on")]  # a day's gap after the cover ended
    for cover, to, on, field in cases:
        with pytest.raises(RuleError) as err:
            switch_end(cover, to, on)
        assert err.value.field == field


def test_insured_in_both_schemes_for_the_same_days_is_refused_naming_the_other():
    with pytest.raises(RuleError) as err:
        check_not_insured_twice([EMPLOYEE_OPEN], "P1", "390", D(2021, 1, 1), D(2021, 12, 31), field="year")
    assert err.value.field == "year"
    assert str(err.value) == ("参保人P1已参加职工医保（参保记录12，2021年1月1日起至今），2021年1月1日起不能同时参加"
                              "城乡居民医保；请先办理职工医保停保。")
    # the day before the employee cover began: no shared day
    check_not_insured_twice([EMPLOYEE_OPEN], "P1", "390", D(2020, 1, 1), D(2020, 12, 31))
    # the same scheme is not the other scheme (a second enrolment of one scheme is the caller's own check)
    check_not_insured_twice([EMPLOYEE_OPEN], "P1", "310", D(2021, 6, 1))
    with pytest.raises(RuleError) as err:
        check_no_resident_cover([RESIDENT_2018], "P1", D(2018, 12, 31))  # the last resident day overlaps
    assert "参保记录11，2018年1月1日至2018年12月31日" in str(err.value) and "请先办理居民医保停保" in str(err.value)


def test_no_cover_runs_past_a_recorded_death():
    from tongchou.enrolment.rules import Deceased, end_before_death
    died = dt.date(2021, 3, 1)
    assert end_before_death("CC0005", None, dt.date(2021, 4, 1), None, "on") is None
    assert end_before_death("CC0005", died, dt.date(2021, 2, 1), None, "on") == died
    assert end_before_death("CC0005", died, dt.date(2021, 1, 1), dt.date(2021, 12, 31), "year") == died
    assert end_before_death("CC0005", died, died, dt.date(2021, 2, 28), "start") == dt.date(2021, 2, 28)
    with pytest.raises(Deceased) as err:
        end_before_death("CC0005", died, dt.date(2021, 3, 2), None, "start")
    assert err.value.field == "start" and str(err.value) == "参保人CC0005已于2021年3月1日死亡，2021年3月2日起不能参保。"
