"""Bulk history writes exactly what the live service writes: same settlements, fee lines, accumulators,
postings — so a demo year or a migration may take the bulk path (docs/store.md "Bulk history")."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.store.support import TEST_CIPHER
from tongchou.errors import ServiceError
from tongchou.generate.pipeline import GenerateOptions, generate
from tongchou.ledger.service import verify
from tongchou.policy.registry import Registry
from tongchou.settlement.history import SettlementHistory, read_visits
from tongchou.settlement.request import FeeLine, SettleRequest
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.supervision import models as sv
from tongchou.supervision.service import SupervisionHook
from tongchou.supervision.rules import load_rules
from tongchou.store.testing import create_sqlite_database
from tongchou.region.fixture import load_file
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


# ---------------------------------------------------------------- refusals: the same through both paths

# What bulk history leaves out by design, and why (settlement/history.py):
# - family mutual aid: a relative's account pays from its live balance under a row lock; history refuses
#   every `mulaid_psn_no` (code mulaid_live_only) and the live service adjudicates it;
# - smart-audit screening: a past year is screened by `supervision screen`'s batch, not while it is loaded;
#   history applies only the hook's benefit suspensions (the live service also asks the hook's review);
# - replays: a live key seen with the same request answers the first settlement again, with a different
#   request it is a conflict; every history key must be new (code key_used).
DIFFERENT_BY_DESIGN = {"mulaid_live_only", "key_used"}

EXITED = "H-EXITED"


class SuspensionsOnly(SupervisionHook):
    """Supervision's hook without smart-audit screening (a difference kept by design, above)."""

    def review(self, session, req, person, items):
        return ()


def refusal_claims(requests) -> tuple[list, dict[str, str]]:
    """Claims each refused for one reason, built from generated visits; with the code expected of each."""
    base = next(r for r in requests if r.insutype == "390")
    waiting = next(r for r in requests if r.insutype == "390" and r.psn_no != base.psn_no)
    suspended = next(r for r in requests if r.psn_no not in {base.psn_no, waiting.psn_no})
    deceased = next(r for r in requests if r.psn_no not in {base.psn_no, waiting.psn_no, suspended.psn_no})
    used = {base.psn_no, waiting.psn_no, suspended.psn_no, deceased.psn_no}
    pending = next(r for r in requests if r.insutype == "390" and r.psn_no not in used)
    lapsed = next(r for r in requests if r.insutype == "390" and r.psn_no not in used | {pending.psn_no})

    def claim(key: str, source=base, **changes):
        return replace(source, key=key, setl_id=key, mdtrt_id=key, **changes)

    day = base.enddate
    claims = {
        "R-DATES": (claim("R-DATES", begndate=day + dt.timedelta(days=3)), "invalid_field"),
        "R-AGREEMENT": (claim("R-AGREEMENT", fixmedins_code=EXITED), "agreement"),
        "R-NOT-ENROLLED": (claim("R-NOT-ENROLLED", insutype="310", settle_if_ineligible=False), "not_eligible"),
        "R-WAITING": (claim("R-WAITING", source=waiting, settle_if_ineligible=False), "not_eligible"),
        "R-NO-POLICY": (claim("R-NO-POLICY", begndate=dt.date(1990, 1, 1), enddate=dt.date(1990, 1, 2)),
                        "no_policy"),
        "R-CATALOGUE": (claim("R-CATALOGUE", items=(FeeLine("NOT-IN-CATALOGUE", 1000),)), "unknown_item"),
        "R-NEGATIVE": (claim("R-NEGATIVE", items=(replace(base.items[0], amount=-1),)), "negative_amount"),
        "R-NO-ITEMS": (claim("R-NO-ITEMS", items=()), "invalid_field"),
        "R-PERSON": (claim("R-PERSON", psn_no="NOBODY"), "unknown_person"),
        "R-INSTITUTION": (claim("R-INSTITUTION", fixmedins_code="NOWHERE"), "unknown_institution"),
        "R-SUSPENDED": (claim("R-SUSPENDED", source=suspended), "benefits_suspended"),
        "R-DECEASED": (claim("R-DECEASED", source=deceased), "deceased"),
        "R-FILING-PENDING": (claim("R-FILING-PENDING", source=pending, med_type="14", dise_code="高血压"),
                             "filing_pending"),
        "R-FILING-EXPIRED": (claim("R-FILING-EXPIRED", source=lapsed, med_type="14", dise_code="高血压"),
                             "filing_expired"),
    }
    # settled, not refused: a chronic-disease visit without its filing is paid by no fund (eligible = False)
    filing = claim("F-NO-FILING", med_type="14", dise_code="高血压")
    return [c for c, _ in claims.values()] + [filing], {key: code for key, (_, code) in claims.items()}


