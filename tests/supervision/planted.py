"""Precision and recall of the rules on planted data: the generator's region (planted.json) and, for
the rule the generator does not plant (shared contact groups), a small planted set of our own written
from the rule's definition."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tongchou.supervision.batch import BatchResult, Inputs, run_batch
from tongchou.supervision.findings import Finding
from tongchou.supervision.rules import RuleBook

# generator pattern → rule id, and what identifies a case
PATTERN_RULE = {
    "duplicate_charge": "duplicate_charge", "overlapping_admissions": "overlapping_admissions",
    "readmission_15d": "split_admission", "phantom_bed_days": "phantom_bed_days", "sex_age_conflict": "sex_age_conflict",
    "quantity_above_limit": "quantity_above_limit", "price_above_cap": "price_above_cap",
    "one_credential_two_institutions_30min": "credential_two_institutions", "outlier_institution": "outlier_institution",
    "frequent_drug_purchase": "frequent_drug_purchase",
}
PAIR_RULES = {"overlapping_admissions", "split_admission", "credential_two_institutions"}


def finding_key(f: Finding):
    if f.rule_id in PAIR_RULES:
        return frozenset({f.setl_id, *f.related_setl_ids})
    if f.rule_id in ("frequent_drug_purchase", "shared_contact_group"):
        return f.psn_no
    if f.rule_id == "outlier_institution":
        return f.fixmedins_code
    return f.setl_id


def truth_key(rule_id: str, case: dict):
    if rule_id in PAIR_RULES:
        return frozenset(case["setl_ids"])
    if rule_id == "frequent_drug_purchase":
        return case["psn_no"]
    if rule_id == "outlier_institution":
        return case["institution"]
    return case["setl_id"]


def measure(found: dict[str, set], truth: dict[str, set], population: dict[str, int]) -> dict[str, dict]:
    out = {}
    for rule_id in sorted(truth):
        f, t = found.get(rule_id, set()), truth[rule_id]
        tp, fp, fn = len(f & t), len(f - t), len(t - f)
        out[rule_id] = {"planted": len(t), "found": len(f), "tp": tp, "fp": fp, "fn": fn,
                        "precision": round(tp / len(f), 4) if f else (1.0 if not t else 0.0),
                        "recall": round(tp / len(t), 4) if t else 1.0,
                        "fp_rate": fp / max(population.get(rule_id, 1), 1)}
    return out


def region_scores(book: RuleBook, region: Path) -> tuple[dict[str, dict], BatchResult]:
    truth_doc = json.loads((region / "planted.json").read_text(encoding="utf-8"))
    result = run_batch(book, Inputs(region / "claims.parquet", region / "fee_detail.parquet",
                                    region / "persons.parquet", region / "catalogue.parquet"), threads=2)
    truth: dict[str, set] = {rule: set() for rule in PATTERN_RULE.values()}
    for case in truth_doc["cases"]:
        rule_id = PATTERN_RULE[case["pattern"]]
        truth[rule_id].add(truth_key(rule_id, case))
    found: dict[str, set] = {}
    for f in result.findings():
        found.setdefault(f.rule_id, set()).add(finding_key(f))
    population = _population(book, result, truth_doc, region)
    return measure(found, truth, population), result


def _population(book: RuleBook, result: BatchResult, truth_doc: dict, region: Path) -> dict[str, int]:
    import duckdb

    with duckdb.connect() as con:
        persons = con.execute(f"SELECT count(DISTINCT psn_no) FROM read_parquet('{region / 'claims.parquet'}')").fetchone()[0]
        institutions = con.execute(
            f"SELECT count(DISTINCT fixmedins_code) FROM read_parquet('{region / 'claims.parquet'}')").fetchone()[0]
    sizes = {"claims": result.rows["claims"], "fee_lines": result.rows["fees"], "persons": persons,
             "institutions": institutions}
    return {r.id: sizes[r.population] for r in book.rules}


# ---------------------------------------------------------------- our own planted set: shared contact groups

def write_contact_set(directory: Path, seed: int = 7, persons: int = 3000, planted_groups: int = 6) -> set[str]:
    """Persons in households of 1–4 sharing a phone, ordinary yearly reimbursements; planted: groups of 3–4
    sharing a phone of whom at least two are among the top reimbursements. Returns the planted persons."""
    rng = random.Random(seed)
    people, claims, planted = [], [], set()
    n = 0
    while n < persons:
        size = rng.choice((1, 1, 2, 2, 3, 4))
        phone = f"13{rng.randrange(10**9):09d}"
        for _ in range(size):
            n += 1
            people.append({"psn_no": f"C{n:06d}", "sex": rng.choice("12"), "birth_date": dt.date(1970, 1, 1), "phone": phone})
    for p in people:
        for k in range(rng.randrange(0, 4)):
            claims.append(_claim(p["psn_no"], len(claims), rng.randrange(1_000, 300_000)))
    for g in range(planted_groups):
        phone = f"199{g:08d}"
        size = 3 + g % 2
        for k in range(size):
            n += 1
            psn = f"G{n:06d}"
            people.append({"psn_no": psn, "sex": "1", "birth_date": dt.date(1960, 1, 1), "phone": phone})
            planted.add(psn)
            amount = 5_000_000 + rng.randrange(1_000_000) if k < 2 else rng.randrange(1_000, 300_000)
            claims.append(_claim(psn, len(claims), amount))
    directory.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(people), directory / "persons.parquet")
    pq.write_table(pa.Table.from_pylist(claims), directory / "claims.parquet")
    return planted


def _claim(psn: str, i: int, fen: int) -> dict:
    day = dt.date(2018, 1, 1) + dt.timedelta(days=i % 360)
    return {"setl_id": f"K{i:07d}", "psn_no": psn, "insutype": "390", "county_admdvs": "330602", "fixmedins_code": "H1",
            "admin_tier": "county", "med_type": "11", "begndate": day, "enddate": day,
            "medfee_sumamt": f"{fen // 100}.{fen % 100:02d}", "fund_pay_sumamt": f"{fen // 100}.{fen % 100:02d}"}
