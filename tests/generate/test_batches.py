"""The batches `tongchou generate` writes for the bureau (batches/), loaded back through the services: the
person registration batch through `PersonService.import_rows`, a month's declarations through
`EmployerService.declare_rows`, the tax bureau's collection batch through `EmployerService.reconcile` — every
row accepted, the late fees as the batch says, the books verified; the XLSX copies read as the CSV."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.store.support import TEST_CIPHER
from tongchou import sheets
from tongchou.employers.documents import COLLECTION_LABELS, COLLECTION_REQUIRED, DECLARATION_LABELS, batch_rows
from tongchou.employers.service import EmployerService
from tongchou.generate.pipeline import GenerateOptions, generate
from tongchou.ledger.service import verify
from tongchou.persons.service import PersonService
from tongchou.policy.registry import Registry
from tongchou.region.fixture import load_file
from tongchou.store.testing import create_sqlite_database
from tongchou.store.uow import Store


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("batches-region")
    summary = generate(GenerateOptions(out=out, insured=600, seed=7, settle=False, progress=False, batches_xlsx=True))
    assert summary["batches"]["declarations-2018-12"] > 50
    return out


def read(path: Path, labels, required):
    sheet = sheets.read_sheet(path.name, path.read_bytes())
    return sheet, batch_rows(sheet, labels, required, path.name)[1]


def test_the_xlsx_copies_hold_the_same_rows(region):
    for name, labels, required in (("declarations-2018-12", DECLARATION_LABELS, DECLARATION_LABELS),
                                   ("tax-collections-2018-12", COLLECTION_LABELS, COLLECTION_REQUIRED)):
        _, from_csv = read(region / "batches" / f"{name}.csv", labels, required)
        _, from_xlsx = read(region / "batches" / f"{name}.xlsx", labels, required)
        assert [r.values for r in from_csv] == [r.values for r in from_xlsx]


def test_declarations_and_the_collection_batch_load_back_through_the_employer_service(region, tmp_path):
    store = Store.open(create_sqlite_database(tmp_path))
    try:
        load_file(store, region / "fixture.yaml", TEST_CIPHER)
        service = EmployerService(store, Registry.load())
        _, rows = read(region / "batches" / "declarations-2018-12.csv", DECLARATION_LABELS, DECLARATION_LABELS)
        outcome = service.declare_rows(rows, dt.date(2018, 12, 5))
        assert outcome.errors == [] and len(outcome.applied) == len(rows)
        _, lines = read(region / "batches" / "tax-collections-2018-12.csv", COLLECTION_LABELS, COLLECTION_REQUIRED)
        collected = service.reconcile("SW-2018-12", dt.date(2018, 12, 31), lines)
        assert collected.held == [] and collected.accepted == len(lines) == len(rows)
        fees = sum(int(Decimal(line.values["late_fee"]) * 100) for line in lines)
        assert fees > 0 and collected.late_fees == fees
        assert collected.collected == sum(d.employer_part + d.individual_part for d in outcome.applied)
        assert service.arrears(dt.date(2018, 12, 31)) == []
        assert verify(store).ok
    finally:
        store.close()


def test_the_registration_batch_loads_back_through_the_person_service(region, tmp_path):
    fixture = yaml.safe_load((region / "fixture.yaml").read_text(encoding="utf-8"))
    counties_only = tmp_path / "counties.yaml"
    counties_only.write_text(yaml.safe_dump({"region": fixture["region"], "counties": fixture["counties"]},
                                            allow_unicode=True), encoding="utf-8")
    store = Store.open(create_sqlite_database(tmp_path))
    try:
        load_file(store, counties_only, TEST_CIPHER)
        sheet = sheets.read_sheet("person-registration.csv",
                                  (region / "batches" / "person-registration.csv").read_bytes())
        assert sheet.rows
        report = PersonService(store, TEST_CIPHER, today=lambda: dt.date(2018, 12, 31)).import_sheet(sheet)
        assert report.refused == [] and len(report.registered) == len(sheet.rows)
    finally:
        store.close()
