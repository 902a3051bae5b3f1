"""Rules, case deadlines, credit scoring and county assessment as data: validation names the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import yaml

from tongchou.supervision import assessment as a
from tongchou.supervision.credit import events_for_decision, events_for_finding, load_scoring, rate
from tongchou.supervision.errors import SupervisionError
from tongchou.supervision.postings import PaidSettlement, allocate, recoverable, recovery_due_entry
from tongchou.supervision.rules import DEFAULT_RULES, load_rules, parse_rules

RAW = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
EXAMPLE_VALUES = a.POLICY_DIR / "county-indicators-example.yaml"


def _with(change):
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    change(data)
    return data


def test_catalogue_has_every_required_rule():
    book = load_rules()
    assert {r.id for r in book.rules} == {
        "duplicate_charge", "overlapping_admissions", "split_admission", "phantom_bed_days", "sex_age_conflict",
        "quantity_above_limit", "price_above_cap", "credential_two_institutions", "outlier_institution",
        "frequent_drug_purchase", "shared_contact_group"}
    for rule in book.rules:
        assert rule.name and rule.definition and rule.source and rule.stages and rule.schemes


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d["rules"][2]["parameters"].update(max_days=0), "rules[2].parameters.max_days"),
    (lambda d: d["rules"][2]["parameters"].update(max_dayz=3), "rules[2].parameters.max_dayz"),
    (lambda d: d["rules"][0].update(id="no_such_rule"), "rules[0].id"),
    (lambda d: d["rules"][1].update(stages=["whenever"]), "rules[1].stages[0]"),
    (lambda d: d["rules"][1].update(schemes=["999"]), "rules[1].schemes"),
    (lambda d: d["rules"][8].update(stages=["during", "post"]), "rules[8]"),
])
def test_rule_errors_name_the_field(change, field):
    with pytest.raises(SupervisionError) as exc:
        parse_rules(_with(change))
    assert exc.value.field == field


def test_recovery_split_is_exact_and_capped():
    paid = [PaidSettlement("S1", "390", "21", "330602", {"hifp_pay": 7001, "hifmi_pay": 2000, "maf_pay": 999}),
            PaidSettlement("S2", "390", "21", "330602", {"hifmi_pay": 5000}, hifmi_insurer="某保险公司")]
    pools = recoverable(paid)
    assert sum(p.amount for p in pools) == 10000  # the insurer's layer is not the fund's to recover
    shares = allocate(3333, pools)
    assert sum(s.amount for s in shares) == 3333
    entry = recovery_due_entry("JG1", "H1", dt.date(2018, 7, 1), shares, "330602")
    assert entry.is_balanced()
    with pytest.raises(Exception) as exc:
        allocate(10001, pools, "recover")
    assert exc.value.field == "recover"


def test_credit_rating_is_a_fold_of_events():
    s = load_scoring()
    day = dt.date(2018, 3, 1)
    events = []
    for i in range(10):  # capped per rule
        events += events_for_finding(s, key=f"k{i}", rule_id="duplicate_charge", rule_name="重复收费", severity="high",
                                     on=day, fixmedins_code="H1", doctor_code=None, psn_no="P1")
    events += events_for_decision(s, case_no="C1", subject_kind="institution", subject_id="H1", on=day,
                                  outcome="recover", fraud=False, recover_fen=2_500_000)
    (rating,) = rate(s, events, 2018)
    assert rating.score == 100 - 12 - 10 - 2 and rating.grade == "B"
    assert rate(s, events, 2019) == []


def test_county_scorecard_and_met_targets(monkeypatch):
    spec = a.load_spec()
    assert sum(i.weight for i in spec.indicators) == 100
    assert [i.name for i in spec.indicators] == ["政策执行", "参保扩面", "缴费水平", "基金征缴", "预算管理", "财政补助",
                                                  "责任承担", "总额预算", "经办服务", "基金监管", "基金支出"]
    assert a.met_targets("330602", 2021, values_path=EXAMPLE_VALUES)
    assert not a.met_targets("330624", 2021, values_path=EXAMPLE_VALUES)
    monkeypatch.setenv(a.VALUES_ENV, str(EXAMPLE_VALUES))
    assert a.met_targets("330602", 2021)
    good = a.read_values(EXAMPLE_VALUES)[("330602", 2021)]
    vetoed = a.scorecard(spec, "330602", 2021, {**good, "policy_execution": 0})
    assert vetoed.total >= spec.pass_score - 15 and not vetoed.met and "政策执行" in vetoed.conclusion()
    partial = a.scorecard(spec, "330602", 2021, {"policy_execution": 1}, {"supervision_cases_finished_pct": Decimal(95)})
    assert not partial.met and "参保扩面" in partial.missing
    assert [l.source for l in partial.lines if l.indicator.id == "supervision"] == ["库"]
    assert "考核" in partial.markdown()
    with pytest.raises(SupervisionError) as exc:
        a.scorecard(spec, "330602", 2021, {"collection": "九十"})
    assert exc.value.field == "330602.2021.collection"


def test_assessment_spec_errors_name_the_field(tmp_path):
    data = yaml.safe_load((a.POLICY_DIR / "county-assessment.yaml").read_text(encoding="utf-8"))
    data["indicators"][0]["weight"] = 16
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SupervisionError) as exc:
        a.load_spec(path)
    assert "100" in exc.value.message
