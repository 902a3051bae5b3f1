"""Rules of the pooled fund as data (docs/reference/fund-rules.md "Budget, final accounts, adjustment" and
"Monitoring and early warning"): pydantic models of the YAML files under ``policies/funds/``.

Each file has a ``kind``:

- ``risk_adjustment``: 风险调剂金 — remittance rate of the previous year's pooled-fund revenue
  (seed 002: 3 %) and the rule that allocates the fund to a member in deficit;
- ``deficit_sharing``: 缺口合理分担 — the funding order when a fund cannot pay and the
  city/county shares of the same-level fiscal subsidy (seed 000);
- ``legacy_handover``: 存量基金逐步到位、增量基金一步到位 — the schedule on which legacy
  balances are handed over, arrears cleared first (seed 000);
- ``early_warning``: thresholds of every early-warning indicator, dashboard and report alike (policies/funds/early-warning-thresholds.yaml, the one place they are written).

Ratios are exact ``Decimal`` (a YAML float such as 0.03 is read through its ``repr``, never
as binary float); money never appears in these rules. A file that sets numbers no seed
gives says ``example: true`` and lists its ``assumptions``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from tongchou.funds.fund_errors import FundInputError
from tongchou.money import to_decimal_rate


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = to_decimal_rate(value)
    except Exception as exc:  # decimal.InvalidOperation
        raise ValueError(f"expected a number, got {value!r}") from exc
    if not number.is_finite():
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def _ratio(value: object) -> Decimal:
    number = _decimal(value)
    if not Decimal(0) <= number <= Decimal(1):
        raise ValueError(f"a ratio must be between 0 and 1, got {value}")
    return number


Number = Annotated[Decimal, BeforeValidator(_decimal)]
Ratio = Annotated[Decimal, BeforeValidator(_ratio)]
Code = Annotated[str, BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    """Where a rule comes from: the document and the sentence, quoted as written."""

    document: str
    text: str


class Documented(Strict):
    """A rule or part of one, with its sources; numbers no seed gives are marked as an example."""

    example: bool = False
    sources: list[Source] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    examples: dict[str, str] = Field(
        default_factory=dict,
        description="fields of a sourced rule that no seed gives: field name → the assumption behind its value",
    )

    @model_validator(mode="after")
    def _examples_say_what_they_assume(self) -> Documented:
        if self.example and not self.assumptions:
            raise ValueError("assumptions: an example (example: true) must list what it assumes")
        if not self.example and not self.sources:
            raise ValueError("sources: a rule that is not an example must quote its source")
        unknown = sorted(set(self.examples) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"examples: 没有这些字段：{'、'.join(unknown)}")
        return self


class RuleFile(Documented):
    id: str
    name: str
    region: Code

    def applies_to(self, admdvs: str) -> bool:
        """The rule's region is the pool or contains it (a province 430000 contains the city 430100)."""
        prefix = str(self.region).rstrip("0")
        return str(admdvs) == str(self.region) or (len(prefix) >= 2 and str(admdvs).startswith(prefix))


# ---------------------------------------------------------------- risk adjustment (风险调剂金)

ConditionName = Literal["unified_policy", "remitted_on_time", "targets_met"]
CONDITION_NAMES: dict[str, str] = {
    "unified_policy": "执行统一政策",
    "remitted_on_time": "按时足额上解调剂金",
    "targets_met": "完成目标任务",
}
RevenueCause = Literal["contribution", "subsidy", "interest", "recovery", "other_revenue"]


class Remittance(Documented):
    """上解: each member remits `rate` × its previous year's pooled-fund revenue (筹资总额)."""

    rate: Ratio
    revenue_causes: list[RevenueCause] = Field(
        default_factory=lambda: ["contribution", "subsidy"],
        description="which revenue of the previous year is 筹资 (contributions and fiscal subsidies)",
    )
    due_month_day: str = Field("03-31", pattern=r"^\d{2}-\d{2}$", description="remitted on time = by this day")


