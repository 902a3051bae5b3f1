"""calibration.json: the generated year's figures beside 篇8's, with the tolerance each is held to.

Figures are measured on the resident scheme (390), which is what 篇8 reports,
over the whole generated year (planted cases included). Average costs are
decimal yuan strings computed from fen; rates and shares are fractions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from tongchou.generate import params as P
from tongchou.generate.outputs import Generated
from tongchou.generate.util import day_number
from tongchou.money import fen_to_str

TIER_GROUPS = {"township": ("township",), "county": ("county",), "city": ("city",),
               "province_outside": ("province", "outside")}
# (kind, tolerance): relative to the target, or absolute (fraction points).
TOLERANCES: dict[str, tuple[str, float]] = {
    "admission_rate_per_year": ("relative", 0.05),
    **{f"tier_share.{g}": ("absolute", 0.02) for g in TIER_GROUPS},
    **{f"avg_cost.{g}": ("relative", 0.05) for g in TIER_GROUPS},
    "poverty_admission_share": ("absolute", 0.03),
    "general_outpatient_rate_per_year": ("relative", 0.07),
    "chronic_outpatient_rate_per_year": ("relative", 0.10),
    "chronic_avg_cost": ("relative", 0.05),
}


def _avg_fen(total: int, count: int) -> int:
    return (2 * total + count) // (2 * count) if count else 0


def measure(g: Generated) -> dict[str, float | int]:
    """The measured value of every target (avg costs in fen)."""
    c = g.claims
    resident_psn = g.pop.insutype == P.RESIDENT
    res = resident_psn[c["psn"]]
    n_res = int(resident_psn.sum())
    adm = res & (c["med_type"] == 21)
    tier_names = np.array(P.TIERS)[g.inst.tier[c["inst"]]]
    medfee = g.split["medfee_sumamt"]
    out: dict[str, float | int] = {"admission_rate_per_year": adm.sum() / max(n_res, 1)}
    for group, tiers in TIER_GROUPS.items():
        rows = adm & np.isin(tier_names, tiers)
        out[f"tier_share.{group}"] = rows.sum() / max(adm.sum(), 1)
        out[f"avg_cost.{group}"] = _avg_fen(int(medfee[rows].sum()), int(rows.sum()))
    out["poverty_admission_share"] = g.pop.poverty[c["psn"][adm]].mean() if adm.any() else 0.0
    op = res & (c["med_type"] == 11)
    chronic = res & (c["med_type"] == 14)
    out["general_outpatient_rate_per_year"] = op.sum() / max(n_res, 1)
    out["chronic_outpatient_rate_per_year"] = chronic.sum() / max(n_res, 1)
    out["chronic_avg_cost"] = _avg_fen(int(medfee[chronic].sum()), int(chronic.sum()))
    return out


def within(name: str, value: float, target: float) -> bool:
    kind, tolerance = TOLERANCES[name]
    if kind == "relative":
        return bool(abs(value - target) <= tolerance * abs(target))
    return bool(abs(value - target) <= tolerance)


def _shown(name: str, value: float | int) -> Any:
    return fen_to_str(int(value)) if "cost" in name else round(float(value), 6)


def _first_half(g: Generated) -> dict[str, Any]:
    """January–June counts of the resident scheme, and scaled to 篇8's county (324805 insured)."""
    c = g.claims
    res = (g.pop.insutype == P.RESIDENT)[c["psn"]]
    h1 = res & (c["end"] < day_number(dt.date(g.year, 7, 1)))
    scale = P.H1_INSURED / max(int((g.pop.insutype == P.RESIDENT).sum()), 1)
    counts = {"admissions": int((h1 & (c["med_type"] == 21)).sum()),
              "general_outpatient": int((h1 & (c["med_type"] == 11)).sum()),
              "chronic_outpatient": int((h1 & (c["med_type"] == 14)).sum())}
    return {"counts": counts, "scaled_to_324805_insured": {k: round(v * scale) for k, v in counts.items()},
            "篇8": {"admissions": P.H1_ADMISSIONS, "general_outpatient": P.H1_GENERAL_OUTPATIENT,
                    "chronic_outpatient": P.H1_CHRONIC_OUTPATIENT}}


def _overview(g: Generated) -> dict[str, Any]:
    c = g.claims
    out: dict[str, Any] = {"insured": g.pop.n, "claims": g.n_claims, "fee_lines": len(g.lines["claim"])}
    for scheme in (P.RESIDENT, P.EMPLOYEE):
        rows = (g.pop.insutype == scheme)[c["psn"]]
        out[scheme] = {"insured": int((g.pop.insutype == scheme).sum()),
                       "by_med_type": {str(m): int((rows & (c["med_type"] == m)).sum()) for m in (11, 14, 21)},
                       "medfee_sumamt": fen_to_str(int(g.split["medfee_sumamt"][rows].sum()))}
        if g.settlement is not None:
            out[scheme]["hifp_pay"] = fen_to_str(int(g.settlement["hifp_pay"][rows].sum()))
            out[scheme]["fund_pay_sumamt"] = fen_to_str(int(g.settlement["fund_pay_sumamt"][rows].sum()))
    return out


def calibration(g: Generated) -> dict[str, Any]:
    measured = measure(g)
    targets = []
    for t in P.TARGETS:
        kind, tolerance = TOLERANCES[t.name]
        value = measured[t.name]
        targets.append({"name": t.name, "generated": _shown(t.name, value), "target": _shown(t.name, t.value),
                        "tolerance": {"kind": kind, "value": tolerance}, "within": within(t.name, value, t.value),
                        "source": t.source})
    poverty_share = float(g.pop.poverty[g.pop.insutype == P.RESIDENT].mean()) if g.pop.n else 0.0
    return {"scheme": P.RESIDENT, "seed": g.seed, "year": g.year, "targets": targets,
            "all_within": all(t["within"] for t in targets), "poverty_share_of_residents": round(poverty_share, 6),
            "first_half": _first_half(g), "overview": _overview(g)}
