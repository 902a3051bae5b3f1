"""Errors of supervision: each names the field at fault; the message is Chinese where a person reads it."""

from __future__ import annotations

from pydantic import ValidationError


class SupervisionError(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def field_of(loc: tuple, prefix: str = "") -> str:
    """A pydantic location as `rules[3].parameters.max_days`."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "document"


def from_validation(exc: ValidationError, prefix: str = "", where: str = "") -> SupervisionError:
    first = exc.errors()[0]
    field = field_of(tuple(first["loc"]), prefix)
    return SupervisionError(field, f"{where}{field}：{first['msg']}")
