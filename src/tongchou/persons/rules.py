"""Persons and households as pure rules (the functional core of the front office's first matter).

Nothing here reads or writes outside its arguments. An input that a rule refuses raises `PersonRuleError`
naming the field (or the batch column) with a Chinese message a clerk can read out; `check_row` collects
every such error of one batch row instead of stopping at the first.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Mapping

from tongchou.codes import PsnType
from tongchou.enrolment.rules import date_text
from tongchou.masking import mask_id_number, mask_phone


class PersonRuleError(ValueError):
    """`field` names the input at fault; the message is Chinese."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


# ---------------------------------------------------------------- ID number (GB 11643-1999)

# weight of position i (1..17) is 2^(18-i) mod 11; the check character is (12 - S mod 11) mod 11, "X" for 10
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")


def half_width(text: str | None) -> str:
    """Full-width digits and letters (０-９, Ｘ, as a Chinese input method may type them) as ASCII (NFKC)."""
    return unicodedata.normalize("NFKC", text or "").strip()


def check_character(first17: str) -> str:
    """The GB 11643-1999 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


@dataclass(frozen=True)
class IdFacts:
    """What an 18-character citizen ID number encodes: the number (upper case), birth date and sex."""

    number: str
    birth_date: dt.date
    sex: str  # "1" male (odd sequence digit), "2" female (even), as GB/T 2261.1


def id_number_facts(text: str, field: str = "id_number") -> IdFacts:
    """The facts of a valid ID number; refused when its form, birth date or check character is wrong."""
    number = half_width(text).upper()
    if not ID_RE.match(number):
        raise PersonRuleError(field, "公民身份号码须为18位（前17位为数字，末位为数字或X）。")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise PersonRuleError(field, f"公民身份号码中的出生日期{number[6:14]}不是有效日期。") from None
    if birth.year < 1880:
        raise PersonRuleError(field, f"公民身份号码中的出生日期{number[6:14]}不是有效日期。")
    expected = check_character(number[:17])
    if number[17] != expected:
        raise PersonRuleError(field, f"公民身份号码校验码错误（末位应为{expected}，实为{number[17]}）。")
    return IdFacts(number, birth, "1" if int(number[16]) % 2 else "2")


def id_number_warning(text: str | None) -> str | None:
    """Why an ID number would be refused at registration, or None; `tongchou load` only warns with it."""
    if not text:
        return None
    try:
        id_number_facts(text)
    except PersonRuleError as exc:
        return str(exc)
    return None


def check_birth_facts(facts: IdFacts, today: dt.date, field: str = "id_number") -> None:
    if facts.birth_date > today:
        raise PersonRuleError(field, f"公民身份号码中的出生日期{date_text(facts.birth_date)}晚于今天。")


# ---------------------------------------------------------------- other fields

PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")


def check_phone(text: str, field: str = "phone") -> str:
    phone = half_width(text)
    if not PHONE_RE.match(phone):
        raise PersonRuleError(field, "手机号码须为11位、以1开头、第二位为3至9的数字。")
    return phone


def _text(value: str, field: str, label: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise PersonRuleError(field, f"{label}不能为空。")
    if len(text) > limit:
        raise PersonRuleError(field, f"{label}不能超过{limit}个字。")
    return text


def check_name(text: str, field: str = "name") -> str:
    return _text(text, field, "姓名", 50)


def check_address(text: str, field: str = "address") -> str:
    return _text(text, field, "地址", 200)


def check_county(county: str, pool_counties: Iterable[str], field: str = "county") -> str:
    code = (county or "").strip()
    if code not in set(pool_counties):
        raise PersonRuleError(field, f"{code or '（空）'}不是本统筹区的区县。")
    return code


def check_psn_type(code: str, field: str = "psn_type") -> str:
    value = (code or "").strip()
    if not PsnType.is_valid(value):
        choices = "、".join(f"{p.value}（{p.label}）" for p in PsnType)
        raise PersonRuleError(field, f"人员类别{value or '（空）'}不在代码表中，应为：{choices}。")
    return value


# ---------------------------------------------------------------- person number

def psn_no_for(county: str, sequence: int) -> str:
    """The person number Tongchou assigns: the county's 6-digit code and an 8-digit sequence within it
    (`37152500000001`), the next after the highest number of that form in the county."""
    if sequence < 1 or sequence > 99_999_999:
        raise PersonRuleError("psn_no", f"区县{county}的个人编号已用尽。")
    return f"{county}{sequence:08d}"


def sequence_of(psn_no: str, county: str) -> int | None:
    """The sequence of a person number of Tongchou's form in the county, None for any other number."""
    rest = psn_no[len(county):] if psn_no.startswith(county) else ""
    return int(rest) if len(psn_no) == len(county) + 8 and rest.isdigit() else None


# ---------------------------------------------------------------- registration

@dataclass(frozen=True)
class Registration:
    id_number: str
    name: str
    sex: str
    birth_date: dt.date
    phone: str | None
    address: str | None
    county: str
    psn_type: str


REGISTRATION_COLUMNS = ("id_number", "name", "phone", "address", "county", "psn_type")
COLUMN_LABELS = {"id_number": "公民身份号码", "name": "姓名", "phone": "手机号码", "address": "地址",
                 "county": "区县", "psn_type": "人员类别"}


