"""The settlement service (imperative shell): settle, pre-settle, cancel and reverse against the store.

docs/reference/settlement-rules.md §8, as implemented here:
- `settle` commits the settlement, the person's accumulators and the fund postings in ONE
  transaction, holding the lock on the person's accumulator row (and on the personal
  accounts it draws from) so that no cap is ever exceeded by concurrent settlements;
- idempotency: a caller key (institution code + msgid on the API, `setl_id` on the command
  line) with the same request returns the first result and moves no money; with a
  different request it is refused (`Conflict`);
- at most one active settlement per visit (`mdtrt_id` for an admission, `mdtrt_id` +
  `chrg_bchno` for an outpatient charge batch), whatever the key;
- `cancel` posts the exact opposite, subtracts the settlement's own Delta, keeps both
  records, and is idempotent;
- `reverse` (冲正) cancels the settlement its key made, or, arriving first, leaves a mark
  so that the late original is refused.
Items are split with the catalogue in force on the visit's end date: the request gives
codes, quantities, prices and amounts only.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import bindparam, delete, insert, literal, select, union_all
from sqlalchemy.orm import Session

from tongchou.accumulators import apply_delta, delta_json, delta_of, state_json, state_of
from tongchou.codes import Insutype
from tongchou.enrolment.service import contribution_history
from tongchou.enrolment.years import History
from tongchou.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.ledger.service import closed_to, personal_account_balance, record
from tongchou.ledger.postings import first_open_day, settlement_facts
from tongchou.ledger.postings import cancellation_entry, settlement_entry
from tongchou.money import Fen, fen_to_str
from tongchou.policy.registry import NoPolicy, Registry, Resolved
from tongchou.settlement.adjudication import (
    Adjudication, CatalogueEntry, Enrolled, Filing, FilingApplied, Insured, Institution, MutualAid, NoPolicyInForce,
    SettlementContext, adjudicate, items_of,
)
from tongchou.settlement.claims_io import explanation_step_json
from tongchou.settlement.hooks import ScreeningHook
from tongchou.accumulators import YearState
from tongchou.settlement.model import AMOUNT_FIELDS
from tongchou.settlement.model import Settlement as EngineSettlement
from tongchou.settlement.request import SettleRequest
from tongchou.store import models as m
from tongchou.store.cache import ReferenceCache
from tongchou.store.uow import Store, insert_new, lock_accounts, lock_year_state, save_year_state


# ---------------------------------------------------------------- outcomes

@dataclass(frozen=True)
class SettleOutcome:
    setl_id: str
    amounts: dict[str, Fen]  # every national amount, in fen
    policy_id: str
    benefit_line: str | None
    explanation: list[dict[str, Any]]
    replayed: bool = False  # the key was seen with the same request: no money moved now
    committed: bool = True  # False for a pre-settlement
    balc: Fen | None = None
    pool_prop: str | None = None  # the pooled fund's share of the in-scope amount, as stored
    warnings: tuple[str, ...] = ()  # supervision findings that do not refuse (returned to the institution)

    @property
    def warn_msg(self) -> str | None:
        return "；".join(self.warnings) or None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"setl_id": self.setl_id, "policy_id": self.policy_id,
                               "benefit_line": self.benefit_line}
        out.update({name: fen_to_str(value) for name, value in self.amounts.items()})
        out["explanation"] = self.explanation
        return out


@dataclass(frozen=True)
class CancelOutcome:
    setl_id: str
    replayed: bool  # it was already cancelled: nothing moved now
    cause: str


@dataclass(frozen=True)
class ReverseOutcome:
    key: str
    marked: bool  # the original had not arrived: a mark now refuses it
    cancelled: CancelOutcome | None = None


AfterHook = Callable[[Session, Any], None]


# ---------------------------------------------------------------- what a settlement needs from the store

@dataclass(frozen=True)
class Rows:
    """The store's rows a settlement context is built from (the live service reads one person's, bulk history a
    batch's)."""

    person: Any  # m.Person
    institution: Any  # m.Institution
    pool: str
    enrolments: Iterable[Any]  # the person's enrolments in the request's scheme, oldest first
    filings: Iterable[Any]
    catalogue: Mapping[str, Any]  # code → the catalogue row in force on the request's end date
    applications: Iterable[Any] = ()  # the person's filing applications (门诊慢特病申报), oldest first
    history: History | None = None  # the contribution history (contribution years); None: the stored years


