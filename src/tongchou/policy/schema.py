"""The policy schema: every rule of docs/reference/settlement-rules.md expressed as data.

Amounts are yuan in the files (numbers or decimal strings, at most two
decimals) and integer fen once loaded; ratios are exact Decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationInfo, field_validator, model_validator,
)

from tongchou.money import fen_to_str, to_decimal_rate, yaml_fen

AdminTier = Literal["village", "township", "county", "city", "province", "outside"]
PaymentField = Literal["hifob_pay", "cvlserv_pay", "hifmi_pay", "maf_pay", "oth_pay"]
LAYER_ORDER: tuple[str, ...] = ("hifob_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "maf_pay", "oth_pay")


def _fen(value: object) -> int:
    try:
        fen = yaml_fen(value)
    except ValueError:
        raise ValueError(f"金额须为元，最多两位小数，而不是 {value!r}") from None
    if fen < 0:
        raise ValueError(f"金额不能为负数：{value}")
    return fen


# Yuan in the file, fen in memory; written back as yuan.
Yuan = Annotated[int, BeforeValidator(_fen), PlainSerializer(fen_to_str, return_type=str)]


def _rate(value: object) -> Decimal:
    try:
        rate = to_decimal_rate(value)
    except (ValueError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
        raise ValueError(f"比例须为 0 到 1 之间的小数，而不是 {value!r}") from None
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError(f"比例须在 0 到 1 之间，现为 {value}")
    return rate


def _not_below(lower_field: str, lower_name: str, upper_name: str, *, word: str = "小于", show=str):
    """A field validator: this (upper) bound is not below `lower_field` (reported even when other fields fail)."""

    def check(cls, upper, info: ValidationInfo):
        lower = info.data.get(lower_field)
        if upper is not None and lower is not None and upper < lower:
            raise ValueError(f"范围颠倒：{upper_name} {show(upper)} {word}{lower_name} {show(lower)}")
        return upper

    return classmethod(check)


Rate = Annotated[Decimal, BeforeValidator(_rate), PlainSerializer(str, return_type=str)]
Code = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ref(Strict):
    """Where a number comes from: the seed and its sentence."""

    source: str
    text: str


class Condition(Strict):
    """Who and what a rule applies to. Every field left out matches anything."""

    med_type: list[Code] | None = None
    accident: bool | None = None
    hosp_lv: list[int] | None = None
    admin_tier: list[AdminTier] | None = None
    psn_type: list[Code] | None = None
    student: bool | None = None
    tier: list[str] | None = None
    assistance: list[str] | None = Field(None, description="matches when the person has any of these categories")
    disease_group: list[str] | None = Field(None, description="groups of the version's disease list")
    county: list[Code] | None = None


class Deductible(Strict):
    """起付线: per admission by hospital level with ordinal reductions, or per year."""

    kind: Literal["per_admission", "annual"]
    amount: Yuan | None = None
    by_hosp_lv: dict[int, Yuan] | None = None
    ordinal_factors: list[Rate] = Field(
        default_factory=lambda: [Decimal(1)],
        description="factor for the 1st, 2nd, ... admission of the year; the last applies to all later ones",
    )
    counter: str = Field("admissions", description="the named admission counter the ordinal is read from")
    accumulator: str | None = Field(None, description="annual kind: the named accumulator consumed across visits")
    ref: Ref | None = None

    @model_validator(mode="after")
    def _amount_given(self) -> Deductible:
        if self.amount is None and not self.by_hosp_lv:
            raise ValueError("起付线须给出 amount 或 by_hosp_lv")
        if self.kind == "annual" and not self.accumulator:
            raise ValueError("年度起付线须给出它所消耗的累计项 accumulator")
        return self


class BenefitLine(Strict):
    """One benefit line: which claims it covers and how the pooled fund pays."""

    id: str
    name: str
    category: Literal[
        "general_outpatient", "emergency", "chronic_outpatient", "accident_outpatient", "inpatient",
        "accident_inpatient", "referred_inpatient", "pharmacy", "maternity", "other",
    ]
    when: Condition = Condition()
    deductible: Deductible | None = None
    ratio: Rate
    essential_ratio: Rate | None = Field(None, description="ratio for essential drugs (基本药物) on this line")
    caps: list[str] = Field(default_factory=list, description="named annual caps this line counts against")
    counts_admission: bool = Field(False, description="settling on this line counts an admission in the year")
    note: str | None = None
    ref: Ref | None = None

    @model_validator(mode="after")
    def _admissions_counted(self) -> BenefitLine:
        if self.deductible is not None and self.deductible.kind == "per_admission" and not self.counts_admission:
            raise ValueError(f"待遇项 {self.id!r}：按次起付线须设 counts_admission: true")
        return self


class Cap(Strict):
    """A named annual cap on pooled-fund payments, shared by the lines that name it."""

    id: str
    name: str
    amount: Yuan
    ref: Ref | None = None


class Disease(Strict):
    """A chronic/special outpatient disease of the policy's list."""

    code: str
    name: str
    condition: str | None = None
    group: str


