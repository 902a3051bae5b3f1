"""The rules of employers and their declarations as pure functions (the functional core).

Nothing here reads or writes anything outside its arguments. Amounts are integer fen, rounded half-up;
dates are `datetime.date`; a month is "YYYY-MM". A refusal raises `RuleError` naming the field, with a
Chinese message a clerk can read out.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from tongchou.enrolment.rules import RuleError, date_text
from tongchou.money import Fen, apply_rate, yuan_text
from tongchou.employers.terms import YearTerms

# ---------------------------------------------------------------- the unified social credit code (GB 32100-2015)

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code: 31 − (Σ value × weight mod 31), 31 → 0."""
    total = sum(CREDIT_CODE_ALPHABET.index(char) * weight for char, weight in zip(first17, CREDIT_CODE_WEIGHTS))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def checked_credit_code(code: str, field: str = "code") -> str:
    """The code in upper case if it is a valid unified social credit code, else a refusal saying why."""
    text = code.strip().upper()
    if len(text) != 18:
        raise RuleError(field, f"统一社会信用代码应为18位，{code!r}为{len(text)}位。")
    wrong = [char for char in text if char not in CREDIT_CODE_ALPHABET]
    if wrong:
        raise RuleError(field, f"统一社会信用代码含有不允许的字符“{wrong[0]}”（不使用 I、O、S、V、Z）。")
    expected = credit_code_check_character(text[:17])
    if text[17] != expected:
        raise RuleError(field, f"统一社会信用代码{text}校验位错误：第18位应为{expected}，而不是{text[17]}。")
    return text


# ---------------------------------------------------------------- months and due dates

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str, field: str = "month") -> tuple[int, int]:
    found = MONTH.match(str(text).strip())
    if not found:
        raise RuleError(field, f"费款所属期应写为“年-月”（如 2021-03），而不是“{text}”。")
    return int(found.group(1)), int(found.group(2))


def month_span(month: str) -> tuple[dt.date, dt.date]:
    """The first and last day of the month."""
    year, number = parse_month(month)
    return dt.date(year, number, 1), dt.date(year, number, calendar.monthrange(year, number)[1])


def due_date(terms: YearTerms, month: str) -> dt.date:
    """The last day the month's contribution is on time: the policy's day of that same month."""
    year, number = parse_month(month)
    return dt.date(year, number, terms.due.day)


# ---------------------------------------------------------------- the base and the parts

def bounds_in_fen(terms: YearTerms) -> tuple[Fen, Fen]:
    """(lower, upper) of the contribution base in fen, half-up where drawn from the average wage."""
    bounds = terms.base_bounds
    if bounds.lower is not None and bounds.upper is not None:
        return bounds.lower, bounds.upper
    if terms.average_wage is None or bounds.lower_share is None or bounds.upper_share is None:
        raise RuleError("average_wage", "政策未给出平均工资，无法计算缴费基数上下限。")
    wage = terms.average_wage.monthly
    return apply_rate(wage, bounds.lower_share), apply_rate(wage, bounds.upper_share)


@dataclass(frozen=True)
class Assessment:
    """What a declared wage comes to: the base within the bounds and the two parts."""

    wage: Fen
    base: Fen
    employer_part: Fen
    individual_part: Fen
    note: str  # Chinese: why the base is what it is

    @property
    def total(self) -> Fen:
        return self.employer_part + self.individual_part


def assess(terms: YearTerms, wage: Fen) -> Assessment:
    """The base of a declared wage (保底封顶: below the lower bound → the lower bound, above the upper →
    the upper) and the employer's and employee's parts at the policy's rates, each half-up to the fen."""
    if wage <= 0:
        raise RuleError("wage", f"申报工资须大于0，而不是{yuan_text(wage)}。")
    lower, upper = bounds_in_fen(terms)
    base = min(max(wage, lower), upper)
    if base > wage:
        note = f"申报工资{yuan_text(wage)}低于缴费基数下限{yuan_text(lower)}，按下限核定。"
    elif base < wage:
        note = f"申报工资{yuan_text(wage)}高于缴费基数上限{yuan_text(upper)}，按上限核定。"
    else:
        note = f"缴费基数{yuan_text(base)}（上下限{yuan_text(lower)}至{yuan_text(upper)}）。"
    return Assessment(wage, base, apply_rate(base, terms.rates.employer), apply_rate(base, terms.rates.individual), note)


# ---------------------------------------------------------------- arrears and the late fee

def days_in_arrears(due_on: dt.date, paid_or_as_of: dt.date) -> int:
    """Days from the first day in arrears (the day after the due date) to `paid_or_as_of`, both counted."""
    return max((paid_or_as_of - due_on).days, 0)


def late_fee(unpaid: Fen, due_on: dt.date, paid_or_as_of: dt.date, daily_rate: Decimal) -> Fen:
    """社会保险法 第八十六条: 自欠缴之日起，按日加收万分之五的滞纳金 — on the whole unpaid amount (the
    employee's part the employer withholds included), borne by the employer alone; half-up to the fen."""
    if unpaid < 0:
        raise RuleError("amount", "欠缴金额不能为负数。")
    return apply_rate(unpaid * days_in_arrears(due_on, paid_or_as_of), daily_rate)


# ---------------------------------------------------------------- joining and leaving

def check_leave_date(joined_on: dt.date, left_on: dt.date) -> None:
    if left_on < joined_on:
        raise RuleError("left_on", f"减员日期{date_text(left_on)}早于增员日期{date_text(joined_on)}。")


def employed_in_month(joined_on: dt.date, left_on: dt.date | None, month: str) -> bool:
    first, last = month_span(month)
    return joined_on <= last and (left_on is None or left_on >= first)
