"""Steps 2–8 of docs/reference/settlement-rules.md as pure functions: settle a claim, cancel a settlement.

`settle(resolved, claim, state)` returns the settlement and the new year-to-date
state; `cancel(state, settlement)` returns the state without that settlement's
own contributions. Nothing here reads or writes anything outside its arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping

from tongchou.accumulators import apply_delta
from tongchou.codes import HospLv
from tongchou.money import Fen, apply_rate, yuan_text
from tongchou.policy.registry import Resolved
from tongchou.policy.schema import LAYER_ORDER, BenefitLine, Cap, Deductible, Layer, LayerPart, LayerVariant, Tier
from tongchou.settlement.matching import condition_holds, pick_line, source_gap
from tongchou.settlement.model import EMPLOYEE_SCHEME, Claim, Settlement, Step
from tongchou.accumulators import Delta, YearState
from tongchou.settlement.text import no_cover_reason, pct

ZERO_LAYERS: Mapping[str, Fen] = MappingProxyType({f: 0 for f in LAYER_ORDER})


@dataclass(frozen=True)
class AdmissionInfo:
    """The admission a claim belongs to: new (opened) or continued by an interim settlement."""

    key: str
    opened: bool
    ordinal: int
    counter: str
    dedc_paid_before: Fen


@dataclass(frozen=True)
class DeductibleResult:
    charged: Fen
    step: Step
    accumulator: str | None = None  # annual kind: the accumulator consumed


@dataclass(frozen=True)
class PoolResult:
    hifp_pay: Fen
    uncapped: Fen
    over_cap_cost: Fen
    caps_after: Mapping[str, Fen]
    step: Step
    cap_steps: tuple[Step, ...]


@dataclass
class LayerOutcome:
    payments: dict[str, Fen] = field(default_factory=lambda: dict(ZERO_LAYERS))
    base_delta: dict[str, Fen] = field(default_factory=dict)
    paid_delta: dict[str, Fen] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)


# ---------------------------------------------------------------- deductible

def admission_of(line: BenefitLine, claim: Claim, state: YearState) -> AdmissionInfo | None:
    """The claim's admission when the line counts admissions: its ordinal in the year."""
    if not line.counts_admission:
        return None
    rule = line.deductible
    counter = rule.counter if rule is not None and rule.kind == "per_admission" else "admissions"
    key = claim.admission_key
    earlier = state.admissions.get(key)
    if earlier is None:
        return AdmissionInfo(key, True, state.counters.get(counter, 0) + 1, counter, 0)
    return AdmissionInfo(key, False, earlier.ordinal, counter, earlier.dedc_paid)


def _admission_deductible(rule: Deductible, claim: Claim, admission: AdmissionInfo) -> DeductibleResult:
    level = HospLv.label_of(claim.hosp_lv)
    base = rule.by_hosp_lv.get(claim.hosp_lv, rule.amount) if rule.by_hosp_lv else rule.amount
    if base is None:
        return DeductibleResult(0, Step("deductible", f"该医院等级（{level}）政策未规定起付线，不扣起付线。"))
    ordinal = admission.ordinal
    factor = rule.ordinal_factors[min(ordinal, len(rule.ordinal_factors)) - 1]
    full = apply_rate(base, factor)
    charged = min(max(full - admission.dedc_paid_before, 0), claim.split.inscp_scp_amt)
    why = f"本年度第{ordinal}次住院，{level}医院起付线{yuan_text(base)}"
    if factor != 1:
        why += f"，按{pct(factor)}计为{yuan_text(full)}"
    if not admission.opened:
        why += f"；本次为同一住院的中途结算，已付起付线{yuan_text(admission.dedc_paid_before)}"
    why += f"；本次实际扣除起付线{yuan_text(charged)}。"
    data = {"ordinal": ordinal, "base": base, "factor": str(factor), "charged": charged}
    return DeductibleResult(charged, Step("deductible", why, MappingProxyType(data)))


