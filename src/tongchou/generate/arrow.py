"""Arrow columns from numpy: exact decimal money, dates, timestamps, id strings; deterministic Parquet."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MONEY = pa.decimal128(18, 2)


def money(fen: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Fen as DECIMAL(18,2) yuan, built from the integers directly (never through a float)."""
    fen = np.ascontiguousarray(fen, dtype=np.int64)
    words = np.empty((len(fen), 2), dtype="<i8")
    words[:, 0] = fen
    words[:, 1] = np.where(fen < 0, -1, 0)
    validity = None
    null_count = 0
    if valid is not None:
        validity = pa.array(valid, type=pa.bool_()).buffers()[1]
        null_count = int((~valid).sum())
    return pa.Array.from_buffers(MONEY, len(fen), [validity, pa.py_buffer(words.tobytes())], null_count=null_count)


def dates(days: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.int32()).cast(pa.date32())


def timestamps(seconds: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(seconds, dtype=np.int64), type=pa.int64()).cast(pa.timestamp("s"))


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """prefix + zero-padded number, e.g. ids("S2018", [1], 9) -> "S2018000000001"."""
    text = pc.utf8_lpad(pa.array(np.asarray(numbers, dtype=np.int64)).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def strings(values, index: np.ndarray | None = None) -> pa.Array:
    """A string column; with `index`, values[index] taken inside Arrow."""
    array = pa.array(values, type=pa.string()) if not isinstance(values, pa.Array) else values
    return array if index is None else array.take(pa.array(np.asarray(index, dtype=np.int64)))


def ints(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int32), type=pa.int32())


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="zstd", use_dictionary=True, row_group_size=1 << 20)