class Allocation(Documented):
    """下拨: overspending is eligible up to `eligible_cap` × plan when every condition holds;
    the fund pays `fund_share` of the eligible part, the member the rest."""

    eligible_cap: Ratio
    fund_share: Ratio
    conditions: list[ConditionName] = Field(default_factory=lambda: ["unified_policy", "remitted_on_time",
                                                                     "targets_met"])
    when_fund_short: Literal["pro_rata"] = "pro_rata"


class RiskAdjustmentRule(RuleFile):
    kind: Literal["risk_adjustment"]
    holder: Code = Field(description="the code of the sub-ledger that holds the adjustment fund (province or city)")
    funds: list[str] = Field(min_length=1, description="the pooled funds that remit, e.g. resident_pooled")
    remittance: Remittance
    allocation: Allocation


# ---------------------------------------------------------------- deficit sharing (缺口合理分担)

FundingStepName = Literal[
    "accumulated_balance", "risk_adjustment", "deposit_liquidation", "fiscal_subsidy",
    "contribution_or_benefit_change",
]
FUNDING_STEP_NAMES: dict[str, str] = {
    "accumulated_balance": "累计结余",
    "risk_adjustment": "风险调剂金",
    "deposit_liquidation": "提前支取定期存款",
    "fiscal_subsidy": "同级财政补助",
    "contribution_or_benefit_change": "调整筹资标准或待遇水平",
}
DEFAULT_FUNDING_ORDER: tuple[str, ...] = tuple(FUNDING_STEP_NAMES)


class FiscalShares(Strict):
    city: Ratio
    county: Ratio

    @model_validator(mode="after")
    def _shares_make_a_whole(self) -> FiscalShares:
        if self.city + self.county != 1:
            raise ValueError(f"city + county must be 1, got {self.city} + {self.county}")
        return self


class DeficitSharingRule(RuleFile):
    kind: Literal["deficit_sharing"]
    funding_order: list[FundingStepName] = Field(default_factory=lambda: list(DEFAULT_FUNDING_ORDER))
    fiscal_shares: FiscalShares
    fiscal_shares_if_conditions_unmet: FiscalShares | None = Field(
        None, description="shares when the county did not meet the conditions (e.g. did not apply the unified policy)")

    @model_validator(mode="after")
    def _order_is_complete(self) -> DeficitSharingRule:
        if len(set(self.funding_order)) != len(self.funding_order):
            raise ValueError("funding_order: a step appears twice")
        if self.funding_order[-1:] != ["contribution_or_benefit_change"]:
            raise ValueError("funding_order: the last step must be contribution_or_benefit_change")
        return self


# ---------------------------------------------------------------- legacy handover (存量基金逐步到位)

class Tranche(Strict):
    date: dt.date  # not `on`: YAML 1.1 reads a bare `on` as true
    share: Ratio


def _check_schedule(schedule: list[Tranche], start: dt.date, field: str) -> None:
    if not schedule:
        raise ValueError(f"{field}: at least one tranche")
    if sum((t.share for t in schedule), Decimal(0)) != 1:
        raise ValueError(f"{field}: the shares must add up to 1")
    days = [t.date for t in schedule]
    if days != sorted(days) or len(set(days)) != len(days):
        raise ValueError(f"{field}: tranche dates must be strictly increasing")
    if days[0] < start:
        raise ValueError(f"{field}: the first tranche is before the pooling start {start}")


