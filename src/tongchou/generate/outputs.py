"""The output tables: claims, fee detail, persons, contributions, catalogue, doctors (Arrow), visits.jsonl (DuckDB)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from tongchou.generate import params as P
from tongchou.generate.activity import Table
from tongchou.generate.arrow import dates, ids, ints, money, strings, timestamps, write_parquet
from tongchou.generate.catalogue import Catalogue
from tongchou.generate.population import CHRONIC_CODES, Population, card_sn_of
from tongchou.generate.region import Doctors, Institutions
from tongchou.claims_table import CLAIM_COLUMNS, DIP_COLUMNS
from tongchou.generate.settling import SETTLEMENT_COLUMNS
from tongchou.generate.util import day_number

CLAIM_EXTRAS = ("mdtrt_id", "policy_id", "psn_part_amt", "fixmedins_name", "mdtrt_cert_type", "begntime")
FEE_COLUMNS = ("setl_id", "mdtrt_id", "feedetl_sn", "fixmedins_code", "psn_no", "med_type", "fee_ocur_time",
               "med_list_codg", "med_list_name", "chrgitm_lv", "cnt", "pric", "det_item_fee_sumamt",
               "bilg_dept_codg", "bilg_dept_name", "bilg_dr_codg", "mdtrt_cert_type", "mdtrt_cert_no")
CERT_CODES = np.array([code for code, _ in P.CERT_TYPES])


@dataclass
class Generated:
    """The generated year, claims in setl_id (time) order and lines grouped by claim."""

    seed: int
    year: int
    pop: Population
    inst: Institutions
    doctors: Doctors
    cat: Catalogue
    claims: Table
    lines: Table
    split: dict[str, np.ndarray]
    settlement: dict[str, np.ndarray] | None
    policy_ids: list[str] | None
    cases: list[dict]
    outlier: int
    dip_pairs: list[tuple[str, str]]  # the (diagnosis, procedure) pairs claims["dip"] indexes (-1: none)

    def dip_codes(self, order: np.ndarray | None = None) -> tuple[pa.Array, pa.Array]:
        """Per claim (in `order`), the main diagnosis and main procedure; null where a claim has none."""
        index = self.claims["dip"] if order is None else self.claims["dip"][order]
        none = len(self.dip_pairs)
        index = np.where(index < 0, none, index)
        diag = strings([d for d, _ in self.dip_pairs] + [None], index)
        oprn = strings([o or None for _, o in self.dip_pairs] + [None], index)
        return diag, oprn

    @property
    def n_claims(self) -> int:
        return len(self.claims["psn"])

    def setl_ids(self) -> pa.Array:
        return ids(f"S{self.year}", np.arange(1, self.n_claims + 1), 9)

    def mdtrt_ids(self) -> pa.Array:
        return ids(f"M{self.year}", np.arange(1, self.n_claims + 1), 9)

    def replay_order(self) -> np.ndarray:
        c = self.claims
        return np.lexsort((np.arange(self.n_claims), c["begin"], c["end"], c["psn"]))

    def cert_numbers(self) -> pa.Array:
        """Per claim: the e-voucher token (01), ID number (02) or social-security card number (03)."""
        psn = self.claims["psn"]
        table = pa.chunked_array([self.pop.ecert, self.pop.id_number, self.pop.card_no]).combine_chunks()
        return table.take(pa.array(self.claims["cert"].astype(np.int64) * self.pop.n + psn))


def _county_codes() -> np.ndarray:
    return np.array([c[0] for c in P.COUNTIES])


def _dise_codes(dise: np.ndarray) -> pa.Array:
    """The policy's disease code of a chronic visit (index into CHRONIC_CODES), NULL for -1."""
    return strings(list(CHRONIC_CODES) + [None], np.where(dise < 0, len(CHRONIC_CODES), dise))


def med_types(codes: np.ndarray) -> pa.Array:
    known = np.array([11, 14, 21])
    return strings([str(k) for k in known], np.searchsorted(known, codes))


