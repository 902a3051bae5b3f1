"""JSON of the answers: amounts (N16,2) as JSON numbers with exactly their decimals, never via a float.

Amounts are carried as `Decimal` in the output tree; `dumps` writes them as number literals
(`10213.00`), so a reader that parses numbers as decimals gets the exact fen.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from tongchou.money import fen_to_decimal

_MARK = "\ue000num:"
_MARKED = re.compile('"' + _MARK + r'(-?\d+(?:\.\d+)?)"')


def yuan(fen: int | None) -> Decimal | None:
    """Fen as a two-decimal amount of the answer."""
    return None if fen is None else fen_to_decimal(fen)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _MARK + format(value, "f")
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)
    return _MARKED.sub(r"\1", text).encode("utf-8")

