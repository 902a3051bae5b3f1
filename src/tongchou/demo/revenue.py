"""The generated year's revenue as ledger entries: contributions (the postings the enrolment service
makes), and the income of every other fund the demo's settlements pay from.

Demo assumptions (examples, docs/demo.md):

- a resident contribution paid before its benefit year (预缴, autumn of the year before) is the
  income of the benefit year: it is booked on 1 January of that year;
- the critical illness layer is run by the fund itself: 30 元 per insured resident (example value)
  is transferred from the resident pooled fund to the critical illness fund on 31 January (an
  earmarked amount, docs/reference/fund-rules.md);
- medical assistance (医疗救助) and the civil-servant supplement (公务员医疗补助) are funded by the
  treasury by need (以支定收): 110 % of what each county's fund paid in the year, booked on 31 January.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from tongchou.codes import Insutype
from tongchou.funds.postings import premium_entry
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.postings import (Entry, balanced_entry, employee_contribution_entry, move,
                                      resident_contribution_entry)
from tongchou.money import Fen, to_fen

CRITICAL_ILLNESS_PER_RESIDENT: Fen = 3000     # example: 30 元 per insured resident and year
NEED_FUNDED = {Fund.MEDICAL_ASSISTANCE: "医疗救助资金（财政按需安排）", Fund.CIVIL_SERVANT: "公务员医疗补助资金（财政安排）"}
NEED_MARGIN_PERCENT = 110


def contribution_entries(path: Path, counties: dict[str, str],
                         declared: dict[str, tuple[Fen, Fen]] | None = None) -> list[Entry]:
    """One entry per person and year (individual share, employer share, account part), and per county and
    year the residents' fiscal subsidies and the critical illness transfer. `counties` maps psn_no → county.
    `declared`: employees whose December went through the employer's declaration (psn_no → its employer and
    employee parts, fen): their history entry is the year less those parts (the collection, when the tax
    bureau collected it, was booked by the reconciliation)."""
    declared = declared or {}
    entries: list[Entry] = []
    subsidies: dict[tuple[str, int], int] = defaultdict(int)
    residents: dict[tuple[str, int], int] = defaultdict(int)
    first_paid: dict[tuple[str, int], dt.date] = {}
    for row in pq.read_table(path).to_pylist():
        psn_no, year, paid_on = row["psn_no"], int(row["year"]), row["paid_on"]
        county = counties[psn_no]
        cause = f"history:{row['insutype']}:{psn_no}:{year}"
        if row["insutype"] == Insutype.RESIDENT:
            booked_on = max(paid_on, dt.date(year, 1, 1))  # 预缴 is the benefit year's income
            entries.append(resident_contribution_entry(cause, county, booked_on, to_fen(row["individual_amt"])))
            subsidies[(county, year)] += to_fen(row["subsidy_amt"])
            residents[(county, year)] += 1
            first_paid[(county, year)] = min(paid_on, first_paid.get((county, year), paid_on))
        else:
            individual, to_account = to_fen(row["individual_amt"]), to_fen(row["account_credit"])
            employer = to_fen(row["employer_amt"])
            if psn_no in declared:  # December was declared (and collected, or not yet) through the services
                employer = max(employer - declared[psn_no][0], 0)
                individual = max(individual - declared[psn_no][1], 0)
            entries.append(employee_contribution_entry(cause, county, paid_on, psn_no, employer,
                                                       min(to_account, individual), max(individual - to_account, 0)))
    for (county, year), amount in sorted(subsidies.items()):
        entries.append(resident_contribution_entry(f"history:subsidy:{county}:{year}", county,
                                                   dt.date(year, 1, 31), 0, {"total": amount}, cause_type="subsidy"))
    entries += critical_illness_entries(residents)
    return [e for e in entries if e.lines]


def critical_illness_entries(residents: dict[tuple[str, int], int]) -> list[Entry]:
    """The earmarked critical illness amount of each county and year, `residents` persons each."""
    return [premium_entry(f"history:critical_illness:{county}:{year}", county, dt.date(year, 1, 31),
                          persons * CRITICAL_ILLNESS_PER_RESIDENT, None)
            for (county, year), persons in sorted(residents.items()) if persons]


def need_funded_entries(paid: dict[tuple[str, str], Fen], year: int) -> list[Entry]:
    """Treasury funding of medical assistance and the civil-servant supplement per county: 110 % of what
    the county's fund paid (`paid` by (fund, county), fen), booked on 31 January of `year`."""
    entries = []
    for (fund, county), amount in sorted(paid.items()):
        if Fund(fund) not in NEED_FUNDED or amount <= 0:
            continue
        funding = -(-amount * NEED_MARGIN_PERCENT // 100)
        lines = move(funding, Account(Fund(fund), Title.BANK, county), Account(Fund(fund), Title.REVENUE_SUBSIDY, county),
                     "subsidy")
        entries.append(balanced_entry("subsidy", f"history:{fund}:{county}:{year}", county, dt.date(year, 1, 31),
                                      lines, NEED_FUNDED[Fund(fund)]))
    return entries
