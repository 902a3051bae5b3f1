"""One adjudication (pure): everything that decides a settlement, in order, with every refusal.

    adjudicate(context, request) -> Adjudication     # or raises InvalidRequest / Refused naming the field

The order: the dates (the end not before the beginning), a claim ending after the person's death, the
institution's agreement in force, a policy in force, eligibility and waiting periods, family mutual use of an account, the catalogue in force on the end
date (→ items), benefits suspended by supervision, the split, a missing filing (settled without the fund),
the engine. Every path that settles — the live service (API, console, command line) and bulk history —
loads a `SettlementContext` from the store and calls this; none repeats a step of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from tongchou.enrolment.rules import Period, benefits_on, date_text, mutual_use_allowed
from tongchou.enrolment.years import History, years as contribution_years
from tongchou.errors import InvalidRequest, Refused
from tongchou.money import Fen
from tongchou.policy.registry import Resolved
from tongchou.settlement.engine import settle as engine_settle
from tongchou.settlement.matching import find_disease
from tongchou.settlement.model import Claim, Item, ItemSplit, Person, Settlement
from tongchou.accumulators import YearState
from tongchou.settlement.request import CHRONIC_MED_TYPES, REFERRAL_MED_TYPES, SettleRequest
from tongchou.settlement.split import SplitError, split_items

# ---------------------------------------------------------------- the context: facts the shell loads


@dataclass(frozen=True)
class Insured:
    psn_no: str
    psn_type: str
    birth_date: dt.date | None
    county: str
    assistance: frozenset[str] = frozenset()
    contribution_years: int = 0
    sex: str | None = None
    death_date: dt.date | None = None  # the last day covered


@dataclass(frozen=True)
class Enrolled:
    """One enrolment of the person in the request's scheme."""

    insutype: str
    start: dt.date
    end: dt.date | None
    benefit_start: dt.date
    tier: str | None = None


@dataclass(frozen=True)
class Filing:
    kind: str  # chronic | referral
    dise_code: str | None
    approved_on: dt.date
    valid_from: dt.date
    valid_to: dt.date | None


@dataclass(frozen=True)
class FilingApplied:
    """An application for a filing (门诊慢特病申报) as the store keeps it: pending (`received`), `approved` (its
    filing is among the filings) or `rejected` with the reason."""

    kind: str
    dise_code: str
    state: str  # received | approved | rejected
    received_on: dt.date
    decided_on: dt.date | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Institution:
    code: str
    name: str
    hosp_lv: int
    admin_tier: str
    agreement_status: str
    agreement_from: dt.date | None = None
    agreement_to: dt.date | None = None


@dataclass(frozen=True)
class CatalogueEntry:
    """A catalogue entry in force on the request's end date."""

    code: str
    category: str
    price_cap: Decimal | None = None
    selfpay_prop: Decimal | None = None
    essential_drug: bool = False
    restriction: bool = False


@dataclass(frozen=True)
class Suspension:
    """A supervision decision on the person's benefits (取消待遇) or its lifting (kind `lift`)."""

    psn_no: str
    kind: str  # suspend | lift
    valid_from: dt.date
    valid_to: dt.date
    reason: str


@dataclass(frozen=True)
class MutualAid:
    """The relative named to pay from their account (家庭共济): what the store knows of them."""

    relative: str
    relation: str | None  # None: not a recorded relative of the person
    has_account: bool
    balance: Fen
    county: str | None


@dataclass(frozen=True)
class NoPolicyInForce:
    reason: str


@dataclass(frozen=True)
class SettlementContext:
    setl_id: str
    person: Insured
    institution: Institution
    pool: str
    enrolments: tuple[Enrolled, ...]
    filings: tuple[Filing, ...]
    catalogue: Mapping[str, CatalogueEntry]  # the entries in force for the request's codes
    policy: Resolved | NoPolicyInForce
    state: YearState  # the year-to-date state, with the account balance for an employee
    suspensions: tuple[Suspension, ...] = ()  # the person's, oldest first
    mutual_aid: MutualAid | None = None
    history: History | None = None  # the contribution history; None: the person's stored years as they are
    applications: tuple[FilingApplied, ...] = ()  # the person's filing applications, oldest first


@dataclass(frozen=True)
class Adjudication:
    settlement: Settlement
    state_after: YearState
    claim: Claim
    items: tuple[Item, ...]
    item_splits: tuple[ItemSplit, ...]
    eligible: bool  # False: settled without the fund (not eligible, or a filing missing)
    mulaid_county: str | None  # the relative's county when their account paid
    insurer: str | None  # who runs the critical-illness layer, when it paid


# ---------------------------------------------------------------- the sequence


