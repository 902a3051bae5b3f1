"""How personal identifiers look on a page: never in full.

ID number (公民身份号码): first 6 and last 4 characters, the rest `*` (18 → 6 + 8 × `*` + 4).
Phone: first 3 and last 4 digits.
"""

from __future__ import annotations


def mask_id_number(value: str | None) -> str:
    if not value:
        return "—"
    value = value.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return "—"
    value = value.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
