"""The engine's YearState and Delta as JSON columns (YearState in the `ytd` shape of `tongchou settle`)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from tongchou.settlement.claims_io import state_from_json, state_to_json
from tongchou.settlement.model import Delta, YearState

_MAPS = ("caps_used", "dedc_used", "counters", "layer_base", "layer_paid")


def state_json(state: YearState, year: int) -> dict[str, Any]:
    """The accumulators without the account balance (the balance lives in the ledger)."""
    return state_to_json(state.with_(acct_balance=None), year)


def state_of(raw: dict[str, Any] | None) -> YearState:
    return YearState() if not raw else state_from_json(raw)


def delta_json(delta: Delta) -> dict[str, Any]:
    out: dict[str, Any] = {name: dict(sorted(getattr(delta, name).items())) for name in _MAPS}
    out.update(admission_key=delta.admission_key, admission_opened=delta.admission_opened,
               admission_ordinal=delta.admission_ordinal, admission_dedc=delta.admission_dedc,
               acct_spent=delta.acct_spent)
    return out


def delta_of(raw: dict[str, Any]) -> Delta:
    maps = {name: MappingProxyType({str(k): int(v) for k, v in (raw.get(name) or {}).items()}) for name in _MAPS}
    return Delta(**maps, admission_key=raw.get("admission_key"), admission_opened=bool(raw.get("admission_opened")),
                 admission_ordinal=int(raw.get("admission_ordinal") or 0),
                 admission_dedc=int(raw.get("admission_dedc") or 0), acct_spent=int(raw.get("acct_spent") or 0))


def same_state(a: YearState, b: YearState) -> bool:
    """Equal accumulators (the account balance is not an accumulator)."""
    return state_to_json(a.with_(acct_balance=None), 0) == state_to_json(b.with_(acct_balance=None), 0)
