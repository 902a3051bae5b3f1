"""Claim sets for the parity tests: hypothesis strategies and a seeded generator, plus the engine reference."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pyarrow as pa
from hypothesis import strategies as st

from tongchou.money import fen_to_str
from tongchou.policy.registry import Registry
from tongchou.settlement.engine import settle
from tongchou.settlement.model import Claim, Person, Split
from tongchou.accumulators import YearState

MED_TYPES = ("11", "13", "14", "19", "21", "21", "22", "23", "41")
TIERS = ("village", "township", "county", "city", "province", "outside")
PSN_TYPES = ("1501", "1401", "1403", "1101", None)
ASSISTANCE = ("", "poverty", "dibao", "poverty|disabled", "tekun")
DISEASES = ("GX-MB01", "GX-MB05", "GX-MB07", "GX-MB21", "高血压病三期（有心、脑、肾并发症之一）", "糖尿病", "GZ-MT01",
            "GZ-MT02", "尿毒症透析", "NOT-A-DISEASE")
AMOUNT_COLUMNS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
                  "inscp_essential_amt")
SETTLED = ("act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
           "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay")

# In-scope amounts in fen: small, ordinary, large enough to reach caps and every critical-illness tier.
inscp_fen = st.one_of(st.integers(0, 20_000), st.integers(0, 2_000_000), st.integers(0, 40_000_000),
                      st.sampled_from([0, 1, 99, 10_000, 1_200_000, 12_000_000, 17_000_000, 20_000_000]))


@st.composite
def persons(draw, year: int = 2018, max_claims: int = 30):
    psn = {
        "psn_type": draw(st.sampled_from(PSN_TYPES)), "assistance": draw(st.sampled_from(ASSISTANCE)),
        "continuous_years": draw(st.sampled_from([0, 1, 2, 4, 5, 9])), "county": draw(st.sampled_from(["371525", "371526"])),
    }
    claims = []
    for _ in range(draw(st.integers(1, max_claims))):
        inscp = draw(inscp_fen)
        med_type = draw(st.sampled_from(MED_TYPES))
        end = dt.date(year, 1, 1) + dt.timedelta(days=draw(st.integers(0, 420)))  # some claims in the next year
        claims.append({
            "med_type": med_type, "hosp_lv": draw(st.integers(0, 3)), "admin_tier": draw(st.sampled_from(TIERS)),
            "accident": draw(st.booleans()), "dise_code": draw(st.sampled_from(DISEASES)) if med_type == "14" else None,
            "enddate": end, "stay": draw(st.integers(0, 3)), "inscp": inscp,
            "essential": draw(st.sampled_from([0, inscp // 3, inscp])), "own": draw(st.integers(0, 50_000)),
            "preself": draw(st.integers(0, 20_000)),
        })
    return psn, claims


def claim_sets(max_persons: int = 5, max_claims: int = 30):
    return st.lists(persons(max_claims=max_claims), min_size=1, max_size=max_persons)


def seeded_claim_set(seed: int, persons_n: int = 8, claims_n: int = 25, year: int = 2018) -> list:
    rnd = random.Random(seed)
    out = []
    for _ in range(persons_n):
        psn = {"psn_type": rnd.choice(PSN_TYPES), "assistance": rnd.choice(ASSISTANCE),
               "continuous_years": rnd.choice([0, 2, 6]), "county": "371525"}
        claims = []
        for _ in range(claims_n):
            inscp = rnd.choice([rnd.randrange(20_000), rnd.randrange(2_000_000), rnd.randrange(40_000_000)])
            med_type = rnd.choice(MED_TYPES)
            claims.append({"med_type": med_type, "hosp_lv": rnd.randrange(4), "admin_tier": rnd.choice(TIERS),
                           "accident": rnd.random() < 0.3, "dise_code": rnd.choice(DISEASES) if med_type == "14" else None,
                           "enddate": dt.date(year, 1, 1) + dt.timedelta(days=rnd.randrange(365)),
                           "stay": rnd.randrange(3), "inscp": inscp, "essential": rnd.choice([0, inscp // 3]),
                           "own": rnd.randrange(50_000), "preself": rnd.randrange(20_000)})
        out.append((psn, claims))
    return out


def to_rows(claim_set) -> list[dict]:
    """The claims table as CSV would carry it: every value text, amounts in yuan."""
    rows = []
    for p, (psn, claims) in enumerate(claim_set):
        for c, claim in enumerate(claims):
            inscp, own, pre = claim["inscp"], claim["own"], claim["preself"]
            rows.append({
                "setl_id": f"S{p:02d}{c:04d}", "psn_no": f"P{p:03d}", "psn_type": psn["psn_type"] or "",
                "tier": "", "assistance": psn["assistance"], "continuous_years": str(psn["continuous_years"]),
                "insutype": "390", "insuplc_admdvs": "371525", "county_admdvs": psn["county"],
                "fixmedins_code": "H001", "hosp_lv": str(claim["hosp_lv"]), "admin_tier": claim["admin_tier"],
                "med_type": claim["med_type"], "dise_code": claim["dise_code"] or "",
                "accident": "1" if claim["accident"] else "0",
                "begndate": (claim["enddate"] - dt.timedelta(days=claim["stay"])).isoformat(),
                "enddate": claim["enddate"].isoformat(),
                "poverty_flag": "1" if "poverty" in psn["assistance"] else "0",
                "medfee_sumamt": fen_to_str(inscp + own + pre), "fulamt_ownpay_amt": fen_to_str(own),
                "overlmt_selfpay": "0.00", "preselfpay_amt": fen_to_str(pre), "inscp_scp_amt": fen_to_str(inscp),
                "inscp_essential_amt": fen_to_str(claim["essential"]), "refd_setl_flag": "0",
            })
    return rows


def to_arrow(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema([(k, pa.string()) for k in rows[0]]))


def _fen(text: str) -> int:
    return int(Decimal(text) * 100)


def reference(registry: Registry, policy_id: str, rows: list[dict]) -> dict[str, dict[str, int]]:
    """The engine, claim by claim in the replay order, one YearState per person, scheme and year."""
    policy = registry.get(policy_id)
    order = sorted(rows, key=lambda r: (r["psn_no"], r["insutype"], r["enddate"][:4], r["enddate"], r["begndate"],
                                        r["setl_id"]))
    states: dict[tuple, YearState] = {}
    out = {}
    for r in order:
        end = dt.date.fromisoformat(r["enddate"])
        assistance = frozenset(a for a in r["assistance"].split("|") if a)
        person = Person(psn_no=r["psn_no"], psn_type=r["psn_type"] or None, assistance=assistance,
                        continuous_years=int(r["continuous_years"]), county=r["county_admdvs"], tier=r["tier"] or None)
        split = Split(*(_fen(r[c]) for c in AMOUNT_COLUMNS[:5]), inscp_essential_amt=_fen(r["inscp_essential_amt"]))
        claim = Claim(setl_id=r["setl_id"], person=person, insutype=r["insutype"], insuplc_admdvs=r["insuplc_admdvs"],
                      med_type=r["med_type"], begndate=dt.date.fromisoformat(r["begndate"]), enddate=end,
                      hosp_lv=int(r["hosp_lv"]), admin_tier=r["admin_tier"], split=split,
                      dise_code=r["dise_code"] or None, accident=r["accident"] == "1")
        key = (r["psn_no"], r["insutype"], end.year)
        resolved = registry.resolve_version(policy, end, any_date=True)
        settlement, states[key] = settle(resolved, claim, states.get(key, YearState()))
        out[r["setl_id"]] = {name: getattr(settlement, name) for name in SETTLED}
    return out


def mismatches(replayed: list[dict], expected: dict[str, dict[str, int]]) -> list[tuple]:
    bad = []
    for row in replayed:
        want = expected[row["setl_id"]]
        for name in SETTLED:
            if int(row[name]) != want[name]:
                bad.append((row["setl_id"], name, int(row[name]), want[name]))
    assert len(replayed) == len(expected)
    return bad