def _annual_deductible(rule: Deductible, claim: Claim, state: YearState) -> DeductibleResult:
    amount = rule.amount or 0
    used = state.dedc_used.get(rule.accumulator, 0)
    charged = min(max(amount - used, 0), claim.split.inscp_scp_amt)
    why = (f"年度起付标准{yuan_text(amount)}，本年已累计{yuan_text(used)}，"
           f"本次计入{yuan_text(charged)}，累计{yuan_text(used + charged)}。")
    data = {"annual": amount, "used_before": used, "charged": charged}
    return DeductibleResult(charged, Step("deductible", why, MappingProxyType(data)), rule.accumulator)


def deductible(line: BenefitLine, claim: Claim, state: YearState, admission: AdmissionInfo | None
               ) -> DeductibleResult:
    rule = line.deductible
    if rule is None:
        return DeductibleResult(0, Step("deductible", "该待遇不设起付线。"))
    if rule.kind == "annual":
        return _annual_deductible(rule, claim, state)
    return _admission_deductible(rule, claim, admission)


# ---------------------------------------------------------------- pooled fund

def _cap_rooms(line: BenefitLine, caps: Mapping[str, Cap], state: YearState) -> dict[str, Fen]:
    return {cap_id: max(caps[cap_id].amount - state.caps_used.get(cap_id, 0), 0) for cap_id in line.caps}


def pooled_fund(line: BenefitLine, claim: Claim, charged: Fen, caps: Mapping[str, Cap], state: YearState) -> PoolResult:
    """hifp_pay: (in-scope − deductible) × ratio per ratio portion, limited by every cap's room."""
    split = claim.split
    essential = split.inscp_essential_amt if line.essential_ratio is not None else 0
    base_portion = split.inscp_scp_amt - essential
    dedc_on_base = min(charged, base_portion)  # the deductible comes from the base-ratio portion first
    dedc_on_essential = charged - dedc_on_base
    base_pay = apply_rate(base_portion - dedc_on_base, line.ratio)
    essential_pay = apply_rate(essential - dedc_on_essential, line.essential_ratio) if essential else 0
    uncapped = base_pay + essential_pay
    rooms = _cap_rooms(line, caps, state)
    hifp = min([uncapped, *rooms.values()])
    eligible = split.inscp_scp_amt - charged
    over_cap_cost = 0
    if hifp < uncapped and uncapped > 0:
        over_cap_cost = int((Decimal(eligible) * (uncapped - hifp) / uncapped).quantize(Decimal(1), ROUND_HALF_UP))
    text = f"统筹基金：政策范围内{yuan_text(split.inscp_scp_amt)}减起付线{yuan_text(charged)}，余{yuan_text(eligible)}"
    if essential:
        text += (f"；其中基本药物{yuan_text(essential - dedc_on_essential)}按{pct(line.essential_ratio)}支付"
                 f"{yuan_text(essential_pay)}，其余{yuan_text(base_portion - dedc_on_base)}"
                 f"按{pct(line.ratio)}支付{yuan_text(base_pay)}")
    else:
        text += f"，按{pct(line.ratio)}支付{yuan_text(uncapped)}"
    text += f"；本次统筹基金支付{yuan_text(hifp)}。"
    cap_steps = tuple(_cap_step(caps[cap_id], state, hifp) for cap_id in line.caps)
    if not line.caps:
        cap_steps = (Step("cap", "该待遇政策未规定年度最高支付限额（政策原文未写明，非无限额）。",
                          MappingProxyType({"cap": None})),)
    data = {"ratio": str(line.ratio), "eligible": eligible, "uncapped": uncapped, "hifp_pay": hifp,
            "over_cap_cost": over_cap_cost}
    caps_after = {cap_id: hifp for cap_id in line.caps if hifp}
    return PoolResult(hifp, uncapped, over_cap_cost, caps_after, Step("pooled_fund", text, MappingProxyType(data)),
                      cap_steps)


def _cap_step(cap: Cap, state: YearState, paid: Fen) -> Step:
    used = state.caps_used.get(cap.id, 0)
    room = max(cap.amount - used, 0)
    text = (f"{cap.name}{yuan_text(cap.amount)}：本次前已用{yuan_text(used)}，剩余{yuan_text(room)}；"
            f"本次使用{yuan_text(paid)}，剩余{yuan_text(room - paid)}。")
    data = {"cap": cap.id, "amount": cap.amount, "room_before": room, "room_after": room - paid}
    return Step("cap", text, MappingProxyType(data))


# ---------------------------------------------------------------- layers