def known(req: SettleRequest, person: Any, institution: Any) -> None:
    """Refuse a request naming a person or an institution the store does not have."""
    if person is None:
        raise InvalidRequest("psn_no", f"参保人{req.psn_no}不存在。", "unknown_person")
    if institution is None:
        raise InvalidRequest("fixmedins_code", f"定点医药机构{req.fixmedins_code}不存在。", "unknown_institution")


def policy_in_force(registry: Registry, pool: str, insutype: str, day: dt.date) -> Resolved | NoPolicyInForce:
    try:
        return registry.resolve(pool, insutype, day)
    except NoPolicy as exc:
        return NoPolicyInForce(str(exc))


def context_of(rows: Rows, policy: Resolved | NoPolicyInForce, state: YearState, setl_id: str, *,
               suspensions: tuple[Any, ...] = (), mutual_aid: MutualAid | None = None) -> SettlementContext:
    """The adjudication's typed context from the store's rows."""
    p, i = rows.person, rows.institution
    return SettlementContext(
        setl_id=setl_id,
        person=Insured(p.psn_no, p.psn_type, p.birth_date, p.county, frozenset(p.assistance or ()),
                       p.contribution_years or 0, p.sex, p.death_date),
        institution=Institution(i.code, i.name, i.hosp_lv, i.admin_tier, i.agreement_status, i.agreement_from,
                                i.agreement_to),
        pool=rows.pool,
        enrolments=tuple(Enrolled(e.insutype, e.start, e.end, e.benefit_start, e.tier) for e in rows.enrolments),
        filings=tuple(Filing(f.kind, f.dise_code, f.approved_on, f.valid_from, f.valid_to) for f in rows.filings),
        applications=tuple(FilingApplied(a.kind, a.dise_code, a.state, a.received_on, a.decided_on, a.reason)
                           for a in rows.applications),
        catalogue={code: catalogue_entry(row) for code, row in rows.catalogue.items()},
        policy=policy, state=state, suspensions=tuple(suspensions), mutual_aid=mutual_aid, history=rows.history)


def catalogue_entry(row: Any) -> CatalogueEntry:
    return CatalogueEntry(row.code, row.category, _dec(row.price_cap), _dec(row.selfpay_prop),
                          bool(row.essential_drug), bool(row.restriction))


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def settlement_values(req: SettleRequest, ctx: SettlementContext, adjudication: Adjudication) -> dict[str, Any]:
    """The stored settlement row of an adjudication (the live service and bulk history write the same)."""
    settlement, claim = adjudication.settlement, adjudication.claim
    return dict(
        setl_id=settlement.setl_id, request_key=req.key, request_hash=req.fingerprint(), psn_no=req.psn_no,
        insutype=req.insutype, year=req.enddate.year, county=ctx.person.county, insuplc_admdvs=ctx.pool,
        fixmedins_code=req.fixmedins_code, hosp_lv=ctx.institution.hosp_lv, admin_tier=ctx.institution.admin_tier,
        mdtrt_id=req.mdtrt_id, chrg_bchno=req.chrg_bchno, med_type=req.med_type, dise_code=req.dise_code,
        diag_code=req.diag_code, oprn_code=req.oprn_code,
        accident=req.accident, begndate=req.begndate, enddate=req.enddate, psn_type=claim.person.psn_type,
        tier=claim.person.tier, assistance=sorted(claim.person.assistance),
        continuous_years=claim.person.continuous_years, policy_id=settlement.policy_id,
        policy_version=settlement.policy_version, benefit_line=settlement.benefit_line,
        eligible=adjudication.eligible, inscp_essential_amt=settlement.inscp_essential_amt,
        acct_mulaid_pay=settlement.acct_mulaid_pay, balc=settlement.balc, pool_prop=str(settlement.pool_prop),
        mulaid_psn_no=req.mulaid_psn_no if settlement.acct_mulaid_pay else None,
        mulaid_county=adjudication.mulaid_county,
        hifmi_insurer=adjudication.insurer if settlement.hifmi_pay else None,
        explanation=[explanation_step_json(step) for step in settlement.explanation],
        delta=delta_json(settlement.delta), **settlement.amounts(),
    )


