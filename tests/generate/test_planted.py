"""The planted supervision patterns: listed in planted.json, present in the data, and only where planted.

Each pattern is detected here from its definition with plain SQL over the output
files; the cases found must be exactly the planted ones (organic activity is
generated clear of every pattern), so the ground truth is complete and exact.
"""

from __future__ import annotations

import json

import pytest

from tongchou.generate.planting import PATTERNS

DETECTORS = {
    "duplicate_charge": """
        SELECT DISTINCT setl_id FROM fee_detail
        GROUP BY setl_id, med_list_codg, fee_ocur_time, cnt, pric HAVING count(*) > 1""",
    "overlapping_admissions": """
        SELECT DISTINCT a.setl_id, b.setl_id FROM claims a JOIN claims b ON a.psn_no = b.psn_no AND a.setl_id < b.setl_id
        WHERE a.med_type = '21' AND b.med_type = '21' AND a.fixmedins_code <> b.fixmedins_code
          AND a.begndate < b.enddate AND b.begndate < a.enddate""",
    "readmission_15d": """
        SELECT DISTINCT a.setl_id, b.setl_id FROM claims a JOIN claims b
            ON a.psn_no = b.psn_no AND a.fixmedins_code = b.fixmedins_code
        WHERE a.med_type = '21' AND b.med_type = '21' AND b.begndate > a.enddate AND b.begndate - a.enddate <= 15""",
    "phantom_bed_days": """
        WITH l AS (SELECT f.setl_id, f.fee_ocur_time,
                          lag(f.fee_ocur_time) OVER (PARTITION BY f.setl_id ORDER BY f.fee_ocur_time) AS prev
                   FROM fee_detail f WHERE f.med_type = '21' AND f.med_list_name NOT LIKE '%床位费')
        SELECT DISTINCT setl_id FROM l WHERE fee_ocur_time - prev >= INTERVAL 72 HOUR""",
    "sex_age_conflict": """
        SELECT DISTINCT f.setl_id FROM fee_detail f JOIN catalogue k ON k.code = f.med_list_codg
        JOIN persons p ON p.psn_no = f.psn_no
        WHERE (k.sex <> '' AND k.sex <> p.sex)
           OR date_sub('year', p.birth_date, CAST(f.fee_ocur_time AS DATE)) NOT BETWEEN k.min_age AND k.max_age""",
    "quantity_above_limit": """
        SELECT DISTINCT f.setl_id FROM fee_detail f JOIN catalogue k ON k.code = f.med_list_codg WHERE f.cnt > k.max_qty""",
    "price_above_cap": """
        SELECT DISTINCT f.setl_id FROM fee_detail f JOIN catalogue k ON k.code = f.med_list_codg
        WHERE k.price_cap IS NOT NULL AND f.pric > k.price_cap""",
    "one_credential_two_institutions_30min": """
        WITH v AS (SELECT DISTINCT f.setl_id, f.fixmedins_code, f.mdtrt_cert_no, c.begntime
                   FROM fee_detail f JOIN claims c USING (setl_id))
        SELECT DISTINCT a.setl_id, b.setl_id FROM v a JOIN v b ON a.mdtrt_cert_no = b.mdtrt_cert_no AND a.setl_id < b.setl_id
        WHERE a.fixmedins_code <> b.fixmedins_code AND abs(epoch(b.begntime) - epoch(a.begntime)) < 30 * 60""",
    "frequent_drug_purchase": """
        WITH d AS (SELECT DISTINCT psn_no, med_list_codg, setl_id, CAST(fee_ocur_time AS DATE) AS day
                   FROM fee_detail WHERE med_list_codg LIKE 'YP%' AND med_type = '11')
        SELECT DISTINCT a.psn_no FROM d a JOIN d b ON a.psn_no = b.psn_no AND a.med_list_codg = b.med_list_codg
        AND b.day BETWEEN a.day AND a.day + 29 GROUP BY a.psn_no, a.med_list_codg, a.setl_id HAVING count(*) >= 4""",
}


@pytest.fixture(scope="module")
def truth(region):
    return json.loads((region / "planted.json").read_text(encoding="utf-8"))


def _planted_keys(truth, pattern):
    keys = set()
    for case in truth["cases"]:
        if case["pattern"] != pattern:
            continue
        if pattern == "frequent_drug_purchase":
            keys.add(case["psn_no"])
        elif "setl_ids" in case:
            keys.add(frozenset(case["setl_ids"]))
        else:
            keys.add(case["setl_id"])
    return keys


def test_every_pattern_is_planted_and_listed(truth):
    assert set(truth["counts"]) == set(PATTERNS)
    assert all(truth["counts"][p] >= 1 for p in PATTERNS)
    assert set(truth["definitions"]) == set(PATTERNS)


def test_planted_rows_are_a_small_share(truth):
    assert truth["share_of_claims"] < 0.01
    assert truth["share_of_fee_lines"] < 0.005


def test_ground_truth_ids_exist(truth, db):
    setl_ids = {s for c in truth["cases"] for s in c.get("setl_ids", [c.get("setl_id")]) if s}
    found = db.execute("SELECT count(*) FROM claims WHERE setl_id IN (SELECT unnest(?::VARCHAR[]))",
                       [sorted(setl_ids)]).fetchone()[0]
    assert found == len(setl_ids)
    sns = {s for c in truth["cases"] for s in c.get("feedetl_sns", [])}
    found = db.execute("SELECT count(*) FROM fee_detail WHERE feedetl_sn IN (SELECT unnest(?::VARCHAR[]))",
                       [sorted(sns)]).fetchone()[0]
    assert found == len(sns)


@pytest.mark.parametrize("pattern", sorted(DETECTORS))
def test_pattern_is_found_exactly_where_planted(pattern, truth, db):
    detected = {row[0] if len(row) == 1 else frozenset(row) for row in db.execute(DETECTORS[pattern]).fetchall()}
    assert detected == _planted_keys(truth, pattern)


def test_outlier_institution_stands_out(truth, db):
    code = next(c["institution"] for c in truth["cases"] if c["pattern"] == "outlier_institution")
    rows = db.execute("""
        SELECT fixmedins_code, avg(medfee_sumamt) AS avg_cost FROM claims
        WHERE med_type = '21' AND admin_tier = 'township' GROUP BY fixmedins_code ORDER BY avg_cost DESC""").fetchall()
    assert rows[0][0] == code
    median = sorted(r[1] for r in rows)[len(rows) // 2]
    assert rows[0][1] > 2 * median
