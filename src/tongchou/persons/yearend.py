"""The year end for persons (年度结转), pure: the interest a personal account earns, its explanation, and the
year-to-date accumulators the new year starts with.

- Interest: the balance on 31 December × the policy's rate (`personal_account.interest.rate`), half-up to the
  fen (`money.apply_rate`): 1,234.56 元 × 1.5 % = 18.5184 → 18.52 元. A balance of zero or less earns nothing.
- Accumulators: a person's year-to-date state is kept per scheme and year (`year_state`, keyed by the claim's
  end-date year); the new year opens empty — deductibles, caps, admissions and layers start afresh — and the
  account balance is not part of it (it is the ledger's).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tongchou.accumulators import YearState
from tongchou.money import Fen, apply_rate, fen_to_str

CAUSE = "account_interest"


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def interest(balance: Fen, rate: Decimal) -> Fen:
    """balance × rate, half-up to the fen; nothing on a balance of zero or less."""
    if balance <= 0:
        return 0
    return apply_rate(balance, rate)


def rate_text(rate: Decimal) -> str:
    percent = (rate * 100).normalize()
    return f"{percent:f}%"


def interest_memo(year: int, balance: Fen, rate: Decimal, amount: Fen) -> str:
    """The entry's explanation: 2018年度个人账户结转计息：年末余额1234.56元×年利率1.5%=18.52元（四舍五入到分）."""
    return (f"{year}年度个人账户结转计息：年末余额{fen_to_str(balance)}元×年利率{rate_text(rate)}"
            f"={fen_to_str(amount)}元（四舍五入到分）")


def cause_id(psn_no: str, year: int) -> str:
    """One interest entry per account and year (the ledger's unique cause makes a re-run post nothing)."""
    return f"{psn_no}:{year}"


def fresh_state() -> YearState:
    """What every person's accumulators hold on 1 January: nothing used yet."""
    return YearState()


def check_year_over(year: int, today: dt.date) -> str | None:
    """Why the year end cannot run yet (Chinese), or None."""
    if today <= year_end(year):
        return f"{year}年尚未结束（今天是{today.isoformat()}），年度结转须在{year + 1}年1月1日以后办理。"
    return None
