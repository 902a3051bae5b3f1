"""The declaration terms of a pool as data: policies/employers/*.yaml, validated by a pydantic schema.

One file per pool (`region`), one entry per year: the average wage the bounds are drawn from, the bounds
(shares of that wage, or amounts), the employer's and the employee's rates, the day of the month a
declaration falls due and the late fee's daily rate. Amounts are yuan in the file, fen once read; rates
are exact `Decimal`. A number no seed or law gives is marked `example: true` with its `assumptions`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BeforeValidator, Field, ValidationError, model_validator

from tongchou.money import to_decimal_rate, yaml_fen
from tongchou.policy.registry import default_policy_dir
from tongchou.policy.schema import Rate, Ref, Strict
from tongchou.validation_text import location, reason

YamlFen = Annotated[int, BeforeValidator(yaml_fen)]


def _share(value: object) -> Decimal:
    try:
        return to_decimal_rate(value)
    except (ValueError, ArithmeticError):  # decimal.InvalidOperation is an ArithmeticError
        raise ValueError(f"应为平均工资的倍数（如 0.6、3），而不是 {value!r}") from None


Share = Annotated[Decimal, BeforeValidator(_share), Field(ge=0)]  # of the average wage: 3 is 300 %


class TermsError(ValueError):
    """A terms file that does not validate: the message names the file and the field."""


class Documented(Strict):
    """A number with its source (`ref`), or marked `example: true` with its `assumptions`."""

    example: bool = False
    assumptions: list[str] = Field(default_factory=list)
    ref: Ref | None = None

    @model_validator(mode="after")
    def _examples_say_what_they_assume(self):
        if self.example and not self.assumptions:
            raise ValueError("example: true 须在 assumptions 中写明假设")
        if not self.example and self.ref is None:
            raise ValueError("非示例的数值须以 ref 注明出处（或标为 example: true 并写明 assumptions）")
        return self


class BaseBounds(Documented):
    """缴费基数上下限: shares of the average wage (60 %–300 %) or amounts; one of the two."""

    lower_share: Share | None = None
    upper_share: Share | None = None
    lower: YamlFen | None = None
    upper: YamlFen | None = None

    @model_validator(mode="after")
    def _one_kind_in_order(self) -> BaseBounds:
        shares = (self.lower_share, self.upper_share)
        amounts = (self.lower, self.upper)
        if (None in shares) == (None in amounts):
            raise ValueError("缴费基数上下限须写 lower_share/upper_share（平均工资的比例）或 lower/upper（金额）之一，且上下限都要写")
        low, high = shares if None not in shares else amounts
        if high < low:
            raise ValueError(f"缴费基数上限 {high} 小于下限 {low}")
        return self


class Wage(Documented):
    monthly: YamlFen = Field(gt=0)


class Rates(Documented):
    employer: Rate
    individual: Rate


class DueDay(Documented):
    day: int = Field(ge=1, le=28)


class LateFee(Documented):
    daily_rate: Rate


class YearTerms(Strict):
    """What a declaration for a month of `year` is computed by."""

    year: int
    average_wage: Wage | None = None
    base_bounds: BaseBounds
    rates: Rates
    due: DueDay
    late_fee: LateFee

    @model_validator(mode="after")
    def _shares_need_a_wage(self) -> YearTerms:
        if self.base_bounds.lower_share is not None and self.average_wage is None:
            raise ValueError("缴费基数上下限按平均工资的比例计算时须写 average_wage")
        return self


class EmployerTerms(Strict):
    id: str
    name: str
    region: str
    source: str
    example: bool = False
    assumptions: list[str] = Field(default_factory=list)
    years: list[YearTerms]

    def for_year(self, year: int) -> YearTerms | None:
        return next((terms for terms in self.years if terms.year == year), None)


def parse_terms(data: object, source: str = "terms") -> EmployerTerms:
    try:
        return EmployerTerms.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise TermsError(f"{source}: {location(first['loc'])}: {reason(first)}") from None


def default_terms_dir() -> Path:
    return default_policy_dir() / "employers"


def load_terms(directory: Path | None = None) -> dict[str, EmployerTerms]:
    """The terms of every pool in `directory` (default policies/employers), by region."""
    found: dict[str, EmployerTerms] = {}
    for path in sorted((directory or default_terms_dir()).glob("*.yaml")):
        terms = parse_terms(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        if terms.region in found:
            raise TermsError(f"{path.name}: 统筹区 {terms.region} 已有缴费申报规则 {found[terms.region].id}")
        found[terms.region] = terms
    return found