def adjudicate(ctx: SettlementContext, req: SettleRequest) -> Adjudication:
    check_dates(req)
    check_alive(ctx.person, req.enddate)
    check_agreement(ctx.institution, req.enddate)
    resolved = policy_of(ctx, req)
    eligibility = benefits_on(periods_of(ctx.enrolments), req.insutype, req.enddate)
    if not eligibility.eligible and not req.settle_if_ineligible:
        raise Refused("psn_no", eligibility.reason, "not_eligible")
    mulaid_balance = mutual_aid_balance(ctx.mutual_aid, resolved)
    items = items_of(req, ctx.catalogue)
    check_suspension(ctx.suspensions, req.enddate)
    try:
        split, item_splits = split_items(list(items))
    except SplitError as exc:
        raise InvalidRequest(exc.field, str(exc)) from None
    claim = claim_of(req, ctx, split, item_splits, mulaid_balance, continuous_years_of(ctx, req, resolved))
    reason = eligibility.reason or filing_gap(ctx.filings, req, resolved, ctx.applications)
    settlement, after = engine_settle(resolved, claim, ctx.state, eligible=reason is None, ineligible_reason=reason)
    insurer = next((layer.run_by for layer in resolved.layers if layer.field == "hifmi_pay" and layer.run_by), None)
    return Adjudication(settlement, after, claim, items, tuple(item_splits), reason is None,
                        ctx.mutual_aid.county if ctx.mutual_aid and settlement.acct_mulaid_pay else None, insurer)


def check_dates(req: SettleRequest) -> None:
    if req.enddate < req.begndate:
        raise InvalidRequest("enddate", "出院（结束）日期早于入院（开始）日期。")


def check_alive(person: Insured, day: dt.date) -> None:
    """Cover ends the day after the death: a claim ending after the date of death is refused."""
    if person.death_date is not None and day > person.death_date:
        raise Refused("enddate", f"参保人已于{date_text(person.death_date)}死亡，医保待遇自次日终止；"
                                 f"结束日期{date_text(day)}晚于死亡日期，不予结算。", "deceased")


def check_agreement(institution: Institution, day: dt.date) -> None:
    in_force = (institution.agreement_status == "active"
                and (institution.agreement_from is None or institution.agreement_from <= day)
                and (institution.agreement_to is None or day <= institution.agreement_to))
    if not in_force:
        raise Refused("fixmedins_code", f"定点医药机构{institution.name}在{date_text(day)}不在医保协议期内"
                                        f"（状态：{institution.agreement_status}），不能结算。", "agreement")


def policy_of(ctx: SettlementContext, req: SettleRequest) -> Resolved:
    if isinstance(ctx.policy, NoPolicyInForce):
        raise InvalidRequest("enddate", f"{date_text(req.enddate)}统筹区{ctx.pool}险种{req.insutype}无有效政策："
                                        f"{ctx.policy.reason}", "no_policy")
    return ctx.policy


def periods_of(enrolments: tuple[Enrolled, ...]) -> list[Period]:
    return [Period(e.insutype, e.start, e.end, e.benefit_start) for e in enrolments]


def tier_on(enrolments: tuple[Enrolled, ...], day: dt.date) -> str | None:
    """The contribution tier of the latest enrolment covering the day."""
    covering = [e for e in enrolments if e.start <= day and (e.end is None or day <= e.end)]
    return covering[-1].tier if covering else None


def mutual_aid_balance(aid: MutualAid | None, resolved: Resolved) -> Fen:
    """The relative's balance open to family mutual use; refused when the policy or the relation forbids it."""
    if aid is None:
        return 0
    if aid.relation is None or not mutual_use_allowed(resolved.version.personal_account, aid.relation):
        raise Refused("mulaid_psn_no", f"{aid.relative}不是参保人可共济使用个人账户的配偶、父母或子女。",
                      "mulaid_not_allowed")
    if not aid.has_account:
        raise Refused("mulaid_psn_no", f"{aid.relative}没有职工医保个人账户。", "mulaid_not_allowed")
    return max(aid.balance, 0)


def items_of(req: SettleRequest, catalogue: Mapping[str, CatalogueEntry]) -> tuple[Item, ...]:
    """The request's lines with the catalogue facts in force on its end date."""
    if not req.items:
        raise InvalidRequest("items", "结算请求没有费用明细。")
    items = []
    for index, line in enumerate(req.items):
        entry = catalogue.get(line.code)
        if entry is None:
            raise InvalidRequest(f"items[{index}].code",
                                 f"项目{line.code}在{date_text(req.enddate)}不在医保目录内（或目录未生效）。", "unknown_item")
        if line.amount < 0:
            raise InvalidRequest(f"items[{index}].amount", f"项目{line.code}的金额不能为负数。", "negative_amount")
        items.append(Item(code=line.code, category=entry.category, amount=line.amount, qty=line.qty, price=line.price,
                          price_cap=entry.price_cap, selfpay_prop=entry.selfpay_prop,
                          essential_drug=entry.essential_drug,
                          restriction_met=line.restriction_met if entry.restriction else True))
    return tuple(items)


def suspension_on(suspensions: tuple[Suspension, ...], day: dt.date) -> Suspension | None:
    """The suspension in force on the day: the latest decision covering it, unless that is a lift."""
    covering = [s for s in suspensions if s.valid_from <= day <= s.valid_to]
    if not covering or covering[-1].kind == "lift":
        return None
    return covering[-1]