def claims_table(g: Generated) -> pa.Table:
    """The claims table of docs/reference/contracts.md, rows in replay order (psn_no, enddate, begndate, setl_id)."""
    order = g.replay_order()
    c = {k: v[order] for k, v in g.claims.items()}
    psn, inst = c["psn"], c["inst"]
    split = {k: v[order] for k, v in g.split.items()}
    settled = g.settlement is not None
    cols: dict[str, pa.Array] = {
        "setl_id": g.setl_ids().take(pa.array(order)), "psn_no": strings(g.pop.psn_no, psn),
        "psn_type": strings(g.pop.psn_type.tolist(), psn), "tier": strings(g.pop.tier_name().tolist(), psn),
        "assistance": strings(g.pop.assistance().tolist(), psn),
        "continuous_years": ints(g.pop.continuous_years[psn]), "insutype": strings(g.pop.insutype.tolist(), psn),
        "insuplc_admdvs": pa.array([P.REGION[0]] * len(psn), type=pa.string()),
        "county_admdvs": strings(_county_codes().tolist(), g.pop.county_idx[psn]),
        "fixmedins_code": strings(g.inst.code, inst), "hosp_lv": ints(g.inst.hosp_lv[inst]),
        "admin_tier": strings(list(P.TIERS), g.inst.tier[inst]),
        "med_type": med_types(c["med_type"]), "dise_code": _dise_codes(c["dise"]),
        "accident": ints(np.zeros(len(psn))), "begndate": dates(c["begin"]), "enddate": dates(c["end"]),
        "poverty_flag": ints(g.pop.poverty[psn]),
    }
    for name, values in split.items():
        cols[name] = money(values)
    nulls = np.zeros(len(psn), dtype=bool)
    for name in SETTLEMENT_COLUMNS:
        cols[name] = money(g.settlement[name][order]) if settled else money(np.zeros(len(psn), np.int64), nulls)
    cols["refd_setl_flag"] = ints(np.zeros(len(psn)))
    cols["mdtrt_id"] = g.mdtrt_ids().take(pa.array(order))
    cols["policy_id"] = pa.array([g.policy_ids[i] for i in order] if settled else [None] * len(psn), type=pa.string())
    cols["fixmedins_name"] = strings(g.inst.name, inst)
    cols["mdtrt_cert_type"] = strings(CERT_CODES.tolist(), c["cert"])
    cols["begntime"] = timestamps(c["begin"] * 86400 + c["start_min"] * 60)
    cols["diag_code"], cols["oprn_code"] = g.dip_codes(order)
    names = list(CLAIM_COLUMNS) + list(CLAIM_EXTRAS) + list(DIP_COLUMNS)
    return pa.table({name: cols[name] for name in names})


def fee_detail_table(g: Generated) -> pa.Table:
    lines = g.lines
    claim = lines["claim"]
    inst = g.claims["inst"][claim]
    doctor = g.claims["doctor"][claim]
    cat = g.cat
    level = np.searchsorted(np.array(["A", "B", "C"]), cat.category)[lines["item"]]
    mdtrt = g.mdtrt_ids()
    return pa.table({
        "setl_id": g.setl_ids().take(pa.array(claim)), "mdtrt_id": mdtrt.take(pa.array(claim)),
        "feedetl_sn": feedetl_sns(g), "fixmedins_code": strings(g.inst.code, inst),
        "psn_no": strings(g.pop.psn_no, g.claims["psn"][claim]),
        "med_type": med_types(g.claims["med_type"][claim]),
        "fee_ocur_time": timestamps(lines["time"]), "med_list_codg": strings(cat.code, lines["item"]),
        "med_list_name": strings(cat.name, lines["item"]), "chrgitm_lv": strings(["01", "02", "03"], level),
        "cnt": ints(lines["qty"]), "pric": money(lines["price"]), "det_item_fee_sumamt": money(lines["amount"]),
        "bilg_dept_codg": strings(g.doctors.dept_code, doctor), "bilg_dept_name": strings(g.doctors.dept_name, doctor),
        "bilg_dr_codg": strings(g.doctors.code, doctor),
        "mdtrt_cert_type": strings(CERT_CODES.tolist(), g.claims["cert"][claim]),
        "mdtrt_cert_no": g.cert_numbers().take(pa.array(claim)),
    })


def line_numbers(g: Generated) -> np.ndarray:
    """1, 2, … within each claim (lines are sorted by claim, then time)."""
    from tongchou.generate.util import rank_within

    return rank_within(g.lines["claim"]) + 1


def feedetl_sns(g: Generated) -> pa.Array:
    """mdtrt_id + "-" + the line number (4 digits): unique within the visit and overall."""
    mdtrt = g.mdtrt_ids().take(pa.array(g.lines["claim"]))
    import pyarrow.compute as pc

    number = pc.utf8_lpad(pa.array(line_numbers(g)).cast(pa.string()), 4, "0")
    return pc.binary_join_element_wise(mdtrt, number, "-")


