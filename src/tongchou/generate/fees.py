"""Fee detail: the item lines of every claim (item, quantity, unit price, amount, time), vectorised.

An admission has a bed line (quantity = days), a nursing line for each day, and
variable lines (drugs, examinations, treatments, surgery, materials) whose
budgets split the claim's variable cost; an outpatient visit has a consultation
line and one to three lines from the general pool; a chronic visit draws from
its disease's pool. Each line's item is drawn among the items whose price fits
its budget, the quantity is the budget over the price, never above the item's
limit; organic prices never exceed a cap and organic items never contradict the
patient's sex or age (restricted items appear only where they fit).
"""

from __future__ import annotations

import numpy as np

from tongchou.generate import params as P
from tongchou.generate.activity import Table, concat
from tongchou.generate.catalogue import Catalogue
from tongchou.generate.population import CHRONIC_CODES, Population
from tongchou.generate.region import Institutions
from tongchou.generate.util import age_on, stream

LINE_BUDGET_FEN = {"township": 12000, "county": 30000, "city": 40000, "province": 90000, "outside": 90000}
DAY = 86400
UNRESTRICTED_KINDS = ("drug", "exam", "treatment", "surgery", "material")


def visit_seconds(claims: Table) -> np.ndarray:
    """The visit (or admission) time as seconds since 1970-01-01, local time."""
    return claims["begin"] * DAY + claims["start_min"] * 60


def discharge_seconds(claims: Table) -> np.ndarray:
    return claims["end"] * DAY + 9 * 3600 + (claims["start_min"] % 120) * 60


def pool_of(cat: Catalogue, name: str) -> np.ndarray:
    """Item indices of a pool, cheapest first. "inpatient" takes every unrestricted clinical item."""
    if name == "inpatient":
        ok = np.isin(np.array(cat.kind), UNRESTRICTED_KINDS) & (cat.sex == "") & (cat.min_age == 0) & (cat.max_age >= 150)
        idx = np.flatnonzero(ok)
        return idx[np.argsort(cat.price[idx], kind="stable")]
    return cat.in_pool(name)


