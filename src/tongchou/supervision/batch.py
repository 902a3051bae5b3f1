"""Screening after the fact (事后): every post-stage rule as DuckDB SQL over the claims table and the
fee-detail table (and, when given, the persons and catalogue tables), producing findings.

    run_batch(book, Inputs(claims=..., fees=..., persons=..., catalogue=...)) -> BatchResult

Inputs are CSV, Parquet or a directory of Parquet (tongchou.claims_table.scan_expression): the
claims table of docs/reference/contracts.md (plus `begntime` when known), the fee detail in national field
names (setl_id, feedetl_sn, fee_ocur_time, med_list_codg, med_list_name, cnt, pric,
det_item_fee_sumamt, bilg_dr_codg), persons (psn_no, sex, birth_date, phone) and the catalogue
(code, price_cap, max_qty, max_qty_day, max_qty_stay, sex, min_age, max_age). A rule whose table
or column is missing is skipped with the reason. Refunded/cancelled settlements (refd_setl_flag=1)
are left out.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tongchou.claims_table import flag_expression, quote_identifier, scan_expression
from tongchou.supervision.errors import SupervisionError
from tongchou.supervision.findings import Finding
from tongchou.supervision.rules import Rule, RuleBook
from tongchou.supervision.sql import MACROS, REQUIRES, RULE_SQL

FINDING_SCHEMA = pa.schema([
    ("rule_id", pa.string()), ("rule_name", pa.string()), ("severity", pa.string()), ("blocking", pa.bool_()),
    ("stage", pa.string()), ("setl_id", pa.string()), ("related_setl_ids", pa.list_(pa.string())),
    ("psn_no", pa.string()), ("fixmedins_code", pa.string()), ("doctor_code", pa.string()),
    ("feedetl_sns", pa.list_(pa.string())), ("county", pa.string()), ("amount_fen", pa.int64()),
    ("message", pa.string()), ("evidence", pa.string()),
])
OUTPUT_COLUMNS = ("setl_id", "related_setl_ids", "psn_no", "fixmedins_code", "doctor_code", "feedetl_sns", "county",
                  "amount_fen", "message", "evidence")


@dataclass(frozen=True)
class Inputs:
    claims: Path
    fees: Path | None = None
    persons: Path | None = None
    catalogue: Path | None = None


@dataclass
class BatchResult:
    table: pa.Table                                   # FINDING_SCHEMA
    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # input rows: claims, fees

    def findings(self) -> list[Finding]:
        return [finding_of_row(row) for row in self.table.to_pylist()]


def finding_of_row(row: dict[str, Any]) -> Finding:
    evidence = row.get("evidence")
    return Finding(
        rule_id=row["rule_id"], rule_name=row["rule_name"], severity=row["severity"], blocking=bool(row["blocking"]),
        stage=row["stage"], message=row["message"], setl_id=row.get("setl_id"), psn_no=row.get("psn_no"),
        fixmedins_code=row.get("fixmedins_code"), doctor_code=row.get("doctor_code"), county=row.get("county"),
        amount=int(row.get("amount_fen") or 0), related_setl_ids=tuple(x for x in row.get("related_setl_ids") or () if x),
        feedetl_sns=tuple(x for x in row.get("feedetl_sns") or () if x),
        evidence=json.loads(evidence) if isinstance(evidence, str) else (evidence or {}))


# ---------------------------------------------------------------- normalised input tables

def _columns(con: duckdb.DuckDBPyConnection, scan: str) -> dict[str, str]:
    return {name: str(kind).upper() for name, kind, *_ in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}


def _cast(cols: dict[str, str], name: str, sql_type: str) -> str:
    """The column as `sql_type`, NULL when absent or empty: typed columns are cast directly, text (and
    floats, through their shortest text) via trimmed text, so amounts never pass through DOUBLE."""
    if name not in cols:
        return f"CAST(NULL AS {sql_type})"
    column = quote_identifier(name)
    kind = cols[name]
    if kind.startswith("VARCHAR") or kind in ("DOUBLE", "FLOAT", "REAL"):
        return f"CAST(NULLIF(trim(CAST({column} AS VARCHAR)), '') AS {sql_type})"
    return f"CAST({column} AS {sql_type})"


def _text(cols: dict[str, str], name: str) -> str:
    if name not in cols:
        return "CAST(NULL AS VARCHAR)"
    column = quote_identifier(name)
    return f"NULLIF(CAST({column} AS VARCHAR), '')" if not cols[name].startswith("VARCHAR") else f"NULLIF(trim({column}), '')"


def _decimal(cols: dict[str, str], name: str, scale: int = 2) -> str:
    return _cast(cols, name, f"DECIMAL(18,{scale})")


def _int(cols: dict[str, str], name: str) -> str:
    return _cast(cols, name, "INTEGER")


def _date(cols: dict[str, str], name: str) -> str:
    return _cast(cols, name, "DATE")


def _timestamp(cols: dict[str, str], name: str) -> str:
    return _cast(cols, name, "TIMESTAMP")


CLAIM_REQUIRED = ("setl_id", "psn_no", "insutype", "fixmedins_code", "med_type", "begndate", "enddate")
FEE_REQUIRED = ("setl_id", "med_list_codg", "cnt", "pric")


def _require(cols: dict[str, str], names: tuple[str, ...], option: str) -> None:
    missing = [n for n in names if n not in cols]
    if missing:
        raise SupervisionError(option, f"{option} 缺少列：{', '.join(missing)}")


def prepare(con: duckdb.DuckDBPyConnection, inputs: Inputs, book: RuleBook) -> dict[str, Any]:
    """Create claims_v, fees_v, persons_v, items_v, sv_dx_limits; returns what is available."""
    con.execute(MACROS)
    available: dict[str, Any] = {}
    scan = scan_expression(inputs.claims, "--claims", SupervisionError)
    cols = _columns(con, scan)
    _require(cols, CLAIM_REQUIRED, "--claims")
    refund = flag_expression("refd_setl_flag", cols.get("refd_setl_flag"))
    medfee = _decimal(cols, "medfee_sumamt")
    fund = _decimal(cols, "fund_pay_sumamt")
    con.execute(f"""
        CREATE OR REPLACE TABLE claims_v AS SELECT
            {_text(cols, 'setl_id')} AS setl_id, {_text(cols, 'psn_no')} AS psn_no, {_text(cols, 'insutype')} AS insutype,
            coalesce({_text(cols, 'county_admdvs')}, {_text(cols, 'insuplc_admdvs')}) AS county,
            {_text(cols, 'fixmedins_code')} AS fixmedins_code, {_text(cols, 'admin_tier')} AS admin_tier,
            {_int(cols, 'hosp_lv')} AS hosp_lv, {_text(cols, 'med_type')} AS med_type,
            upper({_text(cols, 'dise_code')}) AS dise_code,
            {_date(cols, 'begndate')} AS begndate, {_date(cols, 'enddate')} AS enddate,
            {_timestamp(cols, 'begntime')} AS begntime,
            coalesce(fen({medfee}), 0) AS medfee_fen, fen({fund}) AS fund_fen,
            coalesce(fen({fund}), fen({medfee}), 0) AS reimb_fen
        FROM {scan} WHERE NOT {refund}""")
    available["claims_v"] = con.execute("SELECT count(*) FROM claims_v").fetchone()[0]
    if inputs.fees is not None:
        scan = scan_expression(inputs.fees, "--fees", SupervisionError)
        fcols = _columns(con, scan)
        _require(fcols, FEE_REQUIRED, "--fees")
        amount = (f"fen({_decimal(fcols, 'det_item_fee_sumamt')})" if "det_item_fee_sumamt" in fcols
                  else f"fen({_decimal(fcols, 'cnt', 4)} * {_decimal(fcols, 'pric', 6)})")
        con.execute(f"""
            CREATE OR REPLACE TABLE fees_v AS SELECT
                f.setl_id, f.feedetl_sn, c.psn_no, c.fixmedins_code, c.med_type, c.insutype, c.county, c.begndate,
                f.t, f.code, coalesce(f.name, '') AS name, f.qty, f.price, f.amount_fen, f.doctor_code
            FROM (SELECT {_text(fcols, 'setl_id')} AS setl_id, {_text(fcols, 'feedetl_sn')} AS feedetl_sn,
                         {_timestamp(fcols, 'fee_ocur_time')} AS t, {_text(fcols, 'med_list_codg')} AS code,
                         {_text(fcols, 'med_list_name')} AS name, {_decimal(fcols, 'cnt', 4)} AS qty,
                         {_decimal(fcols, 'pric', 6)} AS price, coalesce({amount}, 0) AS amount_fen,
                         {_text(fcols, 'bilg_dr_codg')} AS doctor_code FROM {scan}) f
            JOIN claims_v c USING (setl_id)""")
        available["fees_v"] = con.execute("SELECT count(*) FROM fees_v").fetchone()[0]
    if inputs.persons is not None:
        scan = scan_expression(inputs.persons, "--persons", SupervisionError)
        pcols = _columns(con, scan)
        _require(pcols, ("psn_no",), "--persons")
        con.execute(f"""
            CREATE OR REPLACE TABLE persons_v AS SELECT {_text(pcols, 'psn_no')} AS psn_no, {_text(pcols, 'sex')} AS sex,
                {_date(pcols, 'birth_date')} AS birth_date, {_text(pcols, 'phone')} AS phone FROM {scan}""")
        available["persons_v"] = True
        if "phone" in pcols:
            available["phone"] = True
    if inputs.catalogue is not None:
        scan = scan_expression(inputs.catalogue, "--catalogue", SupervisionError)
        kcols = _columns(con, scan)
        _require(kcols, ("code",), "--catalogue")
        con.execute(f"""
            CREATE OR REPLACE TABLE items_v AS SELECT DISTINCT ON (code) * FROM (SELECT
                {_text(kcols, 'code')} AS code, {_decimal(kcols, 'price_cap', 6)} AS price_cap,
                {_decimal(kcols, 'max_qty', 4)} AS max_qty, {_decimal(kcols, 'max_qty_day', 4)} AS max_qty_day,
                {_decimal(kcols, 'max_qty_stay', 4)} AS max_qty_stay, {_text(kcols, 'sex')} AS sex,
                {_int(kcols, 'min_age')} AS min_age, {_int(kcols, 'max_age')} AS max_age FROM {scan})""")
        available["items_v"] = True
    limits = []
    for rule in book.rules:
        if rule.id == "sex_age_conflict":
            limits = [(d.prefix, d.name, d.sex, d.min_age, d.max_age) for d in rule.params.diagnosis_limits]
    con.execute("CREATE OR REPLACE TABLE sv_dx_limits (prefix VARCHAR, name VARCHAR, sex VARCHAR, min_age INTEGER, "
                "max_age INTEGER)")
    if limits:
        con.executemany("INSERT INTO sv_dx_limits VALUES (?, ?, ?, ?, ?)", limits)
    return available


# ---------------------------------------------------------------- running the rules

PARAM = re.compile(r"\$([a-z_]+)")
TABLE_NAMES = {"fees_v": "费用明细表（--fees）", "items_v": "目录表（--catalogue）", "persons_v": "参保人表（--persons）",
               "phone": "参保人表的联系电话列 phone"}


def rule_sql(book: RuleBook, rule: Rule) -> tuple[str, dict[str, Any]]:
    """The rule's statement and its named parameters."""
    params = rule.params.model_dump()
    sql = RULE_SQL[rule.id]
    if rule.id == "outlier_institution":
        sql = sql.replace("{peer_key}", params["peer_key"])  # a validated Literal: admin_tier or hosp_lv
    if rule.id == "frequent_drug_purchase":
        sql = sql.replace("{last_day}", str(int(params["window_days"]) - 1)).replace("{window_days}",
                                                                                    str(int(params["window_days"])))
    values = {"schemes": list(rule.schemes), "inpatient": list(book.inpatient_med_types)}
    for name, value in params.items():
        values[name] = list(value) if isinstance(value, tuple) else value
    used = set(PARAM.findall(sql))
    return sql, {name: values[name] for name in used}