def write_claims(g: Generated, out: Path, csv: bool) -> int:
    table = claims_table(g)
    write_parquet(table, out / "claims.parquet")
    if csv:
        pacsv.write_csv(table, out / "claims.csv")
    return table.num_rows


def write_fee_detail(g: Generated, out: Path) -> int:
    table = fee_detail_table(g)
    write_parquet(table, out / "fee_detail.parquet")
    return table.num_rows


# ---------------------------------------------------------------- visits.jsonl

VISITS_SQL = """
COPY (
  WITH items AS (
    SELECT claim, list(struct_pack(
        code := code, category := category, amount := CAST(amount AS VARCHAR), qty := qty,
        price := CAST(price AS VARCHAR), price_cap := CAST(price_cap AS VARCHAR),
        selfpay_prop := selfpay_prop, essential_drug := essential_drug) ORDER BY line_no) AS items
    FROM lines GROUP BY claim)
  SELECT c.setl_id, c.mdtrt_id, c.psn_no, c.insutype, c.insuplc_admdvs, c.med_type,
         c.begndate, c.enddate, c.hosp_lv, c.admin_tier, c.dise_code, c.fixmedins_code, c.county_admdvs,
         c.mdtrt_cert_type, c.diag_code, c.oprn_code,
         struct_pack(psn_type := c.psn_type, birth_date := c.birth_date,
                     assistance := CASE WHEN c.assistance = '' THEN []::VARCHAR[] ELSE string_split(c.assistance, '|') END,
                     tier := c.tier, continuous_years := c.continuous_years, county := c.county_admdvs,
                     acct_balance := CAST(c.acct_balance AS VARCHAR)) AS person,
         i.items
  FROM claims c JOIN items i ON i.claim = c.claim
  ORDER BY c.claim
) TO '{path}' (FORMAT JSON)
"""


def _visit_claims(g: Generated) -> pa.Table:
    c, pop = g.claims, g.pop
    psn = c["psn"]
    balance = pop.acct_balance[psn]
    diag, oprn = g.dip_codes()
    return pa.table({
        "claim": pa.array(np.arange(g.n_claims)), "setl_id": g.setl_ids(), "mdtrt_id": g.mdtrt_ids(),
        "diag_code": diag, "oprn_code": oprn,
        "psn_no": strings(pop.psn_no, psn), "insutype": strings(pop.insutype.tolist(), psn),
        "insuplc_admdvs": pa.array([P.REGION[0]] * len(psn)), "med_type": med_types(c["med_type"]),
        "begndate": dates(c["begin"]), "enddate": dates(c["end"]), "hosp_lv": ints(g.inst.hosp_lv[c["inst"]]),
        "admin_tier": strings(list(P.TIERS), g.inst.tier[c["inst"]]),
        "dise_code": _dise_codes(c["dise"]),
        "fixmedins_code": strings(g.inst.code, c["inst"]),
        "county_admdvs": strings(_county_codes().tolist(), pop.county_idx[psn]),
        "mdtrt_cert_type": strings(CERT_CODES.tolist(), c["cert"]),
        "psn_type": strings(pop.psn_type.tolist(), psn), "birth_date": dates(pop.birth[psn]),
        "assistance": strings(pop.assistance().tolist(), psn),
        "tier": strings([t or None for t in pop.tier_name().tolist()], psn),
        "continuous_years": ints(pop.continuous_years[psn]), "acct_balance": money(balance, balance >= 0),
    })


def _visit_lines(g: Generated) -> pa.Table:
    item, cat = g.lines["item"], g.cat
    cap = cat.price_cap[item]
    props = [p for p in cat.selfpay_prop]
    return pa.table({
        "claim": pa.array(g.lines["claim"]), "line_no": ints(line_numbers(g)), "code": strings(cat.code, item),
        "category": strings(cat.category.tolist(), item), "amount": money(g.lines["amount"]),
        "qty": pa.array(g.lines["qty"]), "price": money(g.lines["price"]), "price_cap": money(cap, cap >= 0),
        "selfpay_prop": strings(props, item), "essential_drug": pa.array(cat.essential[item]),
    })


def write_visits(g: Generated, out: Path) -> int:
    """visits.jsonl in the `tongchou settle` input format, ordered by time (setl_id order)."""
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        con.execute("SET preserve_insertion_order = true")
        con.register("claims", _visit_claims(g))
        con.register("lines", _visit_lines(g))
        path = str(out / "visits.jsonl").replace("'", "''")
        con.execute(VISITS_SQL.format(path=path))
    finally:
        con.close()
    return g.n_claims