def fee_item_values(req: SettleRequest, adjudication: Adjudication, visit_id: int, setl_id: str, county: str
                    ) -> list[dict[str, Any]]:
    """The stored fee lines of a settlement, with the catalogue facts used and each line's split."""
    return [dict(visit_id=visit_id, setl_id=setl_id, chrg_bchno=req.chrg_bchno, line_no=index, code=line.code,
                 qty=line.qty, price=line.price, amount=line.amount, category=item.category,
                 selfpay_prop=item.selfpay_prop, price_cap=item.price_cap, fulamt_ownpay_amt=part.fulamt_ownpay_amt,
                 overlmt_selfpay=part.overlmt_selfpay, preselfpay_amt=part.preselfpay_amt,
                 inscp_scp_amt=part.inscp_scp_amt, county=county)
            for index, (line, item, part) in enumerate(zip(req.items, adjudication.items, adjudication.item_splits))]


def items_from_catalogue(session: Session, req: SettleRequest, references: ReferenceCache | None = None) -> list:
    """The request's lines with the catalogue facts in force on its end date (screening outside a settlement)."""
    references = references or ReferenceCache(None)
    rows = references.catalogue_in_force(session, {line.code for line in req.items}, req.enddate)
    return list(items_of(req, {code: catalogue_entry(row) for code, row in rows.items()}))


