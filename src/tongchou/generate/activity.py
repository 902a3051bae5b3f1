"""A year of visits and admissions, one row per settlement, as columns of numpy arrays.

Admissions are Poisson per person with age, poverty and exposure (days with
benefits) in the rate, solved so that the resident scheme meets 篇8's admission
rate and poverty share in expectation; tiers follow 篇8's shares; costs are a
fixed per-day part (bed, nursing) plus a lognormal variable part, rescaled per
scheme and tier so that the mean cost equals 篇8's average exactly. Organic
activity is kept clear of the planted supervision patterns: a person's
admissions are at least ADMISSION_GAP_DAYS apart, at most one outpatient visit a
day, and no outpatient visit during an admission.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from tongchou.generate import params as P
from tongchou.generate.catalogue import Catalogue
from tongchou.generate.population import Population
from tongchou.generate.region import Doctors, Institutions
from tongchou.generate.util import categorical, day_number, rank_within, stream

Table = dict[str, np.ndarray]
# A claims table: psn, med_type (11/14/21), inst, begin/end (day numbers), start_min (minute of the day),
# cost and fixed (fen targets), dise (chronic disease index or -1), cert (credential type index), doctor,
# origin (0 organic, a pattern number when planted, -1 to be dropped).
ORGANIC = 0


def concat(tables: list[Table]) -> Table:
    keys = tables[0].keys()
    return {k: np.concatenate([t[k] for t in tables]) for k in keys}


def take(table: Table, index: np.ndarray) -> Table:
    return {k: v[index] for k, v in table.items()}


def _exposure(pop: Population) -> np.ndarray:
    """Share of the year with benefits (from benefit start to 31 December)."""
    return np.clip((pop.year_end() - pop.benefit_start + 1) / 365.0, 0.0, 1.0)


def _age_factor(age: np.ndarray) -> np.ndarray:
    bounds = np.array([a for a, _ in P.AGE_ADMISSION_FACTOR])
    factors = np.array([f for _, f in P.AGE_ADMISSION_FACTOR])
    return factors[np.searchsorted(bounds, age, side="right") - 1]


def truncated_mean(lam: np.ndarray, cap: int = P.MAX_ADMISSIONS_PER_PERSON) -> np.ndarray:
    """E[min(X, cap)] for X ~ Poisson(lam): the admissions a person really gets once capped."""
    pmf = np.exp(-lam)
    shortfall = cap * pmf
    for k in range(1, cap):
        pmf = pmf * lam / k
        shortfall = shortfall + (cap - k) * pmf
    return cap - shortfall


def _solve_resident_rates(weight: np.ndarray, poverty: np.ndarray, n_res: int) -> np.ndarray:
    """Rates λ = base·weight·(m if poverty) whose capped expectations give 篇8's rate and poverty share."""
    share = P.TARGET["poverty_admission_share"]
    wanted = P.TARGET["admission_rate_per_year"] * n_res
    base, m = wanted / max(weight.sum(), 1e-9), 1.0
    for _ in range(30):
        lam = base * weight * np.where(poverty, m, 1.0)
        got = truncated_mean(lam)
        a, b = got[poverty].sum(), got[~poverty].sum()
        if a > 0:
            m *= (share / (1 - share)) * b / a
        base *= wanted / max(got.sum(), 1e-9)
    return base * weight * np.where(poverty, m, 1.0)


def admission_rates(pop: Population) -> np.ndarray:
    """Expected admissions per person: residents solved for 篇8's rate and poverty share, employees examples."""
    weight = _age_factor(pop.age) * _exposure(pop)
    resident = pop.insutype == P.RESIDENT
    rates = np.zeros(pop.n)
    rates[resident] = _solve_resident_rates(weight[resident], pop.poverty[resident], int(resident.sum()))
    retired = pop.psn_type == "1201"
    employee = np.where(retired, P.EMPLOYEE_ADMISSION_RATE["retired"], P.EMPLOYEE_ADMISSION_RATE["working"])
    return np.where(resident, rates, employee * _exposure(pop))


