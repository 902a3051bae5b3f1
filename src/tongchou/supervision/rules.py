"""The rule catalogue (policies/supervision/rules.yaml), validated with pydantic.

Each rule id has its own parameter model: an unknown id, an unknown or ill-typed parameter, or a
stage/scheme outside the allowed values is refused with the field named (`rules[3].parameters.max_days`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from tongchou.codes import SCHEMES
from tongchou.supervision.errors import SupervisionError, from_validation

POLICY_DIR = Path(__file__).resolve().parents[3] / "policies" / "supervision"
DEFAULT_RULES = POLICY_DIR / "rules.yaml"

Stage = Literal["pre", "during", "post"]
Severity = Literal["low", "medium", "high"]
SEVERITY_NAMES = {"low": "低", "medium": "中", "high": "高"}
STAGE_NAMES = {"pre": "事前", "during": "事中", "post": "事后"}


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(_Params):
    pass


class OverlapParams(_Params):
    allow_same_day_transfer: bool = True


class SplitAdmissionParams(_Params):
    max_days: int = Field(15, ge=1, le=90)
    same_institution: bool = True
    diagnosis_prefix_length: int = Field(3, ge=1, le=10)
    missing_diagnosis_is_related: bool = True


class PhantomBedParams(_Params):
    min_gap_hours: int = Field(72, ge=1)
    bed_item_name_suffix: str = "床位费"
    bed_item_codes: tuple[str, ...] = ()


class DiagnosisLimit(_Params):
    prefix: str = Field(min_length=1)
    name: str
    sex: Literal["1", "2"] | None = None
    min_age: int | None = Field(None, ge=0)
    max_age: int | None = Field(None, ge=0)


class SexAgeParams(_Params):
    diagnosis_limits: tuple[DiagnosisLimit, ...] = ()


class QuantityParams(_Params):
    check_line: bool = True
    check_day: bool = True
    check_stay: bool = True


class CredentialParams(_Params):
    window_minutes: int = Field(30, ge=1, le=24 * 60)


class OutlierParams(_Params):
    z_threshold: float = Field(3.0, gt=0)
    min_admissions: int = Field(30, ge=1)
    min_peers: int = Field(3, ge=2)
    min_relative_excess: float = Field(0.2, ge=0)
    peer_key: Literal["admin_tier", "hosp_lv"] = "admin_tier"


class FrequentPurchaseParams(_Params):
    min_times: int = Field(4, ge=2)
    window_days: int = Field(30, ge=1, le=366)
    drug_code_prefixes: tuple[str, ...] = ("YP", "X", "Z")
    outpatient_only: bool = True


class SharedContactParams(_Params):
    min_group_size: int = Field(3, ge=2)
    top_percentile: float = Field(99.0, gt=0, lt=100)
    min_members_in_top: int = Field(2, ge=1)


PARAMETERS: dict[str, type[_Params]] = {
    "duplicate_charge": NoParams, "overlapping_admissions": OverlapParams, "split_admission": SplitAdmissionParams,
    "phantom_bed_days": PhantomBedParams, "sex_age_conflict": SexAgeParams, "quantity_above_limit": QuantityParams,
    "price_above_cap": NoParams, "credential_two_institutions": CredentialParams,
    "outlier_institution": OutlierParams, "frequent_drug_purchase": FrequentPurchaseParams,
    "shared_contact_group": SharedContactParams,
}
# Rules that compare a claim with a population (peers, everyone's totals): after the fact only.
POPULATION_RULES = frozenset({"outlier_institution", "shared_contact_group"})


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = Field(min_length=1)
    severity: Severity
    stages: tuple[Stage, ...] = Field(min_length=1)
    schemes: tuple[str, ...] = Field(min_length=1)
    blocking: bool = False
    enabled: bool = True
    population: Literal["claims", "fee_lines", "persons", "institutions"]
    max_false_positive_rate: float = Field(ge=0, le=1)
    parameters: dict[str, Any] = Field(default_factory=dict)
    definition: str = Field(min_length=1)
    source: str = Field(min_length=1)
    _params: _Params = PrivateAttr()

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PARAMETERS:
            raise ValueError(f"未知规则 {value!r}，可用：{', '.join(PARAMETERS)}")
        return value

    @field_validator("schemes")
    @classmethod
    def _schemes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [s for s in value if s not in SCHEMES]
        if wrong:
            raise ValueError(f"险种 {wrong} 不在 {SCHEMES} 之内")
        return value

    @model_validator(mode="after")
    def _typed(self) -> "Rule":
        if self.id in POPULATION_RULES and set(self.stages) - {"post"}:
            raise ValueError(f"规则 {self.id} 需要与同级或全体比较，只能在事后（post）运行")
        return self

    @property
    def params(self) -> Any:
        return self._params

    def applies_to(self, insutype: str | None) -> bool:
        return insutype is None or insutype in self.schemes


class RuleBook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    name: str
    inpatient_med_types: tuple[str, ...] = ("21", "22", "23", "52")
    rules: tuple[Rule, ...]

    @model_validator(mode="after")
    def _unique(self) -> "RuleBook":
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"规则 {rule.id} 重复")
            seen.add(rule.id)
        return self

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise SupervisionError("rule_id", f"规则库中没有规则 {rule_id}")

    def active(self, stage: str | None = None) -> list[Rule]:
        return [r for r in self.rules if r.enabled and (stage is None or stage in r.stages)]

    def is_inpatient(self, med_type: str | None) -> bool:
        return med_type in self.inpatient_med_types


def parse_rules(data: Any, where: str = "") -> RuleBook:
    """Validate a rule book (a mapping, as read from YAML)."""
    try:
        book = RuleBook.model_validate(data)
    except ValidationError as exc:
        raise from_validation(exc, where=where) from None
    for index, rule in enumerate(book.rules):
        try:
            rule._params = PARAMETERS[rule.id].model_validate(rule.parameters)
        except ValidationError as exc:
            raise from_validation(exc, prefix=f"rules[{index}].parameters", where=where) from None
    return book


def load_rules(path: Path | None = None) -> RuleBook:
    path = path or DEFAULT_RULES
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SupervisionError("rules", f"规则库文件不存在：{path}") from None
    except yaml.YAMLError as exc:
        raise SupervisionError("rules", f"规则库不是有效的 YAML：{exc}") from None
    return parse_rules(data, where=f"{path.name}: ")
