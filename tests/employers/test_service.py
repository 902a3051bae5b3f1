"""Employers, joining and leaving, declarations, arrears and collections through the service, on SQLite and
PostgreSQL; the books verified after declarations, payments and late fees."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.employers.conftest import EMPLOYER
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.service import balance, personal_account_balance
from tongchou.ledger.service import verify
from tongchou.store import models as m
from tongchou.store.uow import Store

D = dt.date


def assert_books_ok(store) -> None:
    report = verify(store)
    assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]


def revenue(store, title: Title, county: str) -> int:
    return store.read(lambda s: -balance(s, Account(Fund.EMPLOYEE_POOLED, title, county)))


def employee_enrolments(store, psn_no: str) -> list[tuple]:
    return store.read(lambda s: [(e.start, e.end) for e in s.execute(select(m.Enrolment).where(
        m.Enrolment.psn_no == psn_no, m.Enrolment.insutype == "310").order_by(m.Enrolment.start)).scalars()])


def collection(month: str, employer: str, individual: str, paid_on: str, late_fee: str = "0",
               psn_no: str = "CC0101") -> dict:
    return {"employer": EMPLOYER, "psn_no": psn_no, "month": month, "employer_part": employer,
            "individual_part": individual, "late_fee": late_fee, "paid_on": paid_on}


# ---------------------------------------------------------------- registration

def test_an_employer_is_registered_once_per_code(employers, store):
    assert store.read(lambda s: s.get(m.Employer, EMPLOYER).name) == "长春某机械厂"
    with pytest.raises(Conflict) as err:
        employers.register(EMPLOYER.lower(), "另一家", "220104")
    assert err.value.field == "code" and "长春某机械厂" in err.value.message


@pytest.mark.parametrize("code, name, county, field", [
    ("91220102MA0000000F", "某厂", "220102", "code"),   # check character E, not F
    ("91220102MA000000G0", " ", "220102", "name"),
    ("91220102MA000000G0", "某厂", "999999", "county"),
])
def test_a_bad_registration_names_the_field_and_writes_nothing(employers, store, code, name, county, field):
    with pytest.raises((InvalidRequest, NotFound)) as err:
        employers.register(code, name, county)
    assert err.value.field == field
    assert store.read(lambda s: s.get(m.Employer, "91220102MA000000G0")) is None


# ---------------------------------------------------------------- joining and leaving

def test_joining_enrols_and_leaving_ends_the_enrolment(employers, store):
    enrolment_id = employers.join(EMPLOYER, "CC0101", D(2021, 3, 1))
    assert employee_enrolments(store, "CC0101") == [(D(2021, 3, 1), None)]
    assert store.read(lambda s: (s.get(m.Person, "CC0101").employer, s.get(m.PersonalAccount, "CC0101") is not None)) \
        == (EMPLOYER, True)
    employers.leave(EMPLOYER, "CC0101", D(2021, 8, 31))
    assert employee_enrolments(store, "CC0101") == [(D(2021, 3, 1), D(2021, 8, 31))]
    summary = employers.show(EMPLOYER)
    assert [(e.psn_no, e.left_on, e.enrolment_id) for e in summary.employments] == [
        ("CC0101", D(2021, 8, 31), enrolment_id)]


def test_joining_while_insured_as_a_resident_is_refused_naming_the_enrolment(employers, store):
    resident_id = store.read(lambda s: s.execute(select(m.Enrolment.id).where(
        m.Enrolment.psn_no == "CC0102")).scalar_one())
    with pytest.raises(Conflict) as err:
        employers.join(EMPLOYER, "CC0102", D(2021, 6, 1))
    assert err.value.field == "start" and f"参保记录{resident_id}" in err.value.message
    assert employee_enrolments(store, "CC0102") == []
    assert store.read(lambda s: s.execute(select(m.Employment)).first()) is None
    employers.join(EMPLOYER, "CC0102", D(2022, 1, 1))  # the day after the resident year ends


def test_joining_twice_or_leaving_before_joining_is_refused(employers):
    employers.join(EMPLOYER, "CC0101", D(2021, 3, 1))
    with pytest.raises(Conflict):
        employers.join(EMPLOYER, "CC0101", D(2021, 4, 1))
    with pytest.raises(InvalidRequest) as err:
        employers.leave(EMPLOYER, "CC0101", D(2021, 2, 1))
    assert err.value.field == "left_on"
    with pytest.raises(NotFound) as err:
        employers.leave(EMPLOYER, "CC0005", D(2021, 2, 1))
    assert err.value.field == "psn_no"
    with pytest.raises(Refused) as err:
        employers.join(EMPLOYER, "GX0003", D(2021, 3, 1))  # a person of another pool
    assert err.value.field == "psn_no"


# ---------------------------------------------------------------- declarations

def test_a_declaration_computes_the_base_and_both_parts(employers):
    employers.join(EMPLOYER, "CC0101", D(2021, 3, 1))
    # 3,000.00 below the lower bound 3,600.00 (60 % of 6,000.00): 3,600 × 7 % = 252.00, × 2 % = 72.00; due 15 March
    view = employers.declare(EMPLOYER, "CC0101", "2021-03", 300_000, D(2021, 3, 5))
    assert (view.base, view.employer_part, view.individual_part, view.due_on) == (360_000, 25_200, 7_200, D(2021, 3, 15))
    with pytest.raises(Conflict) as err:
        employers.declare(EMPLOYER, "CC0101", "2021-03", 500_000, D(2021, 3, 6))
    assert err.value.field == "month"


def test_a_declaration_outside_the_employment_or_the_terms_is_refused(employers):
    employers.join(EMPLOYER, "CC0101", D(2021, 3, 1))
    with pytest.raises(Refused) as err:
        employers.declare(EMPLOYER, "CC0101", "2021-02", 500_000, D(2021, 3, 5))
    assert err.value.field == "psn_no"
    with pytest.raises(InvalidRequest) as err:
        employers.declare(EMPLOYER, "CC0101", "2022-01", 500_000, D(2022, 1, 5))  # no 2022 terms
    assert err.value.field == "month"
    with pytest.raises(InvalidRequest) as err:
        employers.declare(EMPLOYER, "CC0101", "2021/03", 500_000, D(2021, 3, 5))
    assert err.value.field == "month"


def test_a_batch_applies_the_good_rows_and_returns_the_bad_ones_with_their_column(employers, store):
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))
    rows = [
        {"employer": EMPLOYER, "psn_no": "CC0101", "month": "2021-03", "wage": "5000.00"},
        {"employer": EMPLOYER, "psn_no": "CC0101", "month": "2021-04", "wage": "5000.123"},
        {"employer": EMPLOYER, "psn_no": "NOBODY", "month": "2021-03", "wage": "5000"},
        {"employer": "91220102MA0000000F", "psn_no": "CC0101", "month": "2021-05", "wage": "5000"},
        {"employer": EMPLOYER, "psn_no": "CC0101", "month": "", "wage": "5000"},
        {"employer": EMPLOYER, "psn_no": "CC0101", "month": "2021-03", "wage": "6000"},
    ]
    outcome = employers.declare_rows(rows, D(2021, 3, 5))
    assert [(d.month, d.employer_part) for d in outcome.applied] == [("2021-03", 35_000)]
    assert [(e.row, e.column) for e in outcome.errors] == [
        (2, "wage"), (3, "psn_no"), (4, "employer"), (5, "month"), (6, "month")]
    assert store.read(lambda s: len(s.execute(select(m.Declaration)).all())) == 1


# ---------------------------------------------------------------- arrears, late fees, collections

def test_arrears_and_the_late_fee_as_of_a_date(employers):
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))
    employers.declare(EMPLOYER, "CC0101", "2021-03", 500_000, D(2021, 3, 5))
    assert employers.arrears(D(2021, 3, 15)) == []  # on the due date: not yet in arrears
    [item] = employers.arrears(D(2021, 4, 14), EMPLOYER)
    # 350.00 + 100.00 unpaid, 30 days (16 March … 14 April) × 0.05 % = 6.75
    assert (item.unpaid, item.days, item.late_fee) == (45_000, 30, 675)


def test_collection_on_time_books_both_parts_and_nothing_more(employers, store):
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))
    employers.declare(EMPLOYER, "CC0101", "2021-03", 500_000, D(2021, 3, 5))
    outcome = employers.reconcile("TAX-1", D(2021, 3, 20), [collection("2021-03", "350.00", "100.00", "2021-03-15")])
    assert (outcome.accepted, outcome.late_fees, outcome.held) == (1, 0, [])
    assert revenue(store, Title.REVENUE_EMPLOYER, "220102") == 35_000
    # seed 003: the employee's 2 % goes to the personal account whole
    assert store.read(lambda s: personal_account_balance(s, "CC0101")) == 10_000
    assert revenue(store, Title.REVENUE_OTHER, "220102") == 0
    assert employers.arrears(D(2021, 5, 1)) == []
    assert_books_ok(store)


def test_a_late_collection_books_the_late_fee_as_fund_revenue_borne_by_the_employer(employers, store):
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))
    employers.declare(EMPLOYER, "CC0101", "2021-03", 500_000, D(2021, 3, 5))
    outcome = employers.reconcile("TAX-2", D(2021, 4, 20),
                                  [collection("2021-03", "350.00", "100.00", "2021-04-14", late_fee="6.75")])
    assert (outcome.accepted, outcome.late_fees) == (1, 675)
    assert revenue(store, Title.REVENUE_OTHER, "220102") == 675
    assert revenue(store, Title.REVENUE_EMPLOYER, "220102") == 35_000
    assert store.read(lambda s: personal_account_balance(s, "CC0101")) == 10_000  # the employee bears none of it
    [row] = employers.show(EMPLOYER).declarations
    assert (row.collected_on, row.late_fee) == (D(2021, 4, 14), 675)
    assert employers.arrears(D(2021, 4, 10)) != [] and employers.arrears(D(2021, 4, 14)) == []
    assert_books_ok(store)


def test_lines_that_do_not_match_a_declaration_are_held_with_the_reason(employers, store):
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))
    employers.declare(EMPLOYER, "CC0101", "2021-03", 500_000, D(2021, 3, 5))
    employers.declare(EMPLOYER, "CC0101", "2021-04", 500_000, D(2021, 4, 5))
    outcome = employers.reconcile("TAX-3", D(2021, 4, 20), [
        collection("2021-03", "350.00", "100.00", "2021-04-14"),                 # late fee missing
        collection("2021-04", "300.00", "100.00", "2021-04-15"),                 # employer part short
        collection("2021-05", "350.00", "100.00", "2021-05-15"),                 # not declared
        collection("2021-04", "350.00", "100.00", "2021-04-15"),                 # matches
        collection("2021-04", "350.00", "100.00", "2021-04-15"),                 # already collected
    ])
    assert outcome.accepted == 1
    assert [(number, reason.split("：")[0]) for number, reason in outcome.held] == [
        (1, "late_fee"), (2, "employer_part"), (3, "month"), (5, "month")]
    held = store.read(lambda s: s.execute(select(m.ContributionLine.held_reason).where(
        m.ContributionLine.status == "held").order_by(m.ContributionLine.line_no)).scalars().all())
    assert len(held) == 4 and "6.75元" in held[0]
    assert revenue(store, Title.REVENUE_EMPLOYER, "220102") == 35_000
    with pytest.raises(Conflict):
        employers.reconcile("TAX-3", D(2021, 4, 20), [])
    assert_books_ok(store)


def test_on_postgresql_a_county_sees_only_its_own_employments_and_declarations(employers, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("row-level security is PostgreSQL's")
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))  # county 220102
    employers.declare(EMPLOYER, "CC0101", "2021-03", 500_000, D(2021, 3, 5))
    for county, seen in (("220102", 1), ("220104", 0)):
        scoped = Store.open(db_url, county=county, role="tongchou_app")
        try:
            assert scoped.read(lambda s: (len(s.execute(select(m.Employment)).all()),
                                          len(s.execute(select(m.Declaration)).all()))) == (seen, seen)
        finally:
            scoped.close()


def test_a_county_scoped_service_handles_only_employers_and_persons_of_its_county(employers, store, registry, terms,
                                                                                  db_url):
    from tongchou.employers.service import EmployerService
    other = "91220104MA0000001E"
    employers.register(other, "朝阳区某商店", "220104")
    role = {"role": "tongchou_app"} if db_url.startswith("postgresql") else {}
    scoped = Store.open(db_url, county="220104", **role)
    try:
        service = EmployerService(scoped, registry, terms)
        assert [row.code for row in service.search()] == [other]
        with pytest.raises(NotFound) as err:
            service.show(EMPLOYER)
        assert err.value.field == "code" and "不属于本区县" in err.value.message
        with pytest.raises(NotFound):
            service.join(EMPLOYER, "CC0101", D(2021, 3, 1))
        with pytest.raises((Refused, NotFound)) as refused:  # NotFound on PostgreSQL: the person is not visible
            service.join(other, "CC0101", D(2021, 3, 1))  # CC0101 is of 220102
        assert refused.value.field == "psn_no" and "不属于本区县" in refused.value.message
        with pytest.raises(Refused) as refused:
            service.register("91220102MA000000G0", "南关区某厂", "220102")
        assert refused.value.field == "county"
        outcome = service.declare_rows([{"employer": EMPLOYER, "psn_no": "CC0101", "month": "2021-03", "wage": "5000"}],
                                       D(2021, 3, 5))
        assert [(e.column, "不属于本区县" in e.message) for e in outcome.errors] == [("employer", True)]
    finally:
        scoped.close()


@pytest.mark.parametrize("wage, expected", [("５０００．００", 35_000), ("5,000.00", 35_000), (" 5000 ", 35_000)])
def test_full_width_digits_and_separators_are_read_as_typed(employers, wage, expected):
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))
    outcome = employers.declare_rows([{"employer": EMPLOYER.lower(), "psn_no": "ＣＣ０１０１", "month": "２０２１－０３",
                                       "wage": wage}], D(2021, 3, 5))
    assert [(d.psn_no, d.month, d.employer_part) for d in outcome.applied] == [("CC0101", "2021-03", expected)]


def test_duplicated_rows_of_one_batch_the_first_applied_the_second_refused_naming_the_first(employers):
    employers.join(EMPLOYER, "CC0101", D(2021, 1, 1))
    row = {"employer": EMPLOYER, "psn_no": "CC0101", "month": "2021-03", "wage": "5000"}
    outcome = employers.declare_rows([row, {**row, "wage": "6000"}], D(2021, 3, 5))
    assert len(outcome.applied) == 1 and [(e.row, e.column) for e in outcome.errors] == [(2, "month")]
    assert "与第1行重复" in outcome.errors[0].message
