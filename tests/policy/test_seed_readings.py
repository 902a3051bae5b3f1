"""Seed readings a careful reader would correct (issue 16, item 7), checked on the shipped policies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tongchou.policy.registry import Registry
from tongchou.settlement.calculator import Calculator

REPO = Path(__file__).resolve().parents[2]
BASE = {"psn_no": "P", "insutype": "390", "insuplc_admdvs": "999901", "begndate": "2021-04-01",
        "enddate": "2021-04-03", "fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0}


def settle(**claim):
    record, = Calculator(Registry.load()).run([json.dumps({**BASE, **claim}, ensure_ascii=False)])
    assert "error" not in record, record
    return record


def test_a_county_run_level_3_hospital_falls_under_level_2_and_county():
    # 篇9: "二级和县级医疗机构起付线500元，报销比例80%；三级（市属）医疗机构起付线700元，报销比例75%"
    county = settle(setl_id="A", med_type="21", hosp_lv=3, admin_tier="county", medfee_sumamt=10000,
                    inscp_scp_amt=10000)
    assert (county["benefit_line"], county["act_pay_dedc"], county["hifp_pay"]) == ("inpatient_county", "500.00",
                                                                                   "7600.00")  # 9,500 × 80 %
    city = settle(setl_id="B", med_type="21", hosp_lv=3, admin_tier="city", medfee_sumamt=10000, inscp_scp_amt=10000)
    assert (city["benefit_line"], city["act_pay_dedc"], city["hifp_pay"]) == ("inpatient_level3", "700.00", "6975.00")


def test_a_chronic_outpatient_claim_says_the_disease_list_is_not_in_the_source():
    record = settle(setl_id="C", med_type="14", hosp_lv=1, admin_tier="township", dise_code="高血压病",
                    begndate="2021-04-01", enddate="2021-04-01", medfee_sumamt=300, inscp_scp_amt=300)
    assert record["fund_pay_sumamt"] == "0.00" and record["psn_part_amt"] == "300.00"
    text = " ".join(step["text"] for step in record["explanation"])
    assert "30种" in text and "17种" in text and "未列出病种名称" in text and "004 篇9" in text
    assert "不在本政策门诊慢特病病种目录内" not in text


SEEDS = Path("/work/shared/seeds")


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
def test_every_reading_quotes_its_seed_sentence():
    source = "".join(path.read_text(encoding="utf-8") for path in SEEDS.glob("00[34]_*.txt"))
    xx = Registry.load().get("xxdistrict-2021-resident").versions[0]
    changchun = Registry.load().get("changchun-2021-employee").versions[0]
    quotes = [gap.ref.text for gap in xx.not_in_source] + [changchun.personal_account.retiree_rate_transition.ref.text]
    for quote in quotes:
        for sentence in filter(None, quote.split("。")):
            assert sentence.replace("，", ",") in source, sentence


def test_the_changzhutan_due_day_is_an_example():
    rule = yaml.safe_load((REPO / "policies/funds/changzhutan-risk-adjustment.yaml").read_text(encoding="utf-8"))
    assert "示例" in rule["remittance"]["examples"]["due_month_day"]
