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
import hashlib
import json
import uuid
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import bindparam, delete, insert, literal, select, union_all
from sqlalchemy.orm import Session

from tongchou.codes import Insutype
from tongchou.enrolment.rules import Period, benefits_on, date_text, mutual_use_allowed
from tongchou.ledger.book import closed_to, first_open_day, personal_account_balance, record, settlement_facts
from tongchou.ledger.postings import cancellation_entry, settlement_entry
from tongchou.money import Fen, fen_to_str
from tongchou.policy.registry import NoPolicy, Registry, Resolved
from tongchou.settlement.claims_io import explanation_step_json
from tongchou.settlement.engine import apply_delta, settle as engine_settle
from tongchou.settlement.matching import find_disease
from tongchou.settlement.model import AMOUNT_FIELDS, Claim, Item, Person, YearState
from tongchou.settlement.model import Settlement as EngineSettlement
from tongchou.settlement.split import SplitError, split_items
from tongchou.store import models as m
from tongchou.store.cache import ReferenceCache
from tongchou.store.codec import delta_json, delta_of, state_json, state_of
from tongchou.store.errors import Conflict, InvalidRequest, NotFound, Refused
from tongchou.store.uow import Store, insert_new, lock_accounts, lock_year_state, save_year_state

INPATIENT_MED_TYPES = frozenset({"21", "22", "23", "52"})
REFERRAL_MED_TYPES = frozenset({"23"})
CHRONIC_MED_TYPES = frozenset({"14"})


# ---------------------------------------------------------------- requests and outcomes

@dataclass(frozen=True)
class FeeLine:
    """A fee line as the institution sends it: no category, proportion or cap (the catalogue has them)."""

    code: str
    amount: Fen
    qty: Decimal | None = None
    price: Decimal | None = None
    restriction_met: bool = True  # whether a restricted-use item's condition holds (lmt_used_flag)


# Fields added after settlements were stored: left out of the fingerprint when empty, so that a request
# key stored before them still matches its retry.
ADDED_LATER = frozenset({"diag_code", "oprn_code", "begntime", "part"})
# The DIP codes' national lengths (dscg_maindiag_code C20, oprn_oprt_code C30), checked on every path in.
CODE_LIMITS = {"diag_code": (20, "主要诊断编码"), "oprn_code": (30, "主要手术操作编码")}


@dataclass(frozen=True)
class SettleRequest:
    key: str  # idempotency key: institution code + msgid, or setl_id
    psn_no: str
    insutype: str
    fixmedins_code: str
    mdtrt_id: str
    med_type: str
    begndate: dt.date
    enddate: dt.date
    items: tuple[FeeLine, ...]
    chrg_bchno: str | None = None
    setl_id: str | None = None
    dise_code: str | None = None
    diag_code: str | None = None  # main diagnosis (ICD-10) and main procedure: DIP grouping
    oprn_code: str | None = None
    accident: bool = False
    third_party_liable: bool = False
    acct_used: bool = True
    mulaid_psn_no: str | None = None  # the relative whose account pays what the person's own cannot
    settle_if_ineligible: bool = False  # an ineligible person is settled all self-paid instead of refused
    hosp_part_amt: Fen = 0
    begntime: dt.datetime | None = None  # registration time of an API visit (supervision's screening)
    part: str | None = None  # one part of an admission settled in several (interim settlements): its first fee line

    def __post_init__(self) -> None:
        for name, (limit, label) in CODE_LIMITS.items():
            value = getattr(self, name)
            if value is not None and len(value) > limit:
                raise InvalidRequest(name, f"{label}“{value[:limit]}…”超过{limit}个字符。")

    def fingerprint(self) -> str:
        """A hash of everything but the key: the same key with another fingerprint is a conflict.
        (The body is what `dataclasses.asdict` gives, built without its deep copies.)"""
        body = {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "key" and not (f.name in ADDED_LATER and getattr(self, f.name) is None)}
        body["items"] = [{f.name: getattr(line, f.name) for f in fields(line)} for line in self.items]
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()

    @property
    def visit_key(self) -> str:
        """What may have one active settlement: the admission, the part of an admission settled in several,
        or the outpatient charge batch."""
        if self.med_type in INPATIENT_MED_TYPES:
            return f"{self.fixmedins_code}|{self.mdtrt_id}" + (f"|part {self.part}" if self.part else "")
        if not self.chrg_bchno:
            return f"{self.fixmedins_code}|{self.mdtrt_id}"
        return f"{self.fixmedins_code}|{self.mdtrt_id}|{self.chrg_bchno}"


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

