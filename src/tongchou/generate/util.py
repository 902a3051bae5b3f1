"""Small vectorised helpers: named random streams, exact fen rounding, day arithmetic."""

from __future__ import annotations

import datetime as dt
import zlib
from decimal import Decimal

import numpy as np

EPOCH = dt.date(1970, 1, 1)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent, reproducible random stream for one stage of the generation."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, zlib.crc32(name.encode("utf-8"))])


def apply_rate_vec(fen: np.ndarray, rate: Decimal | str) -> np.ndarray:
    """fen × rate rounded half-up, exactly as `tongchou.money.apply_rate` (non-negative fen)."""
    numerator, denominator = Decimal(str(rate)).as_integer_ratio()
    fen = np.asarray(fen, dtype=np.int64)
    return (2 * fen * numerator + denominator) // (2 * denominator)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (the storage of Arrow date32)."""
    return (day - EPOCH).days


def to_date(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


def add_months_vec(days: np.ndarray, months: int) -> np.ndarray:
    """Day numbers `months` calendar months later; days of month above 28 are clamped to the month's end."""
    d = np.asarray(days, dtype="datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month).astype(np.int64)
    target = month + np.timedelta64(months, "M")
    month_len = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    out = target.astype("datetime64[D]") + np.minimum(day_of_month, month_len - 1)
    return out.astype(np.int64)


def categorical(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """Indices drawn with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Start offsets of the runs of equal keys in a sorted array."""
    if len(sorted_keys) == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.flatnonzero(np.diff(sorted_keys)) + 1
    return np.concatenate(([0], change)).astype(np.int64)


def rank_within(sorted_keys: np.ndarray) -> np.ndarray:
    """0, 1, 2 … within each run of equal keys of a sorted array."""
    n = len(sorted_keys)
    starts = group_starts(sorted_keys)
    lengths = np.diff(np.concatenate((starts, [n])))
    return np.arange(n) - np.repeat(starts, lengths)


def sum_by(keys: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Exact integer sums of `values` by integer `keys` (0 … size-1), never through a float."""
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, keys, values.astype(np.int64))
    return out


def _year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    return year, month * 100 + dom


def age_on(birth: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Whole years of age on `day` for people born on `birth` (both day numbers)."""
    by, bmd = _year_month_day(birth)
    dy, dmd = _year_month_day(day)
    return dy - by - (dmd < bmd)