def schedule(amount: Fen, tiers: list[Tier] | tuple[Tier, ...]) -> Fen:
    """A tiered schedule, rounded per tier: Σ half-up(part of the amount in the tier × rate)."""
    total = 0
    for tier in tiers:
        top = amount if tier.up_to is None else min(amount, tier.up_to)
        if top > tier.above:
            total += apply_rate(top - tier.above, tier.rate)
    return total


def _cap_with_increments(variant: LayerVariant, years: int) -> Fen | None:
    if variant.cap is None:
        return None
    extra = sum(
        inc.amount for inc in variant.cap_increments
        if inc.min_years <= years and (inc.max_years is None or years < inc.max_years)
    )
    return variant.cap + extra


def _part_base(part: LayerPart, burden: Fen, over_cap_cost: Fen, remaining: Fen) -> Fen:
    return {
        "burden": burden,
        "under_cap": burden - over_cap_cost,
        "over_cap": over_cap_cost,
        "remaining": remaining,
    }[part.base]


@lru_cache(maxsize=1024)
def _tiers_text(tiers: tuple[Tier, ...]) -> str:
    def one(t: Tier) -> str:
        upper = f"至{yuan_text(t.up_to)}" if t.up_to is not None else "以上"
        return f"{yuan_text(t.above)}{upper}部分{pct(t.rate)}"
    return "，".join(one(t) for t in tiers)


def _layer_applies(layer: Layer, line: BenefitLine) -> bool:
    return "*" in layer.applies_to or line.category in layer.applies_to


def _run_layer(layer: Layer, variant: LayerVariant, claim: Claim, state: YearState, fund_so_far: Fen,
               hifp: Fen, over_cap_cost: Fen, out: LayerOutcome) -> Fen:
    split = claim.split
    burden = split.inscp_scp_amt - hifp
    remaining = max(split.inscp_scp_amt - fund_so_far, 0)
    texts: list[str] = []
    due = 0
    for index, part in enumerate(variant.parts):
        key = f"{layer.id}:{index}"
        base = _part_base(part, burden, over_cap_cost, remaining)
        before = state.layer_base.get(key, 0)
        pay = schedule(before + base, part.schedule) - schedule(before, part.schedule)
        out.base_delta[key] = base
        due += pay
        label = {"burden": "个人负担合规费用", "under_cap": "封顶线以下个人负担合规费用",
                 "over_cap": "超过统筹封顶线的合规费用", "remaining": "剩余个人负担合规费用"}[part.base]
        texts.append(f"{label}本次{yuan_text(base)}，年度累计{yuan_text(before)}→{yuan_text(before + base)}，"
                     f"按{_tiers_text(tuple(part.schedule))}计{yuan_text(pay)}")
    cap = _cap_with_increments(variant, claim.person.continuous_years)
    paid_before = state.layer_paid.get(layer.id, 0)
    room = None if cap is None else max(cap - paid_before, 0)
    payment = min(due, remaining) if room is None else min(due, room, remaining)
    if variant.floor is not None:
        payment = _floor_topup(variant, claim, fund_so_far, payment, room, texts)
    if cap is not None:
        texts.append(f"年度限额{yuan_text(cap)}（连续参保{claim.person.continuous_years}年），此前已付{yuan_text(paid_before)}，"
                     f"剩余{yuan_text(room)}")
    texts.append(f"本次支付{yuan_text(payment)}")
    out.paid_delta[layer.id] = payment
    name = variant.name or layer.name
    data = {"layer": layer.id, "field": layer.field, "due": due, "paid": payment, "cap": cap}
    out.steps.append(Step("layer", f"{name}：" + "；".join(texts) + "。", MappingProxyType(data)))
    return payment


def _floor_topup(variant: LayerVariant, claim: Claim, fund_so_far: Fen, payment: Fen, room: Fen | None,
                 texts: list[str]) -> Fen:
    floor = variant.floor
    if floor.base == "inscp_scp_amt":
        base = payable = claim.split.inscp_scp_amt
    else:
        base, payable = claim.split.medfee_sumamt, claim.split.medfee_sumamt - claim.hosp_part_amt
    target = apply_rate(base, floor.ratio)
    topup = max(target - fund_so_far - payment, 0)
    limit = payable - fund_so_far - payment
    if room is not None:
        limit = min(limit, room - payment)
    topup = max(min(topup, limit), 0)
    if topup:
        texts.append(f"保底报销{pct(floor.ratio)}（目标{yuan_text(target)}），补足{yuan_text(topup)}")
    return payment + topup