@dataclass
class Context:
    person: m.Person
    institution: m.Institution
    pool: str
    periods: list[Period]
    tier: str | None
    filings: list[Any]  # the person's filings (rows or `m.Filing`): kind, dise_code, approved_on, valid_from, valid_to
    extra: dict[str, Any] = field(default_factory=dict)


def _load_context(session: Session, req: SettleRequest, references: ReferenceCache) -> Context:
    person = session.get(m.Person, req.psn_no)
    if person is None:
        raise InvalidRequest("psn_no", f"参保人{req.psn_no}不存在。", "unknown_person")
    institution = references.institution(session, req.fixmedins_code)
    if institution is None:
        raise InvalidRequest("fixmedins_code", f"定点医药机构{req.fixmedins_code}不存在。", "unknown_institution")
    _check_agreement(institution, req.enddate)
    county = references.county(session, person.county)
    connection = session.connection()
    enrolments = connection.execute(_ENROLMENTS, {"psn_no": req.psn_no, "insutype": req.insutype}).all()
    periods = [Period(e.insutype, e.start, e.end, e.benefit_start) for e in enrolments]
    covering = [e for e in enrolments if e.start <= req.enddate and (e.end is None or req.enddate <= e.end)]
    filings = connection.execute(_FILINGS, {"psn_no": req.psn_no}).all()
    return Context(person, institution, county.pool if county else person.county, periods,
                   covering[-1].tier if covering else None, list(filings))


def _check_agreement(institution: m.Institution, day: dt.date) -> None:
    in_force = (institution.agreement_status == "active"
                and (institution.agreement_from is None or institution.agreement_from <= day)
                and (institution.agreement_to is None or day <= institution.agreement_to))
    if not in_force:
        raise Refused("fixmedins_code", f"定点医药机构{institution.name}在{date_text(day)}不在医保协议期内"
                                        f"（状态：{institution.agreement_status}），不能结算。", "agreement")


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def items_from_catalogue(session: Session, req: SettleRequest, references: ReferenceCache | None = None) -> list[Item]:
    """The request's lines with the catalogue facts in force on its end date."""
    if not req.items:
        raise InvalidRequest("items", "结算请求没有费用明细。")
    references = references or ReferenceCache(None)
    catalogue = references.catalogue_in_force(session, {line.code for line in req.items}, req.enddate)
    items = []
    for index, line in enumerate(req.items):
        entry = catalogue.get(line.code)
        if entry is None:
            raise InvalidRequest(f"items[{index}].code",
                                 f"项目{line.code}在{date_text(req.enddate)}不在医保目录内（或目录未生效）。", "unknown_item")
        if line.amount < 0:
            raise InvalidRequest(f"items[{index}].amount", f"项目{line.code}的金额不能为负数。", "negative_amount")
        items.append(Item(code=line.code, category=entry.category, amount=line.amount, qty=line.qty, price=line.price,
                          price_cap=_dec(entry.price_cap), selfpay_prop=_dec(entry.selfpay_prop),
                          essential_drug=entry.essential_drug,
                          restriction_met=line.restriction_met if entry.restriction else True))
    return items


def _disease_code(resolved: Resolved, text: str | None) -> str | None:
    disease = find_disease(resolved.version, text)
    return disease.code if disease else text


