"""A finding (疑点): what a rule saw, on which claim, person, institution, doctor and fee lines."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tongchou.money import Fen, fen_to_str
from tongchou.supervision.rules import SEVERITY_NAMES, Rule


def fen_of(yuan: Decimal | int | float | None) -> Fen:
    """Yuan (possibly with more than two places, e.g. price × quantity) as fen, rounded half up."""
    if yuan is None:
        return 0
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class Finding:
    rule_id: str
    rule_name: str
    severity: str
    blocking: bool
    stage: str
    message: str                                   # 中文说明
    setl_id: str | None = None
    psn_no: str | None = None
    fixmedins_code: str | None = None
    doctor_code: str | None = None
    county: str | None = None
    amount: Fen = 0                                # 涉及金额（分）
    related_setl_ids: tuple[str, ...] = ()
    feedetl_sns: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """What the finding is about, independent of the run: rule + subject (claims, person or institution)."""
        if self.rule_id in ("frequent_drug_purchase", "shared_contact_group"):
            subject = self.psn_no or ""
        elif self.rule_id == "outlier_institution":
            subject = self.fixmedins_code or ""
        else:
            subject = "+".join(sorted({s for s in (self.setl_id, *self.related_setl_ids) if s}))
        detail = "+".join(sorted(self.feedetl_sns))
        raw = f"{self.rule_id}|{subject}|{detail}|{self.evidence.get('item', '')}"
        return hashlib.sha256(raw.encode()).hexdigest()[:32]

    @property
    def text(self) -> str:
        level = SEVERITY_NAMES.get(self.severity, self.severity)
        action = "拒付" if self.blocking else "提示"
        return f"【{self.rule_name}｜{level}风险｜{action}】{self.message}"

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["amount"] = fen_to_str(self.amount)
        out["related_setl_ids"] = list(self.related_setl_ids)
        out["feedetl_sns"] = list(self.feedetl_sns)
        out["key"] = self.key
        return out


def finding(rule: Rule, stage: str, message: str, **facts: Any) -> Finding:
    return Finding(rule.id, rule.name, rule.severity, rule.blocking and stage in ("pre", "during"), stage, message,
                   **facts)
