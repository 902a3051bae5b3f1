"""Bulk history: many settlements computed by the engine and written in bulk (a demo year, a migration).

The same adjudication as `SettlementService` (`settlement/adjudication.py`: dates, agreement, policy,
eligibility and waiting periods, the catalogue in force on the date, suspended benefits when a supervision
hook is given, the split, filings, the engine) and the same rows and ledger entries (built by the same
functions); only the loading is in bulk. What it leaves out by design is what only a live request has:
row locks (it runs alone), idempotent replays and reversal marks (every history key must be new), family
mutual use of a relative's account (refused: it reads the relative's live balance), and smart-audit
screening (screening a past year is `supervision screen`'s batch). A request that the service would refuse
is reported with its field, code and reason, and nothing of it is written.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tongchou.accumulators import state_json, state_of
from tongchou.codes import Insutype
from tongchou.errors import Conflict, InvalidRequest, ServiceError
from tongchou.enrolment.service import contribution_histories
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.service import closed_to, record_many
from tongchou.ledger.postings import first_open_day, settlement_facts
from tongchou.ledger.postings import settlement_entry
from tongchou.money import to_fen
from tongchou.policy.registry import Registry
from tongchou.settlement.adjudication import Adjudication, Suspension, adjudicate
from tongchou.settlement.hooks import ScreeningHook
from tongchou.accumulators import YearState
from tongchou.settlement.request import FeeLine, SettleRequest
from tongchou.settlement.service import Rows, context_of, fee_item_values, known, policy_in_force, settlement_values
from tongchou.store import models as m
from tongchou.store.uow import Store

CHUNK = 500  # rows per IN (...) look-up


@dataclass(frozen=True)
class Refusal:
    key: str
    field: str
    message: str
    code: str = "error"


@dataclass
class HistoryReport:
    settled: int = 0
    refused: list[Refusal] = field(default_factory=list)


@dataclass
class _Batch:
    """What one transaction writes."""

    keys: list[dict] = field(default_factory=list)
    active: list[dict] = field(default_factory=list)
    visits: list[dict] = field(default_factory=list)
    settlements: list[dict] = field(default_factory=list)
    fee_items: list[tuple[int, SettleRequest, Adjudication, str, str]] = field(default_factory=list)
    entries: list = field(default_factory=list)
    closed: dt.date | None = None  # the books are closed to this day: later settlements book after it


def _chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def history_order(req: SettleRequest) -> tuple:
    """Per person, scheme and date: the order the year-to-date state must see them in."""
    return req.psn_no, req.insutype, req.enddate, req.begndate, req.key


class CatalogueCache:
    """The catalogue rows of every code, for look-ups by date (the latest entry in force wins)."""

    def __init__(self, session: Session):
        self.rows: dict[str, list[m.CatalogueItem]] = defaultdict(list)
        for row in session.execute(select(m.CatalogueItem).order_by(m.CatalogueItem.effective_from)).scalars():
            self.rows[row.code].append(row)

    def in_force(self, code: str, day: dt.date) -> m.CatalogueItem | None:
        found = None
        for row in self.rows.get(code, ()):
            if row.effective_from <= day and (row.effective_to is None or day <= row.effective_to):
                found = row
        return found

    def for_request(self, req: SettleRequest) -> dict[str, m.CatalogueItem]:
        """The entries in force on the request's end date for its codes (absent codes are not in force)."""
        found = {line.code: self.in_force(line.code, req.enddate) for line in req.items}
        return {code: row for code, row in found.items() if row is not None}