def run_rule(con: duckdb.DuckDBPyConnection, book: RuleBook, rule: Rule) -> pa.Table:
    sql, params = rule_sql(book, rule)
    body = con.sql(f"SELECT {', '.join(OUTPUT_COLUMNS)} FROM ({sql})", params=params).to_arrow_table()
    n = body.num_rows
    meta = {"rule_id": pa.array([rule.id] * n, pa.string()), "rule_name": pa.array([rule.name] * n, pa.string()),
            "severity": pa.array([rule.severity] * n, pa.string()), "blocking": pa.array([False] * n, pa.bool_()),
            "stage": pa.array(["post"] * n, pa.string())}
    columns = {**meta, **{name: body.column(name) for name in OUTPUT_COLUMNS}}
    return pa.table({f.name: columns[f.name].cast(f.type) for f in FINDING_SCHEMA}, schema=FINDING_SCHEMA)


def run_batch(book: RuleBook, inputs: Inputs, *, threads: int | None = None, memory_limit: str | None = None,
              only: set[str] | None = None) -> BatchResult:
    con = duckdb.connect()
    try:
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit:
            con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET preserve_insertion_order = false")
        con.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        available = prepare(con, inputs, book)
        result = BatchResult(pa.Table.from_pylist([], schema=FINDING_SCHEMA))
        result.seconds["prepare"] = round(time.perf_counter() - started, 3)
        result.rows = {"claims": int(available["claims_v"]), "fees": int(available.get("fees_v", 0))}
        parts = []
        for rule in book.active("post"):
            if only and rule.id not in only:
                continue
            missing = [t for t in REQUIRES.get(rule.id, ()) if t not in available]
            if missing:
                result.skipped[rule.id] = "缺少" + "、".join(TABLE_NAMES[t] for t in missing) + "，未执行。"
                continue
            started = time.perf_counter()
            table = run_rule(con, book, rule)
            result.seconds[rule.id] = round(time.perf_counter() - started, 3)
            result.counts[rule.id] = table.num_rows
            parts.append(table)
        if parts:
            result.table = pa.concat_tables(parts)
        return result
    finally:
        con.close()


# ---------------------------------------------------------------- outputs

def write_outputs(result: BatchResult, out: Path) -> dict[str, Path]:
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    paths = {"parquet": out / "findings.parquet", "json": out / "findings.json", "summary": out / "summary.json"}
    pq.write_table(result.table, paths["parquet"], compression="zstd")
    findings = [f.to_json() for f in result.findings()]
    paths["json"].write_text(json.dumps(findings, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    summary = {"输入行数": result.rows, "各规则疑点数": result.counts, "未执行规则": result.skipped, "耗时秒": result.seconds}
    paths["summary"].write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return paths
