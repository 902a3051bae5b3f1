"""Settling the generated claims with the real engine (`tongchou.settlement.engine.settle`).

Claims are settled in the replay order of the claims table (psn_no, enddate,
begndate, setl_id) with the year-to-date state carried per person, scheme and
year, exactly as `tongchou settle` does for visits.jsonl. The engine gets the
split amounts computed from the fee lines; an employee's first claim of the
year opens the state with the person's account balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from tongchou.generate import params as P
from tongchou.generate.util import to_date
from tongchou.policy.registry import Registry, Resolved, default_policy_dir, load_policy_file
from tongchou.settlement.engine import settle
from tongchou.settlement.model import Claim, Person, Split
from tongchou.accumulators import YearState

SETTLEMENT_COLUMNS = ("act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay",
                      "oth_pay", "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt")


def region_registry(policy_dir: Path | None = None) -> Registry:
    """The demo city's two policies only (other files of the directory are not the region's business)."""
    directory = policy_dir or default_policy_dir()
    policies = {}
    for name in P.POLICY_FILES.values():
        found = sorted(directory.rglob(name))
        if not found:
            raise FileNotFoundError(f"policy file {name} not found under {directory}")
        policy = load_policy_file(found[0])
        policies[policy.id] = policy
    return Registry(policies)


@dataclass(frozen=True)
class ClaimInputs:
    """Columns of the claims in replay order, as plain Python values the engine takes."""

    setl_id: list[str]
    mdtrt_id: list[str]
    psn: np.ndarray
    insutype: list[str]
    med_type: list[str]
    begin: np.ndarray
    end: np.ndarray
    hosp_lv: np.ndarray
    admin_tier: list[str]
    dise_code: list[str | None]
    split: dict[str, np.ndarray]


def _person_factory(pop) -> Callable[[int], Person]:
    assistance = pop.assistance()
    tiers = pop.tier_name()
    counties = [c[0] for c in P.COUNTIES]
    cache: dict[int, Person] = {}

    def person(i: int) -> Person:
        found = cache.get(i)
        if found is None:
            found = Person(
                psn_no=pop.psn_no[i], psn_type=str(pop.psn_type[i]), birth_date=to_date(pop.birth[i]),
                assistance=frozenset(a for a in str(assistance[i]).split("|") if a), tier=str(tiers[i]) or None,
                continuous_years=int(pop.continuous_years[i]), county=counties[pop.county_idx[i]])
            cache[i] = found
        return found

    return person


def settle_all(inputs: ClaimInputs, pop, registry: Registry, region: str,
               advance: Callable[[int], None] | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Settle every claim (already in replay order); amounts per column in fen, and the policy ids."""
    n = len(inputs.setl_id)
    out = {name: np.zeros(n, dtype=np.int64) for name in SETTLEMENT_COLUMNS}
    policy_ids: list[str] = [""] * n
    person = _person_factory(pop)
    resolved: dict[tuple[str, int], Resolved] = {}
    states: dict[tuple[int, str, int], YearState] = {}
    split = {k: v.tolist() for k, v in inputs.split.items()}
    begin, end, psn, lv = inputs.begin.tolist(), inputs.end.tolist(), inputs.psn.tolist(), inputs.hosp_lv.tolist()
    for i in range(n):
        enddate = to_date(end[i])
        key = (psn[i], inputs.insutype[i], enddate.year)
        policy = resolved.get(key[1:])
        if policy is None:
            policy = resolved[key[1:]] = registry.resolve(region, key[1], enddate)
        state = states.get(key)
        if state is None:
            balance = int(pop.acct_balance[psn[i]])
            state = YearState(acct_balance=balance if balance >= 0 else None)
        claim = Claim(
            setl_id=inputs.setl_id[i], person=person(psn[i]), insutype=key[1], insuplc_admdvs=region,
            med_type=inputs.med_type[i], begndate=to_date(begin[i]), enddate=enddate, hosp_lv=lv[i],
            admin_tier=inputs.admin_tier[i], dise_code=inputs.dise_code[i], mdtrt_id=inputs.mdtrt_id[i],
            split=Split(split["medfee_sumamt"][i], split["fulamt_ownpay_amt"][i], split["overlmt_selfpay"][i],
                        split["preselfpay_amt"][i], split["inscp_scp_amt"][i], split["inscp_essential_amt"][i]),
        )
        settlement, states[key] = settle(policy, claim, state)
        for name in SETTLEMENT_COLUMNS:
            out[name][i] = getattr(settlement, name)
        policy_ids[i] = settlement.policy_id
        if advance is not None and i % 5000 == 4999:
            advance(5000)
    if advance is not None:
        advance(n % 5000)
    return out, policy_ids

