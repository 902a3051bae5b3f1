"""Step 2: which benefit line covers a claim, and which disease of the policy's list it names."""

from __future__ import annotations

import re

from tongchou.policy.schema import BenefitLine, Condition, Disease, SourceGap, Version
from tongchou.settlement.model import Claim, Person

_PARENS = re.compile(r"[（(].*?[）)]")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def find_disease(version: Version, dise_code: str | None) -> Disease | None:
    """A disease by its code, its name, or its name with the parenthesised condition."""
    if not dise_code:
        return None
    wanted = _norm(dise_code)
    bare = _norm(_PARENS.sub("", dise_code))
    for disease in version.diseases:
        if wanted == disease.code or bare == _norm(disease.name):
            return disease
    return None


def condition_holds(cond: Condition, claim: Claim, person: Person, disease: Disease | None) -> bool:
    checks = (
        cond.med_type is None or claim.med_type in cond.med_type,
        cond.accident is None or claim.is_accident == cond.accident,
        cond.hosp_lv is None or claim.hosp_lv in cond.hosp_lv,
        cond.admin_tier is None or claim.admin_tier in cond.admin_tier,
        cond.psn_type is None or person.psn_type in cond.psn_type,
        cond.student is None or person.is_student == cond.student,
        cond.tier is None or person.tier in cond.tier,
        cond.assistance is None or bool(person.assistance & set(cond.assistance)),
        cond.disease_group is None or (disease is not None and disease.group in cond.disease_group),
        cond.county is None or person.county in cond.county,
    )
    return all(checks)


def candidate_lines(version: Version, claim: Claim) -> list[BenefitLine]:
    """Transitional county lines in force first, then the policy's lines, in written order."""
    lines: list[BenefitLine] = []
    for transitional in version.transitional:
        if (
            claim.person.county == transitional.county
            and transitional.effective_from <= claim.enddate <= transitional.effective_to
        ):
            lines.extend(transitional.benefits)
    lines.extend(version.benefits)
    return lines


def pick_line(version: Version, claim: Claim) -> tuple[BenefitLine | None, Disease | None]:
    disease = find_disease(version, claim.dise_code)
    for line in candidate_lines(version, claim):
        if condition_holds(line.when, claim, claim.person, disease):
            return line, disease
    return None, disease


def source_gap(version: Version, claim: Claim, disease: Disease | None) -> SourceGap | None:
    """The first benefit the source names without its terms that the uncovered claim falls under."""
    return next((gap for gap in version.not_in_source if condition_holds(gap.when, claim, claim.person, disease)),
                None)
