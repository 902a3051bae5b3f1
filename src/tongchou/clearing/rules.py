"""Clearing rules as data: pydantic models of a file under policies/clearing/.

Amounts are yuan in the file (numbers or decimal strings, at most two
decimals) and integer fen once loaded; ratios and points are exact Decimals
(a float in YAML goes through its shortest text, never through binary).
The seeds give no clearing numbers, so a shipped file is an example
(`example: true`) with its assumptions written in it; docs/clearing.md names
the practice each parameter models.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, model_validator

from tongchou.clearing.errors import ClearingInputError
from tongchou.money import fen_to_str, to_decimal_rate, yaml_fen

FUND_FIELDS: tuple[str, ...] = ("hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay")
CLEARABLE_FIELDS: tuple[str, ...] = FUND_FIELDS + ("acct_pay",)


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    number = to_decimal_rate(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"must be a non-negative number, got {value!r}")
    return number


def _ratio(value: object) -> Decimal:
    number = _decimal(value)
    if number > 1:
        raise ValueError(f"a ratio must be between 0 and 1, got {value!r}")
    return number


def _code(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"write codes as strings (quoted in YAML): {value!r}")
    return str(value).strip()


Yuan = Annotated[int, BeforeValidator(yaml_fen), PlainSerializer(fen_to_str, return_type=str)]
Ratio = Annotated[Decimal, BeforeValidator(_ratio), PlainSerializer(str, return_type=str)]
Number = Annotated[Decimal, BeforeValidator(_decimal), PlainSerializer(str, return_type=str)]
Code = Annotated[str, BeforeValidator(_code)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClearingParameters(Strict):
    """Monthly clearing: which payments are cleared and the quality reserve withheld from them."""

    cleared_fields: tuple[str, ...] = CLEARABLE_FIELDS
    reserve_base_fields: tuple[str, ...] = ("hifp_pay",)
    quality_reserve_rate: Ratio = Decimal("0.05")
    full_release_score: Number = Decimal(90)

    @model_validator(mode="after")
    def _known_fields(self) -> ClearingParameters:
        for name in self.cleared_fields + self.reserve_base_fields:
            if name not in CLEARABLE_FIELDS:
                raise ValueError(f"unknown payment field {name!r} (one of {', '.join(CLEARABLE_FIELDS)})")
        for name in self.reserve_base_fields:
            if name not in self.cleared_fields:
                raise ValueError(f"reserve_base_fields: {name} is not cleared (not in cleared_fields)")
        if self.full_release_score <= 0:
            raise ValueError("full_release_score must be above 0")
        return self


class Band(Strict):
    """A band of overspend or surplus as fractions of the budget: [lower, upper), upper None = no end."""

    lower: Ratio
    upper: Number | None = None
    rate: Ratio

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.upper is not None and self.upper <= self.lower:
            raise ValueError(f"band upper {self.upper} must be above lower {self.lower}")
        return self


def _check_bands(bands: tuple[Band, ...], what: str) -> None:
    previous = Decimal(0)
    for index, band in enumerate(bands):
        if band.lower != previous:
            raise ValueError(f"{what}[{index}] starts at {band.lower}, expected {previous} (bands must be contiguous)")
        if band.upper is None and index != len(bands) - 1:
            raise ValueError(f"{what}[{index}] has no upper end but is not the last band")
        previous = band.upper if band.upper is not None else previous


class GlobalBudgetRules(Strict):
    """总额预算 year-end: overspend shared by the fund at `rate` per band; surplus kept by the institution at `rate`.

    The part of an overspend or surplus beyond the last band has rate 0.
    """

    budget_fields: tuple[str, ...] = ("hifp_pay",)
    overspend_bands: tuple[Band, ...]
    surplus_bands: tuple[Band, ...]

    @model_validator(mode="after")
    def _bands(self) -> GlobalBudgetRules:
        for name in self.budget_fields:
            if name not in CLEARABLE_FIELDS:
                raise ValueError(f"unknown payment field {name!r}")
        _check_bands(self.overspend_bands, "overspend_bands")
        _check_bands(self.surplus_bands, "surplus_bands")
        return self


class DipGroup(Strict):
    """A DIP disease group (病种): diagnosis + procedure (empty = conservative treatment 保守治疗) → points."""

    code: Code
    name: str
    diag_code: Code
    oprn_code: Code = ""
    points: Number
    standard_cost: Yuan = Field(gt=0)


class DipRules(Strict):
    """DIP: catalogue, case adjustments, institution coefficients by level, monthly pre-payment."""

    med_types: tuple[Code, ...] = ("21", "22")
    low_cost_ratio: Ratio = Decimal("0.5")
    high_cost_ratio: Number = Decimal(2)
    coefficients: dict[int, Number]
    prepayment_rate: Ratio = Decimal("0.9")
    fallback_group: Code
    groups: tuple[DipGroup, ...]

    @model_validator(mode="after")
    def _catalogue(self) -> DipRules:
        if self.high_cost_ratio <= 1:
            raise ValueError("high_cost_ratio must be above 1")
        seen: set[tuple[str, str]] = set()
        codes: set[str] = set()
        for group in self.groups:
            key = (group.diag_code, group.oprn_code)
            if key in seen:
                raise ValueError(f"two groups for diagnosis {key[0]} and procedure {key[1] or '(保守治疗)'}")
            if group.code in codes:
                raise ValueError(f"group code {group.code} repeated")
            if group.points.as_tuple().exponent < -4:  # type: ignore[operator]
                raise ValueError(f"group {group.code}: points have at most 4 decimals")
            seen.add(key)
            codes.add(group.code)
        if self.fallback_group not in codes:
            raise ValueError(f"fallback_group {self.fallback_group} is not a group of the catalogue")
        for level in (1, 2, 3):
            if level not in self.coefficients:
                raise ValueError(f"coefficients: no coefficient for hospital level {level}")
        return self

    def group(self, code: str) -> DipGroup:
        return next(group for group in self.groups if group.code == code)

    def coefficient(self, hosp_lv: int) -> Decimal:
        try:
            return self.coefficients[hosp_lv]
        except KeyError:
            raise ClearingInputError("hosp_lv", f"no DIP coefficient for hospital level {hosp_lv}") from None


class CapitationRules(Strict):
    """按人头付费: amount per enrolled person per month, against the outpatient pooled-fund costs."""

    per_person_month: Yuan
    med_types: tuple[Code, ...] = ("11",)
    cost_fields: tuple[str, ...] = ("hifp_pay",)


class ClearingRules(Strict):
    id: str
    name: str
    example: bool = False
    assumptions: tuple[str, ...] = ()
    source: str = ""
    clearing: ClearingParameters = ClearingParameters()
    global_budget: GlobalBudgetRules
    dip: DipRules
    capitation: CapitationRules

    @model_validator(mode="after")
    def _example_documented(self) -> ClearingRules:
        if self.example and not self.assumptions:
            raise ValueError("an example rules file must write its assumptions down (assumptions: [...])")
        return self


DEFAULT_RULES_NAME = "example-city.yaml"


def default_rules_path() -> Path:
    """The example rules shipped in the source tree (policies/clearing/)."""
    return Path(__file__).resolve().parents[3] / "policies" / "clearing" / DEFAULT_RULES_NAME


def parse_rules(data: object, where: str = "rules") -> ClearingRules:
    try:
        return ClearingRules.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error["loc"])
        raise ClearingInputError(f"{where} {location}".strip(), error["msg"]) from None


def load_rules(path: Path | None = None, option: str = "--rules") -> ClearingRules:
    """Read and validate a rules file (the shipped example when `path` is None)."""
    path = path or default_rules_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClearingInputError(option, f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ClearingInputError(option, f"{path} is not YAML: {exc}") from None
    return parse_rules(data, f"{option} {path}")