def _filing_gap(ctx: Context, req: SettleRequest, resolved: Resolved) -> str | None:
    """Why the visit is not covered for want of a filing (Chinese), or None."""
    def valid(f: Any) -> bool:
        return f.approved_on <= req.enddate and f.valid_from <= req.enddate and (
            f.valid_to is None or req.enddate <= f.valid_to)

    if req.med_type in CHRONIC_MED_TYPES:
        wanted = _disease_code(resolved, req.dise_code)
        if not any(f.kind == "chronic" and valid(f) and _disease_code(resolved, f.dise_code) == wanted
                   for f in ctx.filings):
            return f"参保人未办理（或不在有效期内）“{req.dise_code or '未填写病种'}”门诊慢特病备案，该费用基金不予支付。"
    if req.med_type in REFERRAL_MED_TYPES:
        if not any(f.kind == "referral" and valid(f) for f in ctx.filings):
            return "参保人未办理转诊备案，转外就医费用基金不予支付。"
    return None


# ---------------------------------------------------------------- the service

def claim_for(req: SettleRequest, ctx: Context, setl_id: str, split, item_splits, mulaid_balance: Fen) -> Claim:
    """The engine's claim for a request: the person and institution as the store knows them."""
    p = ctx.person
    person = Person(psn_no=p.psn_no, psn_type=p.psn_type, birth_date=p.birth_date,
                    assistance=frozenset(p.assistance or ()), tier=ctx.tier,
                    continuous_years=p.contribution_years, county=p.county, mulaid_balance=mulaid_balance)
    return Claim(setl_id=setl_id, person=person, insutype=req.insutype, insuplc_admdvs=ctx.pool,
                 med_type=req.med_type, begndate=req.begndate, enddate=req.enddate,
                 hosp_lv=ctx.institution.hosp_lv, admin_tier=ctx.institution.admin_tier, split=split,
                 dise_code=req.dise_code, accident=req.accident, third_party_liable=req.third_party_liable,
                 mdtrt_id=req.mdtrt_id, acct_used=req.acct_used, hosp_part_amt=req.hosp_part_amt,
                 item_splits=tuple(item_splits))


def settlement_values(req: SettleRequest, ctx: Context, settlement: EngineSettlement, extra: dict[str, Any]
                      ) -> dict[str, Any]:
    """The stored settlement row of an engine settlement (the live service and bulk history write the same)."""
    claim: Claim = extra["claim"]
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
        eligible=extra["eligible"], inscp_essential_amt=settlement.inscp_essential_amt,
        acct_mulaid_pay=settlement.acct_mulaid_pay, balc=settlement.balc, pool_prop=str(settlement.pool_prop),
        mulaid_psn_no=req.mulaid_psn_no if settlement.acct_mulaid_pay else None,
        mulaid_county=extra["mulaid_county"], hifmi_insurer=extra["insurer"] if settlement.hifmi_pay else None,
        explanation=[explanation_step_json(step) for step in settlement.explanation],
        delta=delta_json(settlement.delta), **settlement.amounts(),
    )


def fee_item_values(req: SettleRequest, extra: dict[str, Any], visit_id: int, setl_id: str, county: str
                    ) -> list[dict[str, Any]]:
    """The stored fee lines of a settlement, with the catalogue facts used and each line's split."""
    return [dict(visit_id=visit_id, setl_id=setl_id, chrg_bchno=req.chrg_bchno, line_no=index, code=line.code,
                 qty=line.qty, price=line.price, amount=line.amount, category=item.category,
                 selfpay_prop=item.selfpay_prop, price_cap=item.price_cap, fulamt_ownpay_amt=part.fulamt_ownpay_amt,
                 overlmt_selfpay=part.overlmt_selfpay, preselfpay_amt=part.preselfpay_amt,
                 inscp_scp_amt=part.inscp_scp_amt, county=county)
            for index, (line, item, part) in enumerate(zip(req.items, extra["items"], extra["item_splits"]))]



