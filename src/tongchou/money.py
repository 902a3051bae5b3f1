"""Money as integer fen: parsing, rounding half-up, formatting as 元 and 万元 text. Never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

Fen = int
"""An amount of money in fen (分), the one unit every module computes in."""

_CENT = Decimal("0.01")
FEN_PER_WAN = 1_000_000
NO_AMOUNT = "—"


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


def yaml_fen(value: object) -> Fen:
    """An amount in yuan as a policy, plan or fixture file writes it: a YAML integer means whole
    yuan (300 → 30000 fen); a decimal or a string has at most two decimals."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value * 100
    return to_fen(value)


def fen_to_decimal(fen: Fen) -> Decimal:
    """Fen as a Decimal yuan with two places."""
    return (Decimal(fen) / 100).quantize(_CENT)


def fen_to_str(fen: Fen, *, grouping: bool = False) -> str:
    """Fen as a yuan figure with two decimals: 12345 → '123.45', -150 → '-1.50';
    with `grouping`, thousands separators: 123456789 → '1,234,567.89'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}" if grouping else f"{sign}{whole}.{cents:02d}"


def yuan_text(fen: Fen | None, *, grouping: bool = False, space: bool = False) -> str:
    """Fen as 元 text for a person to read: '1234.56元', or '1,234.56 元' with `grouping` and
    `space`; '—' when there is no amount."""
    if fen is None:
        return NO_AMOUNT
    return f"{fen_to_str(fen, grouping=grouping)}{' ' if space else ''}元"


def fen_to_wan(fen: Fen) -> Decimal:
    """Fen as 万元 with two decimals, rounded half up: 123456789 → Decimal('123.46')."""
    return (Decimal(int(fen)) / FEN_PER_WAN).quantize(_CENT, ROUND_HALF_UP)


def wan_text(fen: Fen | None, *, grouping: bool = True, space: bool = False) -> str:
    """Fen as 万元 text, two decimals rounded half up: '1,234.46万元' ('12.34 万元' with `space`)."""
    if fen is None:
        return NO_AMOUNT
    return f"{fen_to_wan(fen):{',' if grouping else ''}.2f}{' ' if space else ''}万元"


def parse_yuan_text(text: str) -> Fen:
    """The inverse of `yuan_text` and `wan_text`: '-1,234.56 元' → -123456, '12.34万元' → 12340000."""
    body = text.strip().replace(",", "")
    in_wan = body.endswith("万元")
    number = body.removesuffix("万元" if in_wan else "元").strip()
    try:
        amount = Decimal(number)
    except InvalidOperation:
        raise MoneyError(f"not an amount: {text!r}") from None
    return to_fen(amount * 10_000 if in_wan else amount)


@lru_cache(maxsize=4096)
def _ratio_parts(rate: Decimal) -> tuple[int, int]:
    return rate.as_integer_ratio()


def apply_rate(fen: Fen, rate: Decimal) -> Fen:
    """fen × rate rounded half-up to the fen (the rounding rule of docs/reference/settlement-rules.md), in exact integers."""
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