class Tier(Strict):
    """A tier of the schedule: `rate` on the part of the base between `above` and `up_to`."""

    above: Yuan
    up_to: Yuan | None = None
    rate: Rate

    _up_to_not_below = field_validator("up_to")(_not_below("above", "下限 above", "上限 up_to", show=fen_to_str))


class LayerPart(Strict):
    """One base of a layer, accumulated over the year, paid through its own schedule."""

    base: Literal["burden", "under_cap", "over_cap", "remaining"]
    schedule: list[Tier]
    note: str | None = None

    @field_validator("schedule")
    @classmethod
    def _ordered(cls, tiers: list[Tier]) -> list[Tier]:
        for lower, upper in zip(tiers, tiers[1:]):
            if lower.up_to is None or lower.up_to > upper.above:
                raise ValueError("分段须按顺序排列且不得重叠")
        return tiers


class CapIncrement(Strict):
    """A cap raised with continuous years of enrolment."""

    min_years: int = Field(ge=0)
    max_years: int | None = Field(None, description="exclusive upper bound")
    amount: Yuan

    _max_not_below = field_validator("max_years")(_not_below("min_years", "min_years", "max_years"))


class Floor(Strict):
    """A floor on total reimbursement, topped up by this layer (e.g. 90 % for registered poor households)."""

    ratio: Rate
    base: Literal["inscp_scp_amt", "medfee_sumamt"] = "inscp_scp_amt"


class LayerVariant(Strict):
    """The parameters of a layer for the persons `when` matches (first match wins)."""

    when: Condition = Condition()
    parts: list[LayerPart]
    cap: Yuan | None = None
    cap_increments: list[CapIncrement] = Field(default_factory=list)
    floor: Floor | None = None
    name: str | None = None


class Layer(Strict):
    """A supplementary layer: large-expense supplement, critical illness, medical assistance..."""

    id: str
    name: str
    field: PaymentField
    applies_to: list[str] = Field(description="benefit line categories whose claims it covers; ['*'] for all")
    variants: list[LayerVariant]
    run_by: str | None = Field(None, description="insurer that runs the layer, if bought from one")
    ref: Ref | None = None


