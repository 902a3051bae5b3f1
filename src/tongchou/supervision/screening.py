"""Screening one claim before or while it is settled (事前/事中): pure functions, no store, no clock.

`screen_claim(book, claim, history)` runs every enabled rule of the stage on the claim (its
person, its fee lines with the catalogue's limits) and on the person's earlier visits (`history`),
and returns the findings. A finding of a blocking rule at the pre/during stage has `blocking`
set: the settlement service refuses the claim; the others are warnings (warn_msg). Rules that
compare with a population (peer institutions, everyone's totals) run only after the fact
(`tongchou.supervision.batch`). The semantics are the batch SQL's, claim by claim.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable, Sequence

from tongchou.money import Fen, fen_to_str
from tongchou.supervision.findings import Finding, fen_of, finding
from tongchou.supervision.rules import Rule, RuleBook


@dataclass(frozen=True)
class ItemLimits:
    """What the catalogue limits about an item (None: no limit)."""

    price_cap: Decimal | None = None      # yuan per unit
    max_qty: Decimal | None = None        # per fee line
    max_qty_day: Decimal | None = None    # per day
    max_qty_stay: Decimal | None = None   # per settlement (stay)
    sex: str | None = None                # "1" male, "2" female
    min_age: int | None = None
    max_age: int | None = None


@dataclass(frozen=True)
class FeeLine:
    code: str
    qty: Decimal
    price: Decimal                        # yuan per unit
    amount: Fen
    time: dt.datetime | None = None
    feedetl_sn: str | None = None
    name: str = ""
    doctor_code: str | None = None
    limits: ItemLimits | None = None


@dataclass(frozen=True)
class PersonFacts:
    psn_no: str
    sex: str | None = None
    birth_date: dt.date | None = None


@dataclass(frozen=True)
class ClaimContext:
    """The claim being registered, pre-settled or settled."""

    psn_no: str
    insutype: str
    fixmedins_code: str
    med_type: str
    begndate: dt.date
    enddate: dt.date | None               # None: an admission still open
    setl_id: str | None = None
    begntime: dt.datetime | None = None
    dise_code: str | None = None
    county: str | None = None
    person: PersonFacts | None = None
    lines: tuple[FeeLine, ...] = ()
    medfee: Fen = 0


@dataclass(frozen=True)
class PastVisit:
    """One of the person's earlier visits (settled, not cancelled, or an open registration)."""

    setl_id: str
    fixmedins_code: str
    med_type: str
    begndate: dt.date
    enddate: dt.date | None
    begntime: dt.datetime | None = None
    dise_code: str | None = None
    medfee: Fen = 0
    drug_codes: tuple[str, ...] = ()      # drugs bought on the visit (distinct codes)


@dataclass(frozen=True)
class Screening:
    findings: tuple[Finding, ...] = ()

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.blocking)

    def warn_msg(self) -> str | None:
        return "；".join(f.text for f in self.warnings) or None

    def refusal(self) -> str | None:
        return "；".join(f.text for f in self.blocking) or None


def screen_claim(book: RuleBook, claim: ClaimContext, history: Sequence[PastVisit] = (),
                 stages: Iterable[str] = ("pre", "during")) -> list[Finding]:
    """Every finding of the enabled rules of these stages on the claim (pure)."""
    wanted = tuple(stages)
    out: list[Finding] = []
    for rule in book.rules:
        if not rule.enabled or not rule.applies_to(claim.insutype):
            continue
        stage = next((s for s in wanted if s in rule.stages), None)
        check = CHECKS.get(rule.id)
        if stage is None or check is None:
            continue
        out.extend(check(rule, stage, book, claim, history))
    return out


def screen(book: RuleBook, claim: ClaimContext, history: Sequence[PastVisit] = (),
           stages: Iterable[str] = ("pre", "during")) -> Screening:
    return Screening(tuple(screen_claim(book, claim, history, stages)))


# ---------------------------------------------------------------- helpers

def _base(claim: ClaimContext) -> dict:
    return {"setl_id": claim.setl_id, "psn_no": claim.psn_no, "fixmedins_code": claim.fixmedins_code,
            "county": claim.county}


