"""Persons and households against the store, on SQLite and PostgreSQL; the death refusal through the live
settlement service."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.store.support import TEST_CIPHER, request
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.persons.rules import check_character
from tongchou.persons.service import PersonService
from tongchou.store import models as m

D = dt.date
A = "371525199001011239"  # check digit worked by hand in test_rules.py
B = "11010519491231002X"  # the standard's example (female, 1949-12-31)


def with_check(first17: str) -> str:
    return first17 + check_character(first17)


@pytest.fixture
def persons(store) -> PersonService:
    return PersonService(store, TEST_CIPHER, today=lambda: D(2018, 12, 31))


def form(id_number: str = A, **changes) -> dict:
    return {"id_number": id_number, "name": "孙八", "phone": "13912345678", "address": "冠县清泉街道幸福路1号",
            "county": "371525", "psn_type": "1501", **changes}


def person(store, psn_no: str) -> m.Person:
    return store.read(lambda s: s.get(m.Person, psn_no))


def test_register_assigns_the_next_number_and_encrypts_what_is_personal(store, persons):
    first, second = persons.register(form()), persons.register(form(B, county="371599", phone=""))
    assert (first, second) == ("37152500000001", "37159900000001")
    third = persons.register(form(with_check("37152519851111002")))
    assert third == "37152500000002"
    row = person(store, first)
    assert (row.sex, row.birth_date, row.county, row.psn_type) == ("1", D(1990, 1, 1), "371525", "1501")
    assert A not in (row.id_number_enc or "") and TEST_CIPHER.decrypt(row.id_number_enc, "person.id_number") == A
    assert TEST_CIPHER.decrypt(row.address_enc, "person.address") == "冠县清泉街道幸福路1号"
    assert row.id_number_hash == TEST_CIPHER.lookup_hash(A, "person.id_number")
    view = persons.show(first)
    assert (view.id_number, view.phone) == ("371525********1239", "139****5678")


def test_one_person_per_id_number_found_by_the_lookup_hash(store, persons):
    psn_no = persons.register(form())
    with pytest.raises(Conflict) as caught:
        persons.register(form(A.lower(), name="另一人"))
    assert caught.value.field == "id_number" and psn_no in caught.value.message
    assert caught.value.code == "already_registered"


def test_a_fixture_person_is_found_by_the_same_hash(store, persons):
    # GX0011's number 37152520000101999X is in the fixture (its check digit happens to be right)
    assert check_character("37152520000101999") == "X"
    with pytest.raises(Conflict, match="GX0011"):
        persons.register(form("37152520000101999X"))


@pytest.mark.parametrize("changes, field", [({"id_number": "371525199001011234"}, "id_number"),
                                            ({"county": "999999"}, "county"), ({"psn_type": "0000"}, "psn_type"),
                                            ({"phone": "0531-1234567"}, "phone"), ({"name": ""}, "name")])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(store, persons, changes, field):
    with pytest.raises(InvalidRequest) as caught:
        persons.register(form(**changes))
    assert caught.value.field == field
    assert store.read(lambda s: s.scalars(select(m.Person).where(m.Person.psn_no.like("371525%"))).all()) == []


def test_changes_keep_their_history_encrypted_and_masked(store, persons):
    psn_no = persons.register(form())
    persons.change(psn_no, "phone", "13700001111", D(2018, 7, 1), "王科员")
    persons.change(psn_no, "name", "孙八妹", D(2018, 8, 1), "李科员")
    with pytest.raises(InvalidRequest) as caught:
        persons.change(psn_no, "phone", "12345", D(2018, 8, 2), "李科员")
    assert caught.value.field == "value"
    row = person(store, psn_no)
    assert row.name == "孙八妹" and row.phone_hash == TEST_CIPHER.lookup_hash("13700001111", "person.phone")
    history = persons.show(psn_no).changes
    assert [(c.field, c.old, c.new, c.changed_on, c.changed_by) for c in history] == [
        ("phone", "139****5678", "137****1111", D(2018, 7, 1), "王科员"),
        ("name", "孙*", "孙**", D(2018, 8, 1), "李科员")]
    stored = store.read(lambda s: s.scalars(select(m.PersonChange).order_by(m.PersonChange.id)).first())
    assert TEST_CIPHER.decrypt(stored.old_enc, "person_change.value") == "13912345678"


def test_the_change_history_refuses_update_and_delete(store, persons):
    psn_no = persons.register(form())
    persons.change(psn_no, "address", "冠县东古城镇2号", D(2018, 7, 1), "王科员")
    for statement in ("UPDATE person_change SET changed_by = 'x'", "DELETE FROM person_change"):
        with pytest.raises(DBAPIError):
            store.transaction(lambda s: s.execute(text(statement)))
    store.transaction(lambda s: s.execute(text("UPDATE person_change SET new_enc = new_enc")))  # a key rotation may


def test_households_one_per_person_with_history(store, persons):
    number = persons.create_household("GX0001", D(2018, 1, 1), "王科员")
    assert number == "HGX0001"
    persons.add_member(number, "GX0003", "配偶", D(2018, 2, 1), "王科员")
    persons.add_member(number, "GX0011", "子女", D(2018, 2, 1), "王科员")
    with pytest.raises(Conflict, match="HGX0001"):
        persons.create_household("GX0003", D(2018, 3, 1), "王科员")
    with pytest.raises(InvalidRequest, match="配偶、子女、父母或其他"):
        persons.add_member(number, "GX0004", "邻居", D(2018, 3, 1), "王科员")
    with pytest.raises(Refused, match="其他2名成员"):
        persons.remove_member(number, "GX0001", D(2018, 3, 1), "王科员")
    persons.remove_member(number, "GX0011", D(2018, 4, 1), "王科员")
    other = persons.create_household("GX0011", D(2018, 4, 2), "王科员")  # free to head a household of its own
    members = persons.show("GX0001").household
    assert [(x.psn_no, x.relation, x.left_on) for x in members] == [
        ("GX0001", "head", None), ("GX0003", "spouse", None), ("GX0011", "child", D(2018, 4, 1))]
    assert persons.show("GX0011").household_no == other


def test_an_employee_has_no_household(store, persons):
    employee = store.read(lambda s: s.scalars(select(m.Person.psn_no).where(m.Person.psn_type == "1101")).first())
    with pytest.raises(InvalidRequest, match="只登记城乡居民"):
        persons.create_household(employee, D(2018, 1, 1), "王科员")


def test_death_ends_cover_and_a_later_claim_is_refused(store, persons, settlements):
    cut = persons.record_death("GX0001", D(2018, 5, 5), "王科员")
    assert len(cut) == 1
    enrolment = store.read(lambda s: s.scalars(select(m.Enrolment).where(m.Enrolment.psn_no == "GX0001")).one())
    assert enrolment.end == D(2018, 5, 5) and "死亡" in enrolment.note
    with pytest.raises(Refused) as caught:
        settlements.settle(request("S-AFTER", day="2018-05-06", begin="2018-05-01"))
    assert (caught.value.field, caught.value.code) == ("enddate", "deceased")
    assert "2018年5月5日死亡" in caught.value.message and "不予结算" in caught.value.message
    assert settlements.settle(request("S-ON-THE-DAY", day="2018-05-05")).setl_id == "S-ON-THE-DAY"
    with pytest.raises(Conflict):
        persons.record_death("GX0001", D(2018, 5, 6), "王科员")


def test_a_newborn_of_an_insured_parent_joins_the_parents_household(store, persons):
    baby = persons.register_newborn("GX0001", "张小宝", D(2018, 6, 1), "2", "王科员")
    row = person(store, baby)
    assert (row.county, row.psn_type, row.birth_date, row.sex) == ("371525", "1401", D(2018, 6, 1), "2")
    members = persons.show(baby).household
    assert [(x.psn_no, x.relation) for x in members] == [("GX0001", "head"), (baby, "child")]
    relations = store.read(lambda s: {(r.psn_no, r.relative, r.relation) for r in s.scalars(select(m.FamilyRelation))})
    assert {("GX0001", baby, "child"), (baby, "GX0001", "parent")} <= relations


def test_an_employees_newborn_is_registered_outside_any_household(store):
    employee = store.read(lambda s: s.execute(
        select(m.Enrolment.psn_no, m.Enrolment.start).join(m.Person, m.Person.psn_no == m.Enrolment.psn_no)
        .where(m.Person.psn_type == "1101", m.Enrolment.insutype == "310")).first())
    later = PersonService(store, TEST_CIPHER, today=lambda: employee.start)
    baby = later.register_newborn(employee.psn_no, "李小宝", employee.start, "1", "王科员")
    assert later.show(baby).household_no is None and later.show(employee.psn_no).household_no is None


def test_a_newborn_whose_parent_was_not_covered_is_refused(store, persons):
    with pytest.raises(InvalidRequest) as caught:
        persons.register_newborn("GX0001", "张小宝", D(2017, 6, 1), "1", "王科员")  # GX0001 insured from 2018
    assert caught.value.field == "parent" and "未参加本市医保" in caught.value.message
    with pytest.raises(InvalidRequest) as caught:
        persons.register_newborn("GX0003", "王小宝", D(2018, 6, 1), "1", "王科员")  # never insured
    assert caught.value.field == "parent"
    with pytest.raises(NotFound):
        persons.register_newborn("NOBODY", "某", D(2018, 6, 1), "1", "王科员")


def test_a_newborns_id_number_must_agree_with_the_birth(store, persons):
    number = with_check("37152520180601002")  # female, 2018-06-01
    assert persons.register_newborn("GX0001", "张小宝", D(2018, 6, 1), "2", "王科员", number)
    with pytest.raises(InvalidRequest, match="不一致"):
        persons.register_newborn("GX0001", "张二宝", D(2018, 6, 2), "2", "王科员", with_check("37152520180601004"))


def test_a_batch_applies_the_good_rows_and_returns_the_bad_ones_by_column(store, persons):
    rows = [form(), form("371525199001011234"), form(with_check("37152519851111002"), phone="1"),
            form(A, name="重复"), form(B, county="371599")]
    report = persons.import_rows(enumerate(rows, start=2))
    assert [line for line, _ in report.registered] == [2, 6]
    assert [(line, [c for c, _ in errors]) for line, _, errors in report.refused] == [
        (3, ["id_number"]), (4, ["phone"]), (5, ["id_number"])]
    assert "37152500000001" in report.refused[2][2][0][1]  # the duplicate names the other person
    assert store.read(lambda s: s.scalars(select(m.Person.psn_no).where(
        m.Person.psn_no.like("3715%"))).all()) == ["37152500000001", "37159900000001"]


def test_full_width_digits_in_an_id_number_are_read_as_digits_and_found_as_the_same_person(store, persons):
    full = A.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    psn_no = persons.register(form(full, phone="１３９１２３４５６７８"))
    with pytest.raises(Conflict, match=psn_no):
        persons.register(form(A, name="重复"))
    assert persons.show(psn_no).phone == "139****5678"


def test_a_newborn_registered_twice_is_refused_naming_the_first(store, persons):
    first = persons.register_newborn("GX0001", "张小双", D(2018, 6, 1), "1", "王科员")
    with pytest.raises(Conflict, match=first):
        persons.register_newborn("GX0001", "张小双", D(2018, 6, 1), "1", "王科员")
    assert persons.register_newborn("GX0001", "张小对", D(2018, 6, 1), "2", "王科员") != first  # a twin


def test_a_batch_sheet_maps_chinese_headers_and_returns_the_rows_as_given(store, persons):
    from tongchou.persons.service import errors_file
    from tongchou.sheets import read_sheet
    content = ("公民身份号码,姓名,区县,人员类别,备注\n" + f"{A},孙八,371525,1501,甲\n" + "371525199001011235,错号,371525,1501,乙\n"
               ).encode("gb18030")
    sheet = read_sheet("batch.csv", content)
    report = persons.import_sheet(sheet)
    assert [line for line, _ in report.registered] == [2]
    assert report.refused[0][0] == 3 and report.refused[0][1]["备注"] == "乙"
    back = read_sheet("errors.csv", errors_file(report, sheet.header, "csv"))
    assert back.header == ("行号", "公民身份号码", "姓名", "区县", "人员类别", "备注", "错误")
    assert back.rows[0].values["行号"] == "3" and "校验码" in back.rows[0].values["错误"]