class SettlementHistory:
    """Loads settlements in bulk; one instance, one writer at a time."""

    def __init__(self, store: Store, registry: Registry, supervision: ScreeningHook | None = None):
        """`supervision`: the same screening hook as the live service's; only its benefit suspensions apply."""
        self.store = store
        self.registry = registry
        self.supervision = supervision

    def load(self, requests: Iterable[SettleRequest], *, batch_size: int = 5000,
             on_progress: Callable[[int], None] | None = None) -> HistoryReport:
        ordered = sorted(requests, key=history_order)
        report = HistoryReport()
        balances: dict[str, int] = {}
        states: dict[tuple[str, str, int], YearState] = {}
        for start in range(0, len(ordered), batch_size):
            batch = ordered[start:start + batch_size]
            self.store.transaction(lambda session: self._load_batch(session, batch, report, balances, states))
            if on_progress:
                on_progress(len(batch))
        return report

    # ------------------------------------------------------------------ one transaction

    def _load_batch(self, session: Session, batch: Sequence[SettleRequest], report: HistoryReport,
                    balances: dict[str, int], states: dict[tuple[str, str, int], YearState]) -> None:
        catalogue = CatalogueCache(session)
        people = _People(session, sorted({r.psn_no for r in batch}))
        used_keys = _existing(session, m.RequestKey.key, [r.key for r in batch])
        active = _existing(session, m.ActiveVisit.visit_key, [r.visit_key for r in batch])
        stored_states = _stored_states(session, batch)
        suspensions = (self.supervision.suspensions(session, sorted(people.persons))
                       if self.supervision is not None else {})
        for psn_no, amount in _account_balances(session, people.employees()).items():
            balances.setdefault(psn_no, amount)
        out = _Batch(closed=closed_to(session))
        for req in batch:
            try:
                if req.key in used_keys:
                    raise Conflict("key", f"交易{req.key}已办理。", "key_used")
                if req.visit_key in active:
                    raise Conflict("mdtrt_id", f"该就诊（{req.mdtrt_id}）已有有效结算，如需重新结算请先撤销。",
                                   "already_settled")
                self._settle_one(req, people, catalogue, stored_states, states, balances,
                                 suspensions.get(req.psn_no, ()), out)
                used_keys.add(req.key)
                active.add(req.visit_key)
                report.settled += 1
            except ServiceError as exc:
                report.refused.append(Refusal(req.key, exc.field, exc.message, exc.code))
        _write(session, out, stored_states, states)

    def _settle_one(self, req: SettleRequest, people: _People, catalogue: CatalogueCache,
                    stored: dict[tuple[str, str, int], Any], states: dict[tuple[str, str, int], YearState],
                    balances: dict[str, int], suspensions: tuple[Suspension, ...], out: _Batch) -> None:
        if req.mulaid_psn_no:
            raise InvalidRequest("mulaid_psn_no", "家庭共济支付请经实时结算办理。", "mulaid_live_only")
        rows = people.rows(req, catalogue)
        state_key = (req.psn_no, req.insutype, req.enddate.year)
        state = states.get(state_key) or state_of(stored.get(state_key))
        if req.insutype == Insutype.EMPLOYEE and req.psn_no in balances:
            state = state.with_(acct_balance=balances[req.psn_no])
        setl_id = req.setl_id or req.key
        ctx = context_of(rows, policy_in_force(self.registry, rows.pool, req.insutype, req.enddate), state, setl_id,
                         suspensions=suspensions)
        adjudication = adjudicate(ctx, req)
        after = adjudication.state_after
        if after.acct_balance is not None:
            balances[req.psn_no] = after.acct_balance
        states[state_key] = after
        values = settlement_values(req, ctx, adjudication)
        county = ctx.person.county
        out.keys.append(dict(key=req.key, kind="settlement", request_hash=values["request_hash"], setl_id=setl_id))
        out.active.append(dict(visit_key=req.visit_key, setl_id=setl_id))
        out.visits.append(dict(fixmedins_code=req.fixmedins_code, mdtrt_id=req.mdtrt_id, psn_no=req.psn_no,
                               insutype=req.insutype, med_type=req.med_type, begndate=req.begndate,
                               enddate=req.enddate, dise_code=req.dise_code, county=county))
        out.settlements.append(values)
        out.fee_items.append((len(out.visits) - 1, req, adjudication, setl_id, county))
        booked_on = first_open_day(out.closed, req.enddate)
        out.entries.append(settlement_entry(settlement_facts(SimpleNamespace(**values), booked_on)))