def _overlaps(a_begin: dt.date, a_end: dt.date | None, b_begin: dt.date, b_end: dt.date | None, strict: bool) -> bool:
    far = dt.date.max
    a_end, b_end = a_end or far, b_end or far
    if strict:
        return a_begin < b_end and b_begin < a_end
    return a_begin <= b_end and b_begin <= a_end


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _day_of(line: FeeLine, claim: ClaimContext) -> dt.date:
    return line.time.date() if line.time else claim.begndate


def _doctor(lines: Iterable[FeeLine]) -> str | None:
    return next((line.doctor_code for line in lines if line.doctor_code), None)


# ---------------------------------------------------------------- rules

def check_duplicate(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    groups: dict[tuple, list[FeeLine]] = defaultdict(list)
    for line in claim.lines:
        groups[(line.code, line.time, line.qty, line.price)].append(line)
    out = []
    for (code, time, qty, price), lines in groups.items():
        if len(lines) < 2:
            continue
        extra = sum(line.amount for line in lines[1:])
        name = lines[0].name or code
        when = time.isoformat(sep=" ") if time else "同一时间"
        out.append(finding(rule, stage, f"项目{name}（{code}）于{when}以数量{qty}、单价{price}元重复收费{len(lines)}次，"
                                        f"重复金额{fen_to_str(extra)}元。",
                           amount=extra, feedetl_sns=tuple(l.feedetl_sn for l in lines if l.feedetl_sn),
                           doctor_code=_doctor(lines), evidence={"item": code, "times": len(lines)}, **_base(claim)))
    return out


def check_overlap(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    if not book.is_inpatient(claim.med_type):
        return []
    strict = rule.params.allow_same_day_transfer
    out = []
    for past in history:
        if (book.is_inpatient(past.med_type) and past.fixmedins_code != claim.fixmedins_code
                and _overlaps(claim.begndate, claim.enddate, past.begndate, past.enddate, strict)):
            out.append(finding(
                rule, stage, f"参保人{claim.psn_no}在{claim.fixmedins_code}的住院（{claim.begndate}至{claim.enddate or '在院'}）"
                             f"与其在{past.fixmedins_code}的住院（{past.begndate}至{past.enddate or '在院'}）时间重叠。",
                amount=claim.medfee, related_setl_ids=(past.setl_id,),
                evidence={"other_institution": past.fixmedins_code}, **_base(claim)))
    return out


def _related(rule: Rule, a: str | None, b: str | None) -> bool:
    p = rule.params
    if not a or not b:
        return p.missing_diagnosis_is_related
    n = p.diagnosis_prefix_length
    return a.strip().upper()[:n] == b.strip().upper()[:n]


def check_split_admission(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    if not book.is_inpatient(claim.med_type):
        return []
    p = rule.params
    out = []
    for past in history:
        if not book.is_inpatient(past.med_type) or past.enddate is None:
            continue
        if p.same_institution and past.fixmedins_code != claim.fixmedins_code:
            continue
        gap = (claim.begndate - past.enddate).days
        if 1 <= gap <= p.max_days and _related(rule, claim.dise_code, past.dise_code):
            out.append(finding(
                rule, stage, f"参保人{claim.psn_no}于{past.enddate}出院后第{gap}日（{claim.begndate}）再次在"
                             f"{claim.fixmedins_code}入院，诊断相关（{past.dise_code or '未填'}→{claim.dise_code or '未填'}），疑似分解住院。",
                amount=claim.medfee, related_setl_ids=(past.setl_id,), evidence={"days_after_discharge": gap},
                **_base(claim)))
    return out


def _is_bed(rule: Rule, line: FeeLine) -> bool:
    p = rule.params
    return line.code in p.bed_item_codes or bool(p.bed_item_name_suffix and line.name.endswith(p.bed_item_name_suffix))


def check_phantom_bed(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    if not book.is_inpatient(claim.med_type):
        return []
    min_gap = dt.timedelta(hours=rule.params.min_gap_hours)
    times = sorted(line.time for line in claim.lines if line.time and not _is_bed(rule, line))
    beds = [line for line in claim.lines if _is_bed(rule, line)]
    daily_bed = max((line.price for line in beds), default=Decimal(0))
    out = []
    for before, after in zip(times, times[1:]):
        gap = after - before
        if gap >= min_gap:
            hours = int(gap.total_seconds() // 3600)
            amount = fen_of(daily_bed * (hours // 24))
            out.append(finding(rule, stage, f"住院期间{before:%Y-%m-%d %H:%M}至{after:%Y-%m-%d %H:%M}连续{hours}小时除床位费外"
                                            f"无任何收费，疑似挂床住院，期间床位费约{fen_to_str(amount)}元。",
                               amount=amount, evidence={"gap_from": before.isoformat(sep=" "),
                                                        "gap_to": after.isoformat(sep=" "), "hours": hours},
                               **_base(claim)))
    return out


SEX_NAMES = {"1": "男性", "2": "女性"}


def _limit_problem(sex: str | None, age: int | None, limit_sex: str | None, min_age: int | None,
                   max_age: int | None) -> str | None:
    if limit_sex and sex and sex != limit_sex:
        return f"限{SEX_NAMES.get(limit_sex, limit_sex)}，参保人为{SEX_NAMES.get(sex, sex)}"
    if age is not None and min_age is not None and age < min_age:
        return f"限{min_age}岁及以上，参保人{age}岁"
    if age is not None and max_age is not None and age > max_age:
        return f"限{max_age}岁及以下，参保人{age}岁"
    return None


def check_sex_age(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    person = claim.person
    if person is None:
        return []
    out = []
    for line in claim.lines:
        lim = line.limits
        if lim is None:
            continue
        age = age_on(person.birth_date, _day_of(line, claim)) if person.birth_date else None
        why = _limit_problem(person.sex, age, lim.sex, lim.min_age, lim.max_age)
        if why:
            out.append(finding(rule, stage, f"项目{line.name or line.code}（{line.code}）{why}。", amount=line.amount,
                               feedetl_sns=(line.feedetl_sn,) if line.feedetl_sn else (), doctor_code=line.doctor_code,
                               evidence={"item": line.code, "sex": person.sex, "age": age}, **_base(claim)))
    if claim.dise_code:
        age = age_on(person.birth_date, claim.begndate) if person.birth_date else None
        for limit in rule.params.diagnosis_limits:
            if claim.dise_code.upper().startswith(limit.prefix.upper()):
                why = _limit_problem(person.sex, age, limit.sex, limit.min_age, limit.max_age)
                if why:
                    out.append(finding(rule, stage, f"诊断{claim.dise_code}（{limit.name}）{why}。", amount=claim.medfee,
                                       evidence={"item": f"dx:{claim.dise_code}", "sex": person.sex, "age": age},
                                       **_base(claim)))
    return out


def check_quantity(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    p = rule.params
    out = []
    per_day: dict[tuple[str, dt.date], list[FeeLine]] = defaultdict(list)
    per_stay: dict[str, list[FeeLine]] = defaultdict(list)
    for line in claim.lines:
        lim = line.limits
        if lim is None:
            continue
        per_day[(line.code, _day_of(line, claim))].append(line)
        per_stay[line.code].append(line)
        if p.check_line and lim.max_qty is not None and line.qty > lim.max_qty:
            extra = fen_of((line.qty - lim.max_qty) * line.price)
            out.append(finding(rule, stage, f"项目{line.name or line.code}（{line.code}）单条数量{line.qty}超过限定{lim.max_qty}，"
                                            f"超量金额{fen_to_str(extra)}元。", amount=extra,
                               feedetl_sns=(line.feedetl_sn,) if line.feedetl_sn else (), doctor_code=line.doctor_code,
                               evidence={"item": line.code, "scope": "line", "qty": str(line.qty),
                                         "limit": str(lim.max_qty)}, **_base(claim)))
    groups = []
    if p.check_day:
        groups += [("day", f"{day}当日", lines, lines[0].limits.max_qty_day) for (_, day), lines in per_day.items()]
    if p.check_stay:
        groups += [("stay", "本次结算", lines, lines[0].limits.max_qty_stay) for lines in per_stay.values()]
    for scope, label, lines, limit in groups:
        total = sum((line.qty for line in lines), Decimal(0))
        if limit is not None and total > limit:
            extra = fen_of((total - limit) * lines[0].price)
            code = lines[0].code
            out.append(finding(rule, stage, f"项目{lines[0].name or code}（{code}）{label}合计数量{total}超过限定{limit}，"
                                            f"超量金额{fen_to_str(extra)}元。", amount=extra,
                               feedetl_sns=tuple(l.feedetl_sn for l in lines if l.feedetl_sn), doctor_code=_doctor(lines),
                               evidence={"item": code, "scope": scope, "qty": str(total), "limit": str(limit)},
                               **_base(claim)))
    return out


def check_price(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    out = []
    for line in claim.lines:
        cap = line.limits.price_cap if line.limits else None
        if cap is not None and line.price > cap:
            extra = fen_of((line.price - cap) * line.qty)
            out.append(finding(rule, stage, f"项目{line.name or line.code}（{line.code}）单价{line.price}元高于限价{cap}元，"
                                            f"超限价金额{fen_to_str(extra)}元。", amount=extra,
                               feedetl_sns=(line.feedetl_sn,) if line.feedetl_sn else (), doctor_code=line.doctor_code,
                               evidence={"item": line.code, "price": str(line.price), "cap": str(cap)}, **_base(claim)))
    return out


def check_credential(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    if claim.begntime is None:
        return []
    window = dt.timedelta(minutes=rule.params.window_minutes)
    out = []
    for past in history:
        if past.begntime is None or past.fixmedins_code == claim.fixmedins_code:
            continue
        apart = abs(claim.begntime - past.begntime)
        if apart < window:
            minutes = int(apart.total_seconds() // 60)
            out.append(finding(rule, stage, f"参保人{claim.psn_no}的医保凭证于{past.begntime:%Y-%m-%d %H:%M}在{past.fixmedins_code}、"
                                            f"{claim.begntime:%H:%M}在{claim.fixmedins_code}登记就诊，相隔{minutes}分钟，疑似冒名就医。",
                               amount=claim.medfee, related_setl_ids=(past.setl_id,),
                               evidence={"minutes_apart": minutes, "other_institution": past.fixmedins_code},
                               **_base(claim)))
    return out


def _is_drug(rule: Rule, code: str) -> bool:
    return code.startswith(tuple(rule.params.drug_code_prefixes))


def check_frequent_purchase(rule: Rule, stage: str, book: RuleBook, claim: ClaimContext, history) -> list[Finding]:
    p = rule.params
    if p.outpatient_only and book.is_inpatient(claim.med_type):
        return []
    today = claim.begndate
    out = []
    for code in sorted({line.code for line in claim.lines if _is_drug(rule, line.code)}):
        days = [today] + [v.begndate for v in history
                          if code in v.drug_codes and not (p.outpatient_only and book.is_inpatient(v.med_type))]
        # any window of `window_days` days holding the current purchase and min_times purchases
        for start in sorted({d for d in days if today - dt.timedelta(days=p.window_days - 1) <= d <= today}):
            inside = [d for d in days if start <= d <= start + dt.timedelta(days=p.window_days - 1)]
            if len(inside) >= p.min_times:
                amount = sum(line.amount for line in claim.lines if line.code == code)
                out.append(finding(rule, stage, f"参保人{claim.psn_no}自{start}起{p.window_days}日内第{len(inside)}次购买药品{code}，"
                                                f"疑似频繁购药。", amount=amount,
                                   evidence={"item": code, "times": len(inside), "from": str(start)}, **_base(claim)))
                break
    return out


Check = Callable[[Rule, str, RuleBook, ClaimContext, Sequence[PastVisit]], list[Finding]]
CHECKS: dict[str, Check] = {
    "duplicate_charge": check_duplicate, "overlapping_admissions": check_overlap,
    "split_admission": check_split_admission, "phantom_bed_days": check_phantom_bed,
    "sex_age_conflict": check_sex_age, "quantity_above_limit": check_quantity, "price_above_cap": check_price,
    "credential_two_institutions": check_credential, "frequent_drug_purchase": check_frequent_purchase,
}
