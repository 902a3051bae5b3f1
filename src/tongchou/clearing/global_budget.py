"""Global budget (总额预算) year-end settlement with band sharing, and the quality reserve's release.

With budget B and actual fund payments A under the budget (both fen):

    overspend O = max(A − B, 0), surplus S = max(B − A, 0)
    band k covers [round(B × lower_k), round(B × upper_k)) of O (or of S);
        portion_k = min(O, upper_fen_k) − lower_fen_k, at least 0
        share_k   = round_half_up(portion_k × rate_k)
    overspend: fund bears Σ share_k, the institution the rest of O
    surplus:   the institution keeps (reward) Σ share_k
    recognised  = min(A, B) + fund share of overspend + surplus reward
    adjustment  = recognised − A     (≤ 0: deducted; > 0: paid to the institution)

A has already been cleared claim by claim in the monthly statements; the
adjustment is the year-end clearing entry. Parts beyond the last band share
nothing (rate 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tongchou.clearing.records import (
    GLOBAL_BUDGET_ADJUSTMENT,
    QUALITY_RESERVE_RELEASED,
    ClearingEntry,
    Institution,
)
from tongchou.clearing.rules import Band, ClearingParameters, GlobalBudgetRules
from tongchou.money import Fen, apply_rate


@dataclass(frozen=True)
class BandShare:
    lower: Decimal
    upper: Decimal | None
    rate: Decimal
    lower_fen: Fen
    upper_fen: Fen | None
    portion: Fen
    share: Fen


def band_shares(amount: Fen, budget: Fen, bands: tuple[Band, ...]) -> tuple[BandShare, ...]:
    """Split `amount` (an overspend or a surplus) into the bands, each band's limits a fraction of `budget`."""
    shares = []
    for band in bands:
        lower_fen = apply_rate(budget, band.lower)
        upper_fen = None if band.upper is None else apply_rate(budget, band.upper)
        top = amount if upper_fen is None else min(amount, upper_fen)
        portion = max(top - lower_fen, 0)
        shares.append(BandShare(band.lower, band.upper, band.rate, lower_fen, upper_fen, portion,
                                apply_rate(portion, band.rate)))
    return tuple(shares)


@dataclass(frozen=True)
class GlobalBudgetSettlement:
    institution: Institution
    year: int
    budget: Fen
    actual: Fen
    bands: tuple[BandShare, ...]

    @property
    def overspend(self) -> Fen:
        return max(self.actual - self.budget, 0)

    @property
    def surplus(self) -> Fen:
        return max(self.budget - self.actual, 0)

    @property
    def shared(self) -> Fen:
        """Overspend: the part the fund bears; surplus: the part the institution keeps."""
        return sum(band.share for band in self.bands)

    @property
    def fund_bears(self) -> Fen:
        return self.shared if self.overspend else 0

    @property
    def institution_bears(self) -> Fen:
        return self.overspend - self.fund_bears

    @property
    def surplus_reward(self) -> Fen:
        return self.shared if self.surplus else 0

    @property
    def recognised(self) -> Fen:
        return min(self.actual, self.budget) + self.fund_bears + self.surplus_reward

    @property
    def adjustment(self) -> Fen:
        return self.recognised - self.actual

    def entries(self, fund_field: str = "hifp_pay") -> tuple[ClearingEntry, ...]:
        if not self.adjustment:
            return ()
        cause = (f"{self.year} 总额预算超支 {self.overspend} 分, 医疗机构承担 {self.institution_bears} 分"
                 if self.overspend else f"{self.year} 总额预算结余 {self.surplus} 分, 留用奖励 {self.surplus_reward} 分")
        return (ClearingEntry(self.institution.code, str(self.year), GLOBAL_BUDGET_ADJUSTMENT, fund_field,
                              self.adjustment, cause),)


def global_budget_settlement(
    institution: Institution, year: int, budget: Fen, actual: Fen, rules: GlobalBudgetRules
) -> GlobalBudgetSettlement:
    """Year-end settlement of one institution against its global budget."""
    if budget <= 0:
        raise ValueError(f"budget must be above 0 fen, got {budget}")
    if actual < 0:
        raise ValueError(f"actual fund payments must not be negative, got {actual}")
    if actual > budget:
        bands = band_shares(actual - budget, budget, rules.overspend_bands)
    elif actual < budget:
        bands = band_shares(budget - actual, budget, rules.surplus_bands)
    else:
        bands = ()
    return GlobalBudgetSettlement(institution, year, budget, actual, bands)


# --------------------------------------------------------------------------- quality reserve


def release_ratio(score: Decimal, params: ClearingParameters) -> Decimal:
    """Share of the withheld reserve returned: min(1, score / full_release_score), not below 0."""
    if score < 0:
        raise ValueError(f"assessment score must not be negative, got {score}")
    return min(Decimal(1), score / params.full_release_score)


@dataclass(frozen=True)
class ReserveRelease:
    institution: Institution
    year: int
    withheld: Fen
    score: Decimal
    ratio: Decimal
    released: Fen

    @property
    def forfeited(self) -> Fen:
        return self.withheld - self.released

    def entries(self, fund_field: str = "hifp_pay") -> tuple[ClearingEntry, ...]:
        if not self.released:
            return ()
        return (ClearingEntry(self.institution.code, str(self.year), QUALITY_RESERVE_RELEASED, fund_field,
                              self.released, f"{self.year} 年终考核 {self.score} 分, 返还质量保证金"),)


def reserve_release(
    institution: Institution, year: int, withheld: Fen, score: Decimal, params: ClearingParameters
) -> ReserveRelease:
    """The withheld quality reserve returned after the year-end assessment: round_half_up(withheld × ratio)."""
    ratio = release_ratio(score, params)
    return ReserveRelease(institution, year, withheld, score, ratio, apply_rate(withheld, ratio))
