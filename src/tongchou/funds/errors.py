"""Errors of the fund reports: each names the option or field that is wrong."""

from __future__ import annotations


class ReportInputError(ValueError):
    """Bad input to a report: a missing file, a bad period, a missing column, a malformed field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
