"""Calibration to seed 004 篇8, measured independently from claims.parquet (tolerances: docs/synthetic-region.md)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tongchou.generate.calibration import TOLERANCES, within
from tongchou.generate.params import TARGET

GROUPS = {"township": "('township')", "county": "('county')", "city": "('city')",
          "province_outside": "('province', 'outside')"}


@pytest.fixture(scope="module")
def residents(db, region):
    insured = db.execute("SELECT count(*) FROM persons WHERE insutype = '390'").fetchone()[0]
    return insured


def test_admission_rate(db, residents):
    admissions = db.execute("SELECT count(*) FROM claims WHERE insutype = '390' AND med_type = '21'").fetchone()[0]
    assert within("admission_rate_per_year", admissions / residents, TARGET["admission_rate_per_year"])


@pytest.mark.parametrize("group", GROUPS)
def test_tier_share_and_average_cost(db, group):
    count, total, avg = db.execute(f"""
        SELECT count(*) FILTER (WHERE admin_tier IN {GROUPS[group]}), count(*),
               avg(medfee_sumamt) FILTER (WHERE admin_tier IN {GROUPS[group]})
        FROM claims WHERE insutype = '390' AND med_type = '21'""").fetchone()
    assert within(f"tier_share.{group}", count / total, TARGET[f"tier_share.{group}"])
    assert within(f"avg_cost.{group}", float(Decimal(avg) * 100), TARGET[f"avg_cost.{group}"])


def test_poverty_share_of_admissions(db):
    share = db.execute("SELECT avg(poverty_flag) FROM claims WHERE insutype = '390' AND med_type = '21'").fetchone()[0]
    assert within("poverty_admission_share", share, TARGET["poverty_admission_share"])


def test_outpatient_and_chronic(db, residents):
    general, chronic, chronic_avg = db.execute("""
        SELECT count(*) FILTER (WHERE med_type = '11'), count(*) FILTER (WHERE med_type = '14'),
               avg(medfee_sumamt) FILTER (WHERE med_type = '14')
        FROM claims WHERE insutype = '390'""").fetchone()
    assert within("general_outpatient_rate_per_year", general / residents, TARGET["general_outpatient_rate_per_year"])
    assert within("chronic_outpatient_rate_per_year", chronic / residents, TARGET["chronic_outpatient_rate_per_year"])
    assert within("chronic_avg_cost", float(Decimal(chronic_avg) * 100), TARGET["chronic_avg_cost"])


def test_calibration_json_reports_every_target_within_tolerance(region):
    report = json.loads((region / "calibration.json").read_text(encoding="utf-8"))
    assert {t["name"] for t in report["targets"]} == set(TOLERANCES)
    assert report["all_within"], [t for t in report["targets"] if not t["within"]]
    assert all(t["source"] for t in report["targets"])
