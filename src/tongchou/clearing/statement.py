"""The monthly statement (月度结算单) of one institution, and the 3201 totals reconciliation.

    cleared amount  = Σ over `cleared_fields` of the month's non-cancelled settlements
    quality reserve = Σ over `reserve_base_fields` f: round_half_up(total_f × quality_reserve_rate)
    payable         = cleared amount − quality reserve
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from tongchou.clearing.records import (
    QUALITY_RESERVE_WITHHELD,
    SETTLEMENTS_CLEARED,
    ClearingEntry,
    Institution,
    SettlementCell,
    SettlementLine,
    Totals,
    sum_totals,
)
from tongchou.clearing.rules import ClearingParameters
from tongchou.money import Fen, apply_rate, fen_to_str

RECONCILED_FIELDS: tuple[str, ...] = ("medfee_sumamt", "fund_pay_sumamt", "acct_pay", "fixmedins_setl_cnt")


def cells_from_settlements(lines: Iterable[SettlementLine]) -> tuple[SettlementCell, ...]:
    """Sum settlements by (insutype, med_type), leaving out cancelled ones (refd_setl_flag)."""
    sums: dict[tuple[str, str], Totals] = defaultdict(Totals)
    for line in lines:
        if not line.refd_setl_flag:
            sums[(line.insutype, line.med_type)] += line.totals()
    return tuple(SettlementCell(insutype, med_type, totals) for (insutype, med_type), totals in sorted(sums.items()))


def totals_by(cells: Iterable[SettlementCell], key: str) -> tuple[tuple[str, Totals], ...]:
    """Totals grouped by `insutype` or `med_type`, in code order."""
    groups: dict[str, Totals] = defaultdict(Totals)
    for cell in cells:
        groups[getattr(cell, key)] += cell.totals
    return tuple(sorted(groups.items()))


def quality_reserve(totals: Totals, params: ClearingParameters) -> dict[str, Fen]:
    """The reserve withheld per base field: round_half_up(field total × rate)."""
    return {name: apply_rate(totals.amount(name), params.quality_reserve_rate) for name in params.reserve_base_fields}


@dataclass(frozen=True)
class MonthlyStatement:
    institution: Institution
    period: str
    totals: Totals
    by_insutype: tuple[tuple[str, Totals], ...]
    by_med_type: tuple[tuple[str, Totals], ...]
    cleared: dict[str, Fen]
    reserve_rate: Decimal
    reserve: dict[str, Fen]

    @property
    def cleared_amount(self) -> Fen:
        return sum(self.cleared.values())

    @property
    def quality_reserve(self) -> Fen:
        return sum(self.reserve.values())

    @property
    def payable(self) -> Fen:
        return self.cleared_amount - self.quality_reserve

    def entries(self) -> tuple[ClearingEntry, ...]:
        code, period = self.institution.code, self.period
        cleared = tuple(
            ClearingEntry(code, period, SETTLEMENTS_CLEARED, name, amount, f"{period} 结算费用 {name}")
            for name, amount in self.cleared.items()
            if amount
        )
        withheld = tuple(
            ClearingEntry(code, period, QUALITY_RESERVE_WITHHELD, name, -amount,
                          f"{period} 质量保证金预留 {self.reserve_rate:%} × {name}")
            for name, amount in self.reserve.items()
            if amount
        )
        return cleared + withheld


def monthly_statement(
    institution: Institution, period: str, cells: Iterable[SettlementCell], params: ClearingParameters
) -> MonthlyStatement:
    """The month's statement from the institution's settlement cells (cancelled ones already left out)."""
    cells = tuple(cells)
    totals = sum_totals(cell.totals for cell in cells)
    return MonthlyStatement(
        institution=institution,
        period=period,
        totals=totals,
        by_insutype=totals_by(cells, "insutype"),
        by_med_type=totals_by(cells, "med_type"),
        cleared={name: totals.amount(name) for name in params.cleared_fields},
        reserve_rate=params.quality_reserve_rate,
        reserve=quality_reserve(totals, params),
    )


# --------------------------------------------------------------------------- 3201 对总账


@dataclass(frozen=True)
class DeclaredTotals:
    """The totals of national 3201 (医药机构费用结算对总账), amounts in fen."""

    medfee_sumamt: Fen
    fund_pay_sumamt: Fen
    acct_pay: Fen
    fixmedins_setl_cnt: int

    @classmethod
    def of(cls, totals: Totals) -> DeclaredTotals:
        return cls(totals.medfee_sumamt, totals.fund_pay_sumamt, totals.acct_pay, totals.setl_cnt)


@dataclass(frozen=True)
class FieldDifference:
    field: str
    declared: int
    ours: int

    def shown(self, value: int) -> str:
        """A count as is, an amount in yuan."""
        return str(value) if self.field == "fixmedins_setl_cnt" else fen_to_str(value)

    @property
    def difference(self) -> int:
        """Declared minus ours (fen, or a count for fixmedins_setl_cnt)."""
        return self.declared - self.ours


@dataclass(frozen=True)
class Reconciliation:
    declared: DeclaredTotals
    ours: DeclaredTotals
    differences: tuple[FieldDifference, ...]

    @property
    def matched(self) -> bool:
        return not self.differences

    @property
    def stmt_rslt(self) -> str:
        """对账结果: '0' 平 (matched), '1' 不平 (mismatch) — our coding, see docs/clearing.md."""
        return "0" if self.matched else "1"

    @property
    def stmt_rslt_dscr(self) -> str:
        if self.matched:
            return "对账一致"
        return "对账不一致: " + "; ".join(f"{d.field} 机构{d.shown(d.declared)} 中心{d.shown(d.ours)}"
                                          for d in self.differences)


def reconcile(declared: DeclaredTotals, ours: DeclaredTotals) -> Reconciliation:
    """Compare the institution's 3201 totals with ours, field by field."""
    differences = tuple(
        FieldDifference(name, getattr(declared, name), getattr(ours, name))
        for name in RECONCILED_FIELDS
        if getattr(declared, name) != getattr(ours, name)
    )
    return Reconciliation(declared, ours, differences)
