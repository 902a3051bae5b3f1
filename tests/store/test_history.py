"""Bulk history writes exactly what the live service writes: same settlements, fee lines, accumulators,
postings — so a demo year or a migration may take the bulk path (docs/store.md "Bulk history")."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.store.support import TEST_CIPHER
from tongchou.generate.pipeline import GenerateOptions, generate
from tongchou.ledger.verify import verify
from tongchou.policy.registry import Registry
from tongchou.settlement.history import SettlementHistory, read_visits
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.store.testing import create_sqlite_database
from tongchou.store.fixture import load_file
from tongchou.store.uow import Store

SKIP = {"id", "created_at", "visit_id", "entry_id"}
DIP_CODES = (("K35.8", "47.01"), ("I63.9", None), ("J18.9", None))  # (diag_code, oprn_code)


@pytest.fixture(scope="module")
def region(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("region")
    generate(GenerateOptions(out=out, insured=400, seed=7, settle=False, person_cap=0, progress=False), None)
    return out


@pytest.fixture(scope="module")
def coded_visits(region, tmp_path_factory) -> Path:
    """The region's visits.jsonl with a main diagnosis and procedure on the inpatient lines (generated visits
    carry none)."""
    lines = (region / "visits.jsonl").read_text(encoding="utf-8").splitlines()
    out = tmp_path_factory.mktemp("coded") / "visits.jsonl"
    with out.open("w", encoding="utf-8") as handle:
        for number, line in enumerate(lines):
            visit = json.loads(line)
            if visit["med_type"] == "21":
                visit["diag_code"], visit["oprn_code"] = DIP_CODES[number % len(DIP_CODES)]
            handle.write(json.dumps(visit, ensure_ascii=False) + "\n")
    return out


@pytest.fixture(scope="module")
def loaded_template(region, tmp_path_factory) -> Path:
    url = create_sqlite_database(tmp_path_factory.mktemp("history-template"))
    store = Store.open(url)
    load_file(store, region / "fixture.yaml", TEST_CIPHER)
    store.close()
    return Path(url.removeprefix("sqlite:///"))


def copy_of(template: Path, tmp_path: Path, name: str) -> Store:
    target = tmp_path / name
    shutil.copy(template, target)
    return Store.open(f"sqlite:///{target}")


def rows(store: Store, model, order) -> list[dict]:
    def read(session):
        return [{c: getattr(r, c) for c in model.__table__.columns.keys() if c not in SKIP}
                for r in session.execute(select(model).order_by(*order)).scalars()]
    return store.read(read)


def postings(store: Store) -> Counter:
    def read(session):
        query = select(m.JournalEntry.cause_type, m.JournalEntry.cause_id, m.JournalEntry.booked_on, m.Posting.fund,
                       m.Posting.title, m.Posting.county, m.Posting.party, m.Posting.debit, m.Posting.credit
                       ).join(m.Posting, m.Posting.entry_id == m.JournalEntry.id)
        return Counter(tuple(r) for r in session.execute(query))
    return store.read(read)


def test_history_writes_what_the_service_writes(coded_visits, loaded_template, tmp_path):
    registry = Registry.load()
    requests = read_visits(coded_visits)
    live, bulk = copy_of(loaded_template, tmp_path, "live.db"), copy_of(loaded_template, tmp_path, "bulk.db")
    service = SettlementService(live, registry)
    for req in sorted(requests, key=lambda r: (r.enddate, r.begndate, r.key)):  # the order they happened in
        service.settle(req)
    report = SettlementHistory(bulk, registry).load(requests, batch_size=97)  # several transactions
    assert report.settled == len(requests) and not report.refused
    for model, order in ((m.Settlement, [m.Settlement.setl_id]),
                         (m.FeeItem, [m.FeeItem.setl_id, m.FeeItem.line_no]),
                         (m.YearStateRow, [m.YearStateRow.psn_no, m.YearStateRow.insutype, m.YearStateRow.year]),
                         (m.RequestKey, [m.RequestKey.key]), (m.ActiveVisit, [m.ActiveVisit.visit_key])):
        assert rows(bulk, model, order) == rows(live, model, order), model.__tablename__
    codes = {(r["diag_code"], r["oprn_code"]) for r in rows(bulk, m.Settlement, [m.Settlement.setl_id])}
    assert codes == {*DIP_CODES, (None, None)}  # the inpatient lines' codes were written
    assert postings(bulk) == postings(live)
    assert verify(bulk).ok


def test_history_refuses_what_the_service_refuses_and_writes_nothing_of_it(region, loaded_template, tmp_path):
    registry = Registry.load()
    requests = read_visits(region / "visits.jsonl")[:20]
    bulk = copy_of(loaded_template, tmp_path, "bulk.db")
    history = SettlementHistory(bulk, registry)
    first = history.load(requests)
    again = history.load(requests)  # every key is already used
    assert first.settled == 20 and again.settled == 0
    assert {r.field for r in again.refused} == {"key"}
    assert len(rows(bulk, m.Settlement, [m.Settlement.setl_id])) == 20
