"""Capitation (按人头付费) of general outpatient care at a primary institution (seed 004 篇2).

    capitation fund = per_person_month × Σ over months of persons who chose the institution
                      (person-months)
    costs           = the institution's outpatient pooled-fund payments (cost_fields of the
                      med_types the rules name, e.g. hifp_pay of med_type 11) in the period,
                      already cleared claim by claim in the monthly statements
    balance         = capitation fund − costs
                      > 0: the institution's gain, paid to it at the period's clearing
                      < 0: its loss, recovered from it (the institution bears the overspend in full)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tongchou.clearing.records import CAPITATION_BALANCE, ClearingEntry, Institution
from tongchou.clearing.rules import CapitationRules
from tongchou.money import Fen


def person_months(enrolled_by_month: Mapping[str, int]) -> int:
    """Σ persons enrolled with the institution in each month of the period."""
    if any(count < 0 for count in enrolled_by_month.values()):
        raise ValueError("enrolled persons must not be negative")
    return sum(enrolled_by_month.values())


@dataclass(frozen=True)
class CapitationSettlement:
    institution: Institution
    period: str
    person_months: int
    per_person_month: Fen
    costs: Fen

    @property
    def capitation(self) -> Fen:
        return self.per_person_month * self.person_months

    @property
    def balance(self) -> Fen:
        """The institution's gain (positive) or loss (negative)."""
        return self.capitation - self.costs

    def entries(self, fund_field: str = "hifp_pay") -> tuple[ClearingEntry, ...]:
        if not self.balance:
            return ()
        word = "结余" if self.balance > 0 else "超支"
        return (ClearingEntry(self.institution.code, self.period, CAPITATION_BALANCE, fund_field, self.balance,
                              f"{self.period} 按人头付费 {self.person_months} 人月 × {self.per_person_month} 分"
                              f" − 门诊统筹支付 {self.costs} 分 ({word})"),)


def capitation_settlement(institution: Institution, period: str, enrolled_by_month: Mapping[str, int],
                          costs: Fen, rules: CapitationRules) -> CapitationSettlement:
    """The period's capitation fund set against the institution's outpatient pooled-fund costs."""
    if costs < 0:
        raise ValueError("outpatient costs must not be negative")
    return CapitationSettlement(institution, period, person_months(enrolled_by_month), rules.per_person_month, costs)
