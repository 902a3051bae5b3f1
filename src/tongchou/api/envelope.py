"""The response envelope, the errors the API answers with, and canonical JSON for msgid idempotency.

Every answer is the national response envelope (docs/reference/national-interface.md "Response envelope"):
`infcode` 0 / -1, `inf_refmsgid` (receiver division 6 + yyyyMMddHHmmss 14 + serial 10),
`refmsg_time` and `respond_time` (yyyyMMddHHmmssSSS), `err_msg`, `output` (and `warn_msg`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
_serial = itertools.count(1)
_WORKER = os.getpid() % 1000


class ApiError(Exception):
    """An answer with infcode -1: `field` is the national field at fault, `message` Chinese.
    `status` is the HTTP status: 200 for a business refusal, 401/403/413/429 for the gate."""

    def __init__(self, message: str, field: str | None = None, status: int = 200):
        self.message = message
        self.field = field
        self.status = status
        super().__init__(self.text)

    @property
    def text(self) -> str:
        if self.field and self.field not in self.message:
            return f"{self.field}：{self.message}"
        return self.message


def now_local() -> dt.datetime:
    return dt.datetime.now(SHANGHAI)


def stamp17(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


def inf_refmsgid(division: str, moment: dt.datetime) -> str:
    """Receiver division (6) + yyyyMMddHHmmss (14) + serial (10): worker id and a per-worker counter."""
    serial = _WORKER * 10_000_000 + next(_serial) % 10_000_000
    return f"{division[:6]:0>6}{moment.strftime('%Y%m%d%H%M%S')}{serial:010d}"


def answer(*, division: str, received: dt.datetime, output: Any = None, error: ApiError | None = None,
           warn: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "infcode": -1 if error else 0,
        "inf_refmsgid": inf_refmsgid(division, received),
        "refmsg_time": stamp17(received),
        "respond_time": stamp17(now_local()),
        "err_msg": error.text[:200] if error else None,
        "output": None if error else (output if output is not None else {}),
    }
    if warn:
        body["warn_msg"] = warn
    return body


# ---------------------------------------------------------------- the body as JSON

def _no_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")


def parse_json(body: bytes) -> Any:
    """The request body: UTF-8 JSON, numbers as Decimal, no NaN/Infinity; a body nested beyond what the
    parser can follow is refused like any other malformed body (never an internal error)."""
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError):
        raise ApiError("请求不是有效的 JSON（UTF-8）。", "(body)") from None
    except RecursionError:
        raise ApiError("请求的嵌套层数过多。", "(body)") from None


# ---------------------------------------------------------------- canonical input

def _normalise(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value)).normalize()
        return format(number, "f") if number != number.to_integral_value() else str(int(number))
    return str(value)


def canonical_hash(value: Any) -> str:
    """sha256 of the JSON canonicalised: sorted keys, no spaces, numbers normalised (1, 1.0, 1.00 and
    "1.00" written alike are different: a number is written as its shortest decimal, a string as it is)."""
    text = json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- validation errors

@dataclass(frozen=True)
class FieldProblem:
    path: str
    message: str


_MESSAGES = {
    "missing": "必填字段缺失",
    "string_too_long": "超过最大长度",
    "too_long": "超过最大长度",
    "string_too_short": "不能为空",
    "string_type": "应为字符串",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "list_type": "应为数组",
    "too_short": "至少需要一条记录",
    "datetime_parsing": "应为日期时间 yyyy-MM-dd HH:mm:ss",
    "datetime_from_date_parsing": "应为日期时间 yyyy-MM-dd HH:mm:ss",
    "datetime_type": "应为日期时间 yyyy-MM-dd HH:mm:ss",
    "date_parsing": "应为日期 yyyy-MM-dd",
    "date_from_datetime_parsing": "应为日期 yyyy-MM-dd",
    "date_type": "应为日期 yyyy-MM-dd",
    "greater_than_equal": "不能为负数",
    "union_tag_invalid": "取值无效",
}


def first_problem(exc: ValidationError, prefix: str) -> FieldProblem:
    """The first problem of a validation error, with the path of the national field (e.g.
    `input.data.psn_no`) and a Chinese message."""
    error = exc.errors(include_url=False)[0]
    path = _bracket_indices(prefix, error["loc"])
    message = _MESSAGES.get(error["type"])
    if message is None:
        detail = str(error.get("msg", "")).removeprefix("Value error, ")
        message = detail if detail and not detail.isascii() else (f"取值无效（{detail}）" if detail else "取值无效")
    return FieldProblem(path, message)


def _bracket_indices(prefix: str, loc: tuple) -> str:
    text = prefix
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _is_type_tag(part):
            continue  # pydantic's name of a union member, not a field
        else:
            text += f".{part}" if text else str(part)
    return text


def _is_type_tag(part: str) -> bool:
    return part[:1].isupper() or "[" in part or part.startswith("function-") or part in ("int", "str", "bool")
