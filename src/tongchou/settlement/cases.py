"""Policy cases: YAML files beside each policy with claims in order and the settlement expected (run through
the `tongchou settle` calculator, so they live with settlement; `policy/` stays below it).

A case file `<policy-id>.cases.yaml` holds `defaults` (fields every claim
shares) and `cases`, each with a `name`, the `source` sentence that justifies
it, `claims` and `expect` (only the fields written are checked). Staff can
write them without programming; `tongchou policy test` runs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tongchou.money import MoneyError, to_fen
from tongchou.policy.registry import CASES_SUFFIX, POLICY_FOLDERS, PolicyError, Registry
from tongchou.settlement.calculator import Calculator
from tongchou.settlement.model import AMOUNT_FIELDS

AMOUNT_KEYS = frozenset(AMOUNT_FIELDS) | {"inscp_essential_amt", "acct_mulaid_pay", "balc", "acct_balance"}
MONEY_MAPS = frozenset({"caps_used", "dedc_used", "layer_base", "layer_paid"})


@dataclass
class CaseResult:
    policy_id: str
    name: str
    source: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def case_files(directory: Path) -> list[Path]:
    return sorted(p for folder in POLICY_FOLDERS for p in (directory / folder).glob(f"*{CASES_SUFFIX}"))


def _same(key: str, expected: Any, actual: Any, money: bool = False) -> bool:
    if isinstance(expected, dict):
        inner_money = key in MONEY_MAPS
        return isinstance(actual, dict) and all(
            _same(k, v, actual.get(k), inner_money) for k, v in expected.items()
        )
    if money or key in AMOUNT_KEYS:
        try:
            return to_fen(expected) == to_fen(actual if actual is not None else 0)
        except MoneyError:
            return False
    return str(expected) == str(actual)


def _compare(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    problems = []
    for key, want in expected.items():
        got = actual.get(key)
        if not _same(key, want, got):
            problems.append(f"{key}: expected {json.dumps(want, ensure_ascii=False, default=str)}, "
                            f"got {json.dumps(got, ensure_ascii=False, default=str)}")
    return problems


def run_case_file(path: Path, registry: Registry) -> list[CaseResult]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    policy_id = document.get("policy") or path.name.removesuffix(CASES_SUFFIX)
    defaults = document.get("defaults", {})
    results = []
    for index, case in enumerate(document.get("cases", [])):
        result = CaseResult(policy_id, case.get("name", f"case {index + 1}"), case.get("source", ""))
        results.append(result)
        calculator = Calculator(registry)
        outputs = []
        for number, claim in enumerate(case.get("claims", []), start=1):
            merged = {**defaults, **case.get("defaults", {}), **claim}
            merged.setdefault("policy_id", policy_id)
            outputs.append(calculator.settle_line(number, json.dumps(merged, ensure_ascii=False, default=str)))
        expectations = case.get("expect", [])
        if len(expectations) != len(outputs):
            result.failures.append(f"{len(outputs)} claims but {len(expectations)} expectations")
        for number, (want, got) in enumerate(zip(expectations, outputs), start=1):
            result.failures.extend(f"claim {number}: {p}" for p in _compare(want or {}, got))
    return results


def run_cases(directory: Path, registry: Registry, policy_id: str | None = None) -> list[CaseResult]:
    results: list[CaseResult] = []
    for path in case_files(directory):
        if policy_id and path.name != f"{policy_id}{CASES_SUFFIX}":
            continue
        try:
            results.extend(run_case_file(path, registry))
        except yaml.YAMLError as exc:
            raise PolicyError(path, "", f"not valid YAML: {exc}") from exc
    return results