class _People:
    """Persons, enrolments, filings, institutions and counties of a batch, read once."""

    def __init__(self, session: Session, psn_nos: list[str]):
        self.persons: dict[str, m.Person] = {}
        self.enrolments: dict[str, list[m.Enrolment]] = defaultdict(list)
        self.filings: dict[str, list[m.Filing]] = defaultdict(list)
        self.applications: dict[str, list[m.FilingApplication]] = defaultdict(list)
        for chunk in _chunks(psn_nos):
            for person in session.execute(select(m.Person).where(m.Person.psn_no.in_(chunk))).scalars():
                self.persons[person.psn_no] = person
            enrolments = select(m.Enrolment).where(m.Enrolment.psn_no.in_(chunk)).order_by(m.Enrolment.id)
            for row in session.execute(enrolments).scalars():
                self.enrolments[row.psn_no].append(row)
            for row in session.execute(select(m.Filing).where(m.Filing.psn_no.in_(chunk))).scalars():
                self.filings[row.psn_no].append(row)
            applications = (select(m.FilingApplication).where(m.FilingApplication.psn_no.in_(chunk))
                            .order_by(m.FilingApplication.id))
            for row in session.execute(applications).scalars():
                self.applications[row.psn_no].append(row)
        self.histories = contribution_histories(
            session, {psn: person.contribution_years or 0 for psn, person in self.persons.items()},
            {psn: [(e.start, e.end) for e in rows if e.insutype == Insutype.RESIDENT]
             for psn, rows in self.enrolments.items()})
        self.institutions = {row.code: row for row in session.execute(select(m.Institution)).scalars()}
        self.pools = {row.admdvs: row.pool for row in session.execute(select(m.CountyRow)).scalars()}

    def employees(self) -> list[str]:
        return [psn for psn, rows in self.enrolments.items() if any(r.insutype == Insutype.EMPLOYEE for r in rows)]

    def rows(self, req: SettleRequest, catalogue: CatalogueCache) -> Rows:
        person = self.persons.get(req.psn_no)
        institution = self.institutions.get(req.fixmedins_code)
        known(req, person, institution)
        return Rows(person, institution, self.pools.get(person.county, person.county),
                    [e for e in self.enrolments[req.psn_no] if e.insutype == req.insutype],
                    self.filings[req.psn_no], catalogue.for_request(req), self.applications[req.psn_no],
                    self.histories.get(req.psn_no))


def _existing(session: Session, column, values: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(set(values))):
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


def _stored_states(session: Session, batch: Sequence[SettleRequest]) -> dict[tuple[str, str, int], Any]:
    wanted = {(r.psn_no, r.insutype, r.enddate.year) for r in batch}
    stored: dict[tuple[str, str, int], Any] = {}
    for chunk in _chunks(sorted({psn for psn, _, _ in wanted})):
        for row in session.execute(select(m.YearStateRow).where(m.YearStateRow.psn_no.in_(chunk))).scalars():
            key = (row.psn_no, row.insutype, row.year)
            if key in wanted:
                stored[key] = row.state
    return stored


def _account_balances(session: Session, psn_nos: list[str]) -> dict[str, int]:
    """Personal account balances from the postings (credit balance of the holder's account)."""
    balances: dict[str, int] = {}
    for chunk in _chunks(psn_nos):
        rows = session.execute(
            select(m.Posting.party, func.sum(m.Posting.credit) - func.sum(m.Posting.debit))
            .where(m.Posting.fund == str(Fund.PERSONAL_ACCOUNT), m.Posting.title == str(Title.ACCOUNT_HOLDER),
                   m.Posting.party.in_(chunk))
            .group_by(m.Posting.party))
        balances.update({party: int(amount or 0) for party, amount in rows})
    for psn_no in psn_nos:
        balances.setdefault(psn_no, 0)
    return balances


