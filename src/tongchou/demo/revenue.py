"""The generated year's contributions as ledger entries (the postings the enrolment service makes)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from tongchou.codes import Insutype
from tongchou.ledger.postings import Entry, employee_contribution_entry, resident_contribution_entry
from tongchou.money import to_fen


def contribution_entries(path: Path, counties: dict[str, str]) -> list[Entry]:
    """One entry per person and year (individual share, employer share, account part), and one per county for
    the residents' fiscal subsidies. `counties` maps psn_no → county."""
    entries: list[Entry] = []
    subsidies: dict[tuple[str, int], int] = defaultdict(int)
    first_paid: dict[tuple[str, int], dt.date] = {}
    for row in pq.read_table(path).to_pylist():
        psn_no, year, paid_on = row["psn_no"], int(row["year"]), row["paid_on"]
        county = counties[psn_no]
        cause = f"history:{row['insutype']}:{psn_no}:{year}"
        if row["insutype"] == Insutype.RESIDENT:
            entries.append(resident_contribution_entry(cause, county, paid_on, to_fen(row["individual_amt"])))
            subsidies[(county, year)] += to_fen(row["subsidy_amt"])
            first_paid[(county, year)] = min(paid_on, first_paid.get((county, year), paid_on))
        else:
            individual, to_account = to_fen(row["individual_amt"]), to_fen(row["account_credit"])
            entries.append(employee_contribution_entry(cause, county, paid_on, psn_no, to_fen(row["employer_amt"]),
                                                       min(to_account, individual), max(individual - to_account, 0)))
    for (county, year), amount in sorted(subsidies.items()):
        entries.append(resident_contribution_entry(f"history:subsidy:{county}:{year}", county,
                                                   dt.date(year, 1, 31), 0, {"total": amount}, cause_type="subsidy"))
    return [e for e in entries if e.lines]
