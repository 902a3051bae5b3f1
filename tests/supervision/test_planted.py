"""Done-when: on a synthetic region with planted patterns, each rule's precision and recall; no rule
fires on the clean part above its documented false-positive rate (rules.yaml)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.supervision.planted import measure, region_scores, write_contact_set
from tongchou.supervision.batch import Inputs, run_batch
from tongchou.supervision.rules import load_rules

BOOK = load_rules()
INSURED = 20_000


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    from tongchou.generate.pipeline import GenerateOptions, generate

    out = tmp_path_factory.mktemp("region")
    generate(GenerateOptions(out=out, insured=INSURED, seed=2018, settle=False, progress=False))
    return out


@pytest.fixture(scope="module")
def screened(region):
    return region_scores(BOOK, region)


@pytest.fixture(scope="module")
def findings_by_rule(screened):
    found: dict[str, list] = {}
    for f in screened[1].findings():
        found.setdefault(f.rule_id, []).append(f)
    return found


@pytest.fixture(scope="module")
def scores(screened):
    measured, _result = screened
    report = os.environ.get("TONGCHOU_SUPERVISION_REPORT")
    if report:
        Path(report).write_text(json.dumps(measured, ensure_ascii=False, indent=2), encoding="utf-8")
    return measured


def test_every_generated_pattern_has_a_rule(scores):
    assert set(scores) == {"duplicate_charge", "overlapping_admissions", "split_admission", "phantom_bed_days",
                           "sex_age_conflict", "quantity_above_limit", "price_above_cap", "credential_two_institutions",
                           "outlier_institution", "frequent_drug_purchase"}


@pytest.mark.parametrize("rule_id", ["duplicate_charge", "overlapping_admissions", "split_admission", "phantom_bed_days",
                                     "sex_age_conflict", "quantity_above_limit", "price_above_cap",
                                     "credential_two_institutions", "outlier_institution", "frequent_drug_purchase"])
def test_recall_and_false_positive_rate(scores, rule_id):
    s = scores[rule_id]
    assert s["planted"] >= 1
    assert s["recall"] == 1.0, s
    assert s["fp_rate"] <= BOOK.rule(rule_id).max_false_positive_rate, s


def test_shared_contact_groups_on_our_planted_set(tmp_path):
    planted = write_contact_set(tmp_path)
    result = run_batch(BOOK, Inputs(tmp_path / "claims.parquet", persons=tmp_path / "persons.parquet"), threads=2,
                       only={"shared_contact_group"})
    found = {f.psn_no for f in result.findings()}
    s = measure({"shared_contact_group": found}, {"shared_contact_group": planted},
                {"shared_contact_group": 3000 + len(planted)})["shared_contact_group"]
    assert s["recall"] == 1.0, s
    assert s["fp_rate"] <= BOOK.rule("shared_contact_group").max_false_positive_rate, s
    assert all("共用联系电话" in f.message for f in result.findings())


def test_finding_messages_name_peer_groups_in_chinese(findings_by_rule):
    outliers = findings_by_rule["outlier_institution"]
    assert outliers and all("同级（" in f.message for f in outliers)
    assert not any(word in f.message for f in outliers for word in ("village", "township", "county", "city",
                                                                     "province", "outside"))
