"""Money as integer fen: parsing, rounding half-up, formatting. Never a float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

Fen = int
_CENT = Decimal("0.01")


class MoneyError(ValueError):
    """An amount that is not a valid yuan figure with at most two decimals."""


def to_fen(value: object) -> Fen:
    """Parse a yuan amount (int, Decimal, or decimal string; at most 2 decimals) to fen."""
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"not an amount: {value!r}")
    if isinstance(value, float):
        # JSON readers here parse numbers as Decimal; a float means a caller bypassed that.
        value = Decimal(repr(value))
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    if amount != amount.quantize(_CENT):
        raise MoneyError(f"more than two decimals: {value!r}")
    return int(amount.quantize(_CENT) * 100)


def fen_to_decimal(fen: Fen) -> Decimal:
    """Fen as a Decimal yuan with two places."""
    return (Decimal(fen) / 100).quantize(_CENT)


def fen_to_str(fen: Fen) -> str:
    """Fen as a yuan string with two decimals, e.g. 12345 -> '123.45'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


@lru_cache(maxsize=4096)
def _ratio_parts(rate: Decimal) -> tuple[int, int]:
    return rate.as_integer_ratio()


def apply_rate(fen: Fen, rate: Decimal) -> Fen:
    """fen × rate rounded half-up to the fen (the rounding rule of settlement.md), in exact integers."""
    numerator, denominator = _ratio_parts(rate)
    product = fen * numerator
    if product >= 0:
        return (2 * product + denominator) // (2 * denominator)
    return -((-2 * product + denominator) // (2 * denominator))


def to_decimal_rate(value: object) -> Decimal:
    """A ratio such as 0.65 or '0.65' as an exact Decimal."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(str(value))