class SettlementService:
    """Settlement against the store; one instance may serve many threads."""

    def __init__(self, store: Store, registry: Registry, today: Callable[[], dt.date] = dt.date.today,
                 supervision: ScreeningHook | None = None, references: ReferenceCache | None = None):
        """`supervision`: the screening hook (supervision's `SupervisionHook`): benefit suspensions and smart-audit
        screening; `references`: the worker's cache of institutions, counties and catalogue entries (none by
        default)."""
        self.store = store
        self.registry = registry
        self.today = today
        self.supervision = supervision
        self.references = references or ReferenceCache(None)

    # -------------------------------------------------- settle / pre-settle

    def settle(self, req: SettleRequest, after: AfterHook | None = None) -> SettleOutcome:
        """Settle; `after(session, outcome)` runs in the same transaction before it commits (the API
        records its message and marks the fee lines there), also when the key replays an answer."""
        def work(session: Session) -> SettleOutcome:
            outcome = self.settle_in(session, req)
            if after is not None:
                after(session, outcome)
            return outcome
        return self.store.transaction(work)

    def pre_settle(self, req: SettleRequest) -> SettleOutcome:
        """Everything `settle` computes; nothing is written."""
        def compute(session: Session) -> SettleOutcome:
            rows = self._rows(session, req)
            state = self._state_of(session, req, lock=False)
            _ctx, adjudication, warnings = self._adjudicate(session, req, rows, state,
                                                            req.setl_id or "PRE-SETTLEMENT")
            return outcome_of(adjudication.settlement, committed=False, warnings=warnings)
        return self.store.read(compute)

    def settle_in(self, session: Session, req: SettleRequest) -> SettleOutcome:
        """`settle` inside the caller's transaction (the API records its message in the same one)."""
        rows = self._rows(session, req)
        ys_row = lock_year_state(session, req.psn_no, req.insutype, req.enddate.year, rows.person.county)
        earlier = self._earlier_answer(session, req)  # after the lock: a retry waits for its first attempt
        if earlier is not None:
            return earlier
        state = self._state_of(session, req, lock=True, stored=ys_row.state)
        setl_id = req.setl_id or f"{req.fixmedins_code}-{uuid.uuid4().hex[:20]}"
        ctx, adjudication, warnings = self._adjudicate(session, req, rows, state, setl_id)
        row = self._persist(session, req, ctx, adjudication)
        save_year_state(session, ys_row, state_json(adjudication.state_after, req.enddate.year),
                        ys_row.settlements + 1)
        booked_on = first_open_day(closed_to(session), row.enddate)
        record(session, settlement_entry(settlement_facts(row, booked_on)))
        return outcome_of(adjudication.settlement, warnings=warnings)

    def _earlier_answer(self, session: Session, req: SettleRequest) -> SettleOutcome | None:
        """The first answer of the key, or None; refused when the key was reversed or used for another
        request, or when the visit already has an active settlement (one statement for both checks)."""
        found = {row.what: row for row in session.connection().execute(
            _KEY_AND_ACTIVE, {"key": req.key, "visit_key": req.visit_key})}
        key = found.get("key")
        if not check_key_and_active(req, key, found.get("active")):
            return None
        row = session.execute(select(m.Settlement).where(m.Settlement.setl_id == key.setl_id)).scalar_one()
        return _outcome_of_row(row, replayed=True)

    def _rows(self, session: Session, req: SettleRequest) -> Rows:
        """The person's and the institution's rows, the enrolments, filings and the catalogue in force."""
        person = session.get(m.Person, req.psn_no)
        institution = self.references.institution(session, req.fixmedins_code)
        known(req, person, institution)
        county = self.references.county(session, person.county)
        connection = session.connection()
        enrolments = connection.execute(_ENROLMENTS, {"psn_no": req.psn_no, "insutype": req.insutype}).all()
        cover = [(e.start, e.end) for e in enrolments] if req.insutype == Insutype.RESIDENT else []
        return Rows(person, institution, county.pool if county else person.county, enrolments,
                    connection.execute(_FILINGS, {"psn_no": req.psn_no}).all(),
                    self.references.catalogue_in_force(session, {line.code for line in req.items}, req.enddate)
                    if req.items else {},
                    connection.execute(_APPLICATIONS, {"psn_no": req.psn_no}).all(),
                    contribution_history(session, req.psn_no, opening_years=person.contribution_years or 0,
                                         resident_cover=cover))

    def _state_of(self, session: Session, req: SettleRequest, *, lock: bool, stored: dict | None = None
                  ) -> YearState:
        if stored is None:
            row = session.get(m.YearStateRow, (req.psn_no, req.insutype, req.enddate.year))
            stored = row.state if row else None
        state = state_of(stored)
        if req.insutype == Insutype.EMPLOYEE:
            holders = [req.psn_no] + ([req.mulaid_psn_no] if req.mulaid_psn_no else [])
            accounts = lock_accounts(session, holders) if lock else {}
            if req.psn_no in accounts or session.get(m.PersonalAccount, req.psn_no) is not None:
                state = state.with_(acct_balance=personal_account_balance(session, req.psn_no))
        return state

    def _mutual_aid(self, session: Session, req: SettleRequest) -> MutualAid | None:
        """What the store knows of the relative named to pay (family mutual use), or None."""
        if not req.mulaid_psn_no:
            return None
        relation = session.execute(select(m.FamilyRelation.relation).where(
            m.FamilyRelation.psn_no == req.psn_no, m.FamilyRelation.relative == req.mulaid_psn_no)).scalar_one_or_none()
        has_account = session.get(m.PersonalAccount, req.mulaid_psn_no) is not None
        relative = session.get(m.Person, req.mulaid_psn_no)
        return MutualAid(req.mulaid_psn_no, relation, has_account,
                         personal_account_balance(session, req.mulaid_psn_no) if has_account else 0,
                         relative.county if relative else None)

    def _adjudicate(self, session: Session, req: SettleRequest, rows: Rows, state: YearState, setl_id: str
                    ) -> tuple[SettlementContext, Adjudication, tuple[str, ...]]:
        """The context loaded, the adjudication, then smart-audit screening (which may refuse or warn)."""
        suspensions = (self.supervision.suspensions(session, [req.psn_no]).get(req.psn_no, ())
                       if self.supervision is not None else ())
        review = ((lambda ctx, adjudication: self.supervision.review(session, req, ctx.person, adjudication.items))
                  if self.supervision is not None else None)
        return self.decide(req, rows, state, setl_id, suspensions, self._mutual_aid(session, req), review)

    def decide(self, req: SettleRequest, rows: Rows, state: YearState, setl_id: str, suspensions: tuple[Any, ...],
               mutual_aid: MutualAid | None,
               review: Callable[[SettlementContext, Adjudication], tuple[str, ...]] | None
               ) -> tuple[SettlementContext, Adjudication, tuple[str, ...]]:
        """The one adjudication of every path, from the facts read (the API's hot path reads them in one
        statement): the context, `adjudicate`, then the smart-audit screening `review` (which may refuse)."""
        ctx = context_of(rows, policy_in_force(self.registry, rows.pool, req.insutype, req.enddate), state, setl_id,
                         suspensions=suspensions, mutual_aid=mutual_aid)
        adjudication = adjudicate(ctx, req)
        warnings = review(ctx, adjudication) if review is not None else ()
        return ctx, adjudication, warnings

    def _persist(self, session: Session, req: SettleRequest, ctx: SettlementContext, adjudication: Adjudication
                 ) -> m.Settlement:
        """The key, the active visit, the settlement and its fee lines (plain inserts: the rows are only
        written here); returns the settlement as a transient row for the ledger."""
        setl_id = adjudication.settlement.setl_id
        county = ctx.person.county
        values = settlement_values(req, ctx, adjudication)
        connection = session.connection()
        connection.execute(_INSERT_KEY, {"key": req.key, "kind": "settlement", "request_hash": values["request_hash"],
                                         "setl_id": setl_id})
        connection.execute(_INSERT_ACTIVE, {"visit_key": req.visit_key, "setl_id": setl_id})
        visit_id = self._visit_id(session, req, county)
        connection.execute(_INSERT_SETTLEMENT, values)
        connection.execute(_INSERT_FEE_ITEMS, fee_item_values(req, adjudication, visit_id, setl_id, county))
        return m.Settlement(**values)

    def _visit_id(self, session: Session, req: SettleRequest, county: str) -> int:
        """The service's visit row of the request, added on its first settlement."""
        connection = session.connection()
        added = connection.execute(insert_new(connection.dialect.name, _VISIT_TABLE, "id"), {
            "fixmedins_code": req.fixmedins_code, "mdtrt_id": req.mdtrt_id, "psn_no": req.psn_no,
            "insutype": req.insutype, "med_type": req.med_type, "begndate": req.begndate, "enddate": req.enddate,
            "dise_code": req.dise_code, "county": county}).scalar()
        if added is not None:
            return added
        visit_id, psn_no = connection.execute(_VISIT, {"fixmedins_code": req.fixmedins_code,
                                                       "mdtrt_id": req.mdtrt_id}).one()
        if psn_no != req.psn_no:
            raise Conflict("mdtrt_id", f"就诊{req.mdtrt_id}属于另一参保人。", "visit_of_other_person")
        return visit_id

    # -------------------------------------------------- cancel / reverse

    def cancel(self, setl_id: str, *, key: str | None = None, after: AfterHook | None = None) -> CancelOutcome:
        def work(session: Session) -> CancelOutcome:
            outcome = self._cancel_in(session, setl_id, "cancellation", key)
            if after is not None:
                after(session, outcome)
            return outcome
        return self.store.transaction(work)

    def reverse(self, key: str, after: AfterHook | None = None) -> ReverseOutcome:
        def work(session: Session) -> ReverseOutcome:
            outcome = self._reverse_in(session, key)
            if after is not None:
                after(session, outcome)
            return outcome
        return self.store.transaction(work)

    def _cancel_in(self, session: Session, setl_id: str, cause: str, key: str | None) -> CancelOutcome:
        row = session.execute(select(m.Settlement).where(m.Settlement.setl_id == setl_id)).scalar_one_or_none()
        if row is None:
            raise NotFound("setl_id", f"结算{setl_id}不存在。")
        ys_row = lock_year_state(session, row.psn_no, row.insutype, row.year, row.county)
        done = session.execute(select(m.SettlementCancellation).where(
            m.SettlementCancellation.setl_id == setl_id)).scalar_one_or_none()
        if done is not None:
            return CancelOutcome(setl_id, True, done.cause)
        if row.acct_pay:
            lock_accounts(session, [row.psn_no] + ([row.mulaid_psn_no] if row.mulaid_psn_no else []))
        try:
            after = apply_delta(state_of(ys_row.state), delta_of(row.delta), -1)
        except KeyError:
            raise Conflict("setl_id", f"结算{setl_id}所属住院的首次结算已撤销，请先处理该住院的其他结算。") from None
        save_year_state(session, ys_row, state_json(after, row.year), ys_row.settlements)
        session.add(m.SettlementCancellation(setl_id=setl_id, cause=cause, request_key=key, county=row.county))
        session.execute(delete(m.ActiveVisit).where(m.ActiveVisit.setl_id == setl_id))
        record(session, cancellation_entry(settlement_facts(row), first_open_day(closed_to(session), self.today())))
        session.flush()
        return CancelOutcome(setl_id, False, cause)

    def _reverse_in(self, session: Session, key: str) -> ReverseOutcome:
        earlier = session.get(m.RequestKey, key, populate_existing=True)
        if earlier is None:
            session.add(m.RequestKey(key=key, kind="reversal_mark"))
            session.flush()
            return ReverseOutcome(key, True)
        if earlier.kind == "reversal_mark":
            return ReverseOutcome(key, True)
        return ReverseOutcome(key, False, self._cancel_in(session, earlier.setl_id, "reversal", key))

    # -------------------------------------------------- reading

    def get(self, setl_id: str) -> SettleOutcome:
        def load(session: Session) -> SettleOutcome:
            row = session.execute(select(m.Settlement).where(m.Settlement.setl_id == setl_id)).scalar_one_or_none()
            if row is None:
                raise NotFound("setl_id", f"结算{setl_id}不存在。")
            return _outcome_of_row(row)
        return self.store.read(load)


