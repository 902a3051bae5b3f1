"""County performance assessment (考核): indicators of seed 000 with weights and scoring as data
(policies/supervision/county-assessment.yaml), a scorecard per county per year from supplied
indicator values and, where the store has them, values computed from the store; and
`met_targets(county, year)` for the risk adjustment rule's condition.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tongchou.supervision.errors import SupervisionError, from_validation
from tongchou.supervision.rules import POLICY_DIR

VALUES_ENV = "TONGCHOU_COUNTY_INDICATORS"
TWO = Decimal("0.01")


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    name: str
    measure: str
    weight: Decimal = Field(gt=0)
    method: Literal["boolean", "band"]
    zero_at: Decimal | None = None
    full_at: Decimal | None = None
    veto: bool = False
    from_store: str | None = None

    @model_validator(mode="after")
    def _band(self) -> "Indicator":
        if self.method == "band" and (self.zero_at is None or self.full_at is None or self.zero_at == self.full_at):
            raise ValueError(f"指标 {self.id}：band 需要不相等的 zero_at 和 full_at")
        return self

    def fraction(self, value: Decimal) -> Decimal:
        if self.method == "boolean":
            return Decimal(1) if value >= 1 else Decimal(0)
        zero, full = self.zero_at, self.full_at
        share = (value - zero) / (full - zero)
        return min(max(share, Decimal(0)), Decimal(1))


class AssessmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    version: int
    name: str
    source: str
    pass_score: Decimal
    indicators: tuple[Indicator, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> "AssessmentSpec":
        total = sum(i.weight for i in self.indicators)
        if total != 100:
            raise ValueError(f"指标权重合计应为100，而不是{total}")
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("指标 id 重复")
        return self


def load_spec(path: Path | None = None) -> AssessmentSpec:
    path = path or POLICY_DIR / "county-assessment.yaml"
    try:
        return AssessmentSpec.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise from_validation(exc, where=f"{path.name}: ") from None


@dataclass(frozen=True)
class Line:
    indicator: Indicator
    value: Decimal | None
    points: Decimal
    source: str  # 填报, 库, 缺

    @property
    def met(self) -> bool:
        return self.value is not None and self.indicator.fraction(self.value) == 1


@dataclass(frozen=True)
class Scorecard:
    county: str
    year: int
    lines: tuple[Line, ...]
    total: Decimal
    pass_score: Decimal
    vetoed: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.total >= self.pass_score and not self.vetoed

    def conclusion(self) -> str:
        if self.met:
            return f"{self.county} {self.year}年度考核得分{self.total}分，完成考核目标。"
        reasons = []
        if self.total < self.pass_score:
            reasons.append(f"得分{self.total}分低于{self.pass_score}分")
        if self.vetoed:
            reasons.append("否决项未达标：" + "、".join(self.vetoed))
        return f"{self.county} {self.year}年度考核未完成目标（{'；'.join(reasons)}）。"

    def to_json(self) -> dict[str, Any]:
        return {"county": self.county, "year": self.year, "总分": str(self.total), "达标分": str(self.pass_score),
                "完成考核目标": self.met, "结论": self.conclusion(), "否决项未达标": list(self.vetoed),
                "缺少数据": list(self.missing),
                "指标": [{"id": l.indicator.id, "指标": l.indicator.name, "口径": l.indicator.measure,
                         "权重": str(l.indicator.weight), "值": None if l.value is None else str(l.value),
                         "得分": str(l.points), "来源": l.source} for l in self.lines]}

    def markdown(self) -> str:
        rows = [f"# {self.county} {self.year}年度医保工作考核", "", "| 指标 | 口径 | 权重 | 值 | 得分 | 来源 |",
                "| --- | --- | ---: | ---: | ---: | --- |"]
        for l in self.lines:
            value = "—" if l.value is None else str(l.value)
            rows.append(f"| {l.indicator.name} | {l.indicator.measure} | {l.indicator.weight} | {value} | {l.points} | {l.source} |")
        rows += [f"| **合计** | | 100 | | **{self.total}** | |", "", self.conclusion()]
        return "\n".join(rows) + "\n"


def scorecard(spec: AssessmentSpec, county: str, year: int, supplied: Mapping[str, Any],
              from_store: Mapping[str, Any] | None = None) -> Scorecard:
    """Pure: supplied values win; a value the store computes fills an indicator not supplied."""
    lines, vetoed, missing = [], [], []
    for ind in spec.indicators:
        raw, source = supplied.get(ind.id), "填报"
        if raw is None and from_store and ind.from_store and from_store.get(ind.from_store) is not None:
            raw, source = from_store[ind.from_store], "库"
        value = _decimal(raw, f"{county}.{year}.{ind.id}") if raw is not None else None
        if value is None:
            missing.append(ind.name)
            source = "缺"
        points = (ind.weight * ind.fraction(value)).quantize(TWO, rounding=ROUND_HALF_UP) if value is not None else Decimal("0.00")
        line = Line(ind, value, points, source)
        if ind.veto and not line.met:
            vetoed.append(ind.name)
        lines.append(line)
    unknown = sorted(set(supplied) - {i.id for i in spec.indicators})
    if unknown:
        raise SupervisionError(f"{county}.{year}.{unknown[0]}", f"考核指标 {unknown[0]} 不在考核办法中。")
    total = sum((l.points for l in lines), Decimal("0.00"))
    return Scorecard(county, year, tuple(lines), total, spec.pass_score, tuple(vetoed), tuple(missing))


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    try:
        return Decimal(str(value).strip())
    except Exception:  # noqa: BLE001 — any parse failure is this field's error
        raise SupervisionError(field, f"指标值应为数字，而不是 {value!r}。") from None


def read_values(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """Indicator values: YAML {year: {county: {indicator: value}}} or CSV county,year,indicator,value."""
    if not path.exists():
        raise SupervisionError("values", f"考核指标值文件不存在：{path}")
    out: dict[tuple[str, int], dict[str, Any]] = {}
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    key = (row["county"].strip(), int(row["year"]))
                    out.setdefault(key, {})[row["indicator"].strip()] = row["value"]
                except (KeyError, ValueError, AttributeError):
                    raise SupervisionError(f"line {number}", "CSV 每行应有 county,year,indicator,value。") from None
        return out
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for year, counties in data.items():
        for county, values in (counties or {}).items():
            out[(str(county), int(year))] = dict(values or {})
    return out


def store_values(store, county: str, year: int) -> dict[str, Any]:
    """What the store can tell: the share of the county's cases opened in the year that are finished."""
    from sqlalchemy import select

    from tongchou.supervision import models as sv

    def work(session) -> dict[str, Any]:
        cases = session.execute(select(sv.CaseRow).where(
            sv.CaseRow.county == county, sv.CaseRow.opened_on >= dt.date(year, 1, 1),
            sv.CaseRow.opened_on <= dt.date(year, 12, 31))).scalars().all()
        if not cases:
            return {}
        finished = 0
        for case in cases:
            kinds = session.execute(select(sv.CaseEventRow.kind, sv.CaseEventRow.data).where(
                sv.CaseEventRow.case_id == case.id)).all()
            if any(k == "decide" or (k == "review" and not d.get("violation")) for k, d in kinds):
                finished += 1
        pct = (Decimal(finished * 100) / len(cases)).quantize(TWO, rounding=ROUND_HALF_UP)
        return {"supervision_cases_finished_pct": pct}
    return store.read(work)


def met_targets(county: str, year: int, *, values: Mapping[str, Any] | None = None, values_path: Path | None = None,
                store=None, spec: AssessmentSpec | None = None) -> bool:
    """Whether the county met its assessment targets in the year (the risk adjustment condition).
    Values: given, or read from `values_path` (default: env TONGCHOU_COUNTY_INDICATORS); the store fills the rest."""
    spec = spec or load_spec()
    if values is None:
        path = values_path or (Path(os.environ[VALUES_ENV]) if os.environ.get(VALUES_ENV) else None)
        if path is None:
            raise SupervisionError("values", f"没有考核指标值：请提供 values、values_path 或环境变量 {VALUES_ENV}。")
        values = read_values(path).get((county, year), {})
    computed = store_values(store, county, year) if store is not None else None
    return scorecard(spec, county, year, values, computed).met