def prepare(store: Store, waiting_psn: str, suspended_psn: str, deceased: tuple[str, dt.date],
            pending: SettleRequest, lapsed: SettleRequest) -> None:
    """The same facts in both stores: an institution whose agreement ended, a person still in the waiting
    period, a person whose benefits were suspended, a person who died the day before a claim ended, a chronic
    filing still waiting for approval and one that lapsed the day before a claim ended."""
    def work(session):
        county = session.execute(select(m.CountyRow.admdvs)).scalars().first()
        session.add(m.Institution(code=EXITED, name="已退出协议医院", hosp_lv=2, admin_tier="county", county=county,
                                  agreement_status="exited"))
        for enrolment in session.execute(select(m.Enrolment).where(m.Enrolment.psn_no == waiting_psn)).scalars():
            enrolment.benefit_start = dt.date(2099, 1, 1)
        session.add(sv.BenefitSuspensionRow(psn_no=suspended_psn, kind="suspend", valid_from=dt.date(2000, 1, 1),
                                            valid_to=dt.date(2099, 12, 31), reason="欺诈骗保"))
        psn_no, claim_end = deceased
        session.get(m.Person, psn_no).death_date = claim_end - dt.timedelta(days=1)
        person = session.get(m.Person, pending.psn_no)
        session.add(m.FilingApplication(psn_no=pending.psn_no, kind="chronic", insutype="390", dise_code="高血压",
                                        dise_name="高血压", county=person.county, window="上半年申报期",
                                        received_on=pending.enddate - dt.timedelta(days=3),
                                        received_at=pending.fixmedins_code, received_by="受理人", state="received"))
        person = session.get(m.Person, lapsed.psn_no)
        session.add(m.Filing(psn_no=lapsed.psn_no, kind="chronic", dise_code="高血压", approved_on=dt.date(2017, 1, 1),
                             valid_from=dt.date(2017, 1, 1), valid_to=lapsed.enddate - dt.timedelta(days=1),
                             county=person.county))
    store.transaction(work)


def test_history_and_the_service_refuse_the_same_claims_for_the_same_reasons(region, loaded_template, tmp_path):
    registry = Registry.load()
    visits = read_visits(region / "visits.jsonl")
    crafted, expected = refusal_claims(visits)
    waiting = next(c for c in crafted if c.key == "R-WAITING").psn_no
    suspended = next(c for c in crafted if c.key == "R-SUSPENDED").psn_no
    deceased = next(c for c in crafted if c.key == "R-DECEASED")
    requests = visits[:150] + crafted
    live, bulk = copy_of(loaded_template, tmp_path, "live.db"), copy_of(loaded_template, tmp_path, "bulk.db")
    hook = SuspensionsOnly(load_rules())
    pending = next(c for c in crafted if c.key == "R-FILING-PENDING")
    lapsed = next(c for c in crafted if c.key == "R-FILING-EXPIRED")
    for store in (live, bulk):
        prepare(store, waiting, suspended, (deceased.psn_no, deceased.enddate), pending, lapsed)

    service = SettlementService(live, registry, supervision=hook)
    live_refused = {}
    for req in sorted(requests, key=lambda r: (r.enddate, r.begndate, r.key)):
        try:
            service.settle(req)
        except ServiceError as exc:
            live_refused[req.key] = (exc.field, exc.code, exc.message)
    report = SettlementHistory(bulk, registry, supervision=hook).load(requests, batch_size=53)
    bulk_refused = {r.key: (r.field, r.code, r.message) for r in report.refused}

    assert bulk_refused == live_refused
    assert {key: live_refused[key][1] for key in expected} == expected  # each claim refused for its reason
    assert not {code for _, code, _ in live_refused.values()} & DIFFERENT_BY_DESIGN
    assert report.settled == len(requests) - len(bulk_refused)
    assert any(key not in expected for key in bulk_refused)  # the suspended person's generated visits too
    for model, order in ((m.Settlement, [m.Settlement.setl_id]),
                         (m.FeeItem, [m.FeeItem.setl_id, m.FeeItem.line_no]),
                         (m.YearStateRow, [m.YearStateRow.psn_no, m.YearStateRow.insutype, m.YearStateRow.year])):
        assert rows(bulk, model, order) == rows(live, model, order), model.__tablename__
    assert postings(bulk) == postings(live)
    no_filing = next(r for r in rows(bulk, m.Settlement, [m.Settlement.setl_id]) if r["setl_id"] == "F-NO-FILING")
    assert no_filing["eligible"] is False and no_filing["hifp_pay"] == 0


def test_history_refuses_family_mutual_aid_by_design(region, loaded_template, tmp_path):
    request = replace(read_visits(region / "visits.jsonl")[0], key="M-1", setl_id="M-1", mdtrt_id="M-1",
                      mulaid_psn_no="ANYONE")
    report = SettlementHistory(copy_of(loaded_template, tmp_path, "bulk.db"), Registry.load()).load([request])
    assert [(r.field, r.code) for r in report.refused] == [("mulaid_psn_no", "mulaid_live_only")]
