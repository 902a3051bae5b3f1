"""The output files of `tongchou generate`: determinism, contract columns, split identities, fixture, visits."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from tongchou.generate.pipeline import GenerateOptions, generate
from tongchou.generate.settling import region_registry
from tongchou.settlement.calculator import Calculator

CONTRACT_CLAIM_COLUMNS = (
    "setl_id, psn_no, psn_type, tier, assistance, continuous_years, insutype, insuplc_admdvs, county_admdvs, "
    "fixmedins_code, hosp_lv, admin_tier, med_type, dise_code, accident, begndate, enddate, poverty_flag, "
    "medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, inscp_essential_amt, "
    "act_pay_dedc, hifp_pay, cvlserv_pay, hifes_pay, hifmi_pay, hifob_pay, maf_pay, oth_pay, fund_pay_sumamt, "
    "acct_pay, psn_cash_pay, hosp_part_amt, refd_setl_flag"
).split(", ")
AMOUNTS = CONTRACT_CLAIM_COLUMNS[CONTRACT_CLAIM_COLUMNS.index("medfee_sumamt"):-1]
FEE_COLUMNS = ("setl_id", "mdtrt_id", "feedetl_sn", "fixmedins_code", "psn_no", "fee_ocur_time", "med_list_codg",
               "cnt", "pric", "det_item_fee_sumamt", "bilg_dr_codg", "bilg_dept_codg", "bilg_dept_name",
               "mdtrt_cert_type", "mdtrt_cert_no")
OUTPUTS = ("fixture.yaml", "claims.parquet", "fee_detail.parquet", "visits.jsonl", "planted.json", "calibration.json",
           "persons.parquet", "contributions.parquet", "catalogue.parquet", "doctors.parquet")


def _hashes(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in OUTPUTS}


def test_same_seed_gives_the_same_bytes(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((first, 7), (second, 7), (other, 8)):
        generate(GenerateOptions(out=out, insured=2000, seed=seed, progress=False))
    assert _hashes(first) == _hashes(second)
    assert _hashes(first)["claims.parquet"] != _hashes(other)["claims.parquet"]


def test_claims_table_has_the_contract_columns_with_exact_money(region):
    schema = pq.read_schema(region / "claims.parquet")
    assert schema.names[:len(CONTRACT_CLAIM_COLUMNS)] == CONTRACT_CLAIM_COLUMNS
    for name in AMOUNTS:
        assert str(schema.field(name).type) == "decimal128(18, 2)", name
    fee = pq.read_schema(region / "fee_detail.parquet")
    assert set(FEE_COLUMNS) <= set(fee.names)
    assert str(fee.field("det_item_fee_sumamt").type) == "decimal128(18, 2)"


def test_claims_are_in_replay_order_and_unique(db):
    rows = db.execute("SELECT psn_no, enddate, begndate, setl_id FROM claims").fetchall()
    assert rows == sorted(rows)
    assert db.execute("SELECT count(*) = count(DISTINCT setl_id) FROM claims").fetchone()[0]


def test_split_and_settlement_identities_hold_on_every_row(db):
    broken = db.execute("""
        SELECT count(*) FROM claims WHERE
            medfee_sumamt <> fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt
         OR inscp_essential_amt > inscp_scp_amt
         OR least(fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, inscp_essential_amt) < 0
         OR fund_pay_sumamt <> hifp_pay + cvlserv_pay + hifes_pay + hifmi_pay + hifob_pay + maf_pay + oth_pay
         OR psn_part_amt <> medfee_sumamt - fund_pay_sumamt - hosp_part_amt
         OR psn_part_amt <> acct_pay + psn_cash_pay
         OR poverty_flag <> CASE WHEN contains(assistance, 'poverty') THEN 1 ELSE 0 END
    """).fetchone()[0]
    assert broken == 0


def test_claim_totals_are_the_sums_of_their_fee_lines(db):
    mismatched = db.execute("""
        WITH lines AS (SELECT setl_id, sum(det_item_fee_sumamt) AS total, bool_and(det_item_fee_sumamt = cnt * pric) ok
                       FROM fee_detail GROUP BY setl_id)
        SELECT count(*) FROM claims c LEFT JOIN lines l USING (setl_id)
        WHERE l.total IS NULL OR l.total <> c.medfee_sumamt OR NOT l.ok
    """).fetchone()[0]
    assert mismatched == 0


def test_fixture_has_the_contract_keys_and_validates_against_the_store_schema(region):
    raw = yaml.load((region / "fixture.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    assert raw["region"] == {"admdvs": "330600", "name": "绍兴市"}
    assert {c["admdvs"] for c in raw["counties"]} == {"330602", "330603", "330604", "330681", "330683", "330624"}
    assert {"code", "name", "hosp_lv", "admin_tier", "county", "secret"} <= set(raw["institutions"][0])
    assert all(len(i["code"]) == 12 and i["code"].startswith("H") for i in raw["institutions"])
    assert {"code", "name", "category", "selfpay_prop", "price_cap", "essential_drug"} <= set(raw["catalogue"][0])
    person = raw["persons"][0]
    assert {"psn_no", "id_number", "name", "sex", "birth_date", "county", "psn_type", "assistance", "enrolments",
            "filings"} <= set(person)
    assert {"insutype", "from", "to", "tier"} <= set(person["enrolments"][0])
    assert any(p["filings"] and {"kind", "dise_code", "from", "to"} <= set(p["filings"][0]) for p in raw["persons"])
    store_fixture = pytest.importorskip("tongchou.region.fixture")
    parsed = store_fixture.Fixture.model_validate(raw)
    assert len(parsed.persons) == len(raw["persons"])


def test_visits_settled_by_tongchou_settle_match_the_claims_table(region, db):
    wanted = {row[0] for row in db.execute("SELECT DISTINCT psn_no FROM claims ORDER BY psn_no LIMIT 400").fetchall()}
    lines = [line for line in (region / "visits.jsonl").read_text(encoding="utf-8").splitlines()
             if json.loads(line)["psn_no"] in wanted]
    times = [(json.loads(line)["enddate"], json.loads(line)["setl_id"]) for line in lines]
    assert times == sorted(times)
    calculator = Calculator(region_registry())
    settled = {r["setl_id"]: r for r in calculator.run(lines)}
    assert calculator.errors == 0
    fields = AMOUNTS[:5] + AMOUNTS[6:]
    rows = db.execute(f"SELECT setl_id, {', '.join(fields)} FROM claims WHERE psn_no IN "
                      f"(SELECT unnest(?::VARCHAR[]))", [sorted(wanted)]).fetchall()
    assert len(rows) == len(settled)
    for row in rows:
        got = settled[row[0]]
        assert [Decimal(got[f]) for f in fields] == list(row[1:]), row[0]


def test_admissions_carry_dip_codes_that_group_them(region):
    from tongchou.clearing.dip import match_group
    from tongchou.clearing.rules import load_rules

    claims = pq.read_table(region / "claims.parquet", columns=["med_type", "diag_code", "oprn_code",
                                                               "medfee_sumamt"]).to_pylist()
    assert all(c["diag_code"] is None and c["oprn_code"] is None for c in claims if c["med_type"] != "21")
    admissions = [c for c in claims if c["med_type"] == "21"]
    assert admissions and all(c["diag_code"] for c in admissions)
    dip = load_rules().dip
    groups = [match_group(dip, c["diag_code"], c["oprn_code"] or "") for c in admissions]
    grouped = [g for g in groups if g.code != dip.fallback_group]
    assert len(grouped) >= 0.6 * len(admissions)  # one in ten, and costs no group fits, go to ZH99
    visits = [json.loads(line) for line in (region / "visits.jsonl").read_text().splitlines()]
    assert {v["diag_code"] for v in visits if v["med_type"] == "21"} == {c["diag_code"] for c in admissions}