# ---------------------------------------------------------------- statements of the hot path, built once

_ENROLMENT_TABLE = m.Enrolment.__table__
_ENROLMENTS = select(_ENROLMENT_TABLE).where(_ENROLMENT_TABLE.c.psn_no == bindparam("psn_no"),
                                             _ENROLMENT_TABLE.c.insutype == bindparam("insutype")
                                             ).order_by(_ENROLMENT_TABLE.c.id)
_FILINGS = select(m.Filing.__table__).where(m.Filing.__table__.c.psn_no == bindparam("psn_no"))
_APPLICATIONS = (select(m.FilingApplication.__table__)
                 .where(m.FilingApplication.__table__.c.psn_no == bindparam("psn_no"))
                 .order_by(m.FilingApplication.__table__.c.id))
_INSERT_KEY = insert(m.RequestKey.__table__)
_INSERT_ACTIVE = insert(m.ActiveVisit.__table__)
_INSERT_SETTLEMENT = insert(m.Settlement.__table__)
_INSERT_FEE_ITEMS = insert(m.FeeItem.__table__)
_KEY_AND_ACTIVE = union_all(
    select(literal("key").label("what"), m.RequestKey.kind, m.RequestKey.request_hash, m.RequestKey.setl_id)
    .where(m.RequestKey.key == bindparam("key")),
    select(literal("active"), literal(None), literal(None), m.ActiveVisit.setl_id)
    .where(m.ActiveVisit.visit_key == bindparam("visit_key")))
