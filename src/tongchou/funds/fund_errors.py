"""Errors of the fund's functional core (rules, movements, budgets): each names the field at fault."""

from __future__ import annotations

from tongchou.funds.errors import ReportInputError


class FundInputError(ReportInputError):
    """Bad input to a fund rule or computation; `field` names what is wrong (e.g. ``schedule[2].share``)."""
