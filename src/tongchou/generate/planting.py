"""Supervision patterns planted in the organic year, each from its public definition, with ground truth.

Each pattern takes a few claims or persons (disjoint across patterns), changes or
adds claims and fee lines so that exactly the pattern's definition holds, and
records a case. Definitions (docs/synthetic-region.md gives the sources):

- duplicate_charge 重复收费: one claim holds two lines with the same item, time, quantity and price.
- overlapping_admissions 住院时间重叠: one person, two admissions at different institutions overlapping in time.
- readmission_15d 分解住院: a new admission at the same institution 1–15 days after the previous discharge.
- phantom_bed_days 挂床住院: an admission with ≥ 72 hours without any charge other than the bed fee.
- sex_age_conflict 性别/年龄与项目不符: an item limited to the other sex, or to an age the patient is not.
- quantity_above_limit 超量: a line whose quantity exceeds the item's limit per line (`max_qty`).
- price_above_cap 超限价: a line whose unit price exceeds the item's price cap.
- one_credential_two_institutions_30min 同一凭证30分钟内两家机构就诊.
- outlier_institution 机构次均费用异常: an institution whose cost per admission is far above its tier's.
- frequent_drug_purchase 频繁购药: one person buys the same drug ≥ 4 times within 30 days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tongchou.generate import params as P
from tongchou.generate.activity import Table, concat, take
from tongchou.generate.catalogue import Catalogue
from tongchou.generate.fees import DAY, build_lines, pool_of, visit_seconds
from tongchou.generate.population import Population
from tongchou.generate.region import Doctors, Institutions
from tongchou.generate.util import age_on, day_number, stream

PATTERNS = (
    "duplicate_charge", "overlapping_admissions", "readmission_15d", "phantom_bed_days", "sex_age_conflict",
    "quantity_above_limit", "price_above_cap", "one_credential_two_institutions_30min", "outlier_institution",
    "frequent_drug_purchase",
)
ORIGIN = {name: i + 1 for i, name in enumerate(PATTERNS)}
OUTLIER_COST_FACTOR = 2.5
READMISSION_MAX_DAYS = 15
PHANTOM_HOURS = 72
CREDENTIAL_MINUTES = 30
FREQUENT_TIMES, FREQUENT_DAYS = 4, 30


@dataclass
class Planter:
    """The organic year (fixed), the changes made to it, and the claims and lines added by patterns."""

    rng: np.random.Generator
    claims: Table                                       # organic claims; "origin" -1 marks one to drop
    lines: Table                                        # organic lines, sorted by claim
    pop: Population
    inst: Institutions
    doctors: Doctors
    cat: Catalogue
    seed: int
    k: int
    used: np.ndarray                                    # persons already taken by a pattern
    line_start: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    new_claims: list[Table] = field(default_factory=list)
    new_lines: list[Table] = field(default_factory=list)
    n_claims: int = 0
    cases: list[dict[str, Any]] = field(default_factory=list)
    next_uid: int = 0

    def __post_init__(self) -> None:
        order = np.argsort(self.lines["claim"], kind="stable")
        self.lines = take(self.lines, order)
        n = len(self.claims["psn"])
        self.line_start = np.searchsorted(self.lines["claim"], np.arange(n + 1))
        self.dropped = np.zeros(len(self.lines["claim"]), dtype=bool)
        self.n_claims = n
        self.next_uid = len(self.lines["claim"])

    # ------------------------------------------------------------ helpers
    def pick(self, mask: np.ndarray, k: int | None = None) -> np.ndarray:
        """k organic claims among `mask` whose persons no pattern has taken yet; their persons become taken."""
        psn = self.claims["psn"]
        idx = np.flatnonzero(mask & ~self.used[psn])
        _, first = np.unique(psn[idx], return_index=True)
        idx = idx[np.sort(first)]
        chosen = np.sort(self.rng.choice(idx, size=min(k or self.k, len(idx)), replace=False))
        self.used[psn[chosen]] = True
        return chosen

    def organic(self) -> np.ndarray:
        return self.claims["origin"] == 0

    def add_claims(self, new: Table) -> np.ndarray:
        count = len(new["psn"])
        self.new_claims.append(new)
        self.n_claims += count
        return np.arange(self.n_claims - count, self.n_claims)

    def add_lines(self, new: Table, origin: int) -> np.ndarray:
        new = {k: np.asarray(v) for k, v in new.items() if k not in ("amount", "planted", "uid")}
        new["amount"] = new["qty"] * new["price"]
        new["planted"] = np.full(len(new["claim"]), origin, dtype=np.int16)
        new["uid"] = np.arange(self.next_uid, self.next_uid + len(new["claim"]), dtype=np.int64)
        self.next_uid += len(new["claim"])
        self.new_lines.append(new)
        return new["uid"]

    def lines_of(self, claim: int) -> np.ndarray:
        """Rows of an organic claim's (not dropped) lines."""
        rows = np.arange(self.line_start[claim], self.line_start[claim + 1])
        return rows[~self.dropped[rows]]

    def drop_lines(self, rows: np.ndarray) -> None:
        self.dropped[rows] = True

    def new_like(self, rows: np.ndarray, origin: int, **changes: np.ndarray) -> Table:
        new = take(self.claims, rows)
        new["origin"] = np.full(len(rows), origin, dtype=np.int16)
        new.update(changes)
        return new

    def lines_for(self, new: Table, new_rows: np.ndarray, origin: int) -> None:
        lines = build_lines(self.seed, f"planted:{origin}", new, self.pop, self.inst, self.cat)
        lines["claim"] = new_rows[lines["claim"]]
        self.add_lines(lines, origin)

    def case(self, pattern: str, **facts: Any) -> None:
        self.cases.append({"pattern": pattern, **facts})