# ---------------------------------------------------------------- side tables

def persons_table(g: Generated) -> pa.Table:
    pop = g.pop
    end = day_number(dt.date(pop.year, 12, 31))
    employer = np.array(pop.employers["code"] + [""])[pop.employer]
    dise = np.array(list(CHRONIC_CODES) + [""])[pop.chronic]
    balance = pop.acct_balance
    return pa.table({
        "psn_no": pop.psn_no, "name": pop.name, "id_number": pop.id_number, "sex": pop.sex.tolist(),
        "birth_date": dates(pop.birth), "county": _county_codes()[pop.county_idx].tolist(),
        "psn_type": pop.psn_type.tolist(), "assistance": pop.assistance().tolist(), "insutype": pop.insutype.tolist(),
        "tier": pop.tier_name().tolist(), "employer": employer.tolist(), "enrol_kind": pop.enrol_kind.tolist(),
        "enrol_from": dates(pop.enrol_from), "enrol_to": dates(np.full(pop.n, end)),
        "benefit_start": dates(pop.benefit_start), "chronic_dise_code": dise.tolist(),
        "continuous_years": ints(pop.continuous_years), "account_balance": money(balance, balance >= 0),
        "card_no": pop.card_no, "card_sn": [card_sn_of(card) for card in pop.card_no], "ecert_token": pop.ecert,
    })


def contributions_table(g: Generated, individual: dict[str, int], subsidy: int) -> pa.Table:
    """One row per contributing person: residents' individual part and subsidy, employees' two shares."""
    pop = g.pop
    resident = pop.insutype == P.RESIDENT
    tier = pop.tier_name()
    own = np.array([individual.get(t, 0) for t in tier.tolist()], dtype=np.int64)
    late, newborn = pop.enrol_kind == "late", pop.enrol_kind == "newborn"
    indiv = np.where(resident, np.where(newborn, 0, np.where(late, own + subsidy, own)), 0)
    gov = np.where(resident & ~late & ~newborn, subsidy, 0)
    months = np.where(pop.wage_base > 0, 12 - (pop.enrol_from.astype("datetime64[D]").astype("datetime64[M]")
                                              .astype(np.int64) % 12), 0)
    from tongchou.generate.util import apply_rate_vec

    employer = apply_rate_vec(pop.wage_base * months, "0.08")
    employee = apply_rate_vec(pop.wage_base * months, "0.02")
    rows = np.flatnonzero(resident | (pop.wage_base > 0))
    paid = np.where(pop.paid_on >= 0, pop.paid_on, pop.enrol_from)
    return pa.table({
        "psn_no": strings(pop.psn_no, rows), "insutype": pop.insutype[rows].tolist(), "year": ints(np.full(len(rows), pop.year)),
        "kind": pop.enrol_kind[rows].tolist(), "tier": tier[rows].tolist(), "paid_on": dates(paid[rows]),
        "individual_amt": money(np.where(resident, indiv, employee)[rows]), "subsidy_amt": money(gov[rows]),
        "employer_amt": money(np.where(resident, 0, employer)[rows]), "base_month": money(pop.wage_base[rows]),
        "months": ints(months[rows]), "account_credit": money(pop.acct_credit[rows]),
    })


def catalogue_table(cat: Catalogue) -> pa.Table:
    cap = cat.price_cap
    return pa.table({
        "code": cat.code, "name": cat.name, "kind": cat.kind, "category": cat.category.tolist(),
        "selfpay_prop": pa.array(cat.selfpay_prop, type=pa.string()), "price": money(cat.price),
        "price_cap": money(cap, cap >= 0), "essential_drug": pa.array(cat.essential), "max_qty": ints(cat.max_qty),
        "sex": cat.sex.tolist(), "min_age": ints(cat.min_age), "max_age": ints(cat.max_age), "pool": cat.pool.tolist(),
    })


def doctors_table(g: Generated) -> pa.Table:
    d = g.doctors
    return pa.table({"code": d.code, "fixmedins_code": strings(g.inst.code, d.inst), "dept_code": d.dept_code,
                     "dept_name": d.dept_name})


def write_side_tables(g: Generated, out: Path, individual: dict[str, int], subsidy: int) -> None:
    write_parquet(persons_table(g), out / "persons.parquet")
    write_parquet(contributions_table(g, individual, subsidy), out / "contributions.parquet")
    write_parquet(catalogue_table(g.cat), out / "catalogue.parquet")
    write_parquet(doctors_table(g), out / "doctors.parquet")