class LegacyHandoverRule(RuleFile):
    kind: Literal["legacy_handover"]
    start: dt.date = Field(description="the first day of city-level pooling: new revenue goes to the pool from here")
    schedule: list[Tranche]
    county_schedules: dict[Code, list[Tranche]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _schedules_are_whole(self) -> LegacyHandoverRule:
        _check_schedule(self.schedule, self.start, "schedule")
        for county, schedule in self.county_schedules.items():
            _check_schedule(schedule, self.start, f"county_schedules.{county}")
        return self

    def schedule_of(self, county: str) -> list[Tranche]:
        return self.county_schedules.get(county, self.schedule)


# ---------------------------------------------------------------- early warning thresholds

class Band(Documented):
    """Status bands of one indicator: below `alarm_below` alarm, below `watch_below` watch,
    above `alarm_above` alarm, above `watch_above` watch, else normal (bounds are strict)."""

    alarm_below: Number | None = None
    watch_below: Number | None = None
    watch_above: Number | None = None
    alarm_above: Number | None = None

    @model_validator(mode="after")
    def _bounds_in_order(self) -> Band:
        bounds = [b for b in (self.alarm_below, self.watch_below, self.watch_above, self.alarm_above) if b is not None]
        if bounds != sorted(bounds):
            raise ValueError("bounds must satisfy alarm_below ≤ watch_below ≤ watch_above ≤ alarm_above")
        return self


THRESHOLDS_FILE = "early-warning-thresholds.yaml"


@lru_cache(maxsize=1)
def shipped_bands() -> dict[str, Band]:
    """The bands of policies/funds/early-warning-thresholds.yaml: the ONE place the thresholds are written
    (each with its source or marked as an example); every default below is read from it."""
    from tongchou.policy.registry import default_policy_dir

    path = default_policy_dir() / "funds" / THRESHOLDS_FILE
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(name): Band.model_validate(band) for name, band in data["bands"].items()}


def _shipped(name: str) -> Any:
    return Field(default_factory=lambda: shipped_bands()[name])


class WarningBands(Strict):
    """Thresholds of every early-warning indicator, of the ledger's figures (dashboard) and of the fund
    operation report alike; the defaults are the shipped threshold file's."""

    months_covered: Band = _shipped("months_covered")
    current_surplus_ratio: Band = _shipped("current_surplus_ratio")
    spending_progress_gap: Band = _shipped("spending_progress_gap")
    full_year_share: Band = _shipped("full_year_share")
    expenditure_over_revenue_growth: Band = _shipped("expenditure_over_revenue_growth")
    per_capita_expenditure_growth: Band = _shipped("per_capita_expenditure_growth")
    admission_rate: Band = _shipped("admission_rate")
    avg_cost_per_admission_growth: Band = _shipped("avg_cost_per_admission_growth")


class EarlyWarningRule(RuleFile):
    kind: Literal["early_warning"]
    bands: WarningBands = Field(default_factory=WarningBands)


FundRule = RiskAdjustmentRule | DeficitSharingRule | LegacyHandoverRule | EarlyWarningRule
_KINDS: dict[str, type[RuleFile]] = {
    "risk_adjustment": RiskAdjustmentRule,
    "deficit_sharing": DeficitSharingRule,
    "legacy_handover": LegacyHandoverRule,
    "early_warning": EarlyWarningRule,
}


# ---------------------------------------------------------------- loading

def _field_path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(file)"


def parse_rule(data: Any, source: str = "rule") -> FundRule:
    """A rule from parsed YAML; errors name the file and the field (``risk.yaml: remittance.rate``)."""
    if not isinstance(data, dict):
        raise FundInputError(source, "expected a mapping with a `kind`")
    kind = data.get("kind")
    model = _KINDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        raise FundInputError(f"{source}: kind", f"unknown kind {kind!r} (known: {', '.join(_KINDS)})")
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        first = exc.errors()[0]
        location = tuple(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        named = re.match(r"^([A-Za-z_][\w.\[\]]*): (.+)$", message)
        if named:  # a model validator names the field in its message: append it to the location
            location, message = (*location, named.group(1)), named.group(2)
        raise FundInputError(f"{source}: {_field_path(location)}", message) from None


def parse_rule_text(text: str, source: str = "rule") -> FundRule:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FundInputError(source, f"not valid YAML: {exc}") from None
    return parse_rule(data, source)


def load_rule(path: Path) -> FundRule:
    """Shell: read one rule file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FundInputError(str(path), f"cannot read: {exc.strerror}") from None
    return parse_rule_text(text, path.name)