def suspension_text(suspension: Suspension, day: dt.date) -> str:
    return (f"参保人{suspension.psn_no}的医保待遇自{suspension.valid_from}至{suspension.valid_to}已被取消"
            f"（{suspension.reason}），{day}的费用基金不予支付。")


def check_suspension(suspensions: tuple[Suspension, ...], day: dt.date) -> None:
    suspension = suspension_on(suspensions, day)
    if suspension is not None:
        raise Refused("psn_no", suspension_text(suspension, day), "benefits_suspended")


def _disease_code(resolved: Resolved, text: str | None) -> str | None:
    disease = find_disease(resolved.version, text)
    return disease.code if disease else text


def filing_gap(filings: tuple[Filing, ...], req: SettleRequest, resolved: Resolved,
               applications: tuple[FilingApplied, ...] = ()) -> str | None:
    """Why the visit is not covered for want of a filing (Chinese), or None. Raises `Refused` when the person's
    filing for the disease is still waiting for approval (code `filing_pending`) or has lapsed (`filing_expired`):
    the claim is settled once the county branch approves, or the filing is renewed."""
    def valid(f: Filing) -> bool:
        return f.approved_on <= req.enddate and f.valid_from <= req.enddate and (
            f.valid_to is None or req.enddate <= f.valid_to)

    if req.med_type in CHRONIC_MED_TYPES:
        wanted = _disease_code(resolved, req.dise_code)
        same = [f for f in filings if f.kind == "chronic" and _disease_code(resolved, f.dise_code) == wanted]
        if any(valid(f) for f in same):
            return None
        asked = [a for a in applications if a.kind == "chronic" and _disease_code(resolved, a.dise_code) == wanted]
        pending = [a for a in asked if a.state == "received"]
        if pending:
            raise Refused("dise_code", f"门诊慢特病备案尚未审批通过（申请于{date_text(pending[-1].received_on)}受理），"
                                       f"待县医保经办机构审批通过后再结算。", "filing_pending")
        lapsed = [f for f in same if f.valid_to is not None and f.valid_to < req.enddate]
        if lapsed and not any(f.valid_from > req.enddate for f in same):
            last = max(lapsed, key=lambda f: f.valid_to)
            raise Refused("dise_code", f"门诊慢特病备案有效期已于{date_text(last.valid_to)}届满，"
                                       f"{date_text(req.enddate)}的费用不能按门诊慢特病结算；请到乡镇卫生院重新申报。",
                          "filing_expired")
        later = [f for f in same if f.valid_from > req.enddate]
        if later:
            first = min(later, key=lambda f: f.valid_from)
            return (f"门诊慢特病备案自{date_text(first.valid_from)}起有效（审批通过之日），{date_text(req.enddate)}的费用"
                    f"在备案生效之前，该费用基金不予支付。")
        rejected = [a for a in asked if a.state == "rejected"]
        why = (f"（申请已于{date_text(rejected[-1].decided_on)}被驳回：{rejected[-1].reason}）"
               if rejected and rejected[-1].decided_on else "")
        return f"参保人未办理（或不在有效期内）“{req.dise_code or '未填写病种'}”门诊慢特病备案{why}，该费用基金不予支付。"
    if req.med_type in REFERRAL_MED_TYPES:
        if not any(f.kind == "referral" and valid(f) for f in filings):
            return "参保人未办理转诊备案，转外就医费用基金不予支付。"
    return None


def continuous_years_of(ctx: SettlementContext, req: SettleRequest, resolved: Resolved) -> int:
    """The person's continuous contribution years in the claim's scheme on its end date, computed from the
    contribution history (`enrolment.years`, the employee gap allowance from the policy in force); the stored
    years when the context carries no history."""
    if ctx.history is None:
        return ctx.person.contribution_years
    contributions = resolved.version.contributions
    gap = contributions.continuity.gap_months if contributions and contributions.continuity else 0
    return contribution_years(ctx.history, req.insutype, req.enddate, gap).continuous_years


def claim_of(req: SettleRequest, ctx: SettlementContext, split, item_splits, mulaid_balance: Fen,
             continuous_years: int | None = None) -> Claim:
    """The engine's claim for a request: the person and institution as the store knows them."""
    p = ctx.person
    person = Person(psn_no=p.psn_no, psn_type=p.psn_type, birth_date=p.birth_date, assistance=p.assistance,
                    tier=tier_on(ctx.enrolments, req.enddate),
                    continuous_years=p.contribution_years if continuous_years is None else continuous_years,
                    county=p.county, mulaid_balance=mulaid_balance)
    return Claim(setl_id=ctx.setl_id, person=person, insutype=req.insutype, insuplc_admdvs=ctx.pool,
                 med_type=req.med_type, begndate=req.begndate, enddate=req.enddate,
                 hosp_lv=ctx.institution.hosp_lv, admin_tier=ctx.institution.admin_tier, split=split,
                 dise_code=req.dise_code, accident=req.accident, third_party_liable=req.third_party_liable,
                 mdtrt_id=req.mdtrt_id, acct_used=req.acct_used, hosp_part_amt=req.hosp_part_amt,
                 item_splits=tuple(item_splits))
