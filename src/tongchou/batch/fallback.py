"""The engine path: person-years whose rules are not running-sum functions are settled claim by claim.

Rows come from the backend already normalised (fen amounts, typed codes); each
person-year is settled in the replay order with `tongchou.settlement.engine.settle`
and a fresh `YearState`, exactly as `tongchou settle` would given the split amounts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from tongchou.policy.registry import Registry, Resolved
from tongchou.policy.schema import Policy
from tongchou.settlement.engine import settle
from tongchou.settlement.model import Claim, Person, Split
from tongchou.accumulators import YearState

AMOUNTS_OUT = ("act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
               "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay")


def replay_key(row: Mapping[str, Any]) -> tuple:
    """Person-year, then the replay order (docs/reference/contracts.md)."""
    return (row["psn_no"], row["insutype"], row["yr"], row["enddate"], row["begndate"], row["setl_id"])


def assistance_set(text: str | None, poverty: bool) -> frozenset[str]:
    parts = {p for p in (text or "").replace(" ", "").split("|") if p}
    if poverty:
        parts.add("poverty")
    return frozenset(parts)


def claim_of(row: Mapping[str, Any]) -> Claim:
    """A normalised claims-table row as the engine's claim (given as split amounts)."""
    person = Person(
        psn_no=row["psn_no"], psn_type=row.get("psn_type"), student=bool(row.get("student")),
        assistance=assistance_set(row.get("assistance"), bool(row.get("poverty_flag"))), tier=row.get("tier"),
        continuous_years=int(row.get("continuous_years") or 0), county=row.get("county_admdvs"),
    )
    split = Split(*(int(row[name]) for name in ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay",
                                                  "preselfpay_amt", "inscp_scp_amt")),
                  inscp_essential_amt=int(row["inscp_essential_amt"]))
    return Claim(
        setl_id=row["setl_id"], person=person, insutype=row["insutype"], insuplc_admdvs=row.get("insuplc_admdvs") or "",
        med_type=row["med_type"], begndate=_date(row["begndate"]), enddate=_date(row["enddate"]),
        hosp_lv=int(row["hosp_lv"]), admin_tier=row["admin_tier"], split=split, dise_code=row.get("dise_code"),
        accident=bool(row.get("accident")), third_party_liable=bool(row.get("third_party_liable")),
        mdtrt_id=row.get("mdtrt_id"), hosp_part_amt=int(row.get("hosp_part_amt") or 0),
    )


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class EngineReplay:
    """Settle rows of one policy through the engine, resolving its version by each claim's date."""

    def __init__(self, registry: Registry, policy: Policy):
        self.registry = registry
        self.policy = policy
        self._resolved: dict[dt.date, Resolved] = {}

    def resolved(self, on: dt.date) -> Resolved:
        if on not in self._resolved:
            self._resolved[on] = self.registry.resolve_version(self.policy, on, any_date=True)
        return self._resolved[on]

    def settle_rows(self, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Each row with its settlement amounts, in the replay order."""
        out: list[dict[str, Any]] = []
        states: dict[tuple, YearState] = {}
        for row in sorted(rows, key=replay_key):
            claim = claim_of(row)
            key = (row["psn_no"], row["insutype"], row["yr"])
            settlement, states[key] = settle(self.resolved(claim.enddate), claim, states.get(key, YearState()))
            out.append({**row, **{name: getattr(settlement, name) for name in AMOUNTS_OUT}})
        return out
