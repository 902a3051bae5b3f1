"""Claims settled per second by the pure engine on one core (no I/O, no JSON).

    .venv/bin/python bench/settle_engine.py [--claims N] [--policy ID]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time

from rich.console import Console

from tongchou.policy.registry import Registry
from tongchou.settlement.engine import settle
from tongchou.settlement.model import Claim, Person, Split
from tongchou.accumulators import YearState

MIX = [  # (med_type, hosp_lv, admin_tier, typical in-scope yuan), shaped like a county's year (seed 004 篇8)
    ("11", 1, "village", 80), ("11", 1, "township", 120), ("14", 2, "county", 3000),
    ("21", 1, "township", 2000), ("21", 2, "county", 6000), ("21", 3, "city", 8000), ("21", 3, "province", 20000),
]


def make_claims(count: int, persons: int, seed: int = 7) -> list[Claim]:
    rng = random.Random(seed)
    people = [Person(psn_no=f"P{i:07d}", psn_type=rng.choice(["1501", "1401"])) for i in range(persons)]
    claims = []
    for i in range(count):
        med_type, lv, tier, typical = rng.choice(MIX)
        inscp = rng.randint(typical * 50, typical * 150)
        own = rng.randint(0, inscp // 5)
        day = dt.date(2018, 1, 1) + dt.timedelta(days=i * 365 // count)
        claims.append(Claim(
            setl_id=f"S{i}", person=rng.choice(people), insutype="390", insuplc_admdvs="371525", med_type=med_type,
            begndate=day, enddate=day, hosp_lv=lv, admin_tier=tier,
            split=Split(inscp + own, own, 0, 0, inscp, inscp // 10 if lv == 1 else 0),
            dise_code="高血压病三期" if med_type == "14" else None,
        ))
    return claims


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--policy", default="guanxian-2018-resident")
    args = parser.parse_args()
    console = Console()
    registry = Registry.load()
    resolved = registry.resolve_version(registry.get(args.policy), dt.date(2018, 6, 1), any_date=True)
    claims = make_claims(args.claims, persons=max(args.claims // 4, 1))
    states: dict[str, YearState] = {}
    with console.status(f"settling {args.claims:,} claims"):
        start = time.perf_counter()
        for claim in claims:
            key = claim.person.psn_no
            _, states[key] = settle(resolved, claim, states.get(key, YearState()))
        elapsed = time.perf_counter() - start
    rate = args.claims / elapsed
    console.print(f"settle_engine: policy={args.policy} claims={args.claims} seconds={elapsed:.2f} "
                  f"claims_per_s={rate:,.0f}".replace(",", ""))


if __name__ == "__main__":
    main()
