"""Cover that changes through the service, on SQLite and PostgreSQL: stop, resume with the waiting period,
switch between the schemes without gap or overlap, and insured twice refused wherever an enrolment opens."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.store import models as m

D = dt.date


def rows(store, psn_no: str) -> list[tuple]:
    return store.read(lambda s: [(e.insutype, e.start, e.end, e.benefit_start, e.kind) for e in s.execute(
        select(m.Enrolment).where(m.Enrolment.psn_no == psn_no).order_by(m.Enrolment.start, m.Enrolment.id)).scalars()])


def test_stop_then_resume_after_a_gap_waits_three_months(store, enrolments, settlements):
    enrolments.stop("GX0001", "390", D(2018, 3, 31))
    assert rows(store, "GX0001") == [("390", D(2018, 1, 1), D(2018, 3, 31), D(2018, 1, 1), "on_time")]
    _, terms = enrolments.resume("GX0001", "390", D(2018, 5, 15))
    # 冠县 (004 篇4 一(七)): "缴费满3个月后方可享受待遇" — 15 May + 3 months = 15 August
    assert terms.benefit_start == D(2018, 8, 15)
    assert rows(store, "GX0001")[1] == ("390", D(2018, 5, 15), D(2018, 12, 31), D(2018, 8, 15), "resume")


def test_resume_the_day_after_the_stop_is_continuous(store, enrolments):
    enrolments.stop("CC0001", "310", D(2021, 5, 31))
    _, terms = enrolments.resume("CC0001", "310", D(2021, 6, 1))
    assert terms.benefit_start == D(2021, 6, 1)
    assert rows(store, "CC0001")[-1] == ("310", D(2021, 6, 1), None, D(2021, 6, 1), "resume")


def test_stop_and_resume_refusals_change_nothing(store, enrolments):
    before = rows(store, "GX0001")
    with pytest.raises(InvalidRequest) as err:
        enrolments.stop("GX0001", "390", D(2017, 12, 31))
    assert err.value.field == "on" and "早于参保记录" in err.value.message
    with pytest.raises(Conflict) as err:
        enrolments.resume("GX0001", "390", D(2018, 6, 1))  # never stopped
    assert err.value.field == "on" and "仍参加城乡居民医保（参保记录" in err.value.message
    with pytest.raises(NotFound):
        enrolments.stop("GX0003", "390", D(2018, 6, 1))
    with pytest.raises(InvalidRequest) as err:
        enrolments.stop("GX0001", "999", D(2018, 6, 1))
    assert err.value.field == "insutype"
    enrolments.stop("GX0001", "390", D(2018, 6, 30))
    with pytest.raises(Conflict) as err:
        enrolments.resume("GX0001", "390", D(2018, 6, 30))  # the stop day itself is still covered
    assert err.value.field == "on"
    assert rows(store, "GX0001") == [("390", before[0][1], D(2018, 6, 30), before[0][3], before[0][4])]


def test_switch_from_resident_to_employee_has_no_gap_and_no_overlap(store, enrolments):
    ended, opened = enrolments.switch("GX0001", "310", D(2018, 6, 1))
    assert rows(store, "GX0001") == [("390", D(2018, 1, 1), D(2018, 5, 31), D(2018, 1, 1), "on_time"),
                                     ("310", D(2018, 6, 1), None, D(2018, 6, 1), "switch")]
    assert store.read(lambda s: s.get(m.PersonalAccount, "GX0001") is not None)
    ended2, opened2 = enrolments.switch("GX0001", "390", D(2018, 10, 1))
    assert ended2 == opened
    assert rows(store, "GX0001")[1:] == [("310", D(2018, 6, 1), D(2018, 9, 30), D(2018, 6, 1), "switch"),
                                         ("390", D(2018, 10, 1), D(2018, 12, 31), D(2018, 10, 1), "switch")]


def test_a_refused_switch_writes_nothing(store, enrolments):
    enrolments.enrol_employee("GX0001", D(2019, 1, 1))  # employee cover already from the next year
    before = rows(store, "GX0001")
    with pytest.raises(InvalidRequest) as err:
        enrolments.switch("GX0001", "310", D(2018, 1, 1))
    assert err.value.field == "on"
    with pytest.raises(NotFound):
        enrolments.switch("GX0003", "310", D(2018, 6, 1))
    assert rows(store, "GX0001") == before


def test_insured_twice_is_refused_wherever_an_enrolment_opens(store, enrolments):
    employee = enrolments.enrol_employee("GX0003", D(2018, 3, 1))
    with pytest.raises(Conflict) as err:  # a resident enrolment for the year
        enrolments.enrol_resident("GX0003", 2018, D(2017, 10, 15))
    assert err.value.field == "year" and err.value.code == "insured_twice"
    assert f"参保记录{employee}，2018年3月1日起至今" in err.value.message
    with pytest.raises(Conflict) as err:  # an employee enrolment over the resident year
        enrolments.enrol_employee("GX0001", D(2018, 6, 1))
    assert "已参加城乡居民医保" in err.value.message
    enrolments.stop("GX0003", "310", D(2018, 8, 31))
    enrolments.switch("GX0001", "310", D(2018, 9, 1))
    with pytest.raises(Conflict) as err:  # resuming resident cover while insured as an employee
        enrolments.resume("GX0001", "390", D(2018, 11, 1))
    assert err.value.field == "on" and "已参加职工医保" in err.value.message
    assert [r[2] for r in rows(store, "GX0001")] == [D(2018, 8, 31), None]


def test_no_cover_opens_after_a_recorded_death_and_none_runs_past_it(store, enrolments, registry):
    from tongchou.persons.service import PersonService
    from tests.store.support import TEST_CIPHER
    persons = PersonService(store, TEST_CIPHER, today=lambda: D(2021, 12, 31))
    persons.record_death("CC0005", D(2021, 3, 1), "测试")
    before = rows(store, "CC0005")
    with pytest.raises(Refused) as err:
        enrolments.resume("CC0005", "310", D(2021, 4, 1))
    assert err.value.field == "on" and "已于2021年3月1日死亡" in err.value.message
    with pytest.raises(Refused) as err:
        enrolments.enrol_employee("CC0005", D(2021, 4, 1))
    assert err.value.field == "start" and "2021年4月1日起不能参保" in err.value.message
    assert rows(store, "CC0005") == before
    # an employee cover opened retroactively, before the death, ends on the date of death
    enrolments.stop("CC0005", "310", D(2021, 1, 31))
    enrolments.resume("CC0005", "310", D(2021, 2, 1))
    assert rows(store, "CC0005")[-1][1:3] == (D(2021, 2, 1), D(2021, 3, 1))