def pick_items(rng: np.random.Generator, cat: Catalogue, pool: np.ndarray, budget: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """For each budget (fen): an item of the pool priced between a tenth of it and it, and the quantity."""
    price = cat.price[pool]
    hi = np.searchsorted(price, budget, side="right")
    lo = np.searchsorted(price, budget / 10.0, side="left")
    span = np.maximum(hi - lo, 0)
    choice = lo + (rng.random(len(budget)) * span).astype(np.int64)
    choice = np.where(span > 0, choice, np.maximum(hi - 1, 0))
    item = pool[choice]
    qty = np.clip(np.round(budget / cat.price[item]), 1, cat.max_qty[item]).astype(np.int64)
    return item, qty


def _lines(claim: np.ndarray, item: np.ndarray, qty: np.ndarray, cat: Catalogue, time: np.ndarray,
           price: np.ndarray | None = None) -> Table:
    price = cat.price[item] if price is None else price
    return {"claim": claim.astype(np.int64), "item": item.astype(np.int32), "qty": qty.astype(np.int64),
            "price": price.astype(np.int64), "time": time.astype(np.int64)}


def _level_item(cat: Catalogue, prefix: str, hosp_lv: np.ndarray) -> np.ndarray:
    table = np.array([cat.first(f"{prefix}:{max(lv, 1)}") for lv in range(4)])
    return table[hosp_lv]


def fixed_lines(rng: np.random.Generator, claims: Table, inst: Institutions, cat: Catalogue) -> Table:
    """Bed and daily nursing lines of admissions; the consultation line of general outpatient visits."""
    hosp_lv = inst.hosp_lv[claims["inst"]]
    start = visit_seconds(claims)
    adm = np.flatnonzero(claims["med_type"] == 21)
    los = (claims["end"] - claims["begin"])[adm]
    bed = _lines(adm, _level_item(cat, "bed", hosp_lv[adm]), los, cat, start[adm])
    day_claim = np.repeat(adm, los)
    day = np.arange(los.sum()) - np.repeat(np.cumsum(los) - los, los)
    morning = (claims["begin"][day_claim] + day) * DAY + 8 * 3600 + rng.integers(0, 7200, len(day_claim))
    nursing_time = np.where(day == 0, start[day_claim] + 1800, morning)
    nursing = _lines(day_claim, _level_item(cat, "nursing", hosp_lv[day_claim]), np.ones(len(day_claim)), cat,
                     nursing_time)
    op = np.flatnonzero(claims["med_type"] == 11)
    consult = _lines(op, _level_item(cat, "consult", hosp_lv[op]), np.ones(len(op)), cat, start[op])
    return concat([bed, nursing, consult])


def _line_counts(claims: Table, inst: Institutions, variable: np.ndarray) -> np.ndarray:
    tier = inst.tier[claims["inst"]]
    budget = np.array([LINE_BUDGET_FEN.get(t, 12000) for t in P.TIERS])[tier]
    adm = np.clip(np.round(variable / budget), 2, 40)
    op = 1 + (variable > 5000) + (variable > 15000)
    chronic = np.clip(np.round(variable / 40000), 2, 5)
    counts = np.select([claims["med_type"] == 21, claims["med_type"] == 14], [adm, chronic], op)
    return np.where(variable > 0, counts, 0).astype(np.int64)


def _pool_names(claims: Table) -> np.ndarray:
    chronic = np.array([f"chronic:{code}" for code in CHRONIC_CODES] + ["general"])[claims["dise"]]
    return np.select([claims["med_type"] == 21, claims["med_type"] == 14], ["inpatient", chronic], "general")


def _line_times(rng: np.random.Generator, claims: Table, claim: np.ndarray, rank: np.ndarray) -> np.ndarray:
    start = visit_seconds(claims)[claim]
    stay = np.maximum(discharge_seconds(claims)[claim] - start - 600, 60)
    inpatient = start + (rng.random(len(claim)) * stay).astype(np.int64)
    outpatient = start + (rank + 1) * 120 + rng.integers(0, 120, len(claim))
    return np.where(claims["med_type"][claim] == 21, inpatient, outpatient)


def variable_lines(rng: np.random.Generator, claims: Table, inst: Institutions, cat: Catalogue) -> Table:
    """Lines whose budgets split each claim's variable cost (cost minus the fixed lines)."""
    variable = claims["cost"] - claims["fixed"]
    counts = _line_counts(claims, inst, variable)
    claim = np.repeat(np.arange(len(variable)), counts)
    rank = np.arange(len(claim)) - np.repeat(np.cumsum(counts) - counts, counts)
    weight = rng.uniform(0.5, 1.5, len(claim))
    total = np.zeros(len(variable))
    np.add.at(total, claim, weight)
    budget = variable[claim] * weight / total[claim]
    pools = _pool_names(claims)[claim]
    item = np.zeros(len(claim), dtype=np.int64)
    qty = np.zeros(len(claim), dtype=np.int64)
    for name in np.unique(pools):
        rows = np.flatnonzero(pools == name)
        item[rows], qty[rows] = pick_items(rng, cat, pool_of(cat, name), budget[rows])
    return _lines(claim, item, qty, cat, _line_times(rng, claims, claim, rank))


def top_up_lines(rng: np.random.Generator, claims: Table, lines: Table, cat: Catalogue, rounds: int = 4) -> Table:
    """Lines that make up what quantity limits left short of each claim's cost (a few rounds)."""
    parts = []
    total = np.zeros(len(claims["cost"]), dtype=np.int64)
    np.add.at(total, lines["claim"], lines["qty"] * lines["price"])
    pools = _pool_names(claims)
    for r in range(rounds):
        short = claims["cost"] - total
        claim = np.flatnonzero(short >= 500)
        if len(claim) == 0:
            break
        item = np.zeros(len(claim), dtype=np.int64)
        qty = np.zeros(len(claim), dtype=np.int64)
        for name in np.unique(pools[claim]):
            rows = np.flatnonzero(pools[claim] == name)
            item[rows], qty[rows] = pick_items(rng, cat, pool_of(cat, name), short[claim][rows].astype(float))
        rank = np.full(len(claim), 6 + r)
        part = _lines(claim, item, qty, cat, _line_times(rng, claims, claim, rank))
        np.add.at(total, claim, part["qty"] * part["price"])
        parts.append(part)
    if parts:
        return concat(parts)
    none = np.zeros(0, dtype=np.int64)
    return _lines(none, none, none, cat, none)


def _addon_rule(pop: Population, claims: Table, pool: str) -> np.ndarray:
    psn = claims["psn"]
    age = age_on(pop.birth[psn], claims["begin"])
    sex = pop.sex[psn]
    rules = {"female": (sex == "2") & (age >= 18) & (age <= 55), "male": (sex == "1") & (age >= 45),
             "child": age <= 14, "newborn": age == 0}
    return rules[pool] & (claims["med_type"] == 11)


ADDON_PROBABILITY = {"female": 0.06, "male": 0.04, "child": 0.15, "newborn": 0.30}


def addon_lines(rng: np.random.Generator, claims: Table, pop: Population, cat: Catalogue) -> Table:
    """Sex- and age-limited items, only for patients they fit (outpatient visits)."""
    parts = []
    for pool, probability in ADDON_PROBABILITY.items():
        eligible = _addon_rule(pop, claims, pool) & (rng.random(len(claims["psn"])) < probability)
        rows = np.flatnonzero(eligible)
        items = pool_of(cat, pool)
        pick = items[rng.integers(0, len(items), len(rows))]
        fits = (cat.min_age[pick] <= age_on(pop.birth[claims["psn"][rows]], claims["begin"][rows]))
        rows, pick = rows[fits], pick[fits]
        parts.append(_lines(rows, pick, np.ones(len(rows)), cat, visit_seconds(claims)[rows] + 900))
    return concat(parts)


def build_lines(seed: int, stage: str, claims: Table, pop: Population, inst: Institutions, cat: Catalogue) -> Table:
    rng = stream(seed, f"fees:{stage}")
    lines = concat([fixed_lines(rng, claims, inst, cat), variable_lines(rng, claims, inst, cat)])
    lines = concat([lines, top_up_lines(rng, claims, lines, cat), addon_lines(rng, claims, pop, cat)])
    lines["amount"] = lines["qty"] * lines["price"]
    lines["planted"] = np.zeros(len(lines["claim"]), dtype=np.int16)
    return lines
