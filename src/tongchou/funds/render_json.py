"""JSON writing that keeps Decimals exact: a Decimal is written as its own digits, never via float."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def decimal_literal(value: Decimal) -> str:
    """A finite Decimal as a JSON number in positional notation (no exponent)."""
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def dumps(value: Any, indent: int | None = 2) -> str:
    """Serialise dicts, lists, str, int, bool, None and Decimal; Decimal digits are kept as written."""
    return _encode(value, indent, 0)


def _encode(value: Any, indent: int | None, depth: int) -> str:
    if value is None or isinstance(value, (bool, str)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return decimal_literal(value)
    if isinstance(value, float):
        raise TypeError("a float reached the report; amounts and ratios must be Decimal")
    if isinstance(value, Mapping):
        items = [f"{json.dumps(str(key), ensure_ascii=False)}: {_encode(item, indent, depth + 1)}"
                 for key, item in value.items()]
        return _join(items, "{", "}", indent, depth)
    if isinstance(value, (list, tuple)):
        return _join([_encode(item, indent, depth + 1) for item in value], "[", "]", indent, depth)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _join(items: list[str], opening: str, closing: str, indent: int | None, depth: int) -> str:
    if not items:
        return opening + closing
    if indent is None:
        return opening + ", ".join(items) + closing
    inner = "\n" + " " * (indent * (depth + 1))
    outer = "\n" + " " * (indent * depth)
    return opening + inner + ("," + inner).join(items) + outer + closing


def render_json(report: Mapping[str, Any]) -> str:
    return dumps(report) + "\n"
