"""A person's year-to-date accumulators (pure): the state, what one settlement adds to it (its Delta), adding
and taking away a Delta, and both as JSON (the `ytd` shape of `tongchou settle`, the store's JSON columns).

Below settlement and the ledger: the engine settles over them, and `ledger verify` replays them from the
stored deltas without importing the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping

from tongchou.money import Fen, MoneyError, fen_to_str, to_fen


class AccumulatorError(ValueError):
    """JSON that is not a year-to-date state; names the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _frozen(mapping: Mapping[str, int] | None = None) -> Mapping[str, int]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Admission:
    """An admission of the year: its ordinal and the deductible it has paid (interim settlements)."""

    ordinal: int
    dedc_paid: Fen


@dataclass(frozen=True)
class YearState:
    """A person's year-to-date state in one scheme and year. Immutable: settling returns a new one."""

    caps_used: Mapping[str, Fen] = field(default_factory=_frozen)
    dedc_used: Mapping[str, Fen] = field(default_factory=_frozen)
    counters: Mapping[str, int] = field(default_factory=_frozen)
    admissions: Mapping[str, Admission] = field(default_factory=lambda: MappingProxyType({}))
    layer_base: Mapping[str, Fen] = field(default_factory=_frozen)
    layer_paid: Mapping[str, Fen] = field(default_factory=_frozen)
    acct_balance: Fen | None = None

    def with_(self, **changes: object) -> YearState:
        return replace(self, **changes)


@dataclass(frozen=True)
class Delta:
    """What one settlement added to the year-to-date state; cancelling subtracts exactly this."""

    caps_used: Mapping[str, Fen] = field(default_factory=_frozen)
    dedc_used: Mapping[str, Fen] = field(default_factory=_frozen)
    counters: Mapping[str, int] = field(default_factory=_frozen)
    admission_key: str | None = None
    admission_opened: bool = False
    admission_ordinal: int = 0
    admission_dedc: Fen = 0
    layer_base: Mapping[str, Fen] = field(default_factory=_frozen)
    layer_paid: Mapping[str, Fen] = field(default_factory=_frozen)
    acct_spent: Fen = 0


# ---------------------------------------------------------------- adding and taking away a Delta

def _merge(base: Mapping[str, int], delta: Mapping[str, int], sign: int) -> Mapping[str, int]:
    merged = dict(base)
    for key, value in delta.items():
        merged[key] = merged.get(key, 0) + sign * value
        if merged[key] == 0:
            del merged[key]
    return MappingProxyType(merged)


def apply_delta(state: YearState, delta: Delta, sign: int = 1) -> YearState:
    """Add (sign 1) or take away (sign −1) one settlement's contributions to the year-to-date state."""
    admissions = dict(state.admissions)
    if delta.admission_key is not None:
        if delta.admission_opened:
            if sign > 0:
                admissions[delta.admission_key] = Admission(delta.admission_ordinal, delta.admission_dedc)
            else:
                admissions.pop(delta.admission_key, None)
        else:
            earlier = admissions[delta.admission_key]
            admissions[delta.admission_key] = Admission(earlier.ordinal, earlier.dedc_paid + sign * delta.admission_dedc)
    balance = state.acct_balance
    if balance is not None:
        balance -= sign * delta.acct_spent
    return YearState(
        caps_used=_merge(state.caps_used, delta.caps_used, sign),
        dedc_used=_merge(state.dedc_used, delta.dedc_used, sign),
        counters=_merge(state.counters, delta.counters, sign),
        admissions=MappingProxyType(admissions),
        layer_base=_merge(state.layer_base, delta.layer_base, sign),
        layer_paid=_merge(state.layer_paid, delta.layer_paid, sign),
        acct_balance=balance,
    )


# ---------------------------------------------------------------- as JSON

def _amounts_out(mapping) -> dict[str, str]:
    return {key: fen_to_str(value) for key, value in sorted(mapping.items())}


def state_to_json(state: YearState, year: int) -> dict[str, Any]:
    return {
        "year": year,
        "caps_used": _amounts_out(state.caps_used),
        "dedc_used": _amounts_out(state.dedc_used),
        "counters": dict(sorted(state.counters.items())),
        "admissions": {k: {"ordinal": a.ordinal, "dedc_paid": fen_to_str(a.dedc_paid)}
                       for k, a in sorted(state.admissions.items())},
        "layer_base": _amounts_out(state.layer_base),
        "layer_paid": _amounts_out(state.layer_paid),
        "acct_balance": None if state.acct_balance is None else fen_to_str(state.acct_balance),
    }


def _fen_map(raw: object, field: str) -> MappingProxyType:
    if raw is None:
        return MappingProxyType({})
    if not isinstance(raw, dict):
        raise AccumulatorError(field, f"{field} 应为对象")
    try:
        return MappingProxyType({str(k): to_fen(v) for k, v in raw.items() if to_fen(v)})
    except MoneyError:
        raise AccumulatorError(field, f"{field}：金额须为元，最多两位小数") from None


def stored_state(raw: dict[str, Any]) -> YearState:
    """A year-to-date state from its `ytd` JSON (AccumulatorError naming the field when it is not one)."""
    try:
        admissions = {
            str(k): Admission(int(v["ordinal"]), to_fen(v.get("dedc_paid", 0)))
            for k, v in (raw.get("admissions") or {}).items()
        }
        counters = {str(k): int(v) for k, v in (raw.get("counters") or {}).items() if int(v)}
        balance = raw.get("acct_balance")
        return YearState(
            caps_used=_fen_map(raw.get("caps_used"), "ytd.caps_used"),
            dedc_used=_fen_map(raw.get("dedc_used"), "ytd.dedc_used"),
            counters=MappingProxyType(counters),
            admissions=MappingProxyType(admissions),
            layer_base=_fen_map(raw.get("layer_base"), "ytd.layer_base"),
            layer_paid=_fen_map(raw.get("layer_paid"), "ytd.layer_paid"),
            acct_balance=None if balance is None else to_fen(balance),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, AccumulatorError):
            raise
        raise AccumulatorError("ytd", "ytd 不是有效的年度累计（格式见 ytd_after）") from None


# ---------------------------------------------------------------- the store's JSON columns

_MAPS = ("caps_used", "dedc_used", "counters", "layer_base", "layer_paid")


def state_json(state: YearState, year: int) -> dict[str, Any]:
    """The accumulators without the account balance (the balance lives in the ledger)."""
    return state_to_json(state.with_(acct_balance=None), year)


def state_of(raw: dict[str, Any] | None) -> YearState:
    return YearState() if not raw else stored_state(raw)


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
