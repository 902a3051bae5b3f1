"""The national code tables: labels as the glossary writes them, lookups, validity."""

import pytest

from tongchou import codes
from tongchou.codes import AdminTier, FundPayType, HospLv, Insutype, MdtrtCertType, MedType, PsnType


def test_members_are_their_codes():
    assert Insutype.EMPLOYEE == "310" and Insutype.RESIDENT == "390"
    assert MedType.INPATIENT == "21" and f"{MedType.INPATIENT}" == "21"
    assert {"310": 1}[Insutype.EMPLOYEE] == 1


def test_labels_from_the_glossary():
    assert MedType.label_of("11") == "普通门诊"
    assert MedType.label_of("14") == "门诊慢特病"
    assert Insutype.label_of("310") == "职工基本医疗保险"
    assert Insutype.label_of("390") == "城乡居民基本医疗保险"
    assert PsnType.label_of("1201") == "退休"
    assert FundPayType.label_of("390200") == "城乡居民大病医疗保险资金"
    assert MdtrtCertType.ID_CARD.label == "身份证"
    assert AdminTier.label_of("township") == "乡镇级"


def test_int_codes_and_unknown_codes():
    assert HospLv.label_of(2) == "二级"
    assert HospLv.label_of(9) == "9"
    assert MedType.label_of("99", "医疗类别99") == "医疗类别99"


def test_module_helpers():
    assert codes.label(MedType.EMERGENCY) == "急诊"
    assert codes.label("21", "med_type") == "普通住院"
    assert codes.label("21", MedType) == "普通住院"
    assert codes.is_valid("insutype", "390")
    assert not codes.is_valid("insutype", "391")
    assert codes.is_valid(MdtrtCertType, "03")
    with pytest.raises(ValueError):
        codes.label("21")
    with pytest.raises(ValueError):
        codes.is_valid("no_such_table", "1")


def test_options_keep_order():
    assert MedType.options(MedType.GENERAL_OUTPATIENT, MedType.INPATIENT) == {"11": "普通门诊", "21": "普通住院"}
    assert list(AdminTier.options()) == ["village", "township", "county", "city", "province", "outside"]


def test_student_psn_types():
    assert codes.STUDENT_PSN_TYPES == frozenset({"1401", "1402", "1403", "1404", "1405"})


def test_plain_code_tuples():
    assert codes.SCHEMES == ("310", "390") and all(type(s) is str for s in codes.SCHEMES)
    assert codes.ADMIN_TIERS == ("village", "township", "county", "city", "province", "outside")
    assert all(type(t) is str for t in codes.ADMIN_TIERS)