class RateStep(Strict):
    """One step of a transition: `rate` applies from `from` until the next step."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    from_: dt.date = Field(alias="from")
    rate: Rate


class RateTransition(Strict):
    """A rate reached gradually (逐步调整为…): the steps the bureau sets on the way to the target; a date
    before the first step has no rate in force."""

    steps: list[RateStep] = Field(min_length=1)
    example: bool = False
    assumptions: list[str] = Field(default_factory=list)
    ref: Ref | None = None

    @field_validator("steps")
    @classmethod
    def _in_date_order(cls, steps: list[RateStep]) -> list[RateStep]:
        for earlier, later in zip(steps, steps[1:]):
            if later.from_ <= earlier.from_:
                raise ValueError(f"范围颠倒：过渡步骤须按日期先后排列（{later.from_} 不晚于 {earlier.from_}）")
        return steps

    @model_validator(mode="after")
    def _examples_say_what_they_assume(self) -> RateTransition:
        if self.example and not self.assumptions:
            raise ValueError("示例（example: true）须写明其假设（assumptions）")
        return self

    def rate_on(self, on: dt.date) -> Decimal | None:
        in_force = [step for step in self.steps if step.from_ <= on]
        return in_force[-1].rate if in_force else None


class AccountInterest(Strict):
    """The yearly interest credited to personal accounts at the year end (年度结转计息): balance × rate, half-up
    to the fen. A number with no source is an example and says what it assumes."""

    rate: Rate
    example: bool = False
    assumptions: list[str] = Field(default_factory=list)
    ref: Ref | None = None

    @model_validator(mode="after")
    def _cited_or_example(self) -> AccountInterest:
        if self.example and not self.assumptions:
            raise ValueError("示例（example: true）须写明其假设（assumptions）")
        if not self.example and self.ref is None:
            raise ValueError("个人账户计息利率须注明出处（ref），或标为示例（example: true）并写明假设")
        return self


class PersonalAccount(Strict):
    """Employee personal account: accrual rules (the engine pays from the balance)."""

    individual_share_of_base: Rate | None = None
    employer_share_to_account: Rate | None = None
    retiree_monthly_rate_of_average_pension: Rate | None = Field(
        None, description="the retirees' monthly credit as a share of the average pension (the target, when "
                          "`retiree_rate_transition` reaches it gradually)")
    retiree_rate_transition: RateTransition | None = None
    average_pension: Yuan | None = Field(None, description="entered by the bureau; not in any seed")
    family_mutual_use: bool = False
    mutual_use_relations: list[Literal["spouse", "parent", "child"]] = Field(default_factory=list)
    pays_resident_contributions_of_relatives: bool = False
    interest: AccountInterest | None = Field(None, description="the year-end interest on the balance")
    ref: Ref | None = None

    @model_validator(mode="after")
    def _transition_below_target(self) -> PersonalAccount:
        target, transition = self.retiree_monthly_rate_of_average_pension, self.retiree_rate_transition
        if transition is not None:
            if target is None:
                raise ValueError("retiree_rate_transition 须有目标 retiree_monthly_rate_of_average_pension")
            above = [step for step in transition.steps if step.rate > target]
            if above:
                raise ValueError(f"过渡步骤的比例 {above[0].rate} 超过目标 {target}")
        return self


class AmountByYear(Strict):
    year: int
    amount: Yuan
    tier: str | None = None
    level: str | None = Field(None, description="subsidy level: central, provincial, city, county, total")
    ref: Ref | None = None


class MonthDay(Strict):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class FilingWindow(Strict):
    """One application window of the year (申报期): from `opens` to `closes`, both days included."""

    name: str
    opens: MonthDay
    closes: MonthDay

    @model_validator(mode="after")
    def _in_order(self) -> FilingWindow:
        if (self.closes.month, self.closes.day) < (self.opens.month, self.opens.day):
            raise ValueError(f"申报期“{self.name}”范围颠倒：截止日早于开始日")
        return self


class FilingValidity(Strict):
    """How long an approval lasts: `months` from the approval date, or to 31 December of the approval year."""

    months: int | None = Field(None, ge=1, le=120)
    to_year_end: bool = False

    @model_validator(mode="after")
    def _one_rule(self) -> FilingValidity:
        if (self.months is None) == (not self.to_year_end):
            raise ValueError("有效期须给出 months（自审批之日起的月数）或 to_year_end: true，二者选一")
        return self


class ChronicFiling(Strict):
    """门诊慢特病申报: where it is received (the institutions' admin tier, e.g. 乡镇卫生院), the windows of the
    year, the documents the person brings, how long an approval lasts. Cited (`ref`) or an example with its
    assumptions."""

    received_at: list[AdminTier] = Field(min_length=1, description="admin tiers of the receiving institutions")
    windows: list[FilingWindow] = Field(min_length=1)
    documents: list[str] = Field(min_length=1, description="the documents required, by their Chinese names")
    validity: FilingValidity
    example: bool = False
    assumptions: list[str] = Field(default_factory=list)
    ref: Ref | None = None

    @field_validator("windows")
    @classmethod
    def _not_overlapping(cls, windows: list[FilingWindow]) -> list[FilingWindow]:
        ordered = sorted(windows, key=lambda w: (w.opens.month, w.opens.day))
        for earlier, later in zip(ordered, ordered[1:]):
            if (later.opens.month, later.opens.day) <= (earlier.closes.month, earlier.closes.day):
                raise ValueError(f"申报期“{earlier.name}”与“{later.name}”重叠")
        return windows

    @model_validator(mode="after")
    def _cited_or_example(self) -> ChronicFiling:
        if self.example and not self.assumptions:
            raise ValueError("示例（example: true）须写明其假设（assumptions）")
        if not self.example and self.ref is None:
            raise ValueError("门诊慢特病申报规则须注明出处（ref），或标为示例（example: true）并写明假设")
        return self


class Continuity(Strict):
    """When a gap in an employee's contributions breaks the continuity of the contribution years (连续缴费):
    a gap of at most `gap_months` unpaid months keeps the run going (the unpaid months are not counted);
    a longer gap breaks it. A source (`ref`) or `example: true` with its assumptions."""

    gap_months: int = Field(ge=0, description="the longest gap (unpaid months) that does not break continuity")
    example: bool = False
    assumptions: list[str] = Field(default_factory=list)
    ref: Ref | None = None

    @model_validator(mode="after")
    def _cited_or_example(self) -> Continuity:
        if self.ref is None and not self.example:
            raise ValueError("中断缴费的容许月数须注明出处（ref）或标明为示例（example: true）")
        if self.example and not self.assumptions:
            raise ValueError("示例（example: true）须写明其假设（assumptions）")
        return self


class Contributions(Strict):
    """Contribution rules: amounts by year and tier, subsidies, collection period, late payment, newborns."""

    individual: list[AmountByYear] = Field(default_factory=list)
    subsidies: list[AmountByYear] = Field(default_factory=list)
    collection_period: tuple[MonthDay, MonthDay] | None = None
    collection_for_next_year: bool = True
    late_payment_includes_subsidy: bool | None = None
    late_payment_waiting_months: int | None = Field(None, ge=0)
    newborn_free_in_birth_year: bool | None = None
    newborn_backdate_within_months: int | None = Field(None, ge=0)
    newborn_late_waiting_months: int | None = Field(None, ge=0)
    employee_base_bounds: tuple[Rate, Decimal] | None = Field(
        None, description="(min, max) of the contribution base as multiples of the average wage"
    )
    employer_rate: Rate | None = None
    individual_rate: Rate | None = None
    continuity: Continuity | None = Field(
        None, description="employees: the gap in contributions that breaks continuous contribution years")
    ref: Ref | None = None

    @field_validator("employee_base_bounds")
    @classmethod
    def _bounds_in_order(cls, bounds: tuple[Decimal, Decimal] | None) -> tuple[Decimal, Decimal] | None:
        if bounds is not None and bounds[1] < bounds[0]:
            raise ValueError(f"范围颠倒：上限 {bounds[1]} 小于下限 {bounds[0]}")
        return bounds


class Transitional(Strict):
    """County parameters kept for a while after merging (老政策逐步消化): tried before the main lines."""

    county: Code
    name: str
    effective_from: dt.date
    effective_to: dt.date
    benefits: list[BenefitLine]

    _dates_in_order = field_validator("effective_to")(_not_below("effective_from", "生效日期", "失效日期", word="早于"))
    ref: Ref | None = None


class SourceGap(Strict):
    """A benefit the source names without its terms (e.g. disease counts without the list): a claim it matches
    that no benefit line covers is explained with `text` (what the source leaves out) instead of a bare
    "not covered"; the fund pays nothing until the bureau enters the terms."""

    when: Condition
    text: str
    ref: Ref


class Version(Strict):
    """One dated version of a policy: the full parameter set in force between two dates."""

    version: int
    effective_from: dt.date
    effective_to: dt.date
    published: dt.date | None = None

    _dates_in_order = field_validator("effective_to")(_not_below("effective_from", "生效日期", "失效日期", word="早于"))
    note: str | None = None
    caps: list[Cap] = Field(default_factory=list)
    diseases: list[Disease] = Field(default_factory=list)
    benefits: list[BenefitLine] = Field(default_factory=list)
    layers: list[Layer] = Field(default_factory=list)
    compose: list[str] = Field(default_factory=list, description="ids of layer policies composed with this one")
    personal_account: PersonalAccount | None = None
    contributions: Contributions | None = None
    transitional: list[Transitional] = Field(default_factory=list)
    chronic_filing: ChronicFiling | None = Field(None, description="门诊慢特病申报: windows, documents, validity")
    not_in_source: list[SourceGap] = Field(
        default_factory=list, description="benefits the source names without their terms, explained as such")

    @model_validator(mode="after")
    def _consistent(self) -> Version:
        cap_ids = {cap.id for cap in self.caps}
        for line in [*self.benefits, *(b for t in self.transitional for b in t.benefits)]:
            for cap in line.caps:
                if cap not in cap_ids:
                    raise ValueError(f"待遇项 {line.id!r} 引用了未定义的封顶线 {cap!r}")
        annual: dict[str, int | None] = {}
        for line in self.benefits:
            rule = line.deductible
            if rule is not None and rule.kind == "annual":
                if annual.setdefault(rule.accumulator, rule.amount) != rule.amount:
                    raise ValueError(f"共用年度起付线 {rule.accumulator!r} 的待遇项给出的金额不同")
        groups = {d.group for d in self.diseases}
        for line in self.benefits:
            for group in line.when.disease_group or ():
                if group not in groups:
                    raise ValueError(f"待遇项 {line.id!r} 引用了未定义的病种组 {group!r}")
        return self


class Policy(Strict):
    """A policy file: a stable id, its pooling region and scheme, and its versions."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    region: Code = Field(description="6-digit admdvs of the pooling region")
    scheme: Code = Field(description="insutype: 310 employee, 390 resident")
    kind: Literal["base", "layer"] = "base"
    example: bool = False
    assumptions: list[str] = Field(default_factory=list, description="for examples: each assumption written down")
    source: str | None = None
    versions: list[Version]

    @model_validator(mode="after")
    def _versions_ok(self) -> Policy:
        if not self.versions:
            raise ValueError("政策至少要有一个版本")
        ordered = sorted(self.versions, key=lambda v: v.effective_from)
        for earlier, later in zip(ordered, ordered[1:]):
            if later.effective_from <= earlier.effective_to:
                raise ValueError(f"版本 {earlier.version} 与版本 {later.version} 的有效期重叠")
        if self.example and not self.assumptions:
            raise ValueError("示例政策须写明其假设（assumptions）")
        return self
