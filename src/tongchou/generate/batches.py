"""The batches a bureau receives for the synthetic region (docs/synthetic-region.md, "Batches"), in the layouts
the services read (docs/front-office.md), written to `batches/` as CSV (UTF-8 with BOM) or, with
`--batches-xlsx`, as XLSX too:

- `person-registration` — the persons who entered cover during the year (new hires, newborns, late
  enrolments): `tongchou person import`'s columns 公民身份号码, 姓名, 手机号码, 地址, 区县, 人员类别 (phone and address
  left empty: the synthetic region has none);
- `declarations-YYYY-MM` — one per month: every employee at work with an employer in that month, the
  declared wage being the generated contribution base (统一社会信用代码, 个人编号, 费款所属期, 申报工资; the
  layout of `tongchou employer declare`);
- `tax-collections-YYYY-12` — the tax bureau's collection batch of the last month (统一社会信用代码, 个人编号,
  费款所属期, 单位缴费, 个人缴费, 滞纳金, 缴费日期; `tongchou employer reconcile`): both parts as the declaration
  terms (policies/employers, 330600) assess them; every 20th line paid 13 days late with its late fee, the
  others on the due day.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import numpy as np

from tongchou import sheets
from tongchou.employers import rules
from tongchou.employers.documents import COLLECTION_LABELS, DECLARATION_LABELS
from tongchou.employers.terms import YearTerms, load_terms
from tongchou.generate import params as P
from tongchou.generate.population import Population
from tongchou.money import fen_to_str

REGION = "330600"
PERSON_LABELS = {"id_number": "公民身份号码", "name": "姓名", "phone": "手机号码", "address": "地址", "county": "区县",
                 "psn_type": "人员类别"}
LATE_EVERY = 20
LATE_DAYS = 13


def declaration_terms(year: int) -> YearTerms:
    terms = load_terms().get(REGION)
    found = terms.for_year(year) if terms else None
    if found is None:
        raise LookupError(f"policies/employers has no declaration terms of {REGION} for {year}")
    return found


def _write(out: Path, name: str, header: list[str], rows: list[list[str]], xlsx: bool) -> list[str]:
    written = [f"{name}.csv"]
    (out / f"{name}.csv").write_bytes(sheets.write_sheet(header, rows, "csv"))
    if xlsx:
        (out / f"{name}.xlsx").write_bytes(sheets.write_sheet(header, rows, "xlsx"))
        written.append(f"{name}.xlsx")
    return written


def _employed(pop: Population) -> np.ndarray:
    return np.flatnonzero((pop.employer >= 0) & (pop.wage_base > 0))


def _day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def declared(pop: Population, month: int) -> list[tuple[str, str, str, int]]:
    """(employer, psn_no, month, wage in fen) of the employees at work with an employer in `month` (their
    enrolment began by the month's last day)."""
    year = pop.year
    last_day = _day_number(dt.date(year, month, calendar.monthrange(year, month)[1]))
    codes = pop.employers["code"]
    return [(codes[pop.employer[i]], str(pop.psn_no[i]), f"{year}-{month:02d}", int(pop.wage_base[i]))
            for i in _employed(pop) if int(pop.enrol_from[i]) <= last_day]


def declaration_rows(pop: Population, month: int) -> list[list[str]]:
    return [[employer, psn_no, period, fen_to_str(wage)] for employer, psn_no, period, wage in declared(pop, month)]


def collection_rows(pop: Population, terms: YearTerms) -> list[list[str]]:
    """The tax bureau's lines of the last month's declarations: each as assessed, paid on the due day (every
    20th 13 days late, with the late fee of 社会保险法 第八十六条)."""
    month = f"{pop.year}-12"
    due = rules.due_date(terms, month)
    rows = []
    for n, (employer, psn_no, _month, wage) in enumerate(declared(pop, 12)):
        assessed = rules.assess(terms, wage)
        paid_on, fee = due, 0
        if n % LATE_EVERY == LATE_EVERY - 1:
            paid_on = due + dt.timedelta(days=LATE_DAYS)
            fee = rules.late_fee(assessed.total, due, paid_on, terms.late_fee.daily_rate)
        rows.append([employer, psn_no, month, fen_to_str(assessed.employer_part), fen_to_str(assessed.individual_part),
                     fen_to_str(fee), paid_on.isoformat()])
    return rows


def registration_rows(pop: Population) -> list[list[str]]:
    """Persons whose cover began during the year (not on 1 January)."""
    first = _day_number(dt.date(pop.year, 1, 1))
    counties = np.array([c[0] for c in P.COUNTIES])[pop.county_idx]
    return [[pop.id_number[i], pop.name[i], "", "", counties[i], str(pop.psn_type[i])]
            for i in np.flatnonzero(pop.enrol_from > first)]


def write_batches(pop: Population, out: Path, *, xlsx: bool = False) -> dict[str, int]:
    """Write the batches under `out`; returns the rows written per batch."""
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    people = registration_rows(pop)
    _write(out, "person-registration", list(PERSON_LABELS.values()), people, xlsx)
    counts["person-registration"] = len(people)
    for month in range(1, 13):
        rows = declaration_rows(pop, month)
        _write(out, f"declarations-{pop.year}-{month:02d}", list(DECLARATION_LABELS.values()), rows, xlsx)
        counts[f"declarations-{pop.year}-{month:02d}"] = len(rows)
    lines = collection_rows(pop, declaration_terms(pop.year))
    _write(out, f"tax-collections-{pop.year}-12", list(COLLECTION_LABELS.values()), lines, xlsx)
    counts[f"tax-collections-{pop.year}-12"] = len(lines)
    return counts