def _pick_tiers(rng: np.random.Generator, resident: np.ndarray) -> np.ndarray:
    names = list(P.RESIDENT_TIER_SHARES)
    res = categorical(rng, list(P.RESIDENT_TIER_SHARES.values()), len(resident))
    emp = categorical(rng, [P.EMPLOYEE_TIER_SHARES[t] for t in names], len(resident))
    chosen = np.where(resident, res, emp)
    return np.array([P.TIER_INDEX[t] for t in names], dtype=np.int8)[chosen]


def _lengths_of_stay(rng: np.random.Generator, tier: np.ndarray) -> np.ndarray:
    mean = np.array([P.MEAN_LOS.get(t, 1.0) for t in P.TIERS])[tier]
    return np.clip(1 + rng.poisson(mean - 1), 1, P.MAX_LOS)


def _place_in_segments(rng: np.random.Generator, first: np.ndarray, last: np.ndarray, k: np.ndarray,
                       j: np.ndarray, los: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Admission j of k within [first, last]: its own segment, at least the gap before the next one."""
    width = (last - first + 1) / k
    seg_start = first + np.floor(j * width).astype(np.int64)
    seg_end = first + np.floor((j + 1) * width).astype(np.int64) - 1
    gap = np.where(j < k - 1, P.ADMISSION_GAP_DAYS, 0)
    slack = seg_end - gap - los - seg_start
    start = seg_start + np.floor(rng.random(len(k)) * (np.maximum(slack, 0) + 1)).astype(np.int64)
    return start, slack >= 0


def choose_institutions(rng: np.random.Generator, inst: Institutions, tier: np.ndarray, county: np.ndarray,
                        boost: dict[int, float] | None = None) -> np.ndarray:
    """An institution of the tier for each visit: in the person's county for village/township/county tiers."""
    out = np.full(len(tier), -1, dtype=np.int32)
    for t, name in enumerate(P.TIERS):
        local = name in ("village", "township", "county")
        for ci in (range(len(P.COUNTIES)) if local else (None,)):
            mask = tier == t
            if ci is not None:
                mask &= county == ci
            rows = np.flatnonzero(mask)
            if len(rows) == 0:
                continue
            options = inst.where(name, ci)
            weights = np.ones(len(options))
            if name == "county":
                weights[0] = 2.5  # the people's hospital takes most county admissions
            for index, factor in (boost or {}).items():
                weights[options == index] *= factor
            out[rows] = options[categorical(rng, weights, len(rows))]
    return out


def _doctors(rng: np.random.Generator, doctors: Doctors, inst_idx: np.ndarray) -> np.ndarray:
    return doctors.first_of_inst[inst_idx] + (rng.random(len(inst_idx)) * doctors.count_of_inst[inst_idx]).astype(np.int64)


def _certs(rng: np.random.Generator, n: int) -> np.ndarray:
    return categorical(rng, [w for _, w in P.CERT_TYPES], n).astype(np.int8)


def _fixed_per_day(cat: Catalogue, hosp_lv: np.ndarray) -> np.ndarray:
    bed = np.array([cat.price[cat.first(f"bed:{max(lv, 1)}")] for lv in range(4)])
    nursing = np.array([cat.price[cat.first(f"nursing:{max(lv, 1)}")] for lv in range(4)])
    return bed[hosp_lv] + nursing[hosp_lv]


def _variable_costs(rng: np.random.Generator, mean_total: np.ndarray, fixed: np.ndarray, groups: np.ndarray,
                    sigma: float, factor: np.ndarray) -> np.ndarray:
    """Lognormal variable parts, rescaled per group so that mean(fixed + variable) equals the target mean."""
    draw = np.exp(rng.normal(-sigma * sigma / 2, sigma, len(fixed))) * factor
    out = np.zeros(len(fixed), dtype=np.int64)
    for g in np.unique(groups):
        rows = groups == g
        wanted = mean_total[rows][0] * rows.sum() - fixed[rows].sum()
        scale = max(wanted, 0) / draw[rows].sum() if draw[rows].sum() else 0.0
        out[rows] = np.maximum(np.round(draw[rows] * scale), 100).astype(np.int64)
    return out


def admissions(seed: int, pop: Population, inst: Institutions, doctors: Doctors, cat: Catalogue,
               outlier: int, outlier_factor: float) -> Table:
    rng = stream(seed, "admissions")
    k = np.minimum(rng.poisson(admission_rates(pop)), P.MAX_ADMISSIONS_PER_PERSON)
    psn = np.repeat(np.arange(pop.n), k)
    j = rank_within(psn)
    kk = k[psn]
    resident = pop.insutype[psn] == P.RESIDENT
    tier = _pick_tiers(rng, resident)
    los = _lengths_of_stay(rng, tier)
    start, fits = _place_in_segments(rng, pop.benefit_start[psn], np.full(len(psn), pop.year_end()), kk, j, los)
    keep = np.flatnonzero(fits)
    psn, tier, los, start = psn[keep], tier[keep], los[keep], start[keep]
    inst_idx = choose_institutions(rng, inst, tier, pop.county_idx[psn], {outlier: 3.0})
    hosp_lv = inst.hosp_lv[inst_idx]
    fixed = los * _fixed_per_day(cat, hosp_lv)
    mean = np.array([P.ADMISSION_MEAN_FEN.get(t, 0) for t in P.TIERS])[tier]
    groups = tier.astype(np.int64) * 2 + (pop.insutype[psn] == P.RESIDENT)
    factor = np.where(inst_idx == outlier, outlier_factor, 1.0)
    variable = _variable_costs(rng, mean, fixed, groups, P.ADMISSION_SIGMA, factor)
    n = len(psn)
    return {
        "psn": psn.astype(np.int64), "med_type": np.full(n, 21, dtype=np.int16), "inst": inst_idx,
        "begin": start, "end": start + los, "start_min": rng.integers(0, 1440, n), "cost": fixed + variable,
        "fixed": fixed, "dise": np.full(n, -1, dtype=np.int8), "cert": _certs(rng, n),
        "doctor": _doctors(rng, doctors, inst_idx), "origin": np.full(n, ORGANIC, dtype=np.int16),
    }


def _covered_days(adm: Table, year_start: int) -> np.ndarray:
    """Keys psn·400 + day-of-year for every day of every admission (admission to discharge, inclusive)."""
    los = adm["end"] - adm["begin"] + 1
    psn = np.repeat(adm["psn"], los)
    day = np.repeat(adm["begin"], los) + (np.arange(los.sum()) - np.repeat(np.cumsum(los) - los, los))
    return psn * 400 + (day - year_start)


def _outside_admissions(visits: Table, adm: Table, year_start: int) -> np.ndarray:
    keys = visits["psn"] * 400 + (visits["begin"] - year_start)
    return ~np.isin(keys, _covered_days(adm, year_start))


def _one_visit_a_day(visits: Table, year_start: int) -> np.ndarray:
    keys = visits["psn"] * 400 + (visits["begin"] - year_start)
    _, first = np.unique(keys, return_index=True)
    mask = np.zeros(len(keys), dtype=bool)
    mask[first] = True
    return mask


def _outpatient_tiers(rng: np.random.Generator, resident: np.ndarray) -> np.ndarray:
    res = np.array([P.TIER_INDEX[t] for t in ("village", "township", "county")])[categorical(rng, [0.45, 0.45, 0.10], len(resident))]
    emp = np.array([P.TIER_INDEX[t] for t in ("township", "county", "city")])[categorical(rng, [0.25, 0.45, 0.30], len(resident))]
    return np.where(resident, res, emp).astype(np.int8)


def _consult_fee(cat: Catalogue, hosp_lv: np.ndarray) -> np.ndarray:
    fee = np.array([cat.price[cat.first(f"consult:{max(lv, 1)}")] for lv in range(4)])
    return fee[hosp_lv]


def outpatient(seed: int, pop: Population, inst: Institutions, doctors: Doctors, cat: Catalogue) -> Table:
    rng = stream(seed, "outpatient")
    resident = pop.insutype == P.RESIDENT
    rate = P.OUTPATIENT_CLASH_ALLOWANCE * np.where(resident, P.RESIDENT_OUTPATIENT_RATE,
                    np.where(pop.psn_type == "1201", P.EMPLOYEE_OUTPATIENT_RATE["retired"],
                             P.EMPLOYEE_OUTPATIENT_RATE["working"])) * _exposure(pop)
    k = rng.poisson(rate)
    psn = np.repeat(np.arange(pop.n), k)
    first = pop.benefit_start[psn]
    day = first + np.floor(rng.random(len(psn)) * (pop.year_end() - first + 1)).astype(np.int64)
    res = pop.insutype[psn] == P.RESIDENT
    tier = _outpatient_tiers(rng, res)
    inst_idx = choose_institutions(rng, inst, tier, pop.county_idx[psn])
    fixed = _consult_fee(cat, inst.hosp_lv[inst_idx])
    mean = np.where(res, P.OUTPATIENT_MEAN_FEN[P.RESIDENT], P.OUTPATIENT_MEAN_FEN[P.EMPLOYEE])
    variable = _variable_costs(rng, mean, fixed, res.astype(np.int64), 0.7, np.ones(len(psn)))
    n = len(psn)
    return {
        "psn": psn.astype(np.int64), "med_type": np.full(n, 11, dtype=np.int16), "inst": inst_idx, "begin": day,
        "end": day, "start_min": 480 + rng.integers(0, 540, n), "cost": fixed + variable, "fixed": fixed,
        "dise": np.full(n, -1, dtype=np.int8), "cert": _certs(rng, n), "doctor": _doctors(rng, doctors, inst_idx),
        "origin": np.full(n, ORGANIC, dtype=np.int16),
    }


def chronic(seed: int, pop: Population, inst: Institutions, doctors: Doctors) -> Table:
    """Two prescription visits a year for each filed resident, one in each half of the filing's span."""
    rng = stream(seed, "chronic")
    filed = np.flatnonzero(pop.chronic >= 0)
    psn = np.repeat(filed, P.CHRONIC_VISITS_PER_FILING)
    half = np.tile(np.arange(P.CHRONIC_VISITS_PER_FILING), len(filed))
    first = pop.benefit_start[psn]
    span = (pop.year_end() - first + 1) / P.CHRONIC_VISITS_PER_FILING
    day = first + np.floor((half + rng.random(len(psn))) * span).astype(np.int64)
    tier = np.where(rng.random(len(psn)) < 0.7, P.TIER_INDEX["county"], P.TIER_INDEX["city"]).astype(np.int8)
    inst_idx = choose_institutions(rng, inst, tier, pop.county_idx[psn])
    n = len(psn)
    mean = np.full(n, P.TARGET["chronic_avg_cost"])
    cost = _variable_costs(rng, mean, np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), P.CHRONIC_SIGMA,
                           np.ones(n))
    return {
        "psn": psn.astype(np.int64), "med_type": np.full(n, 14, dtype=np.int16), "inst": inst_idx, "begin": day,
        "end": day, "start_min": 480 + rng.integers(0, 540, n), "cost": cost, "fixed": np.zeros(n, dtype=np.int64),
        "dise": pop.chronic[psn], "cert": _certs(rng, n), "doctor": _doctors(rng, doctors, inst_idx),
        "origin": np.full(n, ORGANIC, dtype=np.int16),
    }


def year_of_activity(seed: int, pop: Population, inst: Institutions, doctors: Doctors, cat: Catalogue,
                     outlier: int, outlier_factor: float) -> Table:
    """All organic claims: admissions, then outpatient and chronic visits clear of admissions and of each other."""
    year_start = day_number(dt.date(pop.year, 1, 1))
    adm = admissions(seed, pop, inst, doctors, cat, outlier, outlier_factor)
    visits = concat([chronic(seed, pop, inst, doctors), outpatient(seed, pop, inst, doctors, cat)])
    visits = take(visits, np.flatnonzero(_outside_admissions(visits, adm, year_start)))
    visits = take(visits, np.flatnonzero(_one_visit_a_day(visits, year_start)))
    return concat([adm, visits])
