"""The numbers the synthetic region is built from: 篇8 targets (with their source sentences) and assumptions.

Targets come from seed 004 篇8 (a county's 2018 first-half resident figures) and are
applied to the resident scheme (390). Everything else is an assumption of this
generator, written here once and documented in docs/synthetic-region.md. Money is
integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from tongchou.codes import ADMIN_TIERS, Insutype

REGION = ("330600", "绍兴市")
# seed 000: 绍兴's six pooling units; 市本级 is folded into 越城区 (330602), which also hosts the city hospitals.
COUNTIES: tuple[tuple[str, str, float], ...] = (
    ("330602", "越城区", 0.18),
    ("330603", "柯桥区", 0.22),
    ("330604", "上虞区", 0.16),
    ("330681", "诸暨市", 0.22),
    ("330683", "嵊州市", 0.13),
    ("330624", "新昌县", 0.09),
)
CITY_COUNTY = "330602"
RESIDENT, EMPLOYEE = Insutype.RESIDENT.value, Insutype.EMPLOYEE.value  # plain str for numpy arrays
POLICY_FILES = {RESIDENT: "shaoxing-2018-resident-example.yaml", EMPLOYEE: "shaoxing-2018-employee-example.yaml"}

TIERS = ADMIN_TIERS
TIER_INDEX = MappingProxyType({name: i for i, name in enumerate(TIERS)})

# ---------------------------------------------------------------- 篇8 (seed 004, lines 269–336)
H1_INSURED = 324805
H1_ADMISSIONS = 35149
H1_GENERAL_OUTPATIENT = 63353
H1_CHRONIC_OUTPATIENT = 3604


@dataclass(frozen=True)
class Target:
    name: str
    value: float | int
    source: str


TARGETS: tuple[Target, ...] = (
    Target("admission_rate_per_year", 2 * H1_ADMISSIONS / H1_INSURED,
           "2018年城乡居民医保参保人数预计为324805人 … 住院补偿35149人次（上半年，×2 为全年）"),
    Target("tier_share.township", 0.3314, "乡镇卫生院住院11649人次,占总住院人次的33.14%"),
    Target("tier_share.county", 0.5051, "县级住院17752人次,占总住院人次的50.51%"),
    Target("tier_share.city", 0.0525, "市级医院1848人次,占总住院人次的5.25%"),
    Target("tier_share.province_outside", 0.1110, "省级及省外医疗机构3900人次,占总住院人次的11.1%"),
    Target("avg_cost.township", 198465, "乡镇卫生院住院次均费用1984.65元/人"),
    Target("avg_cost.county", 590483, "县级医院住院次均费用5904.83元/人"),
    Target("avg_cost.city", 820119, "市级医院住院次均费用8201.19元/人"),
    Target("avg_cost.province_outside", 2032567, "省级及省外医院住院次均费用20325.67元/人"),
    Target("poverty_admission_share", 0.3592, "建档立卡贫困户住院12624人次;占总住院人次的35.92%"),
    Target("general_outpatient_rate_per_year", 2 * H1_GENERAL_OUTPATIENT / H1_INSURED, "普通门诊63353人次（上半年）"),
    Target("chronic_outpatient_rate_per_year", 2 * H1_CHRONIC_OUTPATIENT / H1_INSURED,
           "慢性病门诊3604人（上半年；102106 = 35149 + 63353 + 3604，故按人次计）"),
    Target("chronic_avg_cost", 315217, "慢性病门诊次均费用3152.17元/人"),
)
TARGET = MappingProxyType({t.name: t.value for t in TARGETS})

# ---------------------------------------------------------------- assumptions (documented examples)
# Resident admissions by tier: 篇8's "省级及省外" split into province and outside (assumption 3:1).
RESIDENT_TIER_SHARES = MappingProxyType({"township": 0.3314, "county": 0.5051, "city": 0.0525,
                                         "province": 0.0833, "outside": 0.0277})
EMPLOYEE_TIER_SHARES = MappingProxyType({"township": 0.10, "county": 0.40, "city": 0.35,
                                         "province": 0.12, "outside": 0.03})
# Mean total cost per admission by tier, fen (篇8; employees use the same means).
ADMISSION_MEAN_FEN = MappingProxyType({"township": 198465, "county": 590483, "city": 820119,
                                       "province": 2032567, "outside": 2032567})
ADMISSION_SIGMA = 0.75          # lognormal shape of the variable part of an admission's cost
MEAN_LOS = MappingProxyType({"township": 5.0, "county": 8.0, "city": 9.0, "province": 11.0, "outside": 11.0})
MAX_LOS = 30
MAX_ADMISSIONS_PER_PERSON = 4
ADMISSION_GAP_DAYS = 45          # organic admissions of one person are at least this far apart
EMPLOYEE_ADMISSION_RATE = MappingProxyType({"working": 0.10, "retired": 0.28})

RESIDENT_OUTPATIENT_RATE = 2 * H1_GENERAL_OUTPATIENT / H1_INSURED
EMPLOYEE_OUTPATIENT_RATE = MappingProxyType({"working": 1.6, "retired": 3.0})
# Outpatient visits on a day already taken (another visit, an admission) are dropped; this allowance
# makes up for them so the kept visits meet the rate.
OUTPATIENT_CLASH_ALLOWANCE = 1.035
OUTPATIENT_MEAN_FEN = MappingProxyType({RESIDENT: 12000, EMPLOYEE: 22000})
CHRONIC_VISITS_PER_FILING = 2    # one prescription visit in each half of the year
CHRONIC_SIGMA = 0.45

POVERTY_SHARE = 0.10             # of residents (age-skewed); its admission multiplier is solved for 35.92 %
DIBAO_IN_POVERTY, DIBAO_OTHER = 0.20, 0.012
TEKUN_ELDERLY, TEKUN_OTHER = 0.010, 0.001
TIER2_SHARE = 0.30               # residents choosing 二档
LATE_PAYER_SHARE = 0.03          # residents paying after the collection period (3-month waiting period)
NEWBORN_SHARE = 0.008            # persons born in the year (enrolled in the birth year, benefits from birth)
NEW_HIRE_SHARE = 0.02            # employees whose enrolment starts during the year
CIVIL_SERVANT_SHARE = 0.05       # of working employees: psn_type 1102
EMPLOYEE_SHARE_WORKING_AGE = 0.52
EMPLOYEE_SHARE_RETIRED = 0.40
AVERAGE_WAGE_MONTH_FEN = 500000  # example local average wage (5000 yuan a month)
EMPLOYEES_PER_EMPLOYER = 30

CHRONIC_DISEASES = MappingProxyType({"SX-MB03": 0.45, "SX-MB04": 0.35, "SX-MB01": 0.12, "SX-MB02": 0.08})
CERT_TYPES = (("01", 0.25), ("02", 0.15), ("03", 0.60))  # 01 电子凭证, 02 身份证, 03 社会保障卡

# Age pyramid (at 1 January), bins [lo, hi) and weights; 绍兴-like, older than the national mean.
AGE_BINS: tuple[tuple[int, int, float], ...] = (
    (0, 5, 0.045), (5, 15, 0.095), (15, 25, 0.090), (25, 35, 0.140), (35, 45, 0.140),
    (45, 55, 0.170), (55, 65, 0.145), (65, 75, 0.105), (75, 85, 0.053), (85, 100, 0.017),
)
# Relative admission propensity by age band (and female 20–39 for maternity).
AGE_ADMISSION_FACTOR: tuple[tuple[int, float], ...] = (
    (0, 1.2), (5, 0.4), (15, 0.6), (45, 1.0), (60, 1.8), (70, 2.6), (80, 3.2),
)


def planted_per_pattern(insured: int) -> int:
    """How many cases of each supervision pattern are planted: about one per 10 000 insured, 3 to 200."""
    return int(min(200, max(3, insured // 10000)))


def settle_by_default(insured: int) -> bool:
    """Settle with the real engine up to this size; larger regions leave settlement to replay/services."""
    return insured <= 200_000

