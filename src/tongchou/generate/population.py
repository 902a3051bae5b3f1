"""The insured population: age, sex, county, scheme, person type, tier, assistance, employer, enrolment,
chronic filings, contribution bases and account balances — all vectorised."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import numpy as np

from tongchou.generate import params as P
from tongchou.generate.names import AGENCIES, employer_names, person_names
from tongchou.generate.util import add_months_vec, categorical, day_number, rank_within, stream

TIER_NAMES = ("", "一档", "二档")
CHRONIC_CODES = tuple(P.CHRONIC_DISEASES)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.array(list("10X98765432"))


@dataclass
class Population:
    year: int
    psn_no: list[str]
    name: list[str]
    id_number: list[str]
    card_no: list[str]
    ecert: list[str]
    county_idx: np.ndarray
    sex: np.ndarray            # "1" male, "2" female
    birth: np.ndarray          # day number
    age: np.ndarray            # whole years on 1 January
    insutype: np.ndarray       # "390" / "310"
    psn_type: np.ndarray
    tier: np.ndarray           # 0 none, 1 一档, 2 二档
    poverty: np.ndarray
    dibao: np.ndarray
    tekun: np.ndarray
    employer: np.ndarray       # index into `employers`, -1 none
    enrol_from: np.ndarray
    benefit_start: np.ndarray
    enrol_kind: np.ndarray
    paid_on: np.ndarray        # day number, -1 when nothing is paid (employees, retirees)
    chronic: np.ndarray        # index into CHRONIC_CODES, -1 none
    continuous_years: np.ndarray
    wage_base: np.ndarray      # monthly contribution base, fen (employees at work)
    acct_balance: np.ndarray   # fen, -1 for residents
    acct_credit: np.ndarray    # the year's account credit, fen
    employers: dict

    @property
    def n(self) -> int:
        return len(self.psn_no)

    def assistance(self) -> np.ndarray:
        """Assistance categories joined by "|" in sorted order (dibao, poverty, tekun)."""
        joined = np.char.add(np.char.add(np.where(self.dibao, "dibao|", ""), np.where(self.poverty, "poverty|", "")),
                             np.where(self.tekun, "tekun|", ""))
        return np.char.rstrip(joined, "|")

    def tier_name(self) -> np.ndarray:
        return np.array(TIER_NAMES)[self.tier]

    def year_end(self) -> int:
        return day_number(dt.date(self.year, 12, 31))


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    band = categorical(rng, [w for _, _, w in P.AGE_BINS], n)
    lo = np.array([b[0] for b in P.AGE_BINS])[band]
    hi = np.array([b[1] for b in P.AGE_BINS])[band]
    return lo + (rng.random(n) * (hi - lo)).astype(np.int64)


def _births(rng: np.random.Generator, age: np.ndarray, newborn: np.ndarray, year: int) -> np.ndarray:
    jan1 = np.array([day_number(dt.date(y, 1, 1)) for y in range(year - 101, year + 1)])
    first = jan1[(year - age - 1) - (year - 101)]
    birth = first + rng.integers(0, 365, len(age))
    return np.where(newborn, day_number(dt.date(year, 1, 1)) + rng.integers(0, 365, len(age)), birth)


def _schemes(rng: np.random.Generator, age: np.ndarray, sex: np.ndarray, newborn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    retired_age = (age >= 60) | ((sex == "2") & (age >= 55))
    working_age = (age >= 20) & ~retired_age
    u = rng.random(len(age))
    working = working_age & (u < P.EMPLOYEE_SHARE_WORKING_AGE) & ~newborn
    retired = retired_age & (u < P.EMPLOYEE_SHARE_RETIRED)
    return working, retired


def _resident_types(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    out = np.full(len(age), "1501", dtype="<U4")
    out[age <= 6] = "1401"
    out[(age >= 7) & (age <= 12)] = "1402"
    out[(age >= 13) & (age <= 15)] = "1403"
    out[(age >= 16) & (age <= 18)] = "1404"
    college = (age >= 19) & (age <= 22) & (rng.random(len(age)) < 0.4)
    out[college] = "1405"
    return out


def _assistance(rng: np.random.Generator, age: np.ndarray, resident: np.ndarray) -> tuple[np.ndarray, ...]:
    weight = np.where(age >= 60, 2.0, 1.0) * resident
    mean = weight[resident].mean() if resident.any() else 1.0
    poverty = rng.random(len(age)) < P.POVERTY_SHARE * weight / mean
    dibao = resident & (rng.random(len(age)) < np.where(poverty, P.DIBAO_IN_POVERTY, P.DIBAO_OTHER))
    tekun = resident & (rng.random(len(age)) < np.where(age >= 60, P.TEKUN_ELDERLY, P.TEKUN_OTHER))
    return poverty & resident, dibao, tekun


def _enrolment(rng: np.random.Generator, year: int, resident: np.ndarray, working: np.ndarray,
               newborn: np.ndarray, birth: np.ndarray) -> tuple[np.ndarray, ...]:
    n = len(resident)
    jan1, dec31 = day_number(dt.date(year, 1, 1)), day_number(dt.date(year, 12, 31))
    late = resident & ~newborn & (rng.random(n) < P.LATE_PAYER_SHARE)
    new_hire = working & (rng.random(n) < P.NEW_HIRE_SHARE)
    on_time_paid = day_number(dt.date(year - 1, 9, 1)) + rng.integers(0, 122, n)
    late_paid = jan1 + 1 + rng.integers(0, 270, n)
    newborn_paid = np.minimum(birth + rng.integers(0, 31, n), dec31)
    paid_on = np.where(late, late_paid, np.where(newborn, newborn_paid, np.where(resident, on_time_paid, -1)))
    hire = jan1 + rng.integers(1, 300, n)
    enrol_from = np.where(late, late_paid, np.where(newborn, birth, np.where(new_hire, hire, jan1)))
    benefit = np.where(late, add_months_vec(late_paid, 3), enrol_from)
    # the store's kinds: employees (new hires too, from their hire date) enrol "on_time" through the employer
    kind = np.where(late, "late", np.where(newborn, "newborn", "on_time"))
    return enrol_from, benefit, kind.astype(str), paid_on


def _chronic(rng: np.random.Generator, age: np.ndarray, resident: np.ndarray) -> np.ndarray:
    weight = np.select([age >= 70, age >= 60, age >= 50, age >= 35], [3.0, 2.0, 1.0, 0.5], 0.0) * resident
    n_res = resident.sum()
    wanted = P.TARGET["chronic_outpatient_rate_per_year"] * n_res / P.CHRONIC_VISITS_PER_FILING
    prob = weight * (wanted / weight.sum()) if weight.sum() else weight
    filed = rng.random(len(age)) < prob
    disease = categorical(rng, list(P.CHRONIC_DISEASES.values()), len(age))
    return np.where(filed, disease, -1).astype(np.int8)


def _employers(rng: np.random.Generator, county_idx: np.ndarray, psn_type: np.ndarray) -> tuple[np.ndarray, dict]:
    employer = np.full(len(county_idx), -1, dtype=np.int32)
    codes, names, counties = [], [], []
    for ci, (admdvs, cname, _share) in enumerate(P.COUNTIES):
        for kind, group_size in (("1101", P.EMPLOYEES_PER_EMPLOYER), ("1102", 20)):
            members = np.flatnonzero((county_idx == ci) & (psn_type == kind))
            if len(members) == 0:
                continue
            count = max(1, len(members) // group_size)
            weights = 1.0 / (np.arange(count) + 1.0) ** 0.8
            start = len(codes)
            employer[members] = start + categorical(rng, weights, len(members))
            if kind == "1101":
                names.extend(employer_names(rng, count, [cname] * count))
            else:
                names.extend(f"{cname}{AGENCIES[k % len(AGENCIES)]}" + (f"第{k // len(AGENCIES) + 1}分局" if k >= len(AGENCIES) else "")
                             for k in range(count))
            # a unified social credit code (GB 32100): 91 enterprise or 11 agency, the county, MA + a sequence,
            # the check character (employers.rules)
            prefix = "91" if kind == "1101" else "11"
            codes.extend(credit_code(f"{prefix}{admdvs}MA{start - _first_of(counties, admdvs) + k + 1:07d}")
                         for k in range(count))
            counties.extend([admdvs] * count)
    return employer, {"code": codes, "name": names, "county": counties}


def credit_code(first17: str) -> str:
    from tongchou.employers.rules import credit_code_check_character
    return first17 + credit_code_check_character(first17)


def _first_of(counties: list[str], admdvs: str) -> int:
    return counties.index(admdvs) if admdvs in counties else len(counties)


def _id_numbers(county_idx: np.ndarray, birth: np.ndarray, sex: np.ndarray) -> list[str]:
    admdvs = np.array([c[0] for c in P.COUNTIES])[county_idx]
    ymd = np.datetime_as_string(birth.astype("datetime64[D]"), unit="D")
    ymd = np.char.replace(ymd, "-", "")
    order = np.lexsort((sex, birth, county_idx))
    rank = np.empty(len(birth), dtype=np.int64)
    keys = county_idx[order].astype(np.int64) * 10**8 + birth[order] * 2 + (sex[order] == "1")
    rank[order] = rank_within(keys)
    seq = rank * 2 + (sex == "1")
    body = np.char.add(np.char.add(admdvs, ymd), np.char.zfill(seq.astype(str), 3))
    digits = body.astype("<U17").view(np.uint32).reshape(-1, 17).astype(np.int64) - ord("0")
    check = ID_CHECK[(digits @ ID_WEIGHTS) % 11]
    return np.char.add(body, check).tolist()


def _account(rng: np.random.Generator, year: int, working: np.ndarray, retired: np.ndarray,
             enrol_from: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(working)
    avg = P.AVERAGE_WAGE_MONTH_FEN
    wage = np.exp(rng.normal(np.log(avg) - 0.125, 0.5, n))
    base = (np.clip(wage, 0.6 * avg, 3.0 * avg) // 100).astype(np.int64) * 100
    base = np.where(working, base, 0)
    months = 12 - (enrol_from.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12)
    from tongchou.generate.util import apply_rate_vec
    credit = np.where(working, apply_rate_vec(base * months, "0.02"), 0)
    credit = np.where(retired, 12 * apply_rate_vec(np.full(n, 300000), "0.028"), credit)
    carry = rng.integers(0, 3001, n) * 100
    balance = np.where(working | retired, carry + credit, -1)
    return base, credit, balance


def card_sn_of(card_no: str) -> str:
    """The card identification code (卡识别码, 32 hex characters) of a synthetic card: derived from the card
    number, so that adding it consumed no random numbers (the region stays what it was)."""
    return hashlib.sha256(f"card_sn:{card_no}".encode()).hexdigest()[:32].upper()


def _certificates(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    card = [f"SB{i:09d}" for i in rng.permutation(n) + 100_000_000]
    token = rng.integers(0, 2**62, n)
    return card, [f"EC{t:016x}" for t in token.tolist()]


def build_population(seed: int, n: int, year: int) -> Population:
    rng = stream(seed, "population")
    county_idx = categorical(rng, [c[2] for c in P.COUNTIES], n).astype(np.int16)
    sex = np.where(rng.random(n) < 0.51, "1", "2")
    newborn = rng.random(n) < P.NEWBORN_SHARE
    age = np.where(newborn, 0, _ages(rng, n))
    birth = _births(rng, age, newborn, year)
    working, retired = _schemes(rng, age, sex, newborn)
    resident = ~(working | retired)
    psn_type = np.where(working, np.where(rng.random(n) < P.CIVIL_SERVANT_SHARE, "1102", "1101"),
                        np.where(retired, "1201", _resident_types(rng, age)))
    tier = np.where(resident, np.where(rng.random(n) < P.TIER2_SHARE, 2, 1), 0).astype(np.int8)
    poverty, dibao, tekun = _assistance(rng, age, resident)
    enrol_from, benefit, kind, paid_on = _enrolment(rng, year, resident, working, newborn, birth)
    chronic = _chronic(rng, age, resident)
    employer, employers = _employers(rng, county_idx, psn_type)
    base, credit, balance = _account(rng, year, working, retired, enrol_from)
    years_res = np.minimum(np.maximum(age, 0), rng.integers(1, 11, n))
    years_emp = np.where(retired, rng.integers(15, 41, n), np.clip(age - 22 - rng.integers(0, 6, n), 0, 40))
    card, ecert = _certificates(rng, n)
    return Population(
        year=year, psn_no=[f"SX{i + 1:09d}" for i in range(n)], name=person_names(rng, sex),
        id_number=_id_numbers(county_idx, birth, sex), card_no=card, ecert=ecert,
        county_idx=county_idx, sex=sex, birth=birth, age=age, insutype=np.where(resident, P.RESIDENT, P.EMPLOYEE),
        psn_type=psn_type, tier=tier, poverty=poverty, dibao=dibao, tekun=tekun, employer=employer,
        enrol_from=enrol_from, benefit_start=benefit, enrol_kind=kind, paid_on=paid_on, chronic=chronic,
        continuous_years=np.where(resident, years_res, years_emp).astype(np.int32), wage_base=base,
        acct_balance=balance, acct_credit=credit, employers=employers,
    )