def run_layers(resolved: Resolved, line: BenefitLine, claim: Claim, state: YearState, disease, pool: PoolResult
               ) -> LayerOutcome:
    out = LayerOutcome()
    fund_so_far = pool.hifp_pay
    ordered = sorted(resolved.layers, key=lambda layer: LAYER_ORDER.index(layer.field))
    for layer in ordered:
        if not _layer_applies(layer, line):
            continue
        variant = next((v for v in layer.variants if condition_holds(v.when, claim, claim.person, disease)), None)
        if variant is None:
            continue
        paid = _run_layer(layer, variant, claim, state, fund_so_far, pool.hifp_pay, pool.over_cap_cost, out)
        out.payments[layer.field] += paid
        fund_so_far += paid
    return out


# ---------------------------------------------------------------- personal account

def _account(claim: Claim, state: YearState, psn_part: Fen) -> tuple[Fen, Fen, Fen | None, Step | None]:
    """(acct_pay, acct_mulaid_pay, balance after, step): the person's own employee account first, then a
    relative's account open to family mutual use (seed 003: it may pay a spouse's, parent's or child's part,
    whatever their scheme)."""
    own_account = claim.insutype == EMPLOYEE_SCHEME
    balance = state.acct_balance
    if not claim.acct_used:
        if own_account or claim.person.mulaid_balance:
            return 0, 0, balance, Step("account", "本人选择不使用个人账户。")
        return 0, 0, balance, None
    own = min(balance or 0, psn_part) if own_account else 0
    mulaid = min(claim.person.mulaid_balance, psn_part - own)
    if not own_account and not mulaid:
        return 0, 0, balance, None
    parts = [f"个人账户余额{yuan_text(balance or 0)}，支付{yuan_text(own)}"] if own_account else []
    if mulaid:
        parts.append(f"家庭共济账户支付{yuan_text(mulaid)}")
    after = None if balance is None else balance - own
    if own_account:
        parts.append(f"账户余额{yuan_text(after or 0)}")
    step = Step("account", "；".join(parts) + "。", MappingProxyType({"own": own, "mulaid": mulaid}))
    return own + mulaid, mulaid, after, step


# ---------------------------------------------------------------- state

def cancel(state: YearState, settlement: Settlement) -> YearState:
    """撤销: the state without exactly this settlement's own contributions."""
    return apply_delta(state, settlement.delta, -1)


# ---------------------------------------------------------------- settle

def _policy_step(resolved: Resolved, claim: Claim) -> Step:
    layers = "、".join(layer.name for layer in resolved.layers)
    text = f"适用政策：{resolved.policy.name}（{resolved.label}，{resolved.version.effective_from}至{resolved.version.effective_to}）"
    if layers:
        text += f"，含{layers}"
    return Step("policy", text + "。", MappingProxyType({"policy_id": resolved.policy.id,
                                                        "version": resolved.version.version}))


def _split_step(claim: Claim) -> Step:
    s = claim.split
    text = (f"医疗费总额{yuan_text(s.medfee_sumamt)}：全自费{yuan_text(s.fulamt_ownpay_amt)}，超限价自费{yuan_text(s.overlmt_selfpay)}，"
            f"乙类先行自付{yuan_text(s.preselfpay_amt)}，政策范围内{yuan_text(s.inscp_scp_amt)}。")
    return Step("split", text)