class SettlementService:
    """Settlement against the store; one instance may serve many threads."""

    def __init__(self, store: Store, registry: Registry, today: Callable[[], dt.date] = dt.date.today,
                 supervision: Any | None = None, references: ReferenceCache | None = None):
        """`supervision`: a `tongchou.supervision.hook.SupervisionHook` screening before and during settlement;
        `references`: the worker's cache of institutions, counties and catalogue entries (none by default)."""
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
            ctx = _load_context(session, req, self.references)
            state = self._state_of(session, req, ctx, lock=False)
            settlement, _after, extra = self._compute(session, req, ctx, state, req.setl_id or "PRE-SETTLEMENT")
            return _outcome_of(settlement, committed=False, warnings=extra["warnings"])
        return self.store.read(compute)

    def settle_in(self, session: Session, req: SettleRequest) -> SettleOutcome:
        """`settle` inside the caller's transaction (the API records its message in the same one)."""
        ctx = _load_context(session, req, self.references)
        ys_row = lock_year_state(session, req.psn_no, req.insutype, req.enddate.year, ctx.person.county)
        earlier = self._earlier_answer(session, req)  # after the lock: a retry waits for its first attempt
        if earlier is not None:
            return earlier
        state = self._state_of(session, req, ctx, lock=True, stored=ys_row.state)
        setl_id = req.setl_id or f"{req.fixmedins_code}-{uuid.uuid4().hex[:20]}"
        settlement, after, extra = self._compute(session, req, ctx, state, setl_id)
        row = self._persist(session, req, ctx, settlement, extra)
        save_year_state(session, ys_row, state_json(after, req.enddate.year), ys_row.settlements + 1)
        booked_on = first_open_day(closed_to(session), row.enddate)
        record(session, settlement_entry(settlement_facts(row, booked_on)))
        return _outcome_of(settlement, warnings=extra["warnings"])

    def _earlier_answer(self, session: Session, req: SettleRequest) -> SettleOutcome | None:
        """The first answer of the key, or None; refused when the key was reversed or used for another
        request, or when the visit already has an active settlement (one statement for both checks)."""
        found = {row.what: row for row in session.connection().execute(
            _KEY_AND_ACTIVE, {"key": req.key, "visit_key": req.visit_key})}
        key = found.get("key")
        if key is None:
            if "active" in found:
                raise Conflict("mdtrt_id", f"该就诊（{req.mdtrt_id}）已有有效结算{found['active'].setl_id}，"
                                           f"如需重新结算请先撤销。", "already_settled")
            return None
        if key.kind == "reversal_mark":
            raise Refused("key", f"交易{req.key}已被冲正，原交易不予办理。", "reversed")
        if key.request_hash != req.fingerprint():
            raise Conflict("key", f"交易{req.key}已办理，且本次请求内容与原请求不同，不予办理。", "key_conflict")
        row = session.execute(select(m.Settlement).where(m.Settlement.setl_id == key.setl_id)).scalar_one()
        return _outcome_of_row(row, replayed=True)

    def _state_of(self, session: Session, req: SettleRequest, ctx: Context, *, lock: bool,
                  stored: dict | None = None) -> YearState:
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

    def _resolve(self, ctx: Context, req: SettleRequest) -> Resolved:
        try:
            return self.registry.resolve(ctx.pool, req.insutype, req.enddate)
        except NoPolicy as exc:
            raise InvalidRequest("enddate", f"{date_text(req.enddate)}统筹区{ctx.pool}险种{req.insutype}无有效政策：{exc}",
                                 "no_policy") from None

    def _mulaid(self, session: Session, req: SettleRequest, resolved: Resolved) -> tuple[Fen, str | None]:
        """The relative's balance open to family mutual use, and the relative's county."""
        if not req.mulaid_psn_no:
            return 0, None
        relation = session.execute(select(m.FamilyRelation).where(
            m.FamilyRelation.psn_no == req.psn_no, m.FamilyRelation.relative == req.mulaid_psn_no)).scalar_one_or_none()
        if relation is None or not mutual_use_allowed(resolved.version.personal_account, relation.relation):
            raise Refused("mulaid_psn_no", f"{req.mulaid_psn_no}不是参保人可共济使用个人账户的配偶、父母或子女。",
                          "mulaid_not_allowed")
        if session.get(m.PersonalAccount, req.mulaid_psn_no) is None:
            raise Refused("mulaid_psn_no", f"{req.mulaid_psn_no}没有职工医保个人账户。", "mulaid_not_allowed")
        relative = session.get(m.Person, req.mulaid_psn_no)
        return max(personal_account_balance(session, req.mulaid_psn_no), 0), relative.county if relative else None

    def _compute(self, session: Session, req: SettleRequest, ctx: Context, state: YearState, setl_id: str
                 ) -> tuple[EngineSettlement, YearState, dict[str, Any]]:
        if req.enddate < req.begndate:
            raise InvalidRequest("enddate", "出院（结束）日期早于入院（开始）日期。")
        resolved = self._resolve(ctx, req)
        eligibility = benefits_on(ctx.periods, req.insutype, req.enddate)
        if not eligibility.eligible and not req.settle_if_ineligible:
            raise Refused("psn_no", eligibility.reason, "not_eligible")
        mulaid_balance, mulaid_county = self._mulaid(session, req, resolved)
        items = items_from_catalogue(session, req, self.references)
        warnings = self._review(session, req, ctx, items)
        try:
            split, item_splits = split_items(items)
        except SplitError as exc:
            raise InvalidRequest(exc.field, str(exc)) from None
        claim = claim_for(req, ctx, setl_id, split, item_splits, mulaid_balance)
        reason = eligibility.reason or _filing_gap(ctx, req, resolved)
        settlement, after = engine_settle(resolved, claim, state, eligible=reason is None, ineligible_reason=reason)
        insurer = next((layer.run_by for layer in resolved.layers if layer.field == "hifmi_pay" and layer.run_by), None)
        extra = {"items": items, "item_splits": item_splits, "claim": claim, "eligible": reason is None,
                 "mulaid_county": mulaid_county if settlement.acct_mulaid_pay else None, "insurer": insurer,
                 "warnings": warnings}
        return settlement, after, extra

    def _review(self, session: Session, req: SettleRequest, ctx: Context, items: list[Item]) -> tuple[str, ...]:
        if self.supervision is None:
            return ()
        from tongchou.supervision.hook import review  # supervision builds on settlement, not the reverse

        return review(self.supervision, session, req, ctx.person, items)

    def _persist(self, session: Session, req: SettleRequest, ctx: Context, settlement: EngineSettlement,
                 extra: dict[str, Any]) -> m.Settlement:
        """The key, the active visit, the settlement and its fee lines (plain inserts: the rows are only
        written here); returns the settlement as a transient row for the ledger."""
        setl_id = settlement.setl_id
        county = ctx.person.county
        values = settlement_values(req, ctx, settlement, extra)
        connection = session.connection()
        connection.execute(_INSERT_KEY, {"key": req.key, "kind": "settlement", "request_hash": values["request_hash"],
                                         "setl_id": setl_id})
        connection.execute(_INSERT_ACTIVE, {"visit_key": req.visit_key, "setl_id": setl_id})
        visit_id = self._visit_id(session, req, county)
        connection.execute(_INSERT_SETTLEMENT, values)
        connection.execute(_INSERT_FEE_ITEMS, fee_item_values(req, extra, visit_id, setl_id, county))
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

def _amounts(source: Any) -> dict[str, Fen]:
    names = (*AMOUNT_FIELDS, "inscp_essential_amt", "acct_mulaid_pay")
    return {name: getattr(source, name) for name in names}


def _outcome_of(settlement: EngineSettlement, committed: bool = True, warnings: tuple[str, ...] = ()
                ) -> SettleOutcome:
    return SettleOutcome(settlement.setl_id, _amounts(settlement), settlement.policy_id, settlement.benefit_line,
                         [explanation_step_json(step) for step in settlement.explanation], committed=committed,
                         balc=settlement.balc, pool_prop=str(settlement.pool_prop), warnings=tuple(warnings))


def _outcome_of_row(row: m.Settlement, replayed: bool = False) -> SettleOutcome:
    return SettleOutcome(row.setl_id, _amounts(row), row.policy_id, row.benefit_line, list(row.explanation),
                         replayed=replayed, balc=row.balc, pool_prop=row.pool_prop)
