"""Hypothesis strategies: random policies (as policy files would say them), persons and claims."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from tongchou.policy.registry import Registry, Resolved
from tongchou.policy.schema import Policy
from tongchou.settlement.model import Claim, Person, Split

MED_TYPES = ["11", "13", "14", "19", "21", "22", "23", "41"]
TIERS = ["village", "township", "county", "city", "province", "outside"]
CATEGORIES = ["general_outpatient", "chronic_outpatient", "inpatient", "accident_inpatient", "other"]
yuan = st.integers(0, 300_000)
ratio = st.sampled_from(["0", "0.3", "0.5", "0.55", "0.65", "0.7", "0.75", "0.8", "0.85", "0.9", "0.95", "1"])


@st.composite
def conditions(draw):
    cond = {}
    if draw(st.booleans()):
        cond["med_type"] = draw(st.lists(st.sampled_from(MED_TYPES), min_size=1, max_size=4, unique=True))
    if draw(st.booleans()):
        cond["hosp_lv"] = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        cond["admin_tier"] = draw(st.lists(st.sampled_from(TIERS), min_size=1, max_size=3, unique=True))
    if draw(st.integers(0, 4)) == 0:
        cond["accident"] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        cond["disease_group"] = ["g1"]
    if draw(st.integers(0, 5)) == 0:
        cond["assistance"] = ["poverty"]
    return cond


@st.composite
def deductibles(draw):
    kind = draw(st.sampled_from(["none", "per_admission", "annual"]))
    if kind == "none":
        return None
    if kind == "annual":
        amount = draw(st.sampled_from([0, 1, 100, 2000]))
        return {"kind": "annual", "amount": amount, "accumulator": f"d{amount}"}
    return {"kind": "per_admission", "by_hosp_lv": {lv: draw(st.integers(0, 1500)) for lv in range(4)},
            "ordinal_factors": draw(st.lists(st.sampled_from(["1", "0.5", "0"]), min_size=1, max_size=3))}


@st.composite
def lines(draw, index, cap_ids):
    line = {
        "id": f"l{index}", "name": f"待遇{index}", "category": draw(st.sampled_from(CATEGORIES)),
        "when": draw(conditions()), "ratio": draw(ratio),
        "caps": draw(st.lists(st.sampled_from(cap_ids), max_size=2, unique=True)) if cap_ids else [],
        "counts_admission": draw(st.booleans()),
    }
    dedc = draw(deductibles())
    if dedc:
        line["deductible"] = dedc
        if dedc["kind"] == "per_admission":
            line["counts_admission"] = True
    if draw(st.booleans()):
        line["essential_ratio"] = draw(ratio)
    return line


@st.composite
def schedules(draw):
    cuts = sorted(draw(st.lists(st.integers(0, 400_000), min_size=1, max_size=4, unique=True)))
    tiers = []
    for i, above in enumerate(cuts):
        tier = {"above": above, "rate": draw(ratio)}
        if i + 1 < len(cuts):
            tier["up_to"] = cuts[i + 1]
        tiers.append(tier)
    return tiers


@st.composite
def layers(draw, index):
    variant = {
        "parts": [{"base": draw(st.sampled_from(["burden", "under_cap", "over_cap", "remaining"])),
                   "schedule": draw(schedules())} for _ in range(draw(st.integers(1, 2)))],
    }
    if draw(st.booleans()):
        variant["cap"] = draw(yuan)
        variant["cap_increments"] = [{"min_years": 2, "max_years": 5, "amount": draw(st.integers(0, 50_000))},
                                     {"min_years": 5, "amount": draw(st.integers(0, 80_000))}]
    if draw(st.integers(0, 3)) == 0:
        variant["floor"] = {"ratio": draw(ratio), "base": draw(st.sampled_from(["inscp_scp_amt", "medfee_sumamt"]))}
    if draw(st.booleans()):
        variant["when"] = draw(conditions())
    return {
        "id": f"layer{index}", "name": f"补充层{index}",
        "field": draw(st.sampled_from(["hifob_pay", "cvlserv_pay", "hifmi_pay", "maf_pay", "oth_pay"])),
        "applies_to": draw(st.sampled_from([["*"], ["inpatient"], ["inpatient", "chronic_outpatient"]])),
        "variants": [variant],
    }


@st.composite
def policies(draw):
    cap_ids = [f"c{i}" for i in range(draw(st.integers(0, 3)))]
    version = {
        "version": 1, "effective_from": "2020-01-01", "effective_to": "2020-12-31",
        "caps": [{"id": c, "name": f"封顶{c}", "amount": draw(st.integers(0, 200_000))} for c in cap_ids],
        "diseases": [{"code": "D1", "name": "病一", "group": "g1"}, {"code": "D2", "name": "病二", "group": "g2"}],
        "benefits": [draw(lines(i, cap_ids)) for i in range(draw(st.integers(1, 5)))],
        "layers": [draw(layers(i)) for i in range(draw(st.integers(0, 3)))],
    }
    policy = Policy.model_validate({"id": "random", "name": "随机政策", "region": "999999",
                                    "scheme": draw(st.sampled_from(["310", "390"])), "versions": [version]})
    registry = Registry({"random": policy})
    return registry.resolve("999999", policy.scheme, dt.date(2020, 6, 1))


@st.composite
def splits(draw):
    parts = [draw(st.integers(0, 50_000_000)) for _ in range(4)]
    inscp = parts[3]
    return Split(sum(parts), parts[0], parts[1], parts[2], inscp, draw(st.integers(0, inscp)))


@st.composite
def claim_sequences(draw, resolved: Resolved, max_claims: int = 12):
    person = Person(
        psn_no="P", psn_type=draw(st.sampled_from(["1101", "1201", "1401", "1501"])),
        assistance=frozenset(draw(st.lists(st.sampled_from(["poverty", "dibao"]), max_size=2))),
        continuous_years=draw(st.integers(0, 8)), mulaid_balance=draw(st.integers(0, 100_000)),
    )
    days = sorted(draw(st.lists(st.integers(0, 364), min_size=1, max_size=max_claims)))
    claims = []
    for i, day in enumerate(days):
        date = dt.date(2020, 1, 1) + dt.timedelta(days=day)
        split = draw(splits())
        claims.append(Claim(
            setl_id=f"S{i}", person=person, insutype=resolved.policy.scheme, insuplc_admdvs="999999",
            med_type=draw(st.sampled_from(MED_TYPES)), begndate=date, enddate=date,
            hosp_lv=draw(st.integers(0, 3)), admin_tier=draw(st.sampled_from(TIERS)), split=split,
            dise_code=draw(st.sampled_from([None, "D1", "D2", "病一"])), accident=draw(st.booleans()),
            third_party_liable=draw(st.integers(0, 9)) == 0,
            mdtrt_id=draw(st.sampled_from([None, None, "M1", "M2"])), acct_used=draw(st.booleans()),
            hosp_part_amt=draw(st.integers(0, split.medfee_sumamt - split.inscp_scp_amt)),
        ))
    return claims
