"""Pydantic's validation errors in Chinese, for the person who reads them (file or claim field, reason).

Our own validators already raise Chinese `ValueError`s; the built-in error types are mapped here.
"""

from __future__ import annotations

from typing import Any

_REASONS = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键（拼写错误？）",
    "date_from_datetime_parsing": "不是有效的日期（应为 YYYY-MM-DD 且确有此日）",
    "date_from_datetime_inexact": "不是有效的日期（应为 YYYY-MM-DD）",
    "date_parsing": "不是有效的日期（应为 YYYY-MM-DD 且确有此日）",
    "date_type": "不是有效的日期（应为 YYYY-MM-DD）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "dict_type": "应为映射（对象）",
    "model_type": "应为映射（对象）",
    "model_attributes_type": "应为映射（对象）",
    "too_short": "为空或项数不足",
    "string_too_short": "不能为空",
    "too_long": "项数过多",
}
_BOUNDS = {"greater_than_equal": "不小于", "greater_than": "大于", "less_than_equal": "不大于", "less_than": "小于"}


def location(loc: tuple[object, ...]) -> str:
    """A path such as `versions.0.caps.1.amount`."""
    return ".".join(str(part) for part in loc)


def reason(error: dict[str, Any]) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as a Chinese reason."""
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"取值须为 {ctx.get('expected')} 之一，而不是 {given!r}"
    if kind in _BOUNDS:
        return f"须{_BOUNDS[kind]} {next(iter(ctx.values()), '')}，而不是 {given!r}"
    if kind == "string_pattern_mismatch":
        return f"格式不符（须匹配 {ctx.get('pattern')}）：{given!r}"
    text = _REASONS.get(kind, f"取值无效（{kind}）")
    return text if kind == "missing" or isinstance(given, (dict, list)) else f"{text}：{given!r}"
