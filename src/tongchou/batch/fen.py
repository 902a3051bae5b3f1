"""Exact integer-fen arithmetic as Ibis expressions (no DOUBLE ever holds an amount).

Ibis compiles integer floor division through a floating-point quotient; here
that quotient is only an estimate, corrected with exact integer comparisons,
so the result is the exact floor for the magnitudes the replay admits
(numerators below 2**62; see `MAX_CLAIM_FEN` and `MAX_YEAR_FEN`).
"""

from __future__ import annotations

from decimal import Decimal

import ibis
import ibis.expr.types as ir

# Claims or person-years above these bounds are settled by the engine (exact in Python).
MAX_CLAIM_FEN = 2**30              # ≈ 10.7 million yuan on one claim
MAX_YEAR_FEN = 2**40               # ≈ 11 billion yuan in one person-year
MAX_RATE_DECIMALS = 6


def lit(value: int) -> ir.IntegerValue:
    return ibis.literal(int(value), type="int64")


def floor_div(numerator: ir.IntegerValue, denominator: ir.IntegerValue | int) -> ir.IntegerValue:
    """⌊numerator / denominator⌋ for numerator ≥ 0, denominator > 0, exactly, as BIGINT."""
    den = lit(denominator) if isinstance(denominator, int) else denominator
    estimate = (numerator / den).floor().cast("int64")
    return ibis.cases(
        (estimate * den > numerator, estimate - 1),
        ((estimate + 1) * den <= numerator, estimate + 1),
        else_=estimate,
    )


def rate_fraction(rate: Decimal) -> tuple[int, int]:
    """A ratio as (numerator, 10**decimals), exactly."""
    sign, digits, exponent = rate.normalize().as_tuple()
    if sign:
        raise ValueError(f"a negative ratio cannot be replayed: {rate}")
    decimals = max(-int(exponent), 0)
    if decimals > MAX_RATE_DECIMALS:
        raise ValueError(f"ratio {rate} has more than {MAX_RATE_DECIMALS} decimals")
    scale = 10**decimals
    return int(rate * scale), scale


def half_up_rate(amount: ir.IntegerValue, rate: Decimal) -> ir.IntegerValue:
    """half-up(amount × rate) for amount ≥ 0: the engine's `apply_rate`."""
    numerator, scale = rate_fraction(rate)
    if numerator == 0:
        return lit(0)
    if numerator == scale:
        return amount
    return floor_div(amount * (2 * numerator) + scale, 2 * scale)


def half_up_fraction(amount: ir.IntegerValue, numerator: ir.IntegerValue, scale: int) -> ir.IntegerValue:
    """half-up(amount × numerator / scale) for a per-row numerator (a CASE over lines)."""
    return floor_div(amount * numerator * 2 + scale, 2 * scale)


def half_up_ratio(amount: ir.IntegerValue, part: ir.IntegerValue, whole: ir.IntegerValue) -> ir.IntegerValue:
    """half-up(amount × part / whole) for whole > 0 (the engine's over-cap share)."""
    return floor_div(amount * part * 2 + whole, whole * 2)


def capped_increment(running: ir.IntegerValue, own: ir.IntegerValue, cap: ir.IntegerValue | int) -> ir.IntegerValue:
    """min(cap, U_i) − min(cap, U_{i−1}): what a cap lets through when U is the running uncapped sum."""
    cap_expr = lit(cap) if isinstance(cap, int) else cap
    return ibis.least(cap_expr, running) - ibis.least(cap_expr, running - own)