def check_registration(row: Mapping[str, str | None], pool_counties: Iterable[str], today: dt.date
                       ) -> tuple[Registration | None, list[tuple[str, str]]]:
    """A registration from one form or batch row, or every (column, Chinese message) that is wrong with it.
    Phone and address may be left empty; the sex and birth date come from the ID number."""
    errors: list[tuple[str, str]] = []
    counties = list(pool_counties)

    def attempt(check):
        try:
            return check()
        except PersonRuleError as exc:
            errors.append((exc.field, str(exc)))
            return None

    def facts() -> IdFacts:
        found = id_number_facts(row.get("id_number") or "")
        check_birth_facts(found, today)
        return found

    found = attempt(facts)
    name = attempt(lambda: check_name(row.get("name") or ""))
    phone = attempt(lambda: check_phone(row["phone"]) if (row.get("phone") or "").strip() else None)
    address = attempt(lambda: check_address(row["address"]) if (row.get("address") or "").strip()
                      else None)
    county = attempt(lambda: check_county(row.get("county") or "", counties))
    psn_type = attempt(lambda: check_psn_type(row.get("psn_type") or ""))
    if errors or found is None:
        return None, errors
    return Registration(found.number, name, found.sex, found.birth_date, phone, address, county, psn_type), []


# ---------------------------------------------------------------- changes with history

CHANGEABLE = {"name": "姓名", "phone": "手机号码", "address": "地址"}


def check_change(field: str, value: str) -> str:
    """The new value of a changeable field, checked as at registration."""
    if field not in CHANGEABLE:
        raise PersonRuleError("field", f"只能变更{'、'.join(f'{k}（{v}）' for k, v in CHANGEABLE.items())}。")
    return {"name": check_name, "phone": check_phone, "address": check_address}[field](value, "value")


def masked(field: str, value: str | None) -> str:
    """How a changed value shows in the history: a phone as 138****0000, an address and a name cut to their
    first characters (the full value is kept encrypted)."""
    if not value:
        return "—"
    if field == "phone":
        return mask_phone(value)
    if field == "id_number":
        return mask_id_number(value)
    keep = 1 if field == "name" else 6
    return value[:keep] + "*" * max(len(value) - keep, 1)


# ---------------------------------------------------------------- households

RELATIONS = {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "other": "其他"}
MEMBER_RELATIONS = ("spouse", "child", "parent", "other")


def relation_code(text: str, field: str = "relation") -> str:
    """A member's relation to the head, given as its code or its Chinese name (户主 is the head alone)."""
    value = (text or "").strip()
    by_label = {label: code for code, label in RELATIONS.items()}
    code = by_label.get(value, value)
    if code not in MEMBER_RELATIONS:
        raise PersonRuleError(field, "与户主关系须为配偶、子女、父母或其他。")
    return code


def is_resident(psn_type: str) -> bool:
    """Not an employee or retiree (人员类别 11xx, 12xx)."""
    return not psn_type.startswith(("11", "12"))


def check_resident(psn_type: str, field: str = "psn_no") -> None:
    """Households are kept for residents: an employee's type is refused."""
    if not is_resident(psn_type):
        raise PersonRuleError(field, f"家庭户只登记城乡居民，该人员类别为{PsnType.label_of(psn_type)}。")


def newborn_relation(parent_relation: str) -> str:
    """A newborn's relation to the head of the parent's household: a child of the head or the head's spouse is
    the head's child; anyone else's child is recorded as 其他."""
    return "child" if parent_relation in ("head", "spouse") else "other"


# ---------------------------------------------------------------- death and newborns

@dataclass(frozen=True)
class Cover:
    """An enrolment period as the death and newborn rules see it."""

    id: int
    insutype: str
    start: dt.date
    end: dt.date | None


def check_death_date(death_date: dt.date, birth_date: dt.date | None, today: dt.date) -> None:
    if death_date > today:
        raise PersonRuleError("death_date", f"死亡日期{date_text(death_date)}晚于今天。")
    if birth_date is not None and death_date < birth_date:
        raise PersonRuleError("death_date", f"死亡日期{date_text(death_date)}早于出生日期{date_text(birth_date)}。")


def ends_after_death(covers: Iterable[Cover], death_date: dt.date) -> dict[int, dt.date]:
    """The new end of each enrolment the death cuts: cover ends the day after the death, so the death date is
    the last day covered. An enrolment that begins after the death is cut to end the day before it begins
    (kept for the history, covering no day)."""
    cut = {}
    for cover in covers:
        if cover.end is not None and cover.end <= death_date:
            continue
        cut[cover.id] = death_date if cover.start <= death_date else cover.start - dt.timedelta(days=1)
    return cut


def check_parent_covered(covers: Iterable[Cover], birth_date: dt.date, parent: str) -> None:
    """Seed 004 篇4 (五): "新生儿父母任何一方参加本市医保" — the parent registering the newborn must be insured
    in either scheme on the birth date."""
    if not any(c.start <= birth_date and (c.end is None or birth_date <= c.end) for c in covers):
        raise PersonRuleError("parent", f"父母一方{parent}在新生儿出生之日（{date_text(birth_date)}）未参加本市医保，"
                                        "不能按新生儿办理参保登记。")


def check_newborn_birth(birth_date: dt.date, today: dt.date) -> None:
    if birth_date > today:
        raise PersonRuleError("birth_date", f"出生日期{date_text(birth_date)}晚于今天。")
