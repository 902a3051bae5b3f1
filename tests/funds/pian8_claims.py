"""Test data of the fund report tests: a claims table whose aggregates are those of seed 004 篇8.

篇8 (a county's fund operation analysis, first half of 2018 against the first
half of 2017) gives per institution tier the admissions, the average cost per
admission and the fund paid, and the fund paid of general and chronic
outpatient care. `pian8_groups` turns each of those figures into a group of
claim rows whose sums reproduce it exactly:

- every row of a group has the same `medfee_sumamt` (the seed's average), so
  the tier's average is the seed's to the fen;
- a group's fund paid is spread over its rows to the fen (the first rows take
  the remainder), so the tier's fund paid is the seed's to the fen.

Where the seed is silent the test data make a choice, written beside it:
the split of 省级及省外 into province and outside; the average cost of a
general outpatient visit; which admissions are of poor persons (spread over
township and county hospitals so that the poverty fund paid, 4050.82 and
1669.41 万元, is the seed's); the outpatient fund paid to the fen (1093.356
and 565.965 万元, which round to the seed's 1093.36 and 565.97 and add up to
its total 14547.48).

The seed's 2017 admissions by tier add up to 23978, not its 23277 (=
8872 + 11674 + 2731: the 701 city admissions are missing from its total); the
table holds the 23978 admissions the tiers describe — see the departures
listed in test_fund_operation_seed.py.

Noise rows that the report must leave out: cancelled settlements
(`refd_setl_flag` 1), claims of another county (left out with --county
371525), and claims ending outside both periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

SEED_COUNTY = "371525"
OTHER_COUNTY = "371526"
WAN = 1_000_000  # fen in one 万元


@dataclass(frozen=True)
class Group:
    """`count` claim rows of one kind whose sums are given in fen."""

    year: int
    med_type: str
    admin_tier: str
    poverty: int
    count: int
    medfee_fen: int
    fund_fen: int
    county: str = SEED_COUNTY
    refd: int = 0
    month_from: int = 1  # enddate spread over Jan..Jun unless moved out of the periods


def at_average(year: int, med_type: str, tier: str, poverty: int, count: int, average_fen: int,
               fund_fen: int) -> Group:
    return Group(year, med_type, tier, poverty, count, count * average_fen, fund_fen)


def pian8_groups() -> list[Group]:
    groups = [
        # ---- 2018 H1 -----------------------------------------------------------
        # township 11649 admissions, 1984.65 元/人次, fund 1866.16 万元 (poverty: 6000 rows, 1080 万元)
        at_average(2018, "21", "township", 1, 6000, 198465, 1080 * WAN),
        at_average(2018, "21", "township", 0, 5649, 198465, 1866_16 * WAN // 100 - 1080 * WAN),
        # county 17752 admissions, 5904.83 元/人次, fund 7243.40 万元 (poverty: 6624 rows, 2970.82 万元)
        at_average(2018, "21", "county", 1, 6624, 590483, 2970_82 * WAN // 100),
        at_average(2018, "22", "county", 0, 11128, 590483, (7243_40 - 2970_82) * WAN // 100),
        # city 1848 admissions, 8201.19 元/人次, fund 987.49 万元
        at_average(2018, "21", "city", 0, 1848, 820119, 987_49 * WAN // 100),
        # province and outside 3900 admissions, 20325.67 元/人次, fund 2791.11 万元 (split is ours)
        at_average(2018, "21", "province", 0, 2500, 2032567, 1800 * WAN),
        at_average(2018, "23", "outside", 0, 1400, 2032567, 991_11 * WAN // 100),
        # general outpatient 63353 visits (300.00 元 each: ours), fund 1093.356 万元
        at_average(2018, "11", "village", 0, 63353, 30000, 1093_3560 * WAN // 10000),
        # chronic outpatient 3604 visits, 3152.17 元/人次, fund 565.965 万元
        at_average(2018, "14", "county", 0, 3604, 315217, 565_9650 * WAN // 10000),
        # ---- 2017 H1 -----------------------------------------------------------
        at_average(2017, "21", "township", 1, 3000, 145299, 390 * WAN),
        at_average(2017, "21", "township", 0, 5872, 145299, (1012_35 - 390_00) * WAN // 100),
        at_average(2017, "21", "county", 1, 3750, 530086, 1279_41 * WAN // 100),
        at_average(2017, "21", "county", 0, 7924, 530086, (4105_29 - 1279_41) * WAN // 100),
        at_average(2017, "21", "city", 0, 701, 1042997, 429_78 * WAN // 100),
        at_average(2017, "21", "province", 0, 1700, 1903116, 1300 * WAN),
        at_average(2017, "21", "outside", 0, 1031, 1903116, 741_97 * WAN // 100),
        # general outpatient 31188 visits (400.00 元 each: ours), fund 863.97 万元
        at_average(2017, "11", "township", 0, 31188, 40000, 863_97 * WAN // 100),
        # chronic outpatient 789, 2650.78 元/人次, fund 238.51 万元 (more than the expenses: see departures)
        at_average(2017, "14", "county", 0, 789, 265078, 238_51 * WAN // 100),
    ]
    noise = [
        Group(2018, "21", "county", 0, 50, 50 * 900000, 50 * 700000, refd=1),  # cancelled
        Group(2017, "21", "county", 1, 20, 20 * 900000, 20 * 700000, refd=1),  # cancelled
        Group(2018, "21", "county", 0, 100, 100 * 500000, 100 * 300000, county=OTHER_COUNTY),
        Group(2017, "11", "township", 0, 40, 40 * 10000, 40 * 5000, county=OTHER_COUNTY),
        Group(2018, "21", "city", 0, 30, 30 * 800000, 30 * 600000, month_from=7),  # after the period
        Group(2016, "21", "city", 0, 30, 30 * 800000, 30 * 600000, month_from=12),  # before both
    ]
    return groups + noise


FEN_TO_YUAN = "CAST(CAST({fen} AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2)) AS DECIMAL(18,2))"


def group_select(index: int, group: Group) -> str:
    """SQL for one group's rows, amounts spread to the fen (first rows take the remainder)."""
    medfee_base, medfee_rest = divmod(group.medfee_fen, group.count)
    fund_base, fund_rest = divmod(group.fund_fen, group.count)
    medfee = FEN_TO_YUAN.format(fen=f"({medfee_base} + CASE WHEN i < {medfee_rest} THEN 1 ELSE 0 END)")
    fund = FEN_TO_YUAN.format(fen=f"({fund_base} + CASE WHEN i < {fund_rest} THEN 1 ELSE 0 END)")
    days = 181 if group.month_from == 1 else 28
    return (
        f"SELECT 'S{index:02d}-' || i AS setl_id, 'P{index:02d}-' || (i % 997) AS psn_no, "
        f"'{group.county}' AS county_admdvs, '390' AS insutype, '{group.admin_tier}' AS admin_tier, "
        f"'{group.med_type}' AS med_type, "
        f"CAST(DATE '{group.year}-{group.month_from:02d}-01' + CAST(i % {days} AS INTEGER) AS DATE) AS enddate, "
        f"{group.poverty} AS poverty_flag, {medfee} AS medfee_sumamt, {fund} AS hifp_pay, "
        f"{group.refd} AS refd_setl_flag FROM range({group.count}) t(i)"
    )


def write_claims(groups: list[Group], path: Path) -> Path:
    """Write the groups' rows as CSV (header) or Parquet, chosen by the file suffix."""
    sql = " UNION ALL ".join(group_select(index, group) for index, group in enumerate(groups))
    options = "(FORMAT parquet)" if path.suffix == ".parquet" else "(FORMAT csv, HEADER true)"
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({sql} ORDER BY enddate, setl_id) TO '{path}' {options}")
    return path


FUNDING_2018 = """\
name: 冠县
insured: 324805              # insured persons in the year
per_capita:                  # yuan per insured person, by source
  central_subsidy: 356
  provincial_subsidy: 115.6
  county_subsidy: 18.4
  individual: 210
earmarked_per_capita:        # parts that leave the pooled fund (premiums to insurers)
  critical_illness_and_accident: 60
"""

# Not in the seed: a 2017 funding file for the --compare-funding tests (600 元, 319608 insured).
FUNDING_2017 = """\
name: 冠县
insured: 319608
per_capita:
  central_subsidy: 320
  provincial_subsidy: 90
  county_subsidy: 20
  individual: 170
earmarked_per_capita:
  critical_illness_and_accident: 50
"""
