"""Random sequences of front-office matters never insure a person twice for a day, never lose a contribution,
and keep the books verified; a refused matter changes nothing (issue 19, "Done when").

Each example starts from the 长春 fixture with a registered employer, a newcomer (CC0101) and a resident
(CC0102), and applies matters in any order with any dates of 2021: register, join, leave, stop, resume,
switch, enrol as a resident, declare a month and have it collected, death, transfer out of the pool and into it. Refusals are expected (most random
matters are wrong); what must hold is checked against the rows, not against the services' own answers.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.employers.conftest import EMPLOYER, add_persons
from tests.store.support import DATA, TEST_CIPHER
from tongchou.employers.service import EmployerService
from tongchou.errors import ServiceError
from tongchou.ledger.service import verify
from tongchou.persons.rules import check_character
from tongchou.persons.service import PersonService
from tongchou.region.fixture import load_file
from tongchou.store import models as m
from tongchou.store.testing import empty_pg_database
from tongchou.store.uow import Store
from tongchou.transfers.service import TransferService

YEAR_START = dt.date(2021, 1, 1)
FAR = dt.date(9999, 12, 31)
PEOPLE = ("CC0101", "CC0102", "NEW")
LATE_FEE_DAILY = Decimal("0.0005")  # 社会保险法 第八十六条, independently of the terms file

days = st.integers(0, 364).map(lambda n: YEAR_START + dt.timedelta(days=n))
people = st.sampled_from(PEOPLE)
schemes = st.sampled_from(("310", "390"))
matters = st.one_of(
    st.tuples(st.just("register"), st.just("NEW")),
    st.tuples(st.just("join"), people, days),
    st.tuples(st.just("leave"), people, days),
    st.tuples(st.just("stop"), people, schemes, days),
    st.tuples(st.just("resume"), people, schemes, days),
    st.tuples(st.just("switch"), people, schemes, days),
    st.tuples(st.just("enrol_resident"), people, days),
    st.tuples(st.just("declare_and_collect"), people, st.integers(1, 12), st.integers(300_000, 2_500_000),
              st.integers(0, 60)),
    st.tuples(st.just("death"), people, days),
    st.tuples(st.just("transfer_out"), people, days),
    st.tuples(st.just("transfer_in"), people, schemes, days, st.integers(0, 120), st.integers(0, 50_000)),
)


class World:
    def __init__(self, store: Store, registry, terms):
        self.store = store
        self.persons = PersonService(store, TEST_CIPHER, today=lambda: dt.date(2021, 12, 31))
        self.employers = EmployerService(store, registry, terms)
        self.enrolments = self.employers.enrolment
        self.transfers = TransferService(store, registry, TEST_CIPHER, today=lambda: dt.date(2021, 12, 31))
        self.keys = 0
        self.employers.register(EMPLOYER, "长春某机械厂", "220102")
        self.new_psn: str | None = None
        self.batches = 0

    def who(self, name: str) -> str | None:
        return self.new_psn if name == "NEW" else name

    def apply(self, matter: tuple) -> None:
        kind, *args = matter
        getattr(self, kind)(*args)

    def register(self, _name: str) -> None:
        first17 = "22010219900505" + "123"
        self.new_psn = self.persons.register({"id_number": first17 + check_character(first17), "name": "新登记居民",
                                              "county": "220102", "psn_type": "1501"})

    def join(self, name: str, day: dt.date) -> None:
        self.employers.join(EMPLOYER, self._psn(name), day)

    def leave(self, name: str, day: dt.date) -> None:
        self.employers.leave(EMPLOYER, self._psn(name), day)

    def stop(self, name: str, insutype: str, day: dt.date) -> None:
        self.enrolments.stop(self._psn(name), insutype, day)

    def resume(self, name: str, insutype: str, day: dt.date) -> None:
        self.enrolments.resume(self._psn(name), insutype, day)

    def switch(self, name: str, insutype: str, day: dt.date) -> None:
        self.enrolments.switch(self._psn(name), insutype, day)

    def enrol_resident(self, name: str, day: dt.date) -> None:
        self.enrolments.enrol_resident(self._psn(name), 2021, day)

    def death(self, name: str, day: dt.date) -> None:
        self.persons.record_death(self._psn(name), day, "测试")

    def transfer_out(self, name: str, day: dt.date) -> None:
        self.keys += 1
        self.transfers.transfer_out(self._psn(name), "440100", "广州市", day, key=f"out{self.keys}", by="测试")

    def transfer_in(self, name: str, insutype: str, day: dt.date, months: int, balance: int) -> None:
        self.keys += 1
        self.transfers.transfer_in(self._psn(name), {
            "from_pool": "440100", "from_pool_name": "广州市", "insutype": insutype, "total_months": str(months),
            "continuous_months": str(months), "ended_on": (day - dt.timedelta(days=1)).isoformat(),
            "start": day.isoformat(), "balance": _yuan(balance if insutype == "310" else 0)},
            key=f"in{self.keys}", by="测试")

    def declare_and_collect(self, name: str, month: int, wage: int, delay: int) -> None:
        month_text = f"2021-{month:02d}"
        view = self.employers.declare(EMPLOYER, self._psn(name), month_text, wage, dt.date(2021, month, 1))
        paid_on = view.due_on + dt.timedelta(days=delay)
        unpaid = view.employer_part + view.individual_part
        late = int((Decimal(unpaid) * max(delay, 0) * LATE_FEE_DAILY).quantize(Decimal(1), ROUND_HALF_UP))
        self.batches += 1
        outcome = self.employers.reconcile(f"B{self.batches:04d}", paid_on, [{
            "employer": EMPLOYER, "psn_no": view.psn_no, "month": month_text,
            "employer_part": _yuan(view.employer_part), "individual_part": _yuan(view.individual_part),
            "late_fee": _yuan(late), "paid_on": paid_on.isoformat()}])
        assert outcome.accepted == 1, outcome.held  # an exact collection is never held

    def _psn(self, name: str) -> str:
        psn = self.who(name)
        if psn is None:
            raise _NotYet()
        return psn

    def snapshot(self) -> tuple:
        def read(session):
            return (
                sorted((e.id, e.psn_no, e.insutype, e.start, e.end) for e in session.scalars(select(m.Enrolment))),
                session.scalar(select(func.count()).select_from(m.JournalEntry)),
                sorted((d.psn_no, d.month, d.collected_on) for d in session.scalars(select(m.Declaration))),
                sorted((e.psn_no, e.joined_on, e.left_on) for e in session.scalars(select(m.Employment))),
                sorted((p.psn_no, p.death_date) for p in session.scalars(select(m.Person))),
            )
        return self.store.read(read)


class _NotYet(Exception):
    """The matter names a person not registered yet: nothing to do."""


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def assert_insured_once_a_day(store: Store) -> None:
    def spans(session):
        out: dict[str, list[tuple]] = {}
        for e in session.scalars(select(m.Enrolment)):
            if e.end is None or e.end >= e.start:  # an enrolment cut before it began covers no day
                out.setdefault(e.psn_no, []).append((e.start, e.end or FAR, e.id, e.insutype))
        return out
    for psn_no, rows in store.read(spans).items():
        rows.sort()
        for (s1, e1, id1, t1), (s2, e2, id2, t2) in zip(rows, rows[1:]):
            assert s2 > e1, f"{psn_no} insured twice: enrolment {id1} ({t1}) to {e1} and {id2} ({t2}) from {s2}"


def assert_no_cover_after_death(store: Store) -> None:
    def rows(session):
        return [(p.psn_no, p.death_date, e.id, e.start, e.end) for p, e in session.execute(
            select(m.Person, m.Enrolment).join(m.Enrolment, m.Enrolment.psn_no == m.Person.psn_no)
            .where(m.Person.death_date.is_not(None)))]
    for psn_no, died, eid, start, end in store.read(rows):
        assert end is not None and (end <= died or end < start), f"{psn_no} covered after death by enrolment {eid}"


def assert_every_contribution_booked(store: Store) -> None:
    def read(session):
        collected = session.scalars(select(m.Declaration).where(m.Declaration.collected_on.is_not(None))).all()
        causes = set(session.scalars(select(m.JournalEntry.cause_id)))
        return collected, causes
    collected, causes = store.read(read)
    for d in collected:
        assert f"employee:{d.psn_no}:{d.month}" in causes, f"collected {d.psn_no} {d.month} has no ledger entry"


def run(store: Store, registry, terms, sequence) -> None:
    world = World(store, registry, terms)
    world.join("CC0101", YEAR_START)  # an employee from the start, so that declarations can be collected
    history: list[str] = []
    try:
        for matter in sequence:
            before = world.snapshot()
            try:
                world.apply(matter)
                history.append(f"applied {matter}")
                event(f"applied: {matter[0]}")
            except _NotYet:
                continue
            except ServiceError as exc:
                history.append(f"refused {matter}: {exc.message}")
                assert world.snapshot() == before, "the refused matter changed the store"
            assert_insured_once_a_day(store)
        assert_no_cover_after_death(store)
        assert_every_contribution_booked(store)
        report = verify(store)
        assert report.ok, [(c.name, c.breaches) for c in report.checks if not c.ok]
    except AssertionError as exc:
        raise AssertionError(f"{exc}\nafter:\n  " + "\n  ".join(history)) from None


def fresh_store(url: str) -> Store:
    store = Store.open(url)
    load_file(store, DATA / "changchun.yaml", TEST_CIPHER)
    store.transaction(add_persons)
    return store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(sequence=st.lists(matters, min_size=1, max_size=14))
def test_random_matters_on_sqlite(sequence, sqlite_template, tmp_path, registry, terms):
    target = tmp_path / f"seq-{uuid.uuid4().hex[:8]}.db"
    shutil.copy(sqlite_template, target)
    store = fresh_store(f"sqlite:///{target}")
    try:
        run(store, registry, terms, sequence)
    finally:
        store.close()
        target.unlink(missing_ok=True)


@pytest.mark.postgres
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(sequence=st.lists(matters, min_size=1, max_size=14))
def test_random_matters_on_postgres(sequence, pg_session_url, registry, terms):
    empty_pg_database(pg_session_url)
    store = fresh_store(pg_session_url)
    try:
        run(store, registry, terms, sequence)
    finally:
        store.close()
