"""The claims calculator behind `tongchou settle`: settles a stream of claim lines in order.

Year-to-date state is kept per (psn_no, insutype, year of enddate) and carried
from line to line; a bad line becomes an error record and the rest still settle.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from tongchou.policy.registry import NoPolicy, Registry
from tongchou.settlement.claims_io import (
    LineError, parse_line, read_lines, settlement_to_json, state_from_json, to_claim,
)
from tongchou.settlement.engine import settle
from tongchou.accumulators import YearState

StateKey = tuple[str, str, int]


@dataclass
class Calculator:
    registry: Registry
    states: dict[StateKey, YearState] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    settled: int = 0
    errors: int = 0

    def settle_line(self, number: int, text: str) -> dict[str, Any]:
        setl_id = _raw_setl_id(text)
        try:
            if setl_id is not None and str(setl_id) in self.seen:
                raise LineError("duplicate_setl_id", "setl_id", f"setl_id {setl_id} 在本文件中已用过")
            claim_in, _raw = parse_line(text)
            setl_id = claim_in.setl_id
            claim = to_claim(claim_in)
            try:
                resolved = self.registry.resolve(claim.insuplc_admdvs, claim.insutype, claim.enddate, claim.policy_id)
            except NoPolicy as exc:
                raise LineError("no_policy", "policy_id" if claim.policy_id else "enddate", str(exc)) from None
            key = (claim.person.psn_no, claim.insutype, claim.enddate.year)
            state = self._state_for(key, claim_in)
            settlement, after = settle(resolved, claim, state)
        except LineError as exc:
            self.errors += 1
            if setl_id is not None:
                self.seen.add(str(setl_id))
            return {"setl_id": setl_id, "line": number, "error": exc.to_json()}
        self.states[key] = after
        self.seen.add(setl_id)
        self.settled += 1
        return settlement_to_json(settlement, after, key[2])

    def _state_for(self, key: StateKey, claim_in) -> YearState:
        if claim_in.ytd is not None:
            return state_from_json(claim_in.ytd)
        state = self.states.get(key)
        if state is None:
            state = YearState()
            if claim_in.person.acct_balance is not None:
                state = state.with_(acct_balance=claim_in.person.acct_balance)
        return state

    def run(self, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
        for number, text in read_lines(lines):
            yield self.settle_line(number, text)


def _raw_setl_id(text: str) -> Any:
    try:
        raw = json.loads(text, parse_float=str)
        return raw.get("setl_id") if isinstance(raw, dict) else None
    except ValueError:
        return None