def _doctor_of(p: Planter, inst_idx: np.ndarray) -> np.ndarray:
    d = p.doctors
    return d.first_of_inst[inst_idx] + (p.rng.random(len(inst_idx)) * d.count_of_inst[inst_idx]).astype(np.int64)


def _admission_cost(p: Planter, inst_idx: np.ndarray, los: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from tongchou.generate.activity import _fixed_per_day

    tier = p.inst.tier[inst_idx]
    fixed = los * _fixed_per_day(p.cat, p.inst.hosp_lv[inst_idx])
    mean = np.array([P.ADMISSION_MEAN_FEN.get(t, 0) for t in P.TIERS])[tier]
    mean_los = np.array([P.MEAN_LOS.get(t, 1.0) for t in P.TIERS])[tier]
    variable = (mean * np.minimum(los / mean_los, 1.0) * p.rng.uniform(0.5, 1.0, len(los))).astype(np.int64)
    return fixed + np.maximum(variable - fixed, 5000), fixed


def _other_institution(p: Planter, rows: np.ndarray) -> np.ndarray:
    """A different institution for each claim: the county hospital of the next county, or a city hospital."""
    county = p.inst.county_idx[p.claims["inst"][rows]]
    out = np.empty(len(rows), dtype=np.int32)
    for i, c in enumerate(county):
        options = p.inst.where("county", (int(c) + 1) % len(P.COUNTIES)) if c >= 0 else p.inst.where("city")
        out[i] = options[0]
    return out


# ---------------------------------------------------------------- line patterns

def plant_duplicate_charge(p: Planter) -> None:
    origin = ORIGIN["duplicate_charge"]
    variable = np.isin(np.array(p.cat.kind)[p.lines["item"]], ("drug", "exam", "treatment"))
    has = np.zeros(len(p.claims["psn"]), dtype=bool)
    has[p.lines["claim"][variable]] = True
    for claim in p.pick(p.organic() & has):
        rows = p.lines_of(claim)
        row = rows[variable[rows]][0]
        uid = p.add_lines(take(p.lines, np.array([row])), origin)[0]
        p.case("duplicate_charge", claim=int(claim), lines=[int(p.lines["uid"][row]), int(uid)],
               item=p.cat.code[p.lines["item"][row]])


def plant_sex_age_conflict(p: Planter) -> None:
    origin = ORIGIN["sex_age_conflict"]
    claims = p.pick(p.organic() & (p.claims["med_type"] == 11))
    psn = p.claims["psn"][claims]
    age = age_on(p.pop.birth[psn], p.claims["begin"][claims])
    for i, claim in enumerate(claims):
        sex = p.pop.sex[psn[i]]
        if i % 2 == 0:
            pool, why = ("female", "限女性项目用于男性") if sex == "1" else ("male", "限男性项目用于女性")
        else:
            pool, why = ("newborn", "限新生儿项目用于非新生儿") if age[i] >= 1 else ("female", "限女性项目用于婴儿")
            if pool == "female" and sex == "2":
                pool, why = "male", "限男性项目用于女婴"
        item = pool_of(p.cat, pool)[0]
        line = {"claim": np.array([claim]), "item": np.array([item], dtype=np.int32), "qty": np.array([1]),
                "price": np.array([p.cat.price[item]]), "time": visit_seconds(p.claims)[[claim]] + 600}
        uid = p.add_lines(line, origin)[0]
        p.case("sex_age_conflict", claim=int(claim), lines=[int(uid)], item=p.cat.code[item], sex=str(sex),
               age=int(age[i]), reason=why)


def plant_quantity_above_limit(p: Planter) -> None:
    origin = ORIGIN["quantity_above_limit"]
    drug = np.array(p.cat.kind)[p.lines["item"]] == "drug"
    has = np.zeros(len(p.claims["psn"]), dtype=bool)
    has[p.lines["claim"][drug]] = True
    for claim in p.pick(p.organic() & has):
        rows = p.lines_of(claim)
        row = rows[drug[rows]][0]
        limit = int(p.cat.max_qty[p.lines["item"][row]])
        p.lines["qty"][row] = limit * int(p.rng.integers(2, 5)) + 1
        p.lines["amount"][row] = p.lines["qty"][row] * p.lines["price"][row]
        p.lines["planted"][row] = origin
        p.case("quantity_above_limit", claim=int(claim), lines=[int(p.lines["uid"][row])],
               item=p.cat.code[p.lines["item"][row]], qty=int(p.lines["qty"][row]), limit=limit)


def plant_price_above_cap(p: Planter) -> None:
    origin = ORIGIN["price_above_cap"]
    capped = p.cat.price_cap[p.lines["item"]] >= 0
    has = np.zeros(len(p.claims["psn"]), dtype=bool)
    has[p.lines["claim"][capped]] = True
    for claim in p.pick(p.organic() & has & (p.claims["med_type"] == 21)):
        rows = p.lines_of(claim)
        row = rows[capped[rows]][0]
        cap = int(p.cat.price_cap[p.lines["item"][row]])
        p.lines["price"][row] = cap + max(100, cap * int(p.rng.integers(20, 51)) // 100)
        p.lines["amount"][row] = p.lines["qty"][row] * p.lines["price"][row]
        p.lines["planted"][row] = origin
        p.case("price_above_cap", claim=int(claim), lines=[int(p.lines["uid"][row])],
               item=p.cat.code[p.lines["item"][row]], price_fen=int(p.lines["price"][row]), cap_fen=cap)


def plant_phantom_bed_days(p: Planter) -> None:
    los = p.claims["end"] - p.claims["begin"]
    bed_items = {p.cat.first(f"bed:{lv}") for lv in (1, 2, 3)}
    for claim in p.pick(p.organic() & (p.claims["med_type"] == 21) & (los >= 8)):
        w = int(p.rng.integers(2, int(los[claim]) - 5))
        lo, hi = (p.claims["begin"][claim] + w) * DAY, (p.claims["begin"][claim] + w + 4) * DAY
        rows = p.lines_of(claim)
        in_gap = rows[(p.lines["time"][rows] >= lo) & (p.lines["time"][rows] < hi)
                      & ~np.isin(p.lines["item"][rows], list(bed_items))]
        nursing = in_gap[np.char.startswith(p.cat.pool[p.lines["item"][in_gap]], "nursing")]
        moved = np.setdiff1d(in_gap, nursing)
        p.lines["time"][moved] = lo - 4 * 3600 + np.arange(len(moved)) * 60
        p.drop_lines(nursing)
        p.case("phantom_bed_days", claim=int(claim), gap_from=int(lo), gap_to=int(hi), hours=96)


# ---------------------------------------------------------------- claim patterns

def _planted_admissions(p: Planter, rows: np.ndarray, origin: int, inst_idx: np.ndarray, begin: np.ndarray,
                        los: np.ndarray) -> np.ndarray:
    cost, fixed = _admission_cost(p, inst_idx, los)
    new = p.new_like(rows, origin, inst=inst_idx, begin=begin, end=begin + los, cost=cost, fixed=fixed,
                     start_min=p.rng.integers(480, 1080, len(rows)), doctor=_doctor_of(p, inst_idx))
    added = p.add_claims(new)
    p.lines_for(new, added, origin)
    return added


def plant_overlapping_admissions(p: Planter) -> None:
    origin = ORIGIN["overlapping_admissions"]
    los = p.claims["end"] - p.claims["begin"]
    rows = p.pick(p.organic() & (p.claims["med_type"] == 21) & (los >= 4))
    begin = p.claims["begin"][rows] + 1 + (p.rng.random(len(rows)) * (los[rows] - 3)).astype(np.int64)
    new_los = np.minimum(p.rng.integers(2, 6, len(rows)), p.claims["end"][rows] - begin)
    added = _planted_admissions(p, rows, origin, _other_institution(p, rows), begin, np.maximum(new_los, 1))
    for a, b in zip(rows, added):
        p.case("overlapping_admissions", claims=[int(a), int(b)])


def plant_readmission(p: Planter) -> None:
    origin = ORIGIN["readmission_15d"]
    last = day_number(dt.date(p.pop.year, 12, 31))
    rows = p.pick(p.organic() & (p.claims["med_type"] == 21) & (p.claims["end"] <= last - 25))
    gap = p.rng.integers(1, READMISSION_MAX_DAYS, len(rows))
    begin = p.claims["end"][rows] + gap
    added = _planted_admissions(p, rows, origin, p.claims["inst"][rows], begin, p.rng.integers(2, 7, len(rows)))
    for a, b, g in zip(rows, added, gap):
        p.case("readmission_15d", claims=[int(a), int(b)], days_after_discharge=int(g))


def plant_credential_two_places(p: Planter) -> None:
    origin = ORIGIN["one_credential_two_institutions_30min"]
    rows = p.pick(p.organic() & (p.claims["med_type"] == 11) & (p.claims["start_min"] < 16 * 60))
    minutes = p.rng.integers(5, CREDENTIAL_MINUTES, len(rows))
    other = _other_institution(p, rows)
    fixed = p.claims["fixed"][rows]
    new = p.new_like(rows, origin, inst=other, start_min=p.claims["start_min"][rows] + minutes,
                     doctor=_doctor_of(p, other), cost=fixed + p.rng.integers(3000, 20000, len(rows)))
    added = p.add_claims(new)
    p.lines_for(new, added, origin)
    for a, b, m in zip(rows, added, minutes):
        p.case("one_credential_two_institutions_30min", claims=[int(a), int(b)], minutes_apart=int(m))


def plant_frequent_purchase(p: Planter) -> None:
    origin = ORIGIN["frequent_drug_purchase"]
    has_admission = np.zeros(p.pop.n, dtype=bool)
    has_admission[p.claims["psn"][p.claims["med_type"] == 21]] = True
    full_year = p.pop.benefit_start <= day_number(dt.date(p.pop.year, 1, 1))
    rows = p.pick(p.organic() & (p.claims["med_type"] == 11) & ~has_admission[p.claims["psn"]]
                  & full_year[p.claims["psn"]])
    drugs = pool_of(p.cat, "general")
    drugs = drugs[np.array(p.cat.kind)[drugs] == "drug"]
    last = day_number(dt.date(p.pop.year, 12, 31))
    for row in rows:
        times = int(p.rng.integers(FREQUENT_TIMES + 1, FREQUENT_TIMES + 4))
        first = min(int(p.claims["begin"][row]), last - FREQUENT_DAYS)
        days = first + np.sort(p.rng.choice(FREQUENT_DAYS, size=times, replace=False))
        _drop_visits_on(p, int(p.claims["psn"][row]), days)
        drug = int(drugs[p.rng.integers(0, len(drugs))])
        base = np.full(times, row)
        inst_idx = np.full(times, p.claims["inst"][row], dtype=np.int32)
        new = p.new_like(base, origin, begin=days, end=days, start_min=p.rng.integers(480, 1000, times),
                         doctor=_doctor_of(p, inst_idx), cost=np.zeros(times, dtype=np.int64))
        added = p.add_claims(new)
        consult = p.lines["item"][p.lines_of(row)][0]
        qty = np.full(times, int(p.rng.integers(2, 4)))
        start = visit_seconds(new)
        lines = {"claim": np.concatenate([added, added]),
                 "item": np.concatenate([np.full(times, consult), np.full(times, drug)]).astype(np.int32),
                 "qty": np.concatenate([np.ones(times, dtype=np.int64), qty]),
                 "price": np.concatenate([np.full(times, p.cat.price[consult]), np.full(times, p.cat.price[drug])]),
                 "time": np.concatenate([start, start + 300])}
        p.add_lines(lines, origin)
        p.case("frequent_drug_purchase", psn=int(p.claims["psn"][row]), claims=[int(a) for a in added],
               item=p.cat.code[drug], times=times, within_days=FREQUENT_DAYS)


def _drop_visits_on(p: Planter, psn: int, days: np.ndarray) -> None:
    """Remove the person's organic outpatient visits on these days (one visit a day stays true)."""
    hit = (p.claims["psn"] == psn) & np.isin(p.claims["begin"], days) & (p.claims["origin"] == 0) \
        & (p.claims["med_type"] != 21)
    p.claims["origin"][hit] = -1


def _clear_planted_stays(claims: Table) -> None:
    """Organic visits inside a planted admission are marked for removal (no visit during a stay)."""
    stays = np.flatnonzero((claims["origin"] > 0) & (claims["med_type"] == 21))
    near = np.flatnonzero(np.isin(claims["psn"], claims["psn"][stays]) & (claims["origin"] == 0)
                          & (claims["med_type"] != 21))
    for row in stays:
        hit = near[(claims["psn"][near] == claims["psn"][row]) & (claims["begin"][near] >= claims["begin"][row])
                   & (claims["begin"][near] <= claims["end"][row])]
        claims["origin"][hit] = -1


def record_outlier(p: Planter, outlier: int) -> None:
    adm = p.claims["med_type"] == 21
    p.case("outlier_institution", institution=p.inst.code[outlier], cost_factor=OUTLIER_COST_FACTOR,
           volume_weight=3.0, claims_count=int((adm & (p.claims["inst"] == outlier)).sum()))


def finish(p: Planter) -> tuple[Table, Table, list[dict[str, Any]]]:
    """All claims and lines; visits marked for removal dropped with their lines; claims renumbered."""
    claims = concat([p.claims, *p.new_claims])
    lines = concat([take(p.lines, np.flatnonzero(~p.dropped)), *p.new_lines])
    _clear_planted_stays(claims)
    keep = np.flatnonzero(claims["origin"] >= 0)
    remap = np.full(len(claims["psn"]), -1, dtype=np.int64)
    remap[keep] = np.arange(len(keep))
    claims = take(claims, keep)
    lines = take(lines, np.flatnonzero(remap[lines["claim"]] >= 0))
    lines["claim"] = remap[lines["claim"]]
    for case in p.cases:
        if "claim" in case:
            case["claim"] = int(remap[case["claim"]])
        if "claims" in case:
            case["claims"] = [int(remap[c]) for c in case["claims"]]
    return claims, lines, p.cases


PLANTERS = (plant_duplicate_charge, plant_sex_age_conflict, plant_quantity_above_limit, plant_price_above_cap,
            plant_phantom_bed_days, plant_overlapping_admissions, plant_readmission, plant_credential_two_places,
            plant_frequent_purchase)


def plant(seed: int, claims: Table, lines: Table, pop: Population, inst: Institutions, doctors: Doctors,
          cat: Catalogue, outlier: int) -> tuple[Table, Table, list[dict[str, Any]]]:
    lines = dict(lines)
    lines["uid"] = np.arange(len(lines["claim"]), dtype=np.int64)
    p = Planter(stream(seed, "planting"), dict(claims), lines, pop, inst, doctors, cat, seed,
                P.planted_per_pattern(pop.n), np.zeros(pop.n, dtype=bool))
    for planter in PLANTERS:
        planter(p)
    record_outlier(p, outlier)
    return finish(p)


def choose_outlier(seed: int, inst: Institutions) -> int:
    """The outlier institution: a township health centre drawn from the seed."""
    options = inst.where("township")
    return int(options[stream(seed, "outlier").integers(0, len(options))])
