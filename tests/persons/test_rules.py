"""The pure rules of persons and households, with the numbers worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tongchou.persons import rules
from tongchou.persons.rules import Cover, PersonRuleError

D = dt.date
TODAY = D(2018, 12, 31)
COUNTIES = ("371525", "371599")


# GB 11643-1999: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; check = (12 - S mod 11) mod 11, 10 → X.
#
# 11010519491231002X (the standard's own example):
#   1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10 + 1·5 + 0·8 + 0·4 + 2·2
#   = 7 + 9 + 0 + 5 + 0 + 20 + 2 + 9 + 24 + 27 + 7 + 18 + 30 + 5 + 0 + 0 + 4 = 167; 167 mod 11 = 2;
#   (12 - 2) mod 11 = 10 → X. Sequence digit 2 (even): female; born 1949-12-31.
# 440524188001010014 (the standard's second example):
#   4·7 + 4·9 + 0 + 5·5 + 2·8 + 4·4 + 1·2 + 8·1 + 8·6 + 0 + 0 + 1·9 + 0 + 1·5 + 0 + 0 + 1·2
#   = 28 + 36 + 25 + 16 + 16 + 2 + 8 + 48 + 9 + 5 + 2 = 195; 195 mod 11 = 8; (12 - 8) mod 11 = 4.
#   Sequence digit 1 (odd): male; born 1880-01-01.
# 37152519900101123? (a 冠县 number worked for these tests):
#   3·7 + 7·9 + 1·10 + 5·5 + 2·8 + 5·4 + 1·2 + 9·1 + 9·6 + 0·3 + 0·7 + 1·9 + 0·10 + 1·5 + 1·8 + 2·4 + 3·2
#   = 21 + 63 + 10 + 25 + 16 + 20 + 2 + 9 + 54 + 0 + 0 + 9 + 0 + 5 + 8 + 8 + 6 = 256; 256 mod 11 = 3;
#   (12 - 3) mod 11 = 9 → 371525199001011239. Sequence digit 3 (odd): male; born 1990-01-01.
#   (The test fixture's GX0001 carries 371525199001011234: a made-up number, wrong check digit.)
@pytest.mark.parametrize("first17, check", [("11010519491231002", "X"), ("44052418800101001", "4"),
                                            ("37152519900101123", "9")])
def test_check_characters_worked_by_hand(first17, check):
    assert rules.check_character(first17) == check


def test_id_number_facts_give_the_birth_date_and_sex():
    assert rules.id_number_facts("11010519491231002x") == rules.IdFacts("11010519491231002X", D(1949, 12, 31), "2")
    assert rules.id_number_facts("371525199001011239") == rules.IdFacts("371525199001011239", D(1990, 1, 1), "1")


@pytest.mark.parametrize("number, words", [
    ("371525199001011234", "校验码错误（末位应为9，实为4）"),
    ("37152519900101123", "18位"),
    ("3715251990010112A9", "18位"),
    ("371525199002301239", "19900230不是有效日期"),  # 30 February
    ("371525199013011239", "19901301不是有效日期"),  # month 13
])
def test_bad_id_numbers_are_refused_naming_the_field(number, words):
    with pytest.raises(PersonRuleError) as caught:
        rules.id_number_facts(number)
    assert caught.value.field == "id_number" and words in str(caught.value)


def test_load_only_warns():
    assert rules.id_number_warning("371525199001011234").startswith("公民身份号码校验码错误")
    assert rules.id_number_warning("371525199001011239") is None
    assert rules.id_number_warning(None) is None


def test_phone_is_an_11_digit_mobile_number():
    assert rules.check_phone(" 13912345678 ") == "13912345678"
    for bad in ("1391234567", "23912345678", "12912345678", "139123456789", "1391234567a"):
        with pytest.raises(PersonRuleError, match="11位"):
            rules.check_phone(bad)


def test_a_registration_row_reports_every_wrong_column_at_once():
    row = {"id_number": "371525199001011234", "name": " ", "phone": "123", "address": "", "county": "999999",
           "psn_type": "9999"}
    registration, errors = rules.check_registration(row, COUNTIES, TODAY)
    assert registration is None
    assert [column for column, _ in errors] == ["id_number", "name", "phone", "county", "psn_type"]
    assert "999999不是本统筹区的区县" in dict(errors)["county"]


def test_a_good_row_takes_sex_and_birth_from_the_id_number():
    row = {"id_number": "11010519491231002x", "name": "王芳", "phone": "", "address": "冠县清泉街道1号",
           "county": "371525", "psn_type": "1501"}
    registration, errors = rules.check_registration(row, COUNTIES, TODAY)
    assert errors == []
    assert registration == rules.Registration("11010519491231002X", "王芳", "2", D(1949, 12, 31), None,
                                              "冠县清泉街道1号", "371525", "1501")


def test_a_birth_date_after_today_is_refused():
    # 37152520200101001? : 3·7+7·9+1·10+5·5+2·8+5·4+2·2+0+2·6+0+0+1·9+0+1·5+0+0+1·2
    #   = 21+63+10+25+16+20+4+12+9+5+2 = 187 = 17·11 → S mod 11 = 0 → check 1
    assert rules.check_character("37152520200101001") == "1"
    _, errors = rules.check_registration({"id_number": "371525202001010011", "name": "甲", "county": "371525",
                                          "psn_type": "1501"}, COUNTIES, TODAY)
    assert errors == [("id_number", "公民身份号码中的出生日期2020年1月1日晚于今天。")]


def test_person_numbers_are_the_county_and_an_eight_digit_sequence():
    assert rules.psn_no_for("371525", 1) == "37152500000001"
    assert rules.sequence_of("37152500000042", "371525") == 42
    assert rules.sequence_of("GX0001", "371525") is None
    assert rules.sequence_of("3715250000004", "371525") is None
    with pytest.raises(PersonRuleError):
        rules.psn_no_for("371525", 100_000_000)


def test_relations_by_code_or_chinese_and_the_head_is_not_a_member_relation():
    assert [rules.relation_code(x) for x in ("配偶", "子女", "父母", "其他", "spouse")] == [
        "spouse", "child", "parent", "other", "spouse"]
    with pytest.raises(PersonRuleError, match="配偶、子女、父母或其他"):
        rules.relation_code("户主")
    with pytest.raises(PersonRuleError, match="只登记城乡居民"):
        rules.check_resident("1101")
    rules.check_resident("1501")
    assert rules.newborn_relation("head") == "child" and rules.newborn_relation("child") == "other"


def test_a_death_ends_cover_on_its_date_and_cuts_what_begins_after():
    covers = [Cover(1, "390", D(2018, 1, 1), D(2018, 12, 31)),  # open on the death: ends 2018-05-05
              Cover(2, "310", D(2015, 1, 1), None),  # open-ended: ends 2018-05-05
              Cover(3, "390", D(2017, 1, 1), D(2017, 12, 31)),  # over before: untouched
              Cover(4, "390", D(2019, 1, 1), D(2019, 12, 31))]  # paid ahead: cut to 2018-12-31, covering no day
    assert rules.ends_after_death(covers, D(2018, 5, 5)) == {1: D(2018, 5, 5), 2: D(2018, 5, 5), 4: D(2018, 12, 31)}


def test_a_death_date_must_be_a_possible_one():
    rules.check_death_date(D(2018, 5, 5), D(1990, 1, 1), TODAY)
    with pytest.raises(PersonRuleError, match="晚于今天"):
        rules.check_death_date(D(2019, 1, 1), None, TODAY)
    with pytest.raises(PersonRuleError, match="早于出生日期"):
        rules.check_death_date(D(1989, 1, 1), D(1990, 1, 1), TODAY)


def test_a_newborns_parent_must_be_covered_on_the_birth_date():
    covers = [Cover(1, "390", D(2018, 1, 1), D(2018, 12, 31))]
    rules.check_parent_covered(covers, D(2018, 6, 1), "GX0001")
    rules.check_parent_covered(covers, D(2018, 12, 31), "GX0001")  # the last day covered
    with pytest.raises(PersonRuleError) as caught:
        rules.check_parent_covered(covers, D(2017, 12, 31), "GX0001")
    assert caught.value.field == "parent" and "未参加本市医保" in str(caught.value)


def test_changes_are_masked_for_the_history():
    assert rules.masked("phone", "13912345678") == "139****5678"
    assert rules.masked("name", "张三丰") == "张**"
    assert rules.masked("address", "冠县清泉街道幸福路1号") == "冠县清泉街道*****"
    assert rules.masked("address", None) == "—"
    with pytest.raises(PersonRuleError, match="只能变更"):
        rules.check_change("county", "371599")
