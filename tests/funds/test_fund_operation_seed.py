"""`report fund-operation` against seed 004 篇8 (a county, first half of 2018 vs 2017).

The claims table of conftest.py reproduces the seed's per-tier admissions,
average costs and fund paid; the report must give back the seed's figures,
written as the seed writes them (percentages and 万元 with two decimals,
rounded half-up).

Where the report departs from the seed, and why (each asserted below with
the seed's figure beside ours; docs/reports.md lists them too):

1. 2017 admissions: the seed's total 23277 is 8872 + 11674 + 2731, i.e. it
   leaves out its own 701 city admissions; the tiers add up to 23978. So
   our 2017 total visits are 55955 (seed 55254), the 2017 tier shares are of
   23978 (township 37.00 %, seed 38.11 %; county 48.69 %, seed 50.15 %; city
   2.92 %, seed 3.01 %; province and outside 11.39 %, seed 11.73 %; poverty
   28.15 %, seed 28.99 %), and the changes are +46151 visits (seed +46852),
   +11171 admissions (seed +11872), admission growth 46.59 % (seed 51 %).
2. Shares the seed truncates instead of rounding: city admissions 5.26 %
   (5.2576…, seed 5.25); inpatient fund paid 62.00 % of the usable fund
   (61.9995…, seed 61.99); township fund paid 8.98 % (8.9773…, seed 8.97);
   growths: township fund paid 84.34 % (seed 84.33), city fund paid 129.77 %
   (seed 129.76), city average cost −21.37 % (seed −21.36). Elsewhere it
   rounds (county admissions 50.51 % of 50.5049…: we give 50.50 %, the seed
   50.51 — neither rounding nor truncation gives 50.51).
3. The outpatient and chronic "shares of the usable fund" (7.51 %, 3.9 %) are
   shares of the fund paid: of the fund paid they are 7.52 % and 3.89 % (the
   seed truncates the first); of the usable fund 5.26 % and 2.72 %.
4. Overall average cost per admission: the seed's 6171.80 (2018) and
   5445.29 (2017) do not follow from its per-tier counts and averages, which
   give 6326.43 and 5590.90; hence growth 13.16 % (seed 13.34 %).
5. Overrun: the seed writes 39.96 % × 20787.52 = 8306.69 万元 from the rounded
   percentage; the exact projection is 2 × 14547.48… − 20787.52 = 8307.44 万元.
6. 11.1 % (省级及省外 admissions) is 11.0956… = 11.10 % — the seed drops
   the trailing zero, no departure.
7. The seed says poor persons' admissions rose by 3481; its own counts give
   12624 − 6750 = 5874 (which it also writes earlier). Its "住院增长了84.79%"
   is the growth of all visits (46852 / 55254), not of admissions (51.00 %);
   ours is 46151 / 55955 = 82.48 % (departure 1).
8. The seed's 2017 chronic fund paid (238.51 万元) is more than 789 visits ×
   2650.78 元 (209.15 万元): its chronic count is of persons ("3604人"), not
   visits. Our table follows its figures as written.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tongchou.funds.cli import fund_operation_report
from tongchou.funds.documents import render_json
from tongchou.funds.wording import pct, wan_number, two_places

PERIOD = "2018-01-01:2018-06-30"
COMPARE = "2017-01-01:2017-06-30"


@pytest.fixture(scope="module")
def report(pian8_parquet: Path, funding_2018: Path) -> dict:
    return fund_operation_report(pian8_parquet, funding_2018, PERIOD, COMPARE, county="371525")


def wan(amount: Decimal) -> str:
    return str(wan_number(amount))


def test_funding_is_the_seeds(report: dict) -> None:
    funding = report["funding"]
    assert funding["insured"] == 324805
    assert funding["total"] == Decimal("227363500.00")  # 22736.35 万元 = 324805 × 700
    assert wan(funding["total"]) == "22736.35"
    assert wan(funding["earmarked"]) == "1948.83"  # 60 × 324805
    assert wan(funding["usable"]) == "20787.52"
    # the seed's split: fiscal 15915.445 万元 (490 a head), individual 6820.905 万元 (210 a head)
    fiscal = sum(funding["by_source"][s] for s in ("central_subsidy", "provincial_subsidy", "county_subsidy"))
    assert fiscal == Decimal("159154450.00")
    assert funding["by_source"]["individual"] == Decimal("68209050.00")


def test_time_progress_is_half_a_year(report: dict) -> None:
    assert report["period"]["time_progress"] == Decimal("0.5")
    assert report["compare"]["period"]["time_progress"] == Decimal("0.5")


def test_visits_2018(report: dict) -> None:
    visits, inpatient = report["visits"], report["inpatient"]
    assert visits["all"]["count"] == 102106
    assert visits["inpatient"]["count"] == 35149
    assert visits["general_outpatient"]["count"] == 63353
    assert visits["chronic_outpatient"]["count"] == 3604
    tiers = inpatient["by_tier"]
    assert [tiers[t]["count"] for t in ("township", "county", "city")] == [11649, 17752, 1848]
    assert inpatient["tier_groups"]["province_and_outside"]["count"] == 3900
    assert pct(tiers["township"]["share"]) == "33.14%"
    assert pct(inpatient["tier_groups"]["province_and_outside"]["share"]) == "11.10%"  # seed "11.1%"
    assert pct(tiers["city"]["share"]) == "5.26%"  # departure 2: seed 5.25 %
    assert pct(tiers["county"]["share"]) == "50.50%"  # departure 2: seed 50.51 %
    assert inpatient["poverty"]["count"] == 12624
    assert pct(inpatient["poverty"]["share"]) == "35.92%"
    # ratios are unrounded fractions
    assert tiers["township"]["share"] == Decimal(11649) / Decimal(35149)


def test_visits_2017_follow_the_tiers_not_the_seeds_total(report: dict) -> None:
    previous = report["compare"]
    tiers = previous["inpatient"]["by_tier"]
    assert [tiers[t]["count"] for t in ("township", "county", "city")] == [8872, 11674, 701]
    assert previous["inpatient"]["tier_groups"]["province_and_outside"]["count"] == 2731
    seed_total = 23277
    assert seed_total == 8872 + 11674 + 2731  # departure 1: the seed's total leaves out the city
    assert previous["visits"]["inpatient"]["count"] == seed_total + 701
    assert previous["visits"]["all"]["count"] == 55254 + 701
    assert previous["visits"]["general_outpatient"]["count"] == 31188
    assert previous["visits"]["chronic_outpatient"]["count"] == 789
    assert pct(tiers["township"]["share"]) == "37.00%"  # seed 38.11 % of 23277
    assert pct(previous["inpatient"]["poverty"]["share"]) == "28.15%"  # seed 28.99 % of 23277


def test_fund_paid_2018(report: dict) -> None:
    paid, usable = report["fund_paid"], report["funding"]["usable"]
    assert wan(paid["all"]) == "14547.48"
    assert wan(paid["inpatient"]) == "12888.16"
    assert wan(paid["general_outpatient"]) == "1093.36"
    assert wan(paid["chronic_outpatient"]) == "565.97"
    assert pct(report["spending_progress"]) == "69.98%"
    assert report["spending_progress"] == paid["all"] / usable
    tiers = report["inpatient"]["by_tier"]
    assert [wan(tiers[t]["fund_paid"]) for t in ("township", "county", "city")] == ["1866.16", "7243.40", "987.49"]
    group = report["inpatient"]["tier_groups"]["province_and_outside"]
    assert wan(group["fund_paid"]) == "2791.11"
    assert pct(tiers["county"]["fund_paid_share"]) == "34.84%"
    assert pct(tiers["city"]["fund_paid_share"]) == "4.75%"
    assert pct(group["fund_paid_share"]) == "13.43%"
    assert pct(tiers["township"]["fund_paid_share"]) == "8.98%"  # departure 2: seed 8.97 %
    assert pct(paid["inpatient"] / usable) == "62.00%"  # departure 2: seed 61.99 %
    # departure 3: the seed's outpatient and chronic "shares of the usable fund" are of the fund paid
    shares = report["fund_paid_share_of_spending"]
    assert pct(shares["general_outpatient"]) == "7.52%"  # seed 7.51 %
    assert pct(shares["chronic_outpatient"]) == "3.89%"  # seed 3.9 %
    assert pct(paid["general_outpatient"] / usable) == "5.26%"
    assert wan(report["inpatient"]["poverty"]["fund_paid"]) == "4050.82"


def test_fund_paid_2017(report: dict) -> None:
    paid = report["compare"]["fund_paid"]
    assert [wan(paid[k]) for k in ("all", "inpatient", "general_outpatient", "chronic_outpatient")] == [
        "8691.87", "7589.39", "863.97", "238.51"]
    assert "funding" not in report["compare"]  # no --compare-funding
    assert "spending_progress" not in report["compare"]


def test_average_costs(report: dict) -> None:
    tiers, previous = report["inpatient"]["by_tier"], report["compare"]["inpatient"]["by_tier"]
    assert [tiers[t]["avg_medfee"] for t in ("township", "county", "city")] == [
        Decimal("1984.65"), Decimal("5904.83"), Decimal("8201.19")]
    assert report["inpatient"]["tier_groups"]["province_and_outside"]["avg_medfee"] == Decimal("20325.67")
    assert [previous[t]["avg_medfee"] for t in ("township", "county", "city")] == [
        Decimal("1452.99"), Decimal("5300.86"), Decimal("10429.97")]
    assert report["visits"]["chronic_outpatient"]["avg_medfee"] == Decimal("3152.17")
    assert report["compare"]["visits"]["chronic_outpatient"]["avg_medfee"] == Decimal("2650.78")
    # departure 4: the seed's overall averages (6171.80, 5445.29) do not follow from its tiers
    assert report["inpatient"]["avg_medfee"] == Decimal("6326.43")
    assert report["compare"]["inpatient"]["avg_medfee"] == Decimal("5590.90")


def test_year_on_year_change(report: dict) -> None:
    change = report["change"]
    fund = change["fund_paid"]
    assert wan(fund["all"]["delta"]) == "5855.61"
    assert pct(fund["all"]["growth"]) == "67.37%"
    assert (wan(fund["inpatient"]["delta"]), pct(fund["inpatient"]["growth"])) == ("5298.77", "69.82%")
    assert (wan(fund["general_outpatient"]["delta"]), pct(fund["general_outpatient"]["growth"])) == (
        "229.39", "26.55%")
    assert (wan(fund["chronic_outpatient"]["delta"]), pct(fund["chronic_outpatient"]["growth"])) == (
        "327.46", "137.29%")
    tiers = change["inpatient"]["by_tier"]
    assert (wan(tiers["county"]["fund_paid"]["delta"]), pct(tiers["county"]["fund_paid"]["growth"])) == (
        "3138.11", "76.44%")
    assert wan(tiers["township"]["fund_paid"]["delta"]) == "853.81"
    assert pct(tiers["township"]["fund_paid"]["growth"]) == "84.34%"  # departure 2: seed 84.33 %
    assert wan(tiers["city"]["fund_paid"]["delta"]) == "557.71"
    assert pct(tiers["city"]["fund_paid"]["growth"]) == "129.77%"  # departure 2: seed 129.76 %
    group = change["inpatient"]["tier_groups"]["province_and_outside"]
    assert (wan(group["fund_paid"]["delta"]), pct(group["fund_paid"]["growth"])) == ("749.14", "36.69%")
    poverty = change["inpatient"]["poverty"]
    assert (wan(poverty["fund_paid"]["delta"]), pct(poverty["fund_paid"]["growth"])) == ("2381.41", "142.65%")
    assert poverty["count"]["delta"] == 5874  # departure 7: the seed also writes 3481


def test_year_on_year_visits_and_averages(report: dict) -> None:
    change = report["change"]
    tiers = change["inpatient"]["by_tier"]
    assert [tiers[t]["count"]["delta"] for t in ("township", "county", "city")] == [2777, 6078, 1147]
    assert change["inpatient"]["tier_groups"]["province_and_outside"]["count"]["delta"] == 1169
    outpatient = change["visits"]["general_outpatient"]["count"]
    assert (outpatient["delta"], pct(outpatient["growth"])) == (32165, "103.13%")
    assert change["visits"]["chronic_outpatient"]["count"]["delta"] == 2815
    # departure 1: +11171 admissions and +46151 visits (seed +11872 and +46852 against its 23277)
    assert change["visits"]["inpatient"]["count"]["delta"] == 11872 - 701
    assert change["visits"]["all"]["count"]["delta"] == 46852 - 701
    assert pct(change["visits"]["all"]["count"]["growth"]) == "82.48%"  # departure 7: seed 84.79 % of 55254
    averages = {t: tiers[t]["avg_medfee"] for t in ("township", "county", "city")}
    assert (averages["township"]["delta"], pct(averages["township"]["growth"])) == (Decimal("531.66"), "36.59%")
    assert (averages["county"]["delta"], pct(averages["county"]["growth"])) == (Decimal("603.97"), "11.39%")
    assert averages["city"]["delta"] == Decimal("-2228.78")
    assert pct(averages["city"]["growth"]) == "-21.37%"  # departure 2: seed −21.36 %
    group = change["inpatient"]["tier_groups"]["province_and_outside"]["avg_medfee"]
    assert (group["delta"], pct(group["growth"])) == (Decimal("1294.51"), "6.80%")
    chronic = change["visits"]["chronic_outpatient"]["avg_medfee"]
    assert (chronic["delta"], pct(chronic["growth"])) == (Decimal("501.39"), "18.91%")
    # growth is delta / old, unrounded
    assert averages["county"]["growth"] == Decimal("603.97") / Decimal("5300.86")


def test_projection(report: dict) -> None:
    projection = report["projection"]
    assert pct(projection["full_year_share"]) == "139.96%"
    assert projection["full_year_share"] == report["spending_progress"] / report["period"]["time_progress"]
    assert projection["full_year_fund_paid"] == 2 * report["fund_paid"]["all"]
    assert wan(projection["overrun"]) == "8307.44"  # departure 5: seed 8306.69 from 39.96 % rounded
    assert two_places(Decimal("0.3996") * Decimal("20787.52")) == Decimal("8306.69")


def test_warnings_flag_the_overspending(report: dict) -> None:
    by_indicator = {(w["indicator"], w["scope"]): w for w in report["warnings"]}
    spending = by_indicator[("spending_progress", "all")]
    assert spending["status"] == "alarm"
    assert "69.98%" in spending["reason"] and "50.00%" in spending["reason"] and "19.98" in spending["reason"]
    projection = by_indicator[("projection", "all")]
    assert projection["status"] == "alarm" and "139.96%" in projection["reason"]
    assert by_indicator[("inpatient_avg_medfee_growth", "township")]["status"] == "alarm"
    assert by_indicator[("inpatient_avg_medfee_growth", "city")]["status"] == "normal"


def test_json_keeps_every_digit(report: dict) -> None:
    text = render_json(report)
    parsed = json.loads(text, parse_float=Decimal)
    assert parsed["funding"]["usable"] == Decimal("207875200.00")
    assert parsed["spending_progress"] == report["spending_progress"]
    assert parsed["change"]["visits"]["all"]["count"]["growth"] == report["change"]["visits"]["all"]["count"]["growth"]
    assert '"time_progress": 0.5' in text
