"""What the personal account pays for the family, as policy data: policies/accounts/*.yaml (pure once read).

One file per pool (`region`): the seed's sentence allowing the uses (`uses.ref`), and per year the person's
own contribution to the large-expense supplement (职工大额医疗费用补助) and to long-term care (长期护理保险),
each with its source (`ref`) or marked `example: true` with its `assumptions`. A relative's resident
contribution is not here: it is the resident policy's own amount (`EnrolmentService.enrol_resident`).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from tongchou.employers.terms import Documented, TermsError, YamlFen
from tongchou.policy.registry import default_policy_dir
from tongchou.policy.schema import Ref, Strict
from tongchou.validation_text import location, reason


class Contribution(Documented):
    amount: YamlFen


class Uses(Strict):
    ref: Ref


class YearUses(Strict):
    year: int
    large_expense: Contribution | None = None
    long_term_care: Contribution | None = None


class AccountUses(Strict):
    id: str
    name: str
    region: str
    source: str
    uses: Uses
    years: list[YearUses]

    def amount(self, kind: str, year: int) -> Contribution | None:
        found = next((y for y in self.years if y.year == year), None)
        return getattr(found, kind, None) if found else None


def default_uses_dir() -> Path:
    return default_policy_dir() / "accounts"


def load_uses(directory: Path | None = None) -> dict[str, AccountUses]:
    """Every pool's account uses in `directory` (default policies/accounts), by region."""
    found: dict[str, AccountUses] = {}
    for path in sorted((directory or default_uses_dir()).glob("*.yaml")):
        try:
            uses = AccountUses.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        except ValidationError as exc:
            first = exc.errors()[0]
            raise TermsError(f"{path.name}: {location(first['loc'])}: {reason(first)}") from None
        if uses.region in found:
            raise TermsError(f"{path.name}: 统筹区 {uses.region} 已有个人账户家庭共济缴费规则 {found[uses.region].id}")
        found[uses.region] = uses
    return found