def _write(session: Session, out: _Batch, stored: dict[tuple[str, str, int], Any],
           states: dict[tuple[str, str, int], YearState]) -> None:
    if not out.settlements:
        return
    session.execute(insert(m.RequestKey.__table__), out.keys)
    session.execute(insert(m.ActiveVisit.__table__), out.active)
    visit_ids = session.execute(insert(m.Visit.__table__).returning(m.Visit.id, sort_by_parameter_order=True),
                                out.visits).scalars().all()
    session.execute(insert(m.Settlement.__table__), out.settlements)
    fee_rows = [row for index, req, adjudication, setl_id, county in out.fee_items
                for row in fee_item_values(req, adjudication, visit_ids[index], setl_id, county)]
    if fee_rows:
        session.execute(insert(m.FeeItem.__table__), fee_rows)
    record_many(session, out.entries)
    _write_states(session, out, stored, states)


def _write_states(session: Session, out: _Batch, stored: dict[tuple[str, str, int], Any],
                  states: dict[tuple[str, str, int], YearState]) -> None:
    counts: dict[tuple[str, str, int], int] = defaultdict(int)
    counties: dict[tuple[str, str, int], str] = {}
    for values in out.settlements:
        key = (values["psn_no"], values["insutype"], values["year"])
        counts[key] += 1
        counties[key] = values["county"]
    fresh = [dict(psn_no=k[0], insutype=k[1], year=k[2], county=counties[k], state=state_json(states[k], k[2]),
                  settlements=n) for k, n in counts.items() if k not in stored]
    if fresh:
        session.execute(insert(m.YearStateRow.__table__), fresh)
    for key, n in counts.items():
        if key in stored:
            row = m.YearStateRow
            session.execute(update(row).where(row.psn_no == key[0], row.insutype == key[1], row.year == key[2])
                            .values(state=state_json(states[key], key[2]), settlements=row.settlements + n))
        stored[key] = state_json(states[key], key[2])


# ---------------------------------------------------------------- visits in the `tongchou settle` line format

def request_from_visit(visit: dict[str, Any]) -> SettleRequest:
    """A visit line (the claim format of `tongchou settle`, with `fixmedins_code`, `mdtrt_id` and, for DIP,
    optional `diag_code` and `oprn_code`) as a request. Only codes, quantities, prices and amounts of the
    items are used: the catalogue decides the rest."""
    items = tuple(FeeLine(code=str(i["code"]), amount=to_fen(i["amount"]),
                          qty=None if i.get("qty") is None else Decimal(str(i["qty"])),
                          price=None if i.get("price") is None else Decimal(str(i["price"])),
                          restriction_met=bool(i.get("restriction_met", True)))
                  for i in visit.get("items") or ())
    return SettleRequest(
        key=str(visit["setl_id"]), setl_id=str(visit["setl_id"]), psn_no=str(visit["psn_no"]),
        insutype=str(visit["insutype"]), fixmedins_code=str(visit["fixmedins_code"]),
        mdtrt_id=str(visit.get("mdtrt_id") or visit["setl_id"]), med_type=str(visit["med_type"]),
        begndate=dt.date.fromisoformat(visit["begndate"]), enddate=dt.date.fromisoformat(visit["enddate"]),
        items=items, dise_code=visit.get("dise_code"), diag_code=visit.get("diag_code") or None,
        oprn_code=visit.get("oprn_code") or None, accident=bool(visit.get("accident", False)),
        third_party_liable=bool(visit.get("third_party_liable", False)),
        acct_used=str(visit.get("acct_used_flag", "1")) != "0", settle_if_ineligible=True,
    )


def read_visits(path: Path) -> list[SettleRequest]:
    with path.open(encoding="utf-8") as handle:
        return [request_from_visit(json.loads(line)) for line in handle if line.strip()]