def settle(resolved: Resolved, claim: Claim, state: YearState, *, eligible: bool = True,
           ineligible_reason: str | None = None) -> tuple[Settlement, YearState]:
    """Settle one claim against the person's year-to-date state; return the settlement and the new state."""
    steps = [_policy_step(resolved, claim), _split_step(claim)]
    if not eligible:
        return _without_fund(resolved, claim, state, steps, ineligible_reason or "参保人当日不享受待遇，费用由个人负担。")
    if claim.third_party_liable:
        return _without_fund(resolved, claim, state, steps, "意外伤害有第三方责任人，基本医保基金不予支付。")
    line, disease = pick_line(resolved.version, claim)
    if line is None:
        gap = source_gap(resolved.version, claim, disease)
        reason = f"{gap.text}（依据：{gap.ref.source}）" if gap else no_cover_reason(resolved.version, claim, disease)
        return _without_fund(resolved, claim, state, steps, reason)
    steps.append(Step("benefit", f"适用待遇：{line.name}。", MappingProxyType({"line": line.id})))
    admission = admission_of(line, claim, state)
    dedc = deductible(line, claim, state, admission)
    steps.append(dedc.step)
    caps = {cap.id: cap for cap in resolved.version.caps}
    pool = pooled_fund(line, claim, dedc.charged, caps, state)
    steps.extend([pool.step, *pool.cap_steps])
    layers = run_layers(resolved, line, claim, state, disease, pool)
    steps.extend(layers.steps)
    delta = Delta(
        caps_used=MappingProxyType(pool.caps_after),
        dedc_used=MappingProxyType({dedc.accumulator: dedc.charged} if dedc.accumulator and dedc.charged else {}),
        counters=MappingProxyType({admission.counter: 1} if admission and admission.opened else {}),
        admission_key=admission.key if admission else None,
        admission_opened=bool(admission and admission.opened),
        admission_ordinal=admission.ordinal if admission else 0,
        admission_dedc=dedc.charged if admission and not dedc.accumulator else 0,
        layer_base=MappingProxyType({k: v for k, v in layers.base_delta.items() if v}),
        layer_paid=MappingProxyType({k: v for k, v in layers.paid_delta.items() if v}),
    )
    return _finish(resolved, claim, state, steps, line, pool.hifp_pay, dedc.charged, layers.payments, delta)


def _without_fund(resolved: Resolved, claim: Claim, state: YearState, steps: list[Step], reason: str
                  ) -> tuple[Settlement, YearState]:
    steps.append(Step("benefit", reason))
    return _finish(resolved, claim, state, steps, None, 0, 0, dict(ZERO_LAYERS), Delta())


def _finish(resolved: Resolved, claim: Claim, state: YearState, steps: list[Step], line: BenefitLine | None,
            hifp: Fen, charged: Fen, layer_pay: Mapping[str, Fen], delta: Delta) -> tuple[Settlement, YearState]:
    split = claim.split
    fund = hifp + sum(layer_pay.values())
    psn_part = split.medfee_sumamt - fund - claim.hosp_part_amt
    acct_pay, mulaid, _, acct_step = _account(claim, state, psn_part)
    if acct_step is not None:
        steps.append(acct_step)
    cash = psn_part - acct_pay
    steps.append(Step("result", f"合计：基金支付{yuan_text(fund)}，个人负担{yuan_text(psn_part)}"
                                f"（个人账户{yuan_text(acct_pay)}，现金{yuan_text(cash)}）。"))
    delta = replace(delta, acct_spent=acct_pay - mulaid)
    new_state = apply_delta(state, delta, 1)
    settlement = Settlement(
        setl_id=claim.setl_id, policy_id=resolved.policy.id, policy_version=resolved.version.version,
        benefit_line=line.id if line else None,
        medfee_sumamt=split.medfee_sumamt, fulamt_ownpay_amt=split.fulamt_ownpay_amt,
        overlmt_selfpay=split.overlmt_selfpay, preselfpay_amt=split.preselfpay_amt,
        inscp_scp_amt=split.inscp_scp_amt, inscp_essential_amt=split.inscp_essential_amt,
        act_pay_dedc=charged, hifp_pay=hifp,
        cvlserv_pay=layer_pay["cvlserv_pay"], hifes_pay=layer_pay["hifes_pay"], hifmi_pay=layer_pay["hifmi_pay"],
        hifob_pay=layer_pay["hifob_pay"], maf_pay=layer_pay["maf_pay"], oth_pay=layer_pay["oth_pay"],
        fund_pay_sumamt=fund, psn_part_amt=psn_part, acct_pay=acct_pay, acct_mulaid_pay=mulaid,
        psn_cash_pay=cash, hosp_part_amt=claim.hosp_part_amt,
        pool_prop=line.ratio if line else Decimal(0), balc=new_state.acct_balance,
        explanation=tuple(steps), delta=delta,
    )
    return settlement, new_state
