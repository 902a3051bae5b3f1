"""A hypothesis state machine drives enrol / contribute / settle / cancel / reverse through the services
against a simple model, and checks the ledger and the accumulators after every step (SQLite)."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import uuid
from pathlib import Path

from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.store.support import DATA, TEST_CIPHER, fee, request, seed_registry
from tongchou.enrolment.service import EnrolmentService
from tongchou.ledger.accounts import Account, Fund, Title
from tongchou.ledger.service import balance
from tongchou.ledger.service import verify
from tongchou.settlement.service import SettlementService
from tongchou.store import models as m
from tongchou.errors import Conflict, Refused
from tongchou.region.fixture import load_file
from tongchou.store.testing import create_sqlite_database
from tongchou.store.uow import Store

WORK = Path(tempfile.mkdtemp(prefix="tongchou-sm-"))
TEMPLATE = Path(create_sqlite_database(WORK).removeprefix("sqlite:///"))
REGISTRY = seed_registry(WORK / "policies")
CAP = 12_000_000  # 篇4: 因疾病住院，每人每年报销12万元封顶
PERSONS = ("GX0001", "GX0003", "GX0011")


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        path = WORK / f"{uuid.uuid4().hex[:8]}.db"
        shutil.copy(TEMPLATE, path)
        self.store = Store.open(f"sqlite:///{path}")
        load_file(self.store, DATA / "guanxian.yaml", TEST_CIPHER)
        self.settlements = SettlementService(self.store, REGISTRY)
        self.enrolments = EnrolmentService(self.store, REGISTRY)
        self.enrolled = {"GX0001"}
        self.active: dict[str, tuple[str, int]] = {}  # setl_id → (person, hifp_pay)
        self.answers: dict[str, dict] = {}  # key → amounts
        self.reversed: set[str] = set()
        self.contributions = 0
        self.counter = 0

    def teardown(self):
        self.store.close()

    @rule(person=st.sampled_from(PERSONS), on_time=st.booleans())
    def enrol(self, person, on_time):
        if person in self.enrolled:
            return
        paid = dt.date(2017, 10, 15) if on_time else dt.date(2018, 2, 1)
        out = self.enrolments.enrol_resident(person, 2018, paid, entered_subsidy=45_000)
        assert out.terms.individual_due == (19_000 if on_time else 64_000)
        self.enrolled.add(person)
        self.contributions += out.terms.individual_due

    @rule(person=st.sampled_from(PERSONS), yuan=st.integers(min_value=1, max_value=90_000), month=st.integers(6, 12))
    def settle(self, person, yuan, month):
        self.counter += 1
        key = f"K{self.counter}"
        req = request(key, person, items=[fee("T000002", f"{yuan}.00")], day=f"2018-{month:02d}-01")
        try:
            out = self.settlements.settle(req)
        except Refused as exc:
            assert person not in self.enrolled and exc.code == "not_eligible"
            return
        assert person in self.enrolled
        self.active[out.setl_id] = (person, out.amounts["hifp_pay"])
        self.answers[key] = out.amounts

    @precondition(lambda self: self.answers)
    @rule(data=st.data())
    def retry_same_key(self, data):
        key = data.draw(st.sampled_from(sorted(self.answers)))
        person = next((p for s, (p, _) in self.active.items() if s == key), None)
        try:
            again = self.settlements.settle(request(key, person or "GX0001",
                                                    items=[fee("T000002", "1.00")]))
        except Conflict:
            return  # same key, different request: refused, nothing moved
        assert again.replayed and again.amounts == self.answers[key]

    @precondition(lambda self: self.active)
    @rule(data=st.data())
    def cancel(self, data):
        setl_id = data.draw(st.sampled_from(sorted(self.active)))
        assert not self.settlements.cancel(setl_id).replayed
        self.active.pop(setl_id)
        assert self.settlements.cancel(setl_id).replayed

    @rule(data=st.data())
    def reverse(self, data):
        known = sorted(self.answers)
        key = data.draw(st.sampled_from(known + ["NEW"])) if known else "NEW"
        if key == "NEW":
            self.counter += 1
            key = f"K{self.counter}"
            assert self.settlements.reverse(key).marked
            self.reversed.add(key)
            try:
                self.settlements.settle(request(key, "GX0001"))
                raise AssertionError("a reversed original must be refused")
            except Refused as exc:
                assert exc.code == "reversed"
            return
        self.settlements.reverse(key)
        self.active.pop(key, None)

    @invariant()
    def books_and_accumulators_hold(self):
        report = verify(self.store)
        assert report.ok, [(c.name, c.breaches[:3]) for c in report.checks if not c.ok]

        def read(session):
            caps = {}
            for person in PERSONS:
                row = session.get(m.YearStateRow, (person, "390", 2018))
                caps[person] = row.state.get("caps_used", {}).get("inpatient_disease", "0") if row else "0"
            paid = balance(session, Account(Fund.RESIDENT_POOLED, Title.EXPENSE_BENEFIT, "371525"))
            revenue = -balance(session, Account(Fund.RESIDENT_POOLED, Title.REVENUE_INDIVIDUAL, "371525"))
            return caps, paid, revenue
        caps, paid, revenue = self.store.read(read)
        for person in PERSONS:
            expected = sum(h for p, h in self.active.values() if p == person)
            assert int(caps[person].replace(".", "")) == expected <= CAP
        assert paid == sum(h for _, h in self.active.values())
        assert revenue == self.contributions


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=12, stateful_step_count=12, deadline=None,
                                      suppress_health_check=[HealthCheck.too_slow])