_VISIT_TABLE = m.Visit.__table__
_VISIT = select(_VISIT_TABLE.c.id, _VISIT_TABLE.c.psn_no).where(
    _VISIT_TABLE.c.fixmedins_code == bindparam("fixmedins_code"), _VISIT_TABLE.c.mdtrt_id == bindparam("mdtrt_id"))


# ---------------------------------------------------------------- helpers

def check_key_and_active(req: SettleRequest, key: Any | None, active: Any | None) -> bool:
    """True when the request's key was settled already with the same request (its answer replays); False for a
    new key on a visit without an active settlement; refused otherwise (reversed key, another request under the
    key, or an active settlement of the visit). `key`: the request_key row (kind, request_hash, setl_id);
    `active`: the active_visit row of `req.visit_key` (setl_id)."""
    if key is None:
        if active is not None:
            raise Conflict("mdtrt_id", f"该就诊（{req.mdtrt_id}）已有有效结算{active.setl_id}，"
                                       f"如需重新结算请先撤销。", "already_settled")
        return False
    if key.kind == "reversal_mark":
        raise Refused("key", f"交易{req.key}已被冲正，原交易不予办理。", "reversed")
    if key.request_hash != req.fingerprint():
        raise Conflict("key", f"交易{req.key}已办理，且本次请求内容与原请求不同，不予办理。", "key_conflict")
    return True


def _amounts(source: Any) -> dict[str, Fen]:
    names = (*AMOUNT_FIELDS, "inscp_essential_amt", "acct_mulaid_pay")
    return {name: getattr(source, name) for name in names}


def outcome_of(settlement: EngineSettlement, committed: bool = True, warnings: tuple[str, ...] = ()
                ) -> SettleOutcome:
    return SettleOutcome(settlement.setl_id, _amounts(settlement), settlement.policy_id, settlement.benefit_line,
                         [explanation_step_json(step) for step in settlement.explanation], committed=committed,
                         balc=settlement.balc, pool_prop=str(settlement.pool_prop), warnings=tuple(warnings))


def _outcome_of_row(row: m.Settlement, replayed: bool = False) -> SettleOutcome:
    return SettleOutcome(row.setl_id, _amounts(row), row.policy_id, row.benefit_line, list(row.explanation),
                         replayed=replayed, balc=row.balc, pool_prop=row.pool_prop)
