"""Contribution and eligibility rules of a policy as pure functions (the functional core).

Nothing here reads or writes anything outside its arguments. Amounts are
integer fen; dates are `datetime.date`. A rule that cannot be applied because
the policy (or the bureau) has not given a number raises `RuleError` naming
the missing parameter, with a Chinese message a clerk can read out.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Literal

from tongchou.codes import Insutype
from tongchou.money import Fen, apply_rate, yuan_text
from tongchou.policy.schema import Contributions, PersonalAccount

EnrolmentKind = Literal["on_time", "late", "newborn", "newborn_late"]


class RuleError(ValueError):
    """A rule that cannot be applied: `field` names the parameter, the message is Chinese."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class Deceased(RuleError):
    """Cover asked for from a day after the person's recorded death."""


def end_before_death(psn_no: str, died: dt.date | None, start: dt.date, end: dt.date | None,
                     field: str) -> dt.date | None:
    """The end of a cover opening on `start`: never after a recorded date of death (the last day covered);
    a cover starting after it is refused."""
    if died is None:
        return end
    if start > died:
        raise Deceased(field, f"参保人{psn_no}已于{date_text(died)}死亡，{date_text(start)}起不能参保。")
    return died if end is None else min(end, died)


def date_text(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------- amounts due

def individual_contribution(contrib: Contributions, year: int, tier: str | None = None) -> Fen:
    """The individual contribution of a resident for the benefit year (and tier, where the policy has tiers)."""
    rows = [row for row in contrib.individual if row.year == year]
    tiered = [row for row in rows if row.tier == tier]
    untiered = [row for row in rows if row.tier is None]
    chosen = tiered or untiered
    if not chosen:
        label = f"{year}年" + (f"“{tier}”档次" if tier else "")
        raise RuleError("contributions.individual", f"政策未规定{label}个人缴费标准，无法计算应缴金额。")
    return chosen[0].amount


def published_subsidies(contrib: Contributions, year: int) -> dict[str, Fen]:
    """The government subsidy per person for the year by level (central, provincial, city, county, total)."""
    return {row.level or "total": row.amount for row in contrib.subsidies if row.year == year}


def subsidy_total(contrib: Contributions, year: int, entered: Fen | None = None) -> Fen:
    """The subsidy per person for the year: the policy's, or the one the bureau entered once it was issued."""
    if entered is not None:
        return entered
    by_level = published_subsidies(contrib, year)
    if not by_level:
        raise RuleError(
            "contributions.subsidies",
            f"{year}年政府补助标准尚未公布（政策未列明），请经办机构录入后再办理全额补缴。",
        )
    return by_level["total"] if "total" in by_level else sum(by_level.values())


# ---------------------------------------------------------------- collection period

def collection_window(contrib: Contributions, benefit_year: int) -> tuple[dt.date, dt.date]:
    """The collection period (集中缴费期) in which contributions for `benefit_year` are on time."""
    if contrib.collection_period is None:
        raise RuleError("contributions.collection_period", "政策未规定集中缴费期。")
    start, end = contrib.collection_period
    year = benefit_year - 1 if contrib.collection_for_next_year else benefit_year
    return dt.date(year, start.month, start.day), dt.date(year, end.month, end.day)


def in_collection_period(contrib: Contributions, benefit_year: int, paid_on: dt.date) -> bool:
    first, last = collection_window(contrib, benefit_year)
    return first <= paid_on <= last


# ---------------------------------------------------------------- benefit start

@dataclass(frozen=True)
class EnrolmentTerms:
    """When benefits start for an enrolment and what the person pays for it."""

    kind: EnrolmentKind
    benefit_year: int
    paid_on: dt.date
    benefit_start: dt.date
    individual_due: Fen  # what the person pays (for a late payment: including the subsidy part)
    subsidy_expected: bool  # the government subsidy for this person still comes from the budget
    reason: str  # Chinese, for the clerk and the person


def _year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def _check_payment_date(contrib: Contributions, benefit_year: int, paid_on: dt.date) -> None:
    first, _ = collection_window(contrib, benefit_year)
    if paid_on < first:
        raise RuleError("paid_on", f"{date_text(paid_on)}尚未到{benefit_year}年度集中缴费期（{date_text(first)}起）。")
    if paid_on > _year_end(benefit_year):
        raise RuleError("paid_on", f"{benefit_year}年度已结束，{date_text(paid_on)}不能再缴纳该年度费用。")


def _late_terms(contrib: Contributions, benefit_year: int, paid_on: dt.date, tier: str | None,
                entered_subsidy: Fen | None, kind: EnrolmentKind, waiting: int | None) -> EnrolmentTerms:
    if waiting is None:
        raise RuleError("contributions.late_payment_waiting_months", "政策未规定集中缴费期后参保的等待期。")
    individual = individual_contribution(contrib, benefit_year, tier)
    due = individual
    text = "集中缴费期后缴费，"
    if contrib.late_payment_includes_subsidy:
        subsidy = subsidy_total(contrib, benefit_year, entered_subsidy)
        due = individual + subsidy
        text += f"需全额补缴个人缴费{yuan_text(individual)}及政府补助{yuan_text(subsidy)}，共{yuan_text(due)}；"
    start = add_months(paid_on, waiting)
    text += f"自缴费之日（{date_text(paid_on)}）起满{waiting}个月，{date_text(start)}起享受待遇。"
    return EnrolmentTerms(kind, benefit_year, paid_on, start, due, not contrib.late_payment_includes_subsidy, text)


def resident_terms(contrib: Contributions, benefit_year: int, paid_on: dt.date, *, tier: str | None = None,
                   entered_subsidy: Fen | None = None) -> EnrolmentTerms:
    """An adult or child (not a newborn) enrolling for `benefit_year` by paying on `paid_on`."""
    _check_payment_date(contrib, benefit_year, paid_on)
    if in_collection_period(contrib, benefit_year, paid_on):
        due = individual_contribution(contrib, benefit_year, tier)
        start = dt.date(benefit_year, 1, 1)
        first, last = collection_window(contrib, benefit_year)
        text = (f"在集中缴费期（{date_text(first)}至{date_text(last)}）内缴纳个人缴费{yuan_text(due)}，"
                f"{date_text(start)}起享受待遇。")
        return EnrolmentTerms("on_time", benefit_year, paid_on, start, due, True, text)
    return _late_terms(contrib, benefit_year, paid_on, tier, entered_subsidy, "late",
                       contrib.late_payment_waiting_months)


def newborn_terms(contrib: Contributions, birth_date: dt.date, benefit_year: int, paid_on: dt.date, *,
                  tier: str | None = None, entered_subsidy: Fen | None = None) -> EnrolmentTerms:
    """A newborn with an insured parent: from birth if enrolled in the birth year or within the grace months."""
    if paid_on < birth_date:
        raise RuleError("paid_on", "参保日期早于出生日期。")
    if benefit_year < birth_date.year:
        raise RuleError("benefit_year", "参保年度早于出生年度。")
    grace = contrib.newborn_backdate_within_months
    in_birth_year = paid_on.year == birth_date.year
    within_grace = grace is not None and paid_on < add_months(birth_date, grace)
    if in_birth_year or within_grace:
        free = contrib.newborn_free_in_birth_year and benefit_year == birth_date.year
        due = 0 if free else individual_contribution(contrib, benefit_year, tier)
        start = max(birth_date, dt.date(benefit_year, 1, 1))
        why = "出生当年" if in_birth_year else f"出生后{grace}个月内"
        text = f"新生儿{why}办理参保，自出生之日（{date_text(birth_date)}）起享受待遇"
        text += "，出生当年不缴费。" if free else f"，{benefit_year}年度个人缴费{yuan_text(due)}。"
        return EnrolmentTerms("newborn", benefit_year, paid_on, start, due, True, text)
    _check_payment_date(contrib, benefit_year, paid_on)
    if in_collection_period(contrib, benefit_year, paid_on):
        return resident_terms(contrib, benefit_year, paid_on, tier=tier)
    terms = _late_terms(contrib, benefit_year, paid_on, tier, entered_subsidy, "newborn_late",
                        contrib.newborn_late_waiting_months)
    return EnrolmentTerms(terms.kind, terms.benefit_year, terms.paid_on, terms.benefit_start, terms.individual_due,
                          terms.subsidy_expected, f"新生儿出生{grace}个月后且非出生当年参保，" + terms.reason)


# ---------------------------------------------------------------- eligibility on a date

@dataclass(frozen=True)
class Period:
    """An enrolment period as the rules see it."""

    insutype: str
    start: dt.date
    end: dt.date | None
    benefit_start: dt.date


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str  # Chinese; empty when eligible


def benefits_on(periods: Iterable[Period], insutype: str, day: dt.date) -> Eligibility:
    """Whether the person has benefits in the scheme on the day, and if not, why (in Chinese)."""
    scheme = ("职工医保" if insutype == Insutype.EMPLOYEE else "城乡居民医保" if insutype == Insutype.RESIDENT
              else f"险种{insutype}")
    covering = [p for p in periods if p.insutype == insutype and p.start <= day and (p.end is None or day <= p.end)]
    if not covering:
        lapsed = [p for p in periods if p.insutype == insutype and p.end is not None and p.end < day]
        if lapsed:
            last = max(p.end for p in lapsed if p.end)
            return Eligibility(False, f"参保人{scheme}参保已于{date_text(last)}终止，{date_text(day)}不享受待遇。")
        return Eligibility(False, f"参保人{date_text(day)}未参加{scheme}，不享受待遇。")
    if any(p.benefit_start <= day for p in covering):
        return Eligibility(True, "")
    start = min(p.benefit_start for p in covering)
    return Eligibility(False, f"参保人处于等待期，{date_text(start)}起方可享受{scheme}待遇，{date_text(day)}的费用基金不予支付。")


# ---------------------------------------------------------------- personal accounts

def _account_rule(account: PersonalAccount | None) -> PersonalAccount:
    if account is None:
        raise RuleError("personal_account", "该政策未设个人账户。")
    return account


def employee_account_credit(account: PersonalAccount | None, base: Fen) -> Fen:
    """What an employee's contribution on `base` credits to the personal account (长春: 2 % of the base)."""
    rule = _account_rule(account)
    if rule.individual_share_of_base is None:
        raise RuleError("personal_account.individual_share_of_base", "政策未规定在职职工个人账户计入比例。")
    if base < 0:
        raise RuleError("base", "缴费基数不能为负数。")
    return apply_rate(base, rule.individual_share_of_base)


def retiree_monthly_credit(account: PersonalAccount | None, average_pension: Fen | None = None,
                           on: dt.date | None = None) -> Fen:
    """A retiree's monthly account credit from the pooled fund: the rate of the average pension in force `on`
    (长春: reached gradually, "逐步调整为…2.8%", through the steps the bureau sets); without `on`, at the target."""
    rule = _account_rule(account)
    rate = rule.retiree_monthly_rate_of_average_pension
    if rate is None:
        raise RuleError("personal_account.retiree_monthly_rate_of_average_pension", "政策未规定退休人员个人账户划入比例。")
    if on is not None and rule.retiree_rate_transition is not None:
        rate = rule.retiree_rate_transition.rate_on(on)
        if rate is None:
            raise RuleError("personal_account.retiree_rate_transition",
                            f"{on.isoformat()} 尚无生效的退休人员个人账户划入比例（逐步调整的过渡步骤须由医保局录入）。")
    pension = average_pension if average_pension is not None else rule.average_pension
    if pension is None:
        raise RuleError("average_pension", "全市基本养老金平均水平尚未录入，无法计算退休人员个人账户月划入额。")
    if pension < 0:
        raise RuleError("average_pension", "基本养老金平均水平不能为负数。")
    return apply_rate(pension, rate)


def mutual_use_allowed(account: PersonalAccount | None, relation: str | None) -> bool:
    """Whether an employee's account may pay for a relative of this relation (家庭共济)."""
    return bool(account and account.family_mutual_use and relation in account.mutual_use_relations)


def employee_contribution_split(account: PersonalAccount | None, base: Fen, individual: Fen
                                ) -> tuple[Fen, Fen]:
    """(to the personal account, to the pooled fund) of an employee's individual share."""
    credit = min(employee_account_credit(account, base), individual)
    return credit, individual - credit


# ---------------------------------------------------------------- one scheme at a time

@dataclass(frozen=True)
class Cover:
    """An enrolment as the joining rule sees it."""

    enrolment_id: int
    insutype: str
    start: dt.date
    end: dt.date | None


def overlapping(covers: list[Cover], start: dt.date, end: dt.date | None) -> Cover | None:
    """The first cover that shares a day with [start, end] (an open end runs on)."""
    for cover in sorted(covers, key=lambda c: c.start):
        if (end is None or cover.start <= end) and (cover.end is None or cover.end >= start):
            return cover
    return None


SCHEME_NAMES = {Insutype.EMPLOYEE: "职工医保", Insutype.RESIDENT: "城乡居民医保"}
SHORT_NAMES = {Insutype.EMPLOYEE: "职工医保", Insutype.RESIDENT: "居民医保"}


def scheme_name(insutype: str) -> str:
    return SCHEME_NAMES.get(insutype, f"险种{insutype}")


def check_not_insured_twice(covers: list[Cover], psn_no: str, insutype: str, start: dt.date,
                            end: dt.date | None = None, field: str = "start") -> None:
    """Cover in `insutype` is refused for days the person is insured in the other scheme, naming that
    enrolment (one scheme at a time: the other cover is stopped, or the person switches, first)."""
    other = overlapping([c for c in covers if c.insutype != insutype], start, end)
    if other is not None:
        span = f"至{date_text(other.end)}" if other.end else "起至今"
        raise RuleError(field, f"参保人{psn_no}已参加{scheme_name(other.insutype)}（参保记录{other.enrolment_id}，"
                               f"{date_text(other.start)}{span}），{date_text(start)}起不能同时参加"
                               f"{scheme_name(insutype)}；请先办理{SHORT_NAMES.get(other.insutype, other.insutype)}停保。")


def check_no_resident_cover(covers: list[Cover], psn_no: str, start: dt.date, end: dt.date | None = None,
                            field: str = "start") -> None:
    """Employee cover is refused for days the person is insured as a resident (an employer's joining)."""
    check_not_insured_twice(covers, psn_no, Insutype.EMPLOYEE, start, end, field)


# ---------------------------------------------------------------- cover that changes (停保、续保、险种转换)

def check_stop(cover: Cover, on: dt.date, field: str = "on") -> None:
    """Cover stops on `on` (the last insured day): not before it began, not after it already ended."""
    if on < cover.start:
        raise RuleError(field, f"停保日期{date_text(on)}早于参保记录{cover.enrolment_id}的参保日期{date_text(cover.start)}。")
    if cover.end is not None and on > cover.end:
        raise RuleError(field, f"参保记录{cover.enrolment_id}已于{date_text(cover.end)}终止，"
                               f"不能在{date_text(on)}停保。")
    if cover.end is not None and on == cover.end:  # also what a resubmitted stop meets: never applied twice
        raise RuleError(field, f"参保记录{cover.enrolment_id}的终止日期已是{date_text(on)}，无需停保。")


@dataclass(frozen=True)
class Resumption:
    """When resumed cover starts paying benefits, and why (Chinese)."""

    benefit_start: dt.date
    reason: str


def resume_terms(insutype: str, stopped_on: dt.date, resume_on: dt.date, waiting_months: int | None,
                 field: str = "on") -> Resumption:
    """Cover resumed on `resume_on` after it stopped on `stopped_on` (its last insured day). Resumed the next
    day, cover never lapsed: benefits at once. After a gap, the policy's waiting period runs from the resumption
    (`waiting_months`: for residents the policy's late-payment waiting period; None where the policy sets none)."""
    if resume_on <= stopped_on:
        raise RuleError(field, f"续保日期{date_text(resume_on)}须晚于停保日期{date_text(stopped_on)}。")
    scheme = scheme_name(insutype)
    if resume_on == stopped_on + dt.timedelta(days=1):
        return Resumption(resume_on, f"{scheme}停保次日续保，参保连续，{date_text(resume_on)}起享受待遇。")
    gap = f"{scheme}于{date_text(stopped_on)}停保，{date_text(resume_on)}续保，中断参保"
    if not waiting_months:
        return Resumption(resume_on, f"{gap}；政策未设续保等待期，{date_text(resume_on)}起享受待遇。")
    start = add_months(resume_on, waiting_months)
    return Resumption(start, f"{gap}，自续保之日起满{waiting_months}个月，{date_text(start)}起享受待遇。")


def switch_end(current: Cover, to_insutype: str, on: dt.date, field: str = "on") -> dt.date:
    """Moving from `current` to the other scheme from `on`: the current cover ends the day before (no gap,
    no overlap). Refused when `on` is not after the current cover began or after it ended."""
    if to_insutype == current.insutype:
        raise RuleError("to", f"参保人已参加{scheme_name(to_insutype)}，转换的险种须为另一险种。")
    if to_insutype not in SCHEME_NAMES:
        raise RuleError("to", f"险种{to_insutype}不是310（职工医保）或390（城乡居民医保）。")
    last = on - dt.timedelta(days=1)
    if last < current.start:
        raise RuleError(field, f"转换日期{date_text(on)}须晚于参保记录{current.enrolment_id}的参保日期"
                               f"{date_text(current.start)}。")
    if current.end is not None and last > current.end:
        raise RuleError(field, f"参保记录{current.enrolment_id}已于{date_text(current.end)}终止，"
                               f"转换日期{date_text(on)}不能晚于其次日。")
    return last
