"""Plain records shared by the clearing functions: institutions, settlement totals, clearing entries.

A `ClearingEntry` is what the shell turns into a ledger posting: an amount
in fen that the fund owes (positive) or takes back from (negative) one
institution, for one fund field and one period, with its cause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

from tongchou.clearing.errors import ClearingInputError
from tongchou.clearing.rules import FUND_FIELDS
from tongchou.money import Fen

# Kinds of clearing entries (the cause of a posting).
SETTLEMENTS_CLEARED = "settlements_cleared"  # 月度结算费用
QUALITY_RESERVE_WITHHELD = "quality_reserve_withheld"  # 质量保证金预留
QUALITY_RESERVE_RELEASED = "quality_reserve_released"  # 质量保证金返还
GLOBAL_BUDGET_ADJUSTMENT = "global_budget_adjustment"  # 总额预算年终清算
DIP_PREPAYMENT = "dip_prepayment"  # DIP 月度预付
DIP_LIQUIDATION = "dip_liquidation"  # DIP 年终清算
CAPITATION_BALANCE = "capitation_balance"  # 按人头付费结余/超支


@dataclass(frozen=True)
class Institution:
    """A designated institution (定点医药机构)."""

    code: str
    name: str = ""
    hosp_lv: int = 0


@dataclass(frozen=True)
class ClearingEntry:
    """One amount owed to (positive) or recovered from (negative) an institution, with its cause."""

    institution_code: str
    period: str
    kind: str
    fund_field: str
    amount: Fen
    cause: str


@dataclass(frozen=True)
class Totals:
    """Sums over settlements: count and every amount the clearing uses, in fen."""

    setl_cnt: int = 0
    medfee_sumamt: Fen = 0
    hifp_pay: Fen = 0
    cvlserv_pay: Fen = 0
    hifes_pay: Fen = 0
    hifmi_pay: Fen = 0
    hifob_pay: Fen = 0
    maf_pay: Fen = 0
    oth_pay: Fen = 0
    fund_pay_sumamt: Fen = 0
    acct_pay: Fen = 0
    psn_cash_pay: Fen = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Totals)})

    def amount(self, name: str) -> Fen:
        return getattr(self, name)

    def fund_payments(self) -> dict[str, Fen]:
        return {name: getattr(self, name) for name in FUND_FIELDS}

    @classmethod
    def of(cls, values: Mapping[str, int]) -> Totals:
        """Totals from a mapping of field → fen (missing fields 0)."""
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown totals field(s): {', '.join(sorted(unknown))}")
        return cls(**dict(values))


TOTAL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Totals))


def sum_totals(items: Iterable[Totals]) -> Totals:
    result = Totals()
    for item in items:
        result = result + item
    return result


@dataclass(frozen=True)
class SettlementCell:
    """Settlements of one institution and month sharing `insutype` and `med_type`, summed."""

    insutype: str
    med_type: str
    totals: Totals


@dataclass(frozen=True)
class SettlementLine:
    """One settlement as the clearing reads it (a row of the claims table), amounts in fen."""

    setl_id: str
    insutype: str
    med_type: str
    amounts: Mapping[str, Fen] = field(default_factory=dict)
    refd_setl_flag: bool = False

    def totals(self) -> Totals:
        return replace(Totals.of(self.amounts), setl_cnt=1)


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # included

    @classmethod
    def month(cls, text: str, option: str = "--month") -> Period:
        try:
            start = dt.datetime.strptime(text.strip(), "%Y-%m").date()
        except ValueError:
            raise ClearingInputError(option, f"expected YYYY-MM, got {text!r}") from None
        following = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        return cls(start, following - dt.timedelta(days=1))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))
