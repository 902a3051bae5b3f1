"""National code tables with their Chinese labels: the one home of the shared vocabulary.

Codes and labels follow docs/reference/codes.md (taken from the national interface and the
glossary). Each table is a ``StrEnum`` whose members compare equal to the bare code, so
``MedType.INPATIENT == "21"`` and a member can go wherever a code string goes.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """A code table: each member is a code with a Chinese ``label``."""

    label: str

    def __new__(cls, code: str, label: str) -> Code:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def label_of(cls, code: object, default: object = None) -> str:
        """The label of a code (int codes such as hosp_lv 2 are read as "2"); unknown codes give
        `default`, or the code itself when no default is given."""
        member = cls._value2member_map_.get(str(code))
        if member is not None:
            return member.label  # type: ignore[attr-defined]
        return str(code if default is None else default)

    @classmethod
    def is_valid(cls, code: object) -> bool:
        return str(code) in cls._value2member_map_

    @classmethod
    def options(cls, *members: Code) -> dict[str, str]:
        """Code → label for a choice list: the given members in order, or the whole table."""
        return {m.value: m.label for m in (members or tuple(cls))}


class Insutype(Code):
    """险种类型 (insutype)."""

    EMPLOYEE = "310", "职工基本医疗保险"
    CIVIL_SERVANT = "320", "公务员医疗补助"
    LARGE_EXPENSE = "330", "职工大额医疗费用补助"
    RESIDENT = "390", "城乡居民基本医疗保险"
    CRITICAL_ILLNESS = "392", "城乡居民大病保险"
    MATERNITY = "510", "生育保险"


SCHEMES: tuple[str, ...] = (Insutype.EMPLOYEE.value, Insutype.RESIDENT.value)
"""The two basic schemes whose funds are never mixed in one figure (plain codes, for messages and SQL)."""


class MedType(Code):
    """医疗类别 (med_type)."""

    GENERAL_OUTPATIENT = "11", "普通门诊"
    EMERGENCY = "13", "急诊"
    CHRONIC_OUTPATIENT = "14", "门诊慢特病"
    ACCIDENT_OUTPATIENT = "19", "意外伤害门诊"
    INPATIENT = "21", "普通住院"
    ACCIDENT_INPATIENT = "22", "外伤住院"
    REFERRED_INPATIENT = "23", "转外诊治住院"
    PHARMACY = "41", "定点药店购药"
    MATERNITY_OUTPATIENT = "51", "生育门诊"
    MATERNITY_INPATIENT = "52", "生育住院"


class PsnType(Code):
    """人员类别 (psn_type)."""

    WORKING_EMPLOYEE = "1101", "在职职工"
    WORKING_CIVIL_SERVANT = "1102", "在职公务员"
    FLEXIBLE_EMPLOYEE = "1103", "灵活就业"
    RETIRED = "1201", "退休"
    STUDENT_CHILD_1401 = "1401", "学生儿童"
    STUDENT_CHILD_1402 = "1402", "学生儿童"
    STUDENT_CHILD_1403 = "1403", "学生儿童"
    STUDENT_CHILD_1404 = "1404", "学生儿童"
    STUDENT_CHILD_1405 = "1405", "学生儿童"
    ADULT_RESIDENT = "1501", "成年居民"


STUDENT_PSN_TYPES = frozenset(p.value for p in PsnType if p.label == "学生儿童")


class FundPayType(Code):
    """基金支付类型 (fund_pay_type)."""

    EMPLOYEE_POOLED = "310100", "职工基本医疗保险统筹基金"
    EMPLOYEE_ACCOUNT = "310200", "职工基本医疗保险个人账户基金"
    CIVIL_SERVANT = "320100", "公务员医疗补助基金"
    LARGE_EXPENSE = "330100", "职工大额医疗费用补助基金"
    RESIDENT_POOLED = "390100", "城乡居民基本医疗保险基金"
    CRITICAL_ILLNESS = "390200", "城乡居民大病医疗保险资金"
    MEDICAL_ASSISTANCE = "610100", "医疗救助基金"
    OTHER = "999996", "其他基金"


class HospLv(Code):
    """医院等级 (hosp_lv); 0 is a village clinic or township health centre with no grade."""

    UNGRADED = "0", "未定级"
    LEVEL_1 = "1", "一级"
    LEVEL_2 = "2", "二级"
    LEVEL_3 = "3", "三级"


class AdminTier(Code):
    """机构隶属 (administrative tier of an institution)."""

    VILLAGE = "village", "村级"
    TOWNSHIP = "township", "乡镇级"
    COUNTY = "county", "县级"
    CITY = "city", "市级"
    PROVINCE = "province", "省级"
    OUTSIDE = "outside", "省外"


ADMIN_TIERS: tuple[str, ...] = tuple(t.value for t in AdminTier)
"""The tiers in order from village to outside the province (plain codes)."""


class MdtrtCertType(Code):
    """就诊凭证类型 (mdtrt_cert_type)."""

    E_CERTIFICATE = "01", "医保电子凭证"
    ID_CARD = "02", "身份证"
    SOCIAL_SECURITY_CARD = "03", "社保卡"


KINDS: dict[str, type[Code]] = {
    "insutype": Insutype, "med_type": MedType, "psn_type": PsnType, "fund_pay_type": FundPayType,
    "hosp_lv": HospLv, "admin_tier": AdminTier, "mdtrt_cert_type": MdtrtCertType,
}


def _table(kind: str | type[Code]) -> type[Code]:
    if isinstance(kind, str):
        try:
            return KINDS[kind]
        except KeyError:
            raise ValueError(f"没有名为 {kind} 的代码表") from None
    return kind


def label(value: object, kind: str | type[Code] | None = None, default: object = None) -> str:
    """The Chinese label of a member, or of a bare code in the table `kind` (a field name such as
    "med_type" or a table class)."""
    if isinstance(value, Code):
        return value.label
    if kind is None:
        raise ValueError(f"代码 {value!r} 需要指明代码表")
    return _table(kind).label_of(value, default)


def is_valid(kind: str | type[Code], code: object) -> bool:
    """Whether `code` is in the table `kind` (a field name such as "insutype" or a table class)."""
    return _table(kind).is_valid(code)
