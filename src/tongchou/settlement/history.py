"""Bulk history: many settlements computed by the engine and written in bulk (a demo year, a migration).

The same rules as `SettlementService` — agreement in force, eligibility and waiting periods, filings,
the catalogue in force on the date, the engine — and the same rows and ledger entries (built by the
same functions). What it leaves out is what only a live request needs: row locks (it runs alone),
idempotent replays and reversal marks (every history key must be new). A request that the service
would refuse is reported with its field and reason, and nothing of it is written.
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

from tongchou.codes import Insutype
from tongchou.enrolment.rules import Period, benefits_on
from tongchou.ledger.accounts import Fund, Title
from tongchou.ledger.book import closed_to, first_open_day, record_many, settlement_facts
from tongchou.ledger.postings import settlement_entry
from tongchou.money import to_fen
from tongchou.policy.registry import NoPolicy, Registry, Resolved
from tongchou.settlement.engine import settle as engine_settle
from tongchou.settlement.model import Item, YearState
from tongchou.settlement.service import (
    Context, FeeLine, SettleRequest, _check_agreement, _dec, _filing_gap, claim_for, fee_item_values, settlement_values,
)
from tongchou.settlement.split import SplitError, split_items
from tongchou.store import models as m
from tongchou.store.codec import state_json, state_of
from tongchou.store.errors import ServiceError
from tongchou.store.uow import Store

CHUNK = 500  # rows per IN (...) look-up


@dataclass(frozen=True)
class Refusal:
    key: str
    field: str
    message: str


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
    fee_items: list[tuple[int, SettleRequest, dict, str, str]] = field(default_factory=list)
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

    def items(self, req: SettleRequest) -> list[Item]:
        """As `service.items_from_catalogue`, from the cache."""
        if not req.items:
            raise ServiceError("items", "结算请求没有费用明细。")
        items = []
        for index, line in enumerate(req.items):
            entry = self.in_force(line.code, req.enddate)
            if entry is None:
                raise ServiceError(f"items[{index}].code", f"项目{line.code}不在医保目录内（或目录未生效）。")
            if line.amount < 0:
                raise ServiceError(f"items[{index}].amount", f"项目{line.code}的金额不能为负数。")
            items.append(Item(code=line.code, category=entry.category, amount=line.amount, qty=line.qty,
                              price=line.price, price_cap=_dec(entry.price_cap),
                              selfpay_prop=_dec(entry.selfpay_prop), essential_drug=entry.essential_drug,
                              restriction_met=line.restriction_met if entry.restriction else True))
        return items


class SettlementHistory:
    """Loads settlements in bulk; one instance, one writer at a time."""

    def __init__(self, store: Store, registry: Registry):
        self.store = store
        self.registry = registry

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
        for psn_no, amount in _account_balances(session, people.employees()).items():
            balances.setdefault(psn_no, amount)
        out = _Batch(closed=closed_to(session))
        for req in batch:
            try:
                if req.key in used_keys:
                    raise ServiceError("key", f"交易{req.key}已办理。")
                if req.visit_key in active:
                    raise ServiceError("mdtrt_id", f"该就诊（{req.mdtrt_id}）已有有效结算。")
                self._settle_one(req, people, catalogue, stored_states, states, balances, out)
                used_keys.add(req.key)
                active.add(req.visit_key)
                report.settled += 1
            except ServiceError as exc:
                report.refused.append(Refusal(req.key, exc.field, exc.message))
        _write(session, out, stored_states, states)

    def _settle_one(self, req: SettleRequest, people: _People, catalogue: CatalogueCache,
                    stored: dict[tuple[str, str, int], Any], states: dict[tuple[str, str, int], YearState],
                    balances: dict[str, int], out: _Batch) -> None:
        if req.mulaid_psn_no:
            raise ServiceError("mulaid_psn_no", "家庭共济支付请经实时结算办理。")
        ctx = people.context(req)
        _check_agreement(ctx.institution, req.enddate)
        resolved = self._resolve(ctx, req)
        eligibility = benefits_on(ctx.periods, req.insutype, req.enddate)
        if not eligibility.eligible and not req.settle_if_ineligible:
            raise ServiceError("psn_no", eligibility.reason)
        items = catalogue.items(req)
        try:
            split, item_splits = split_items(items)
        except SplitError as exc:
            raise ServiceError(exc.field, str(exc)) from None
        setl_id = req.setl_id or req.key
        claim = claim_for(req, ctx, setl_id, split, item_splits, 0)
        state_key = (req.psn_no, req.insutype, req.enddate.year)
        state = states.get(state_key) or state_of(stored.get(state_key))
        if req.insutype == Insutype.EMPLOYEE and req.psn_no in balances:
            state = state.with_(acct_balance=balances[req.psn_no])
        reason = eligibility.reason or _filing_gap(ctx, req, resolved)
        settlement, after = engine_settle(resolved, claim, state, eligible=reason is None, ineligible_reason=reason)
        if after.acct_balance is not None:
            balances[req.psn_no] = after.acct_balance
        states[state_key] = after
        insurer = next((layer.run_by for layer in resolved.layers if layer.field == "hifmi_pay" and layer.run_by), None)
        extra = {"items": items, "item_splits": item_splits, "claim": claim, "eligible": reason is None,
                 "mulaid_county": None, "insurer": insurer}
        values = settlement_values(req, ctx, settlement, extra)
        county = ctx.person.county
        out.keys.append(dict(key=req.key, kind="settlement", request_hash=values["request_hash"], setl_id=setl_id))
        out.active.append(dict(visit_key=req.visit_key, setl_id=setl_id))
        out.visits.append(dict(fixmedins_code=req.fixmedins_code, mdtrt_id=req.mdtrt_id, psn_no=req.psn_no,
                               insutype=req.insutype, med_type=req.med_type, begndate=req.begndate,
                               enddate=req.enddate, dise_code=req.dise_code, county=county))
        out.settlements.append(values)
        out.fee_items.append((len(out.visits) - 1, req, extra, setl_id, county))
        booked_on = first_open_day(out.closed, req.enddate)
        out.entries.append(settlement_entry(settlement_facts(SimpleNamespace(**values), booked_on)))

    def _resolve(self, ctx: Context, req: SettleRequest) -> Resolved:
        try:
            return self.registry.resolve(ctx.pool, req.insutype, req.enddate)
        except NoPolicy as exc:
            raise ServiceError("enddate", f"统筹区{ctx.pool}险种{req.insutype}无有效政策：{exc}") from None


class _People:
    """Persons, enrolments, filings, institutions and counties of a batch, read once."""

    def __init__(self, session: Session, psn_nos: list[str]):
        self.persons: dict[str, m.Person] = {}
        self.enrolments: dict[str, list[m.Enrolment]] = defaultdict(list)
        self.filings: dict[str, list[m.Filing]] = defaultdict(list)
        for chunk in _chunks(psn_nos):
            for person in session.execute(select(m.Person).where(m.Person.psn_no.in_(chunk))).scalars():
                self.persons[person.psn_no] = person
            for row in session.execute(select(m.Enrolment).where(m.Enrolment.psn_no.in_(chunk))).scalars():
                self.enrolments[row.psn_no].append(row)
            for row in session.execute(select(m.Filing).where(m.Filing.psn_no.in_(chunk))).scalars():
                self.filings[row.psn_no].append(row)
        self.institutions = {row.code: row for row in session.execute(select(m.Institution)).scalars()}
        self.pools = {row.admdvs: row.pool for row in session.execute(select(m.CountyRow)).scalars()}

    def employees(self) -> list[str]:
        return [psn for psn, rows in self.enrolments.items() if any(r.insutype == Insutype.EMPLOYEE for r in rows)]

    def context(self, req: SettleRequest) -> Context:
        person = self.persons.get(req.psn_no)
        if person is None:
            raise ServiceError("psn_no", f"参保人{req.psn_no}不存在。")
        institution = self.institutions.get(req.fixmedins_code)
        if institution is None:
            raise ServiceError("fixmedins_code", f"定点医药机构{req.fixmedins_code}不存在。")
        enrolments = [e for e in self.enrolments[req.psn_no] if e.insutype == req.insutype]
        periods = [Period(e.insutype, e.start, e.end, e.benefit_start) for e in enrolments]
        covering = [e for e in enrolments if e.start <= req.enddate and (e.end is None or req.enddate <= e.end)]
        return Context(person, institution, self.pools.get(person.county, person.county), periods,
                       covering[-1].tier if covering else None, list(self.filings[req.psn_no]))


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
    fee_rows = [row for index, req, extra, setl_id, county in out.fee_items
                for row in fee_item_values(req, extra, visit_ids[index], setl_id, county)]
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
