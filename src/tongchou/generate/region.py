"""The region's places and designated institutions: counties, hospitals by tier and level, doctors, departments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from tongchou.generate.names import TOWNSHIPS, village_name
from tongchou.generate.params import CITY_COUNTY, COUNTIES, TIER_INDEX, TIERS
from tongchou.generate.util import stream

VILLAGES_PER_TOWNSHIP = 2
DOCTORS = {"village": 2, "township": 8, "county": 30, "city": 40, "province": 40, "outside": 40}
DEPARTMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "village": (("A02", "全科医疗科"),),
    "township": (("A02", "全科医疗科"), ("A03", "内科"), ("A04", "外科"), ("A50", "中医科")),
    "county": (("A03", "内科"), ("A04", "外科"), ("A05", "妇产科"), ("A07", "儿科"), ("A04.06", "骨科"),
               ("A03.05", "心血管内科"), ("A03.06", "神经内科"), ("A03.04", "内分泌科"), ("A50", "中医科"),
               ("A20", "急诊医学科")),
    "tertiary": (("A03", "内科"), ("A04", "外科"), ("A05", "妇产科"), ("A07", "儿科"), ("A04.06", "骨科"),
                 ("A03.05", "心血管内科"), ("A03.06", "神经内科"), ("A03.04", "内分泌科"), ("A03.07", "肾病学专业"),
                 ("A19", "肿瘤科"), ("A10", "眼科"), ("A20", "急诊医学科")),
}
CITY_HOSPITALS = ("绍兴市人民医院", "绍兴市中心医院", "绍兴市中医院", "绍兴第二医院")
PROVINCE_HOSPITALS = ("浙江省人民医院", "浙江大学医学院附属第一医院", "浙江大学医学院附属第二医院", "浙江省肿瘤医院")
OUTSIDE_HOSPITALS = ("复旦大学附属中山医院", "上海交通大学医学院附属瑞金医院", "复旦大学附属肿瘤医院")
PROVINCE_PREFIX, OUTSIDE_PREFIX = "330100", "310100"
# County hospitals at level 3 (the larger counties); the others are level 2.
LEVEL3_COUNTY_HOSPITALS = {"330681", "330604"}


@dataclass(frozen=True)
class Institutions:
    code: list[str]
    name: list[str]
    county: list[str]          # the county keeping its agreement; 越城区 (市本级) for province/outside ones
    tier: np.ndarray           # index into params.TIERS
    hosp_lv: np.ndarray
    county_idx: np.ndarray     # index into COUNTIES, -1 for province/outside
    secret: list[str]

    def __len__(self) -> int:
        return len(self.code)

    def where(self, tier: str, county_idx: int | None = None) -> np.ndarray:
        mask = self.tier == TIER_INDEX[tier]
        if county_idx is not None:
            mask &= self.county_idx == county_idx
        return np.flatnonzero(mask)


@dataclass(frozen=True)
class Doctors:
    code: list[str]
    inst: np.ndarray
    dept_code: list[str]
    dept_name: list[str]
    first_of_inst: np.ndarray  # per institution: index of its first doctor
    count_of_inst: np.ndarray


def institution_secret(seed: int, code: str) -> str:
    """A deterministic signing secret for a synthetic institution (never a real credential)."""
    return hashlib.sha256(f"tongchou-synthetic:{seed}:{code}".encode()).hexdigest()[:32]


def _county_rows(county_idx: int, admdvs: str, name: str, rng: np.random.Generator) -> list[tuple]:
    rows = [(f"{name}人民医院", "county", 3 if admdvs in LEVEL3_COUNTY_HOSPITALS else 2),
            (f"{name}中医院", "county", 2)]
    for township in TOWNSHIPS[admdvs]:
        rows.append((f"{name}{township}镇中心卫生院", "township", 1))
        rows.extend((village_name(rng, township), "village", 1) for _ in range(VILLAGES_PER_TOWNSHIP))
    if admdvs == CITY_COUNTY:
        rows.extend((hospital, "city", 3) for hospital in CITY_HOSPITALS)
    return [(admdvs, county_idx, *row) for row in rows]


def build_institutions(seed: int) -> Institutions:
    rng = stream(0, "institution-names")  # names do not depend on the seed
    rows: list[tuple] = []
    for index, (admdvs, name, _share) in enumerate(COUNTIES):
        rows.extend(_county_rows(index, admdvs, name, rng))
    # Agreements with province and outside hospitals are kept by 市本级, i.e. 越城区 here.
    rows.extend((CITY_COUNTY, -1, name, "province", 3) for name in PROVINCE_HOSPITALS)
    rows.extend((CITY_COUNTY, -1, name, "outside", 3) for name in OUTSIDE_HOSPITALS)
    codes, sequence = [], {}
    for admdvs, _ci, _name, tier, _lv in rows:
        prefix = {"province": PROVINCE_PREFIX, "outside": OUTSIDE_PREFIX}.get(tier, admdvs)
        sequence[prefix] = sequence.get(prefix, 0) + 1
        codes.append(f"H{prefix}{sequence[prefix]:05d}")
    return Institutions(
        code=codes, name=[r[2] for r in rows], county=[r[0] for r in rows],
        tier=np.array([TIER_INDEX[r[3]] for r in rows], dtype=np.int8),
        hosp_lv=np.array([r[4] for r in rows], dtype=np.int8),
        county_idx=np.array([r[1] for r in rows], dtype=np.int16),
        secret=[institution_secret(seed, code) for code in codes],
    )


def _departments_of(tier: str) -> tuple[tuple[str, str], ...]:
    return DEPARTMENTS.get(tier, DEPARTMENTS["tertiary"])


def build_doctors(inst: Institutions) -> Doctors:
    code, owner, dcode, dname, first, count = [], [], [], [], [], []
    for i, inst_code in enumerate(inst.code):
        tier = TIERS[inst.tier[i]]
        departments = _departments_of(tier)
        first.append(len(code))
        count.append(DOCTORS[tier])
        for k in range(DOCTORS[tier]):
            code.append(f"D{inst_code[1:]}{k + 1:03d}")
            owner.append(i)
            dcode.append(departments[k % len(departments)][0])
            dname.append(departments[k % len(departments)][1])
    return Doctors(code, np.array(owner, dtype=np.int32), dcode, dname,
                   np.array(first, dtype=np.int64), np.array(count, dtype=np.int64))
