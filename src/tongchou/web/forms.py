"""Reading form fields with Chinese messages that say what is wrong (one message per field)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Mapping

from tongchou.money import MoneyError, to_fen

PLAIN_NUMBER = re.compile(r"^[+-]?\d{1,15}(\.\d+)?$")


class FormErrors(Exception):
    """Field → message; raised when any field is wrong, with the values to show again."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


class Reader:
    """Collects every field's error before failing, so the form shows them all at once."""

    def __init__(self, form: Mapping[str, str]):
        self.form = form
        self.errors: dict[str, str] = {}

    def text(self, name: str, label: str, *, required: bool = True, max_length: int = 100) -> str | None:
        value = (self.form.get(name) or "").strip()
        if not value:
            if required:
                self.errors[name] = f"请填写{label}。"
            return None
        if len(value) > max_length:
            self.errors[name] = f"{label}不能超过{max_length}个字符。"
        return value

    def date(self, name: str, label: str, *, required: bool = True) -> dt.date | None:
        value = self.text(name, label, required=required)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.errors[name] = f"{label}格式不正确，应为“年-月-日”，如 2018-05-10。"
            return None

    def year(self, name: str, label: str) -> int | None:
        value = self.text(name, label)
        if value is None:
            return None
        if not value.isdigit() or not 1990 <= int(value) <= 2200:
            self.errors[name] = f"{label}应为四位年份，如 2018。"
            return None
        return int(value)

    def yuan(self, name: str, label: str, *, required: bool = True) -> int | None:
        value = self.text(name, label, required=required)
        if value is None:
            return None
        plain = value.replace(",", "")
        if not PLAIN_NUMBER.match(plain):  # no exponent, NaN or Infinity: what a receipt prints
            self.errors[name] = f"{label}应为金额（元），如 1200.50。"
            return None
        try:
            amount = Decimal(plain)
        except InvalidOperation:
            self.errors[name] = f"{label}应为金额（元），如 1200.50。"
            return None
        if amount <= 0:
            self.errors[name] = f"{label}应大于零。"
            return None
        if amount != amount.quantize(Decimal("0.01")):
            self.errors[name] = f"{label}最多两位小数（精确到分）。"
            return None
        try:
            return to_fen(str(amount))
        except MoneyError:
            self.errors[name] = f"{label}应为金额（元），如 1200.50。"
            return None

    def choice(self, name: str, label: str, choices: Mapping[str, str], *, required: bool = True) -> str | None:
        value = (self.form.get(name) or "").strip() or None
        if value is None:
            if required:
                self.errors[name] = f"请选择{label}。"
            return None
        if value not in choices:
            self.errors[name] = f"请从列表中选择{label}。"
            return None
        return value

    def order(self, first: str, second: str, message: str, a: dt.date | None, b: dt.date | None) -> None:
        if a is not None and b is not None and b < a and second not in self.errors:
            self.errors[second] = message

    def done(self) -> None:
        if self.errors:
            raise FormErrors(self.errors)
