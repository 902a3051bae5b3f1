"""`tongchou export claims`: the store's settlements as a claims table (docs/reference/contracts.md "Claims table"),
with the DIP columns `diag_code` and `oprn_code` of docs/clearing.md after the contract's columns.

Amounts are written as yuan with two decimals (CSV text; Parquet DECIMAL(18,2)), flags 0/1,
rows in the replay order (`psn_no`, `enddate`, `begndate`, `setl_id`). A cancelled settlement is
written with `refd_setl_flag` 1.

Personal data: the export identifies a person by `psn_no` only — no name, ID number or phone is ever
written (`COLUMNS` is the whole list). `county` limits it to one county's insured (a county user's
export): by the query, and on PostgreSQL also by row-level security (the store is scoped to it).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from tongchou.money import fen_to_decimal, fen_to_str
from tongchou.store import models as m
from tongchou.errors import InvalidRequest
from tongchou.claims_table import CLAIM_COLUMNS, DIP_COLUMNS
from tongchou.store.uow import Store

COLUMNS = CLAIM_COLUMNS + DIP_COLUMNS
AMOUNTS = COLUMNS[COLUMNS.index("medfee_sumamt"):COLUMNS.index("refd_setl_flag")]
FLAGS = ("accident", "poverty_flag", "refd_setl_flag")
INTS = ("continuous_years", "hosp_lv")
DATES = ("begndate", "enddate")


def claim_rows(session: Session, date_from: dt.date | None, date_to: dt.date | None,
               county: str | None = None) -> Iterator[dict[str, Any]]:
    """Settlements as claims-table rows, amounts in fen; `county`: only that county's insured."""
    cancelled = select(m.SettlementCancellation.setl_id)
    query = select(m.Settlement, m.Settlement.setl_id.in_(cancelled)).order_by(
        m.Settlement.psn_no, m.Settlement.enddate, m.Settlement.begndate, m.Settlement.setl_id)
    if date_from:
        query = query.where(m.Settlement.enddate >= date_from)
    if date_to:
        query = query.where(m.Settlement.enddate <= date_to)
    if county is not None:
        query = query.where(m.Settlement.county == county)
    for row, is_cancelled in session.execute(query.execution_options(yield_per=1000)):
        assistance = sorted(row.assistance or [])
        out = {name: getattr(row, name) for name in COLUMNS if hasattr(row, name)}
        out.update(assistance="|".join(assistance), county_admdvs=row.county, poverty_flag=int("poverty" in assistance),
                   accident=int(bool(row.accident)), refd_setl_flag=int(bool(is_cancelled)))
        yield out


def _csv_value(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name in AMOUNTS:
        return fen_to_str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_csv(rows: Iterator[dict[str, Any]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([_csv_value(name, row.get(name)) for name in COLUMNS])
            count += 1
    return count


def write_parquet(rows: Iterator[dict[str, Any]], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def kind(name: str) -> pa.DataType:
        if name in AMOUNTS:
            return pa.decimal128(18, 2)
        if name in FLAGS or name in INTS:
            return pa.int32()
        if name in DATES:
            return pa.date32()
        return pa.string()

    schema = pa.schema([(name, kind(name)) for name in COLUMNS])
    columns: dict[str, list] = {name: [] for name in COLUMNS}
    for row in rows:
        for name in COLUMNS:
            value = row.get(name)
            columns[name].append(fen_to_decimal(value) if name in AMOUNTS and value is not None else value)
    table = pa.table(columns, schema=schema)
    pq.write_table(table, path)
    return table.num_rows


def export_claims(store: Store, output: Path, date_from: dt.date | None = None, date_to: dt.date | None = None,
                  *, county: str | None = None) -> int:
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InvalidRequest("--output", "the output file must end in .csv or .parquet")
    writer = write_csv if suffix == ".csv" else write_parquet
    if county is not None:
        store = store.scoped(county)
    return store.read(lambda session: writer(claim_rows(session, date_from, date_to, county), output))


def write_csv_text(rows: Iterator[dict[str, Any]]) -> tuple[str, int]:
    """The CSV as text (for a download) and its row count."""
    import io
    handle = io.StringIO()
    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([_csv_value(name, row.get(name)) for name in COLUMNS])
        count += 1
    return handle.getvalue(), count
