"""The year's clearing plan as a pydantic model (pure): the DIP budget, global budgets, assessment scores
and capitation enrolment that `tongchou clearing plan` imports.

The file gives amounts in 元 (a YAML integer is whole yuan); the store keeps them in fen. One model reads
both: `parse_plan` the file (yuan), `stored_plan` what `stored()` wrote (fen). Bad input is refused with
a `ClearingInputError` naming the field (``plan.global_budgets.H1``) and saying in Chinese what is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo

from tongchou.clearing.errors import ClearingInputError
from tongchou.money import Fen, MoneyError, to_fen

KEYS = ("year", "dip_budget", "global_budgets", "scores", "capitation")


def _amount(value: Any, info: ValidationInfo) -> Fen:
    if (info.context or {}).get("stored"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"应为以分计的整数，实为 {value!r}")
        return value
    try:
        fen = to_fen(value)
    except MoneyError:
        raise ValueError(f"应为金额（元，最多两位小数），实为 {value!r}") from None
    if fen < 0:
        raise ValueError(f"金额不能为负数：{value!r}")
    return fen


def _budget(value: Any, info: ValidationInfo) -> Fen:
    fen = _amount(value, info)
    if fen == 0:
        raise ValueError("总额预算须大于 0")
    return fen


def _score(value: Any) -> Decimal:
    try:
        score = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"考核得分应为数字，实为 {value!r}") from None
    if isinstance(value, bool) or not score.is_finite() or score < 0:
        raise ValueError(f"考核得分应为不小于 0 的数，实为 {value!r}")
    return score


def _persons(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"签约人数应为不小于 0 的整数，实为 {value!r}")
    return value


def _by_code(value: Any) -> Any:
    """A mapping keyed by institution code (YAML may read a code as a number); null reads as empty."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("应为以机构编码为键的映射")
    return {str(code): item for code, item in value.items()}


def _months(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise ValueError("应为 {YYYY-MM: 签约人数} 的映射")
    for month in value:
        try:
            dt.datetime.strptime(str(month).strip(), "%Y-%m")
        except ValueError:
            raise ValueError(f"月份应为 YYYY-MM，实为 {month!r}") from None
    return {str(month).strip(): persons for month, persons in value.items()}


Amount = Annotated[Fen, BeforeValidator(_amount)]
Budget = Annotated[Fen, BeforeValidator(_budget)]
Score = Annotated[Decimal, BeforeValidator(_score)]
Persons = Annotated[int, BeforeValidator(_persons)]
Months = Annotated[dict[str, Persons], BeforeValidator(_months)]


class ClearingPlan(BaseModel):
    """Amounts in fen. `capitation` is institution → month → persons enrolled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int | None = None
    dip_budget: Amount | None = None
    global_budgets: Annotated[dict[str, Budget], BeforeValidator(_by_code)] = Field(default_factory=dict)
    scores: Annotated[dict[str, Score], BeforeValidator(_by_code)] = Field(default_factory=dict)
    capitation: Annotated[dict[str, Months], BeforeValidator(_by_code)] = Field(default_factory=dict)

    def institutions(self) -> list[str]:
        """Every institution code the plan names (each must exist in the store)."""
        return [*self.global_budgets, *self.scores, *self.capitation]

    def stored(self) -> dict[str, Any]:
        """What the store keeps (and `clearing plan` prints): amounts in fen, scores as text."""
        return {"dip_budget": self.dip_budget, "global_budgets": dict(self.global_budgets),
                "scores": {code: str(score) for code, score in self.scores.items()},
                "capitation": {code: dict(months) for code, months in self.capitation.items()}}


_MESSAGES = {
    "extra_forbidden": "未知的键（可用：" + "、".join(KEYS) + "）",
    "dict_type": "应为映射",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
}


def _refusal(error: Mapping[str, Any], where: str) -> ClearingInputError:
    field = ".".join(str(part) for part in error["loc"] if part != "[key]")
    if error["type"] == "value_error":
        message = str(error["ctx"]["error"])
    else:
        message = _MESSAGES.get(error["type"], f"取值无效（{error['msg']}）")
    return ClearingInputError(f"{where}.{field}" if field else where, message)


def _validate(data: Any, where: str, stored: bool) -> ClearingPlan:
    if not isinstance(data, Mapping):
        raise ClearingInputError(where, "清算计划应为映射（" + "、".join(KEYS) + "）")
    try:
        return ClearingPlan.model_validate(dict(data), context={"stored": stored})
    except ValidationError as exc:
        raise _refusal(exc.errors()[0], where) from None


def parse_plan(data: Any, where: str = "plan") -> ClearingPlan:
    """The plan file: ``dip_budget`` (元), ``global_budgets: {code: 元}``, ``scores: {code: 分}``,
    ``capitation: {code: {YYYY-MM: persons}}``."""
    return _validate(data, where, stored=False)


def stored_plan(data: Any) -> ClearingPlan:
    """A plan as `ClearingPlan.stored()` wrote it (amounts in fen)."""
    return _validate(data, "stored plan", stored=True)
