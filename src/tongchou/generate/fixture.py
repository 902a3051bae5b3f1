"""fixture.yaml for `tongchou load` (docs/reference/contracts.md "Fixture for `tongchou load`").

Written line by line as YAML flow mappings (each one a JSON object, which YAML
reads as it is), so a large fixture is written fast and byte-for-byte the same
for the same seed. Only keys the store's fixture schema accepts are written
(region, counties, employers, institutions, catalogue, persons; see
docs/synthetic-region.md); everything else goes to Parquet side files. Persons
beyond `person_cap` are left out of the fixture and the header says so; all
persons are in persons.parquet.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Iterator, TextIO

from tongchou.generate import params as P
from tongchou.generate.catalogue import Catalogue
from tongchou.generate.population import CHRONIC_CODES, Population, card_sn_of
from tongchou.generate.region import Institutions
from tongchou.generate.util import to_date
from tongchou.money import fen_to_str

DEFAULT_PERSON_CAP = 100_000


def _flow(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def _section(handle: TextIO, name: str, rows: Iterator[dict[str, Any]]) -> None:
    first = next(rows, None)
    if first is None:
        handle.write(f"{name}: []\n")
        return
    handle.write(f"{name}:\n  - {_flow(first)}\n")
    for row in rows:
        handle.write(f"  - {_flow(row)}\n")


def counties() -> Iterator[dict[str, Any]]:
    for admdvs, name, _share in P.COUNTIES:
        yield {"admdvs": admdvs, "name": name}


def employers(pop: Population) -> Iterator[dict[str, Any]]:
    e = pop.employers
    for code, name, county in zip(e["code"], e["name"], e["county"]):
        yield {"code": code, "name": name, "county": county}


def institutions(inst: Institutions) -> Iterator[dict[str, Any]]:
    for i, code in enumerate(inst.code):
        yield {"code": code, "name": inst.name[i], "hosp_lv": int(inst.hosp_lv[i]),
               "admin_tier": P.TIERS[inst.tier[i]], "county": inst.county[i], "secret": inst.secret[i]}


def catalogue(cat: Catalogue) -> Iterator[dict[str, Any]]:
    for i, code in enumerate(cat.code):
        cap = int(cat.price_cap[i])
        yield {"code": code, "name": cat.name[i], "category": str(cat.category[i]), "selfpay_prop": cat.selfpay_prop[i],
               "price_cap": fen_to_str(cap) if cap >= 0 else None, "essential_drug": bool(cat.essential[i])}


def _iso(day: int) -> str:
    return to_date(day).isoformat()


def person_rows(pop: Population, limit: int) -> Iterator[dict[str, Any]]:
    county = [c[0] for c in P.COUNTIES]
    assistance = pop.assistance()
    tiers = pop.tier_name()
    year_end = dt.date(pop.year, 12, 31).isoformat()
    for i in range(min(limit, pop.n)):
        row: dict[str, Any] = {
            "psn_no": pop.psn_no[i], "id_number": pop.id_number[i], "name": pop.name[i], "sex": str(pop.sex[i]),
            "card_no": pop.card_no[i], "card_sn": card_sn_of(pop.card_no[i]),
            "birth_date": _iso(pop.birth[i]), "county": county[pop.county_idx[i]], "psn_type": str(pop.psn_type[i]),
            "assistance": [a for a in str(assistance[i]).split("|") if a],
        }
        if pop.employer[i] >= 0:
            row["employer"] = pop.employers["code"][pop.employer[i]]
        if pop.insutype[i] == P.EMPLOYEE:
            row["contribution_years"] = int(pop.continuous_years[i])
            row["account_balance"] = fen_to_str(int(pop.acct_balance[i]))
        row["enrolments"] = [{"insutype": str(pop.insutype[i]), "from": _iso(pop.enrol_from[i]), "to": year_end,
                              "tier": str(tiers[i]) or None, "benefit_start": _iso(pop.benefit_start[i]),
                              "kind": str(pop.enrol_kind[i])}]
        row["filings"] = ([{"kind": "chronic", "dise_code": CHRONIC_CODES[pop.chronic[i]],
                            "from": _iso(pop.benefit_start[i]), "to": year_end}] if pop.chronic[i] >= 0 else [])
        yield row


def header(pop: Population, seed: int, limit: int) -> str:
    lines = [
        f"# Synthetic region 绍兴市 (330600), year {pop.year}, seed {seed}: written by `tongchou generate`.",
        "# Keys as docs/reference/contracts.md \"Fixture for `tongchou load`\", plus employers (store schema) and, per",
        "# institution, secret; per person employer, contribution_years, account_balance (yuan, employees),",
        "# enrolments[].benefit_start/kind. See docs/synthetic-region.md.",
        "# Province/outside institutions carry 330602 (越城区, standing for 市本级) as their county.",
    ]
    if pop.n > limit:
        lines.append(f"# persons: all {pop.n} insured in persons.parquet (more than {limit} to inline).")
    else:
        lines.append(f"# persons: all {pop.n} insured.")
    return "\n".join(lines) + "\n"


def write_fixture(path: Path, pop: Population, inst: Institutions, cat: Catalogue, seed: int,
                  person_cap: int = DEFAULT_PERSON_CAP) -> int:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(header(pop, seed, person_cap))
        handle.write(f"region: {_flow({'admdvs': P.REGION[0], 'name': P.REGION[1]})}\n")
        _section(handle, "counties", counties())
        _section(handle, "employers", employers(pop))
        _section(handle, "institutions", institutions(inst))
        _section(handle, "catalogue", catalogue(cat))
        if pop.n > person_cap:
            handle.write("persons_parquet: persons.parquet\n")
            return 0
        _section(handle, "persons", person_rows(pop, person_cap))
    return int(pop.n)

