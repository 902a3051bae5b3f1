"""The policy schema: every rule of docs/reference/settlement-rules.md expressed as data.

Amounts are yuan in the files (numbers or decimal strings, at most two
decimals) and integer fen once loaded; ratios are exact Decimals.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from tongchou.money import fen_to_str, to_decimal_rate, yaml_fen

AdminTier = Literal["village", "township", "county", "city", "province", "outside"]
PaymentField = Literal["hifob_pay", "cvlserv_pay", "hifmi_pay", "maf_pay", "oth_pay"]
LAYER_ORDER: tuple[str, ...] = ("hifob_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "maf_pay", "oth_pay")


# Yuan in the file, fen in memory; written back as yuan.
Yuan = Annotated[int, BeforeValidator(yaml_fen), PlainSerializer(fen_to_str, return_type=str)]


def _rate(value: object) -> Decimal:
    rate = to_decimal_rate(value)
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError(f"a ratio must be between 0 and 1, got {value}")
    return rate


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
            raise ValueError("a deductible needs `amount` or `by_hosp_lv`")
        if self.kind == "annual" and not self.accumulator:
            raise ValueError("an annual deductible needs the `accumulator` it is consumed from")
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
            raise ValueError(f"line {self.id!r}: a per-admission deductible needs counts_admission: true")
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
                raise ValueError("tiers must be ordered and must not overlap")
        return tiers


class CapIncrement(Strict):
    """A cap raised with continuous years of enrolment."""

    min_years: int
    max_years: int | None = Field(None, description="exclusive upper bound")
    amount: Yuan


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


class PersonalAccount(Strict):
    """Employee personal account: accrual rules (the engine pays from the balance)."""

    individual_share_of_base: Rate | None = None
    employer_share_to_account: Rate | None = None
    retiree_monthly_rate_of_average_pension: Rate | None = None
    average_pension: Yuan | None = Field(None, description="entered by the bureau; not in any seed")
    family_mutual_use: bool = False
    mutual_use_relations: list[Literal["spouse", "parent", "child"]] = Field(default_factory=list)
    pays_resident_contributions_of_relatives: bool = False
    ref: Ref | None = None


class AmountByYear(Strict):
    year: int
    amount: Yuan
    tier: str | None = None
    level: str | None = Field(None, description="subsidy level: central, provincial, city, county, total")
    ref: Ref | None = None


class MonthDay(Strict):
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class Contributions(Strict):
    """Contribution rules: amounts by year and tier, subsidies, collection period, late payment, newborns."""

    individual: list[AmountByYear] = Field(default_factory=list)
    subsidies: list[AmountByYear] = Field(default_factory=list)
    collection_period: tuple[MonthDay, MonthDay] | None = None
    collection_for_next_year: bool = True
    late_payment_includes_subsidy: bool | None = None
    late_payment_waiting_months: int | None = None
    newborn_free_in_birth_year: bool | None = None
    newborn_backdate_within_months: int | None = None
    newborn_late_waiting_months: int | None = None
    employee_base_bounds: tuple[Rate, Decimal] | None = Field(
        None, description="(min, max) of the contribution base as multiples of the average wage"
    )
    employer_rate: Rate | None = None
    individual_rate: Rate | None = None
    ref: Ref | None = None


class Transitional(Strict):
    """County parameters kept for a while after merging (老政策逐步消化): tried before the main lines."""

    county: Code
    name: str
    effective_from: dt.date
    effective_to: dt.date
    benefits: list[BenefitLine]
    ref: Ref | None = None


class Version(Strict):
    """One dated version of a policy: the full parameter set in force between two dates."""

    version: int
    effective_from: dt.date
    effective_to: dt.date
    published: dt.date | None = None
    note: str | None = None
    caps: list[Cap] = Field(default_factory=list)
    diseases: list[Disease] = Field(default_factory=list)
    benefits: list[BenefitLine] = Field(default_factory=list)
    layers: list[Layer] = Field(default_factory=list)
    compose: list[str] = Field(default_factory=list, description="ids of layer policies composed with this one")
    personal_account: PersonalAccount | None = None
    contributions: Contributions | None = None
    transitional: list[Transitional] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> Version:
        if self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        cap_ids = {cap.id for cap in self.caps}
        for line in [*self.benefits, *(b for t in self.transitional for b in t.benefits)]:
            for cap in line.caps:
                if cap not in cap_ids:
                    raise ValueError(f"benefit line {line.id!r} names an undefined cap {cap!r}")
        annual: dict[str, int | None] = {}
        for line in self.benefits:
            rule = line.deductible
            if rule is not None and rule.kind == "annual":
                if annual.setdefault(rule.accumulator, rule.amount) != rule.amount:
                    raise ValueError(f"lines sharing the annual deductible {rule.accumulator!r} give it different amounts")
        groups = {d.group for d in self.diseases}
        for line in self.benefits:
            for group in line.when.disease_group or ():
                if group not in groups:
                    raise ValueError(f"benefit line {line.id!r} names an undefined disease group {group!r}")
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
            raise ValueError("a policy needs at least one version")
        ordered = sorted(self.versions, key=lambda v: v.effective_from)
        for earlier, later in zip(ordered, ordered[1:]):
            if later.effective_from <= earlier.effective_to:
                raise ValueError(f"versions {earlier.version} and {later.version} overlap")
        if self.example and not self.assumptions:
            raise ValueError("an example policy must write down its assumptions")
        return self
