"""planted.json: the ground truth of the planted supervision patterns, in the ids of the output files."""

from __future__ import annotations

from typing import Any

import numpy as np

from tongchou.generate import params as P
from tongchou.generate.outputs import Generated
from tongchou.generate.planting import (
    CREDENTIAL_MINUTES, FREQUENT_DAYS, FREQUENT_TIMES, OUTLIER_COST_FACTOR, PATTERNS, PHANTOM_HOURS,
    READMISSION_MAX_DAYS,
)
from tongchou.generate.util import EPOCH
from tongchou.money import fen_to_str

DEFINITIONS = {
    "duplicate_charge": "重复收费：同一结算中同一项目在同一时间、同数量同单价收费两次及以上（两条明细）。",
    "overlapping_admissions": "住院时间重叠：同一参保人在两家不同定点机构的住院期间相互重叠。",
    "readmission_15d": f"分解住院：同一参保人出院后{READMISSION_MAX_DAYS}日内（1–{READMISSION_MAX_DAYS - 1}日）在同一定点机构再次入院。",
    "phantom_bed_days": f"挂床住院：住院期间连续{PHANTOM_HOURS}小时及以上除床位费外无任何收费。",
    "sex_age_conflict": "性别/年龄与项目不符：限定性别或年龄的项目用于不符合该限定的参保人（catalogue.parquet 的 sex、min_age、max_age）。",
    "quantity_above_limit": "超量：单条明细数量超过目录限定的单次最大数量（catalogue.parquet 的 max_qty）。",
    "price_above_cap": "超限价：明细单价高于目录限价（price_cap）。",
    "one_credential_two_institutions_30min": f"同一就诊凭证{CREDENTIAL_MINUTES}分钟内在两家不同定点机构就诊（就诊登记时间 begntime 相差不足{CREDENTIAL_MINUTES}分钟）。",
    "outlier_institution": f"机构次均住院费用异常：同级（乡镇卫生院）机构中次均住院费用约为同级的{OUTLIER_COST_FACTOR}倍、住院量约为3倍的机构。",
    "frequent_drug_purchase": f"频繁购药：同一参保人{FREQUENT_DAYS}日内购买同一药品{FREQUENT_TIMES}次及以上。",
}


def _setl(year: int, claim: int) -> str:
    return f"S{year}{claim + 1:09d}"


def _iso_seconds(seconds: int) -> str:
    import datetime as dt

    return (dt.datetime(EPOCH.year, 1, 1) + dt.timedelta(seconds=int(seconds))).isoformat(sep=" ")


def _line_positions(g: Generated, cases: list[dict]) -> dict[int, int]:
    wanted = sorted({uid for case in cases for uid in case.get("lines", [])})
    rows = np.flatnonzero(np.isin(g.lines["uid"], wanted))
    return {int(g.lines["uid"][r]): int(r) for r in rows}


def _claim_facts(g: Generated, claim: int) -> dict[str, Any]:
    c = g.claims
    return {"setl_id": _setl(g.year, claim), "psn_no": g.pop.psn_no[c["psn"][claim]],
            "fixmedins_code": g.inst.code[c["inst"][claim]]}


def resolve_case(g: Generated, case: dict, positions: dict[int, int], sns: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"pattern": case["pattern"]}
    if "claim" in case:
        out.update(_claim_facts(g, case["claim"]))
    if "claims" in case:
        facts = [_claim_facts(g, c) for c in case["claims"]]
        out["setl_ids"] = [f["setl_id"] for f in facts]
        out["psn_no"] = facts[0]["psn_no"]
        out["fixmedins_codes"] = [f["fixmedins_code"] for f in facts]
    if "psn" in case:
        out["psn_no"] = g.pop.psn_no[case["psn"]]
    if "lines" in case:
        out["feedetl_sns"] = [sns[positions[uid]] for uid in case["lines"]]
    for key, value in case.items():
        if key in ("pattern", "claim", "claims", "psn", "lines"):
            continue
        if key.endswith("_fen"):
            out[key.removesuffix("_fen")] = fen_to_str(value)
        elif key in ("gap_from", "gap_to"):
            out[key] = _iso_seconds(value)
        else:
            out[key] = value
    return out


def planted_json(g: Generated, sns: list[str]) -> dict[str, Any]:
    positions = _line_positions(g, g.cases)
    cases = [resolve_case(g, case, positions, sns) for case in g.cases]
    touched = {c["claim"] for c in g.cases if "claim" in c} | {x for c in g.cases for x in c.get("claims", [])}
    n_lines = len(g.lines["claim"])
    return {
        "seed": g.seed, "year": g.year, "insured": g.pop.n, "per_pattern": P.planted_per_pattern(g.pop.n),
        "claims_total": g.n_claims, "planted_claims": len(touched),
        "share_of_claims": round(len(touched) / max(g.n_claims, 1), 6),
        "fee_lines_total": n_lines, "planted_fee_lines": int((g.lines["planted"] > 0).sum()),
        "share_of_fee_lines": round(float((g.lines["planted"] > 0).sum()) / max(n_lines, 1), 6),
        "definitions": {name: DEFINITIONS[name] for name in PATTERNS},
        "counts": {name: sum(1 for c in cases if c["pattern"] == name) for name in PATTERNS},
        "cases": cases,
    }
